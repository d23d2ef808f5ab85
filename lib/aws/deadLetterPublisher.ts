import type { MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import { defaultRetryPolicy, type RetryPolicy } from '../common/retryPolicy.js';
import { type ErrorInfo, maxErrorMessageChars } from '../contract/errorCodes.js';
import { DeadLetterAttribute } from '../contract/messageAttributes.js';
import { sendMessages } from './sendMessageBatch.js';

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
    const entries = letters.map((letter) => ({
      letter,
      body: letter.body,
      attributes: attributesOf(letter),
    }));
    const { client, queueUrl, retry = defaultRetryPolicy } = this.#options;
    // Cut by entries and bytes in sendMessages; a letter over 1 MiB comes back unsent.
    const { unsent } = await sendMessages(client, queueUrl, entries, {
      retry,
      signal: options.signal,
      onError: options.onError,
    });
    return new Set(unsent.map((entry) => entry.letter.sourceMessageId));
  }
}
