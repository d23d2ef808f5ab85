import {
  BatchRequestTooLong,
  ChangeMessageVisibilityBatchCommand,
  SendMessageBatchCommand,
  SQSClient,
  TooManyEntriesInBatchRequest,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { sendMessageBatchWithRetries, sendMessages } from '../../../lib/aws/sendMessageBatch.js';
import { sqsBatches, sqsMessageBytes } from '../../../lib/aws/sqsBatches.js';
import { fastRetry, offline, queueUrl } from '../../helpers/factories.js';
import { fakeQueue } from '../../helpers/fakes.js';

let queue: ReturnType<typeof fakeQueue>;
afterEach(() => queue?.mock.restore());

const kib = (n: number) => 'x'.repeat(n * 1024);

describe('the SQS fake enforces AWS limits (negative controls)', () => {
  it('refuses a SendMessageBatch over 1 MiB with BatchRequestTooLong, as the SDK raises it', async () => {
    queue = fakeQueue();
    const entries = Array.from({ length: 5 }, (_, i) => ({ Id: `e${i}`, MessageBody: kib(256) }));
    const error = await new SQSClient(offline)
      .send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatchRequestTooLong);
    expect((error as BatchRequestTooLong).name).toBe('BatchRequestTooLong');
  });

  it('refuses 11 entries, repeated ids and ids SQS does not accept', async () => {
    queue = fakeQueue();
    const sqs = new SQSClient(offline);
    const send = (Entries: { Id: string; MessageBody: string }[]) =>
      sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries })).catch((e) => e.name);
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'b' }));
    expect(await send(eleven)).toBe('TooManyEntriesInBatchRequest');
    expect(
      await send([
        { Id: 'a', MessageBody: 'b' },
        { Id: 'a', MessageBody: 'c' },
      ]),
    ).toBe('BatchEntryIdsNotDistinct');
    expect(await send([{ Id: 'a.b', MessageBody: 'b' }])).toBe('InvalidBatchEntryId');
    expect(await send([])).toBe('EmptyBatchRequest');
    const visibility = await sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `v${i}`, ReceiptHandle: 'rh' })),
        }),
      )
      .catch((e: unknown) => e);
    expect(visibility).toBeInstanceOf(TooManyEntriesInBatchRequest);
  });

  it('fails an entry with 11 attributes or a delay over 900 s as a sender fault', async () => {
    queue = fakeQueue();
    const attributes = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]),
    );
    const response = await new SQSClient(offline).send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'many', MessageBody: 'b', MessageAttributes: attributes },
          { Id: 'late', MessageBody: 'b', DelaySeconds: 901 },
          { Id: 'ok', MessageBody: 'b', DelaySeconds: 900 },
        ],
      }),
    );
    expect(response.Failed?.map((f) => [f.Id, f.SenderFault])).toEqual([
      ['many', true],
      ['late', true],
    ]);
    expect(response.Successful?.map((s) => s.Id)).toEqual(['ok']);
  });
});

describe('sqsBatches: the one cut of every SQS batch call', () => {
  it('counts attribute names, types and values in a message size', () => {
    expect(
      sqsMessageBytes('body', { 'sagebatch.requestId': { DataType: 'String', StringValue: 'r1' } }),
    ).toBe(4 + 19 + 6 + 2);
  });

  it('cuts by 10 entries and by 1 MiB, and sets apart what is too large alone', () => {
    const sizes = [...Array(12).fill(1), 600_000, 600_000, 1_048_577];
    const { chunks, oversized } = sqsBatches(sizes, (size) => size);
    expect(chunks.map((c) => c.length)).toEqual([10, 3, 1]);
    expect(oversized).toEqual([1_048_577]);
  });

  it('sends five messages of 256 KiB in two calls, and refuses a batch it was handed over 1 MiB', async () => {
    queue = fakeQueue();
    const messages = Array.from({ length: 5 }, (_, i) => ({ body: `${i}${kib(256)}` }));
    const sqs = new SQSClient(offline);
    const { unsent } = await sendMessages(sqs, queueUrl, messages, { retry: fastRetry });
    expect(unsent).toEqual([]);
    expect(queue.batches()).toBe(2);
    await expect(
      sendMessageBatchWithRetries(sqs, queueUrl, messages, { retry: fastRetry }),
    ).rejects.toThrow(RangeError);
  });
});
