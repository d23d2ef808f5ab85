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
import { settingDefault } from '../../../lib/contract/settings.js';
import { checkBatchEntries, checkSendMessageBatch } from '../../helpers/awsRules/sqs.js';
import { dlqUrl, offline, queueUrl } from '../../helpers/factories.js';

/**
 * A DLQ fake whose messages come back under new ids when redriven (they fail again). Its
 * batch calls refuse what SQS refuses (test/helpers/awsRules/sqs.ts).
 */
function fakeDlq(count: number, options: { padding?: number } = {}) {
  const mock = mockClient(SQSClient);
  let next = 0;
  const pad = options.padding === undefined ? '' : `,"input":"${'x'.repeat(options.padding)}"`;
  let queue = Array.from({ length: count }, () => ({
    id: `m${next++}`,
    body: `{"id":"r${next}"${pad}}`,
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
          'sagebatch.requestId': {
            DataType: 'String',
            StringValue: (JSON.parse(m.body) as { id: string }).id,
          },
          'sagebatch.attempts': { DataType: 'Number', StringValue: '2' },
        },
      })),
    };
  });
  mock.on(SendMessageBatchCommand).callsFake((input) => {
    checkSendMessageBatch(input.Entries ?? []);
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
    checkBatchEntries(input.Entries ?? []);
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

  it('redrives five messages of the largest accepted input: never more than 1 MiB in one SendMessageBatch', async () => {
    dlq = fakeDlq(5, { padding: settingDefault('maxInputBytes') - 2 });
    const moved = await redriveDeadLetters(new SQSClient(offline), dlqUrl, queueUrl);
    expect(moved).toBe(5);
    expect(new Set(dlq.redriven).size).toBe(5);
  });

  it('moves at most --max messages', async () => {
    dlq = fakeDlq(15);
    expect(await redriveDeadLetters(new SQSClient(offline), dlqUrl, queueUrl, { max: 4 })).toBe(4);
  });
});
