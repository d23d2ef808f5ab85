import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { backoffDelay, sleep } from './backoff.js';

/** One message of a SendMessageBatch call. */
export interface BatchMessage {
  readonly body: string;
  readonly attributes?: Record<string, MessageAttributeValue>;
}

/** Retry settings of {@link sendMessageBatchWithRetries}. */
export interface BatchRetryOptions {
  /** Rounds of retries after the first call. */
  readonly maxRetryRounds: number;
  /** First backoff delay, ms. */
  readonly retryBaseMs: number;
  /** Largest backoff delay, ms. */
  readonly retryMaxMs: number;
}

/**
 * Sends up to 10 messages with SendMessageBatch, retrying with backoff the entries SQS
 * failed on its side and whole calls that failed. An entry failed as a sender fault fails
 * the same way every time, so it is given up at once.
 *
 * @returns the messages still unsent, and the last reason SQS or the SDK gave.
 */
export async function sendMessageBatchWithRetries<T extends BatchMessage>(
  client: SQSClient,
  queueUrl: string,
  messages: readonly T[],
  options: BatchRetryOptions,
): Promise<{ unsent: T[]; reason: string }> {
  const givenUp: T[] = [];
  let pending = [...messages];
  let reason = '';
  for (let round = 0; pending.length > 0 && round <= options.maxRetryRounds; round++) {
    if (round > 0) {
      await sleep(
        backoffDelay(round - 1, { baseMs: options.retryBaseMs, maxMs: options.retryMaxMs }),
      );
    }
    try {
      const response = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: pending.map((message, i) => ({
            Id: String(i),
            MessageBody: message.body,
            MessageAttributes: message.attributes,
          })),
        }),
      );
      const retry: T[] = [];
      for (const failure of response.Failed ?? []) {
        reason = `${failure.Code}: ${failure.Message ?? ''}`;
        (failure.SenderFault ? givenUp : retry).push(pending[Number(failure.Id)]!);
      }
      pending = retry;
    } catch (error) {
      // The whole call failed (network, throttling past the SDK's retries): retry it.
      reason = `${(error as Error).name}: ${(error as Error).message}`;
    }
  }
  return { unsent: [...givenUp, ...pending], reason };
}
