import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { type DeadLetter, DeadLetterPublisher } from '../../../lib/aws/deadLetterPublisher.js';
import { dlqUrl, fastRetry, offline } from '../../helpers/factories.js';
import { fakeQueue } from '../../helpers/fakes.js';

const letter = (n: number, body = `{"input":${n}}`): DeadLetter => ({
  body,
  requestId: `id-${n}`,
  sourceMessageId: `msg-${n}`,
  attempts: 2,
  error: { code: 'INVALID_REQUEST', message: 'input is required' },
  deadLetterId: `dl-${n}`,
});

const publisher = () =>
  new DeadLetterPublisher({ client: new SQSClient(offline), queueUrl: dlqUrl, retry: fastRetry });

describe('DeadLetterPublisher', () => {
  let queue: ReturnType<typeof fakeQueue>;
  afterEach(() => queue.mock.restore());

  it('sends the original body with the error attributes, 10 entries a call', async () => {
    queue = fakeQueue();
    const failed = await publisher().publish(Array.from({ length: 23 }, (_, i) => letter(i)));
    expect(failed.size).toBe(0);
    expect(queue.batches()).toBe(3);
    expect(queue.messages[0]).toEqual({
      body: '{"input":0}',
      queueUrl: dlqUrl,
      delaySeconds: undefined,
      attributes: {
        'sagebatch.errorCode': 'INVALID_REQUEST',
        'sagebatch.errorMessage': 'input is required',
        'sagebatch.requestId': 'id-0',
        'sagebatch.attempts': '2',
        'sagebatch.sourceMessageId': 'msg-0',
        'sagebatch.deadLetterId': 'dl-0',
      },
    });
    const entry = queue.mock.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry.MessageAttributes!['sagebatch.attempts']!.DataType).toBe('Number');
  });

  it('keeps each call under 1 MiB', async () => {
    queue = fakeQueue();
    const big = (n: number) => letter(n, JSON.stringify({ input: 'x'.repeat(300_000) }));
    await publisher().publish([big(1), big(2), big(3), big(4)]);
    const sizes = queue.mock
      .commandCalls(SendMessageBatchCommand)
      .map((call) => call.args[0].input.Entries!.reduce((n, e) => n + e.MessageBody!.length, 0));
    expect(sizes.every((size) => size < 1_048_576)).toBe(true);
    expect(queue.messages).toHaveLength(4);
  });

  it('retries entries SQS failed on its side', async () => {
    queue = fakeQueue({ failTimes: (body) => (body.includes('3') ? 2 : 0) });
    const failed = await publisher().publish([letter(1), letter(3)]);
    expect(failed.size).toBe(0);
    expect(queue.messages.map((m) => m.attributes['sagebatch.requestId'])).toEqual([
      'id-1',
      'id-3',
    ]);
  });

  it('reports the source message ids it could not publish', async () => {
    queue = fakeQueue({ failTimes: (body) => (body.includes('3') ? 99 : 0) });
    const failed = await publisher().publish([letter(1), letter(3)]);
    expect([...failed]).toEqual(['msg-3']);
  });
});
