import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import { abortable } from '../common/abortable.js';
import { pause, type RetryPolicy } from '../common/retryPolicy.js';
import { fitsOneSqsBatch, sqsBatches, sqsMessageBytes } from './sqsBatches.js';

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
 * SQS batch calls in flight at once per sender by default: enough to send 10,000 messages in
 * a few seconds at ~10 ms a call, few enough not to open hundreds of sockets at once.
 */
export const sqsCallParallelism = 16;

/** Bytes SQS counts for `message` (body and attributes). */
export const batchMessageBytes = (message: BatchMessage) =>
  sqsMessageBytes(message.body, message.attributes);

/** What {@link sendMessages} and {@link sendMessageBatchWithRetries} could not send. */
export interface Unsent<T> {
  /** Messages still unsent, including those too large for SQS even alone. */
  readonly unsent: T[];
  /** The last reason SQS or the SDK gave (or that a message is too large). */
  readonly reason: string;
}

/**
 * Sends any number of messages with SendMessageBatch, cut by entries and bytes
 * ({@link sqsBatches}), `parallelism` calls at a time, each retried as
 * {@link sendMessageBatchWithRetries} does. A message over SQS's 1 MiB is not sent at all.
 */
export async function sendMessages<T extends BatchMessage>(
  client: Pick<SQSClient, 'send'>,
  queueUrl: string,
  messages: readonly T[],
  options: BatchRetryOptions & { readonly parallelism?: number },
): Promise<Unsent<T>> {
  const { chunks, oversized } = sqsBatches(messages, batchMessageBytes);
  const unsent: T[] = [...oversized];
  let reason =
    oversized.length > 0
      ? `a message of ${batchMessageBytes(oversized[0]!)} bytes is over SQS's 1 MiB`
      : '';
  // SQS would refuse it every time: say so once, with the name SQS gives such a message.
  if (oversized.length > 0) options.onError?.({ name: 'MessageTooLong', code: 'MessageTooLong' });
  const limit = pLimit(options.parallelism ?? sqsCallParallelism);
  const results = await Promise.all(
    chunks.map((chunk) =>
      limit(() => sendMessageBatchWithRetries(client, queueUrl, chunk, options)),
    ),
  );
  for (const result of results) {
    unsent.push(...result.unsent);
    reason = result.reason || reason;
  }
  return { unsent, reason };
}

/**
 * Sends the messages of one batch call (at most 10 and 1 MiB: cut them with
 * {@link sqsBatches}, or use {@link sendMessages}) with SendMessageBatch, retrying with backoff the entries SQS
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
): Promise<Unsent<T>> {
  if (!fitsOneSqsBatch(messages.map(batchMessageBytes))) {
    throw new RangeError(
      `sendMessageBatchWithRetries: ${messages.length} messages do not fit one SendMessageBatch (10 entries, 1 MiB); cut them with sqsBatches`,
    );
  }
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
