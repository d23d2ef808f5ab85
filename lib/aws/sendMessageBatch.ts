import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { abortable } from '../common/abortable.js';
import { pause, type RetryPolicy } from '../common/retryPolicy.js';

/** One message of a SendMessageBatch call. */
export interface BatchMessage {
  readonly body: string;
  readonly attributes?: Record<string, MessageAttributeValue>;
  /** Seconds before the message becomes visible (0-900). */
  readonly delaySeconds?: number;
}

/** Retry settings of {@link sendMessageBatchWithRetries}. */
export interface BatchRetryOptions {
  /** Rounds after the first call (`retries`) and the delays between them. */
  readonly retry: RetryPolicy;
  /** Stops retrying and aborts the call in flight; what is left counts as unsent. */
  readonly signal?: AbortSignal;
  /**
   * Told about each failed call and each entry SQS failed (as `{ name, code }`, no
   * message: it may quote a body), for the caller's "first error" log line.
   */
  readonly onError?: (error: unknown) => void;
}

/**
 * Sends up to 10 messages with SendMessageBatch, retrying with backoff the entries SQS
 * failed on its side and whole calls that failed. An entry failed as a sender fault fails
 * the same way every time, so it is given up at once.
 *
 * @returns the messages still unsent, and the last reason SQS or the SDK gave.
 */
export async function sendMessageBatchWithRetries<T extends BatchMessage>(
  client: Pick<SQSClient, 'send'>,
  queueUrl: string,
  messages: readonly T[],
  options: BatchRetryOptions,
): Promise<{ unsent: T[]; reason: string }> {
  const givenUp: T[] = [];
  let pending = [...messages];
  let reason = '';
  const { signal } = options;
  for (let round = 0; pending.length > 0 && round <= options.retry.retries; round++) {
    if (signal?.aborted) {
      reason = 'out of time';
      break;
    }
    try {
      if (round > 0) {
        await pause(options.retry, round - 1, signal);
      }
      const response = await abortable(
        client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: pending.map((message, i) => ({
              Id: String(i),
              MessageBody: message.body,
              MessageAttributes: message.attributes,
              DelaySeconds: message.delaySeconds,
            })),
          }),
          { abortSignal: signal },
        ),
        signal,
      );
      const retry: T[] = [];
      for (const failure of response.Failed ?? []) {
        reason = `${failure.Code}: ${failure.Message ?? ''}`;
        options.onError?.({ name: 'SendMessageBatchEntryFailed', code: failure.Code });
        (failure.SenderFault ? givenUp : retry).push(pending[Number(failure.Id)]!);
      }
      pending = retry;
    } catch (error) {
      // The whole call failed (network, throttling past the SDK's retries): retry it.
      reason = `${(error as Error).name}: ${(error as Error).message}`;
      options.onError?.(error);
    }
  }
  return { unsent: [...givenUp, ...pending], reason };
}
