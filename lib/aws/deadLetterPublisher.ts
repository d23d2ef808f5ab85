import type { MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import { chunkBySize } from '../common/chunk.js';
import { defaultRetryPolicy, type RetryPolicy } from '../common/retryPolicy.js';
import { AwsLimits } from '../contract/awsLimits.js';
import { type ErrorInfo, maxErrorMessageChars } from '../contract/errorCodes.js';
import { DeadLetterAttribute } from '../contract/messageAttributes.js';
import { sendMessageBatchWithRetries } from './sendMessageBatch.js';

/** A failed request on its way to the dead-letter queue. */
export interface DeadLetter {
  /** The original SQS body, unchanged, so it can be redriven as is. */
  readonly body: string;
  readonly requestId: string;
  readonly sourceMessageId: string;
  readonly attempts: number;
  readonly error: ErrorInfo;
  /** Stable per request and attempt (lib/contract/deadLetterId.ts): a consumer's dedupe key. */
  readonly deadLetterId: string;
}

/** Settings of a {@link DeadLetterPublisher}. */
export interface DeadLetterPublisherOptions {
  readonly client: Pick<SQSClient, 'send'>;
  readonly queueUrl: string;
  /** How failed entries are tried again. @default defaultRetryPolicy */
  readonly retry?: RetryPolicy;
}

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

function attributesOf(letter: DeadLetter): Record<string, MessageAttributeValue> {
  return {
    [DeadLetterAttribute.errorCode]: text(letter.error.code),
    [DeadLetterAttribute.errorMessage]: text(letter.error.message.slice(0, maxErrorMessageChars)),
    [DeadLetterAttribute.requestId]: text(letter.requestId),
    [DeadLetterAttribute.attempts]: { DataType: 'Number', StringValue: String(letter.attempts) },
    [DeadLetterAttribute.sourceMessageId]: text(letter.sourceMessageId),
    [DeadLetterAttribute.deadLetterId]: text(letter.deadLetterId),
  };
}

/** SQS counts a message's size as its body plus each attribute's name, type and value. */
function messageBytes(body: string, attributes: Record<string, MessageAttributeValue>): number {
  let bytes = Buffer.byteLength(body);
  for (const [name, value] of Object.entries(attributes)) {
    bytes +=
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? '') +
      Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

/**
 * Sends failed requests to the dead-letter queue with SendMessageBatch: 10 entries and
 * 1 MiB a call, failed entries retried (sender faults are not: they would fail again).
 *
 * A call whose answer is lost (a timeout after SQS accepted it) is sent again, so a
 * letter can reach the queue twice: both copies carry the same `sagebatch.deadLetterId`.
 */
export class DeadLetterPublisher {
  readonly #options: DeadLetterPublisherOptions;

  constructor(options: DeadLetterPublisherOptions) {
    this.#options = options;
  }

  /**
   * Publishes every letter; returns the source message ids that could not be published
   * (including those left unsent when `signal` aborted).
   */
  async publish(
    letters: readonly DeadLetter[],
    options: { signal?: AbortSignal; onError?: (error: unknown) => void } = {},
  ): Promise<Set<string>> {
    const entries = letters.map((letter) => {
      const attributes = attributesOf(letter);
      return {
        letter,
        body: letter.body,
        attributes,
        bytes: messageBytes(letter.body, attributes),
      };
    });
    const { chunks, oversized } = chunkBySize(entries, {
      maxItems: AwsLimits.sqsBatchEntries,
      maxBytes: AwsLimits.sqsMaxBatchBytes,
      sizeOf: (entry) => entry.bytes,
    });
    const failed = new Set(oversized.map((entry) => entry.letter.sourceMessageId));
    // SQS would refuse it every time: say so once (the name SQS gives such a message).
    if (oversized.length > 0) options.onError?.({ name: 'MessageTooLong', code: 'MessageTooLong' });
    const { client, queueUrl, retry = defaultRetryPolicy } = this.#options;
    await Promise.all(
      chunks.map(async (chunk) => {
        const { unsent } = await sendMessageBatchWithRetries(client, queueUrl, chunk, {
          retry,
          signal: options.signal,
          onError: options.onError,
        });
        for (const entry of unsent) failed.add(entry.letter.sourceMessageId);
      }),
    );
    return failed;
  }
}
