import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { SagebatchClient, SubmitError } from '../../../lib/client/SagebatchClient.js';
import { parseEnvelope } from '../../../lib/contract/envelope.js';
import { offline, queueUrl, tableName } from '../../helpers/factories.js';
import { fakeQueue, fakeTable } from '../../helpers/fakes.js';

let queue: ReturnType<typeof fakeQueue>;
let table: ReturnType<typeof fakeTable>;
afterEach(() => {
  queue.mock.restore();
  table.mock.restore();
});

const client = () =>
  new SagebatchClient({
    sqs: new SQSClient(offline),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(offline)),
    queueUrl,
    tableName,
  });

describe('SagebatchClient.submit', () => {
  it('sends 10 entries a call, returns ids in order, and writes bodies the batcher accepts', async () => {
    queue = fakeQueue();
    table = fakeTable();
    const ids = await client().submit([
      { id: 'first', input: { text: 'a' } },
      ...Array.from({ length: 24 }, (_, i) => ({ input: i, deadline: 4_000_000_000_000 })),
    ]);
    expect(ids).toHaveLength(25);
    expect(ids[0]).toBe('first');
    expect(new Set(ids).size).toBe(25);
    expect(queue.batches()).toBe(3);
    for (const message of queue.messages) {
      expect(parseEnvelope(message.body, 'm', { maxInputBytes: 1_000, now: Date.now() }).ok).toBe(
        true,
      );
    }
  });

  it('retries entries SQS failed on its side', async () => {
    queue = fakeQueue({ failTimes: (body) => (body.includes('"flaky"') ? 2 : 0) });
    table = fakeTable();
    await client().submit([{ id: 'flaky', input: 1 }, { input: 2 }]);
    expect(queue.messages.map((m) => JSON.parse(m.body).id)).toContain('flaky');
  });

  it('rejects a bad id or a missing input before sending anything', async () => {
    queue = fakeQueue();
    table = fakeTable();
    await expect(client().submit([{ input: 1 }, { id: 'has space', input: 1 }])).rejects.toThrow(
      /request 1: id "has space"/,
    );
    await expect(client().submit([{ input: undefined }])).rejects.toThrow(SubmitError);
    expect(queue.batches()).toBe(0);
  });

  it('rejects a request larger than an SQS message', async () => {
    queue = fakeQueue();
    table = fakeTable();
    await expect(client().submit([{ id: 'big', input: 'x'.repeat(1_048_576) }])).rejects.toThrow(
      /request big is \d+ bytes/,
    );
  });

  it('names the requests SQS kept refusing', async () => {
    queue = fakeQueue();
    table = fakeTable();
    queue.mock.on(SendMessageBatchCommand).rejects(new Error('AccessDenied'));
    const submit = client().submit([{ id: 'a', input: 1 }]);
    await expect(submit).rejects.toMatchObject({ name: 'SubmitError', failedIds: ['a'] });
  }, 30_000);
});

describe('SagebatchClient results', () => {
  it('reads rows and parses outputs back from JSON text', async () => {
    queue = fakeQueue();
    table = fakeTable();
    table.rows.set('a', { id: 'a', status: 'SUCCEEDED', output: '{"y":[1,2]}' });
    const results = await client().getResults(['a', 'missing']);
    expect(results.get('a')).toMatchObject({ status: 'SUCCEEDED', output: { y: [1, 2] } });
    expect(results.has('missing')).toBe(false);
  });

  it('waits for final rows, ignores RETRYING, reports progress, and stops at the timeout', async () => {
    queue = fakeQueue();
    table = fakeTable();
    table.rows.set('a', { id: 'a', status: 'SUCCEEDED', output: '1' });
    table.rows.set('b', { id: 'b', status: 'RETRYING' });
    const progress: number[] = [];
    setTimeout(
      () =>
        table.rows.set('b', {
          id: 'b',
          status: 'FAILED',
          error: { code: 'EXPIRED', message: 'x' },
        }),
      30,
    );
    const done = await client().waitForResults(['a', 'b'], {
      intervalMs: 10,
      timeoutMs: 5_000,
      onProgress: (p) => progress.push(p.done),
    });
    expect(done.pending).toEqual([]);
    expect(done.results.get('b')?.status).toBe('FAILED');
    expect(progress[0]).toBe(1);
    expect(progress.at(-1)).toBe(2);

    const partial = await client().waitForResults(['a', 'never'], { intervalMs: 5, timeoutMs: 20 });
    expect(partial.pending).toEqual(['never']);
    expect(partial.results.has('a')).toBe(true);
  });
});
