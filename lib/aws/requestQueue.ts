import {
  ChangeMessageVisibilityBatchCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import { abortable } from '../common/abortable.js';
import { defaultRetryPolicy, type RetryPolicy } from '../common/retryPolicy.js';
import { RequeueAttribute } from '../contract/messageAttributes.js';
import { sendMessages, sqsCallParallelism } from './sendMessageBatch.js';
import { sqsBatches } from './sqsBatches.js';

/** A record to hide for a while before SQS delivers it again. */
export interface Redelivery {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly delaySeconds: number;
}

/** A record to send back to the request queue as a fresh message. */
export interface Requeue {
  readonly messageId: string;
  readonly body: string;
  readonly requestId: string;
  readonly enqueuedAt: number;
  readonly delaySeconds: number;
}

/** Settings of a {@link RequestQueue}. */
export interface RequestQueueOptions {
  readonly client: Pick<SQSClient, 'send'>;
  readonly queueUrl: string;
  /** How requeued messages SQS failed are sent again. @default defaultRetryPolicy */
  readonly retry?: RetryPolicy;
  /** Batch calls in flight at once (visibility changes, requeues). @default sqsCallParallelism (16) */
  readonly parallelism?: number;
}

/** SQS allows a delay of at most 15 minutes (API_SendMessageBatchRequestEntry). */
const maxDelaySeconds = 900;

/**
 * The request queue, as the batcher acts on it besides the event source mapping:
 * - {@link changeVisibility}: records left for redelivery come back after a backoff by
 *   receive count instead of the queue's whole visibility timeout;
 * - {@link requeue}: on the last delivery, a request held back by a misconfigured
 *   endpoint goes back to the queue as a fresh message (its receive count starts over),
 *   so SQS's redrive never moves it to the dead-letter path for a fault of the endpoint.
 */
export class RequestQueue {
  readonly #options: RequestQueueOptions;

  constructor(options: RequestQueueOptions) {
    this.#options = options;
  }

  /**
   * Sets each record's visibility timeout to its delay. Best effort: a record whose change
   * fails simply reappears after the queue's visibility timeout.
   * @returns how many changes SQS refused or could not be sent.
   */
  async changeVisibility(
    records: readonly Redelivery[],
    options: { signal?: AbortSignal; onError?: (error: unknown) => void } = {},
  ): Promise<number> {
    const { client, queueUrl, parallelism = sqsCallParallelism } = this.#options;
    // In parallel: 10,000 records are 1,000 calls, ~10 s one after another at 10 ms a call,
    // longer than the save reserve (lib/batcher/timeBudget.ts sizes it for these waves).
    const limit = pLimit(parallelism);
    const counts = await Promise.all(
      sqsBatches(records).chunks.map((chunk) =>
        limit(async () => {
          if (options.signal?.aborted) return chunk.length;
          try {
            const response = await abortable(
              client.send(
                new ChangeMessageVisibilityBatchCommand({
                  QueueUrl: queueUrl,
                  Entries: chunk.map((record, i) => ({
                    Id: String(i),
                    ReceiptHandle: record.receiptHandle,
                    VisibilityTimeout: record.delaySeconds,
                  })),
                }),
                { abortSignal: options.signal },
              ),
              options.signal,
            );
            // A refused entry is no exception: report it too, or its cause is never seen.
            const refused = response.Failed?.[0];
            if (refused)
              options.onError?.({ name: 'ChangeMessageVisibilityEntryFailed', code: refused.Code });
            return response.Failed?.length ?? 0;
          } catch (error) {
            options.onError?.(error);
            return chunk.length;
          }
        }),
      ),
    );
    const failed = counts.reduce((sum, count) => sum + count, 0);
    return failed;
  }

  /**
   * Sends each record back to the request queue as a new message: body unchanged, request
   * id and first enqueue time as attributes, visible after its delay (at most 15 minutes).
   * @returns the message ids of the records that could not be requeued.
   */
  async requeue(
    records: readonly Requeue[],
    options: { signal?: AbortSignal; onError?: (error: unknown) => void } = {},
  ): Promise<Set<string>> {
    const unsent = new Set<string>();
    const { client, queueUrl } = this.#options;
    const text = (value: string): MessageAttributeValue => ({
      DataType: 'String',
      StringValue: value,
    });
    const messages = records.map((record) => ({
      record,
      body: record.body,
      delaySeconds: Math.min(maxDelaySeconds, Math.max(0, Math.round(record.delaySeconds))),
      attributes: {
        [RequeueAttribute.requestId]: text(record.requestId),
        [RequeueAttribute.enqueuedAt]: {
          DataType: 'Number',
          StringValue: String(record.enqueuedAt),
        },
      },
    }));
    const { unsent: left } = await sendMessages(client, queueUrl, messages, {
      retry: this.#options.retry ?? defaultRetryPolicy,
      signal: options.signal,
      onError: options.onError,
      parallelism: this.#options.parallelism ?? sqsCallParallelism,
    });
    for (const message of left) unsent.add(message.record.messageId);
    return unsent;
  }
}
