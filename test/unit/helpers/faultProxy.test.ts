import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy, type FaultSchedule } from '../../helpers/faultProxy.js';

/** Stands for the emulator: answers every call 200 with an empty result, keeps the bodies. */
let target: Server;
const received: { target: string; body: string }[] = [];
let proxy: FaultProxy;
let url: string;

beforeAll(async () => {
  target = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target']);
      received.push({ target: op, body: Buffer.concat(chunks).toString() });
      const body = op.endsWith('BatchWriteItem')
        ? '{"UnprocessedItems":{}}'
        : '{"MessageId":"m","MD5OfMessageBody":"5d41402abc4b2a76b9719d911017c592"}';
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  proxy = new FaultProxy({ target: `http://127.0.0.1:${(target.address() as AddressInfo).port}` });
  url = await proxy.start();
});

afterAll(async () => {
  await proxy.stop();
  await new Promise((resolve) => target.close(resolve));
});

const none: FaultSchedule = {
  seed: 1,
  throttleRate: 0,
  serverErrorRate: 0,
  slowRate: 0,
  slowMs: 0,
  partialBatchWriteRate: 0,
};
const config = () => ({
  endpoint: url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});
const put = (i: number) => ({ PutRequest: { Item: { id: { S: `r${i}` } } } });
const batchWrite = (n: number) =>
  new BatchWriteItemCommand({
    RequestItems: { results: Array.from({ length: n }, (_, i) => put(i)) },
  });
const sendMessage = () =>
  new SendMessageCommand({ QueueUrl: 'http://127.0.0.1/000000000000/dlq', MessageBody: 'hello' });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: { name: string; $metadata: { httpStatusCode?: number }; $fault: string }) => ({
      name: error.name,
      status: error.$metadata.httpStatusCode,
      fault: error.$fault,
    }),
  );

describe('FaultProxy, seen through the real SDK v3 clients', () => {
  it('throttles DynamoDB with the JSON 1.0 shapes the SDK maps to its throttling exceptions', async () => {
    proxy.setSchedule({ ...none, throttleRate: 1 });
    const dynamo = new DynamoDBClient(config());
    const names = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const error = await failure(dynamo.send(batchWrite(2)));
      expect(error).toMatchObject({ status: 400, fault: 'client' });
      names.add(error.name);
    }
    expect([...names].sort()).toEqual([
      'ProvisionedThroughputExceededException',
      'ThrottlingException',
    ]);
    proxy.setSchedule({ ...none, serverErrorRate: 1 });
    expect(await failure(dynamo.send(batchWrite(2)))).toEqual({
      name: 'InternalServerError',
      status: 500,
      fault: 'server',
    });
  });

  it('throttles SQS (JSON 1.0 with x-amzn-query-error) and answers 500 InternalError', async () => {
    proxy.setSchedule({ ...none, throttleRate: 1 });
    const sqs = new SQSClient(config());
    const names = new Set<string>();
    for (let i = 0; i < 12; i++) names.add((await failure(sqs.send(sendMessage()))).name);
    expect([...names].sort()).toEqual(['RequestThrottled', 'ThrottlingException']);
    proxy.setSchedule({ ...none, serverErrorRate: 1 });
    expect(await failure(sqs.send(sendMessage()))).toMatchObject({
      name: 'InternalError',
      status: 500,
    });
  });

  it('forwards only part of a BatchWriteItem and returns the rest as UnprocessedItems', async () => {
    proxy.setSchedule({ ...none, seed: 3, partialBatchWriteRate: 1 });
    received.length = 0;
    const dynamo = new DynamoDBClient(config());
    const out = await dynamo.send(batchWrite(25));
    const unprocessed = out.UnprocessedItems?.results ?? [];
    const forwarded = JSON.parse(received[0]!.body).RequestItems.results as unknown[];
    expect(unprocessed.length).toBeGreaterThan(0);
    expect(forwarded.length).toBeGreaterThan(0);
    const ids = [...forwarded, ...unprocessed].map(
      (w) => (w as { PutRequest: { Item: { id: { S: string } } } }).PutRequest.Item.id.S,
    );
    expect(ids.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `r${i}`).sort());
    expect(proxy.stats()['DynamoDB.BatchWriteItem']).toMatchObject({
      partial: 1,
      unprocessedItems: unprocessed.length,
    });
  });

  it('draws the same decisions from the same seed', async () => {
    const dynamo = new DynamoDBClient(config());
    const run = async () => {
      proxy.setSchedule({ ...none, seed: 42, throttleRate: 0.3, serverErrorRate: 0.2 });
      const outcomes: string[] = [];
      for (let i = 0; i < 20; i++)
        outcomes.push(
          await dynamo.send(batchWrite(1)).then(
            () => 'ok',
            (e: Error) => e.name,
          ),
        );
      return outcomes;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
  });
});
