import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { sendMessages } from '../aws/sendMessageBatch.js';
import { sqsBatches } from '../aws/sqsBatches.js';
import { defaultRetryPolicy } from '../common/retryPolicy.js';
import { DeadLetterAttribute } from '../contract/messageAttributes.js';

/** A message read from the dead-letter queue. */
export interface DeadLetterMessage {
  readonly body: string;
  readonly requestId: string | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  readonly attempts: number | undefined;
  readonly sourceMessageId: string | undefined;
  readonly receiptHandle: string;
}

/**
 * Reads up to `max` DLQ messages, leaving them in the queue (visibility timeout 0 for a
 * listing, or `hideForSeconds` while the caller works on them). Messages SQS itself moved
 * there (after maxReceiveCount without a result) carry no sagebatch attributes.
 */
export async function readDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  options: { max?: number; hideForSeconds?: number } = {},
): Promise<DeadLetterMessage[]> {
  const max = options.max ?? 100;
  const seen = new Map<string, DeadLetterMessage>();
  for (let emptyPolls = 0; seen.size < max && emptyPolls < 2; ) {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - seen.size),
        MessageAttributeNames: ['All'],
        VisibilityTimeout: options.hideForSeconds ?? 0,
        WaitTimeSeconds: 1,
      }),
    );
    const messages = response.Messages ?? [];
    const fresh = messages.filter((m) => !seen.has(m.MessageId ?? ''));
    if (fresh.length === 0) emptyPolls++;
    for (const m of fresh) {
      const attribute = (name: string) => m.MessageAttributes?.[name]?.StringValue;
      const attempts = attribute(DeadLetterAttribute.attempts);
      seen.set(m.MessageId ?? '', {
        body: m.Body ?? '',
        requestId: attribute(DeadLetterAttribute.requestId),
        errorCode: attribute(DeadLetterAttribute.errorCode),
        errorMessage: attribute(DeadLetterAttribute.errorMessage),
        attempts: attempts === undefined ? undefined : Number(attempts),
        sourceMessageId: attribute(DeadLetterAttribute.sourceMessageId),
        receiptHandle: m.ReceiptHandle ?? '',
      });
    }
  }
  return [...seen.values()];
}

/**
 * Sends DLQ messages back to the request queue with their bodies unchanged (so their
 * request ids are kept) and deletes them from the DLQ once sent. Moves at most the
 * messages the DLQ held when it started (or `max`): a request that fails again comes
 * back to the DLQ and must not be redriven in a loop. Returns how many moved.
 */
export async function redriveDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  queueUrl: string,
  options: { max?: number } = {},
): Promise<number> {
  const { Attributes: attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: dlqUrl,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  const limit = Math.min(
    options.max ?? Number.POSITIVE_INFINITY,
    Number(attributes.ApproximateNumberOfMessages ?? 0),
  );
  let moved = 0;
  while (moved < limit) {
    const batch = await readDeadLetters(sqs, dlqUrl, {
      max: Math.min(10, limit - moved),
      hideForSeconds: 60,
    });
    if (batch.length === 0) break;
    // Cut by entries and bytes (SQS refuses a call over 1 MiB): ten DLQ messages of a few
    // hundred KiB each take several calls. The request id rides along as an attribute, so a
    // body without an id keeps the id its result row and DLQ message were filed under.
    const { unsent } = await sendMessages(
      sqs,
      queueUrl,
      batch.map((m) => ({
        message: m,
        body: m.body,
        ...(m.requestId === undefined
          ? {}
          : {
              attributes: {
                [DeadLetterAttribute.requestId]: {
                  DataType: 'String',
                  StringValue: m.requestId,
                } satisfies MessageAttributeValue,
              },
            }),
      })),
      { retry: defaultRetryPolicy },
    );
    const left = new Set(unsent.map((u) => u.message));
    const done = batch.filter((m) => !left.has(m));
    // Deleted from the DLQ once sent; what SQS would not take stays there for a later run.
    for (const chunk of sqsBatches(done).chunks) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: chunk.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle })),
        }),
      );
    }
    moved += done.length;
    if (done.length < batch.length) break;
  }
  return moved;
}
