import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { readDeadLetters, redriveDeadLetters } from '../../../lib/client/deadLetterAdmin.js';
import { dlqUrl, offline, queueUrl } from '../../helpers/factories.js';

/** A DLQ fake whose messages come back under new ids when redriven (they fail again). */
function fakeDlq(count: number) {
  const mock = mockClient(SQSClient);
  let next = 0;
  let queue = Array.from({ length: count }, () => ({
    id: `m${next++}`,
    body: `{"id":"r${next}"}`,
  }));
  const hidden = new Set<string>();
  const redriven: string[] = [];
  mock
    .on(GetQueueAttributesCommand)
    .callsFake(() => ({ Attributes: { ApproximateNumberOfMessages: String(queue.length) } }));
  mock.on(ReceiveMessageCommand).callsFake((input) => {
    const visible = queue.filter((m) => !hidden.has(m.id)).slice(0, input.MaxNumberOfMessages ?? 1);
    if ((input.VisibilityTimeout ?? 0) > 0) for (const m of visible) hidden.add(m.id);
    return {
      Messages: visible.map((m) => ({
        MessageId: m.id,
        Body: m.body,
        ReceiptHandle: m.id,
        MessageAttributes: {
          'sagebatch.requestId': { DataType: 'String', StringValue: m.body.slice(7, -2) },
          'sagebatch.attempts': { DataType: 'Number', StringValue: '2' },
        },
      })),
    };
  });
  mock.on(SendMessageBatchCommand).callsFake((input) => {
    for (const entry of input.Entries ?? []) {
      redriven.push(entry.MessageBody ?? '');
      queue.push({ id: `m${next++}`, body: entry.MessageBody ?? '' }); // fails again, back in the DLQ
    }
    return {
      Successful: (input.Entries ?? []).map((e: { Id?: string }) => ({
        Id: e.Id,
        MessageId: 'x',
        MD5OfMessageBody: '',
      })),
    };
  });
  mock.on(DeleteMessageBatchCommand).callsFake((input) => {
    const gone = new Set(
      (input.Entries ?? []).map((e: { ReceiptHandle?: string }) => e.ReceiptHandle),
    );
    queue = queue.filter((m) => !gone.has(m.id));
    return { Successful: [] };
  });
  return { mock, redriven };
}

describe('dead letters', () => {
  let dlq: ReturnType<typeof fakeDlq>;
  afterEach(() => dlq.mock.restore());

  it('lists messages with their attributes, without hiding them', async () => {
    dlq = fakeDlq(3);
    const letters = await readDeadLetters(new SQSClient(offline), dlqUrl);
    expect(letters.map((l) => [l.requestId, l.attempts])).toEqual([
      ['r1', 2],
      ['r2', 2],
      ['r3', 2],
    ]);
  });

  it('redrives each message present at the start once, bodies unchanged, even when they fail again', async () => {
    dlq = fakeDlq(23);
    const moved = await redriveDeadLetters(new SQSClient(offline), dlqUrl, queueUrl);
    expect(moved).toBe(23);
    expect(new Set(dlq.redriven).size).toBe(23);
    expect(dlq.redriven[0]).toBe('{"id":"r1"}');
  });

  it('moves at most --max messages', async () => {
    dlq = fakeDlq(15);
    expect(await redriveDeadLetters(new SQSClient(offline), dlqUrl, queueUrl, { max: 4 })).toBe(4);
  });
});
