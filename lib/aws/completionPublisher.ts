import type {
  PublishBatchCommandOutput,
  PublishBatchRequestEntry,
  SNSClient,
} from '@aws-sdk/client-sns';
import { PublishBatchCommand } from '@aws-sdk/client-sns';
import pLimit from 'p-limit';
import { pause, type RetryPolicy } from '../common/retryPolicy.js';
import { SnsLimits } from '../contract/awsLimits.js';
import { type CompletionEvent, completionEventAttributes } from '../contract/completionEvent.js';

/** The one SNS call the publisher makes. */
export type SnsPublishPort = {
  send(command: PublishBatchCommand): Promise<PublishBatchCommandOutput>;
};

/** Settings of a {@link CompletionPublisher}. */
export interface CompletionPublisherOptions {
  readonly client: SnsPublishPort | Pick<SNSClient, 'send'>;
  readonly topicArn: string;
  readonly retry: RetryPolicy;
  /** PublishBatch calls in flight at once. @default 4 */
  readonly parallelism?: number;
  /** Told about each failed call and failed entry (name and code only). */
  readonly onError?: (error: { readonly name: string; readonly code?: string }) => void;
}

/** What {@link CompletionPublisher.publish} could not publish. */
export interface Unpublished<T> {
  readonly unpublished: T[];
  /** The last reason SNS or the SDK gave. */
  readonly reason: string;
}

/** Bytes SNS counts for a message: the body and each attribute's name, type and value. */
export function snsMessageBytes(entry: PublishBatchRequestEntry): number {
  let bytes = Buffer.byteLength(entry.Message ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {}))
    bytes +=
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? '') +
      Buffer.byteLength(value.StringValue ?? '');
  return bytes;
}

/**
 * Publishes completion events to the completion topic with PublishBatch: at most 10
 * entries and 256 KiB a call (https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html),
 * failed calls and failed entries retried by the retry policy. Each event is one message
 * whose body is the event's JSON and whose attributes are
 * `completionEventAttributes(event)`, so subscribers filter on status, job and type.
 */
export class CompletionPublisher {
  readonly #options: CompletionPublisherOptions;

  constructor(options: CompletionPublisherOptions) {
    this.#options = options;
  }

  /** Publishes every item's event; returns the items still unpublished after the retries. */
  async publish<T extends { readonly event: CompletionEvent }>(
    items: readonly T[],
  ): Promise<Unpublished<T>> {
    const entries = items.map((item, index) => ({
      item,
      entry: {
        Id: String(index),
        Message: JSON.stringify(item.event),
        MessageAttributes: completionEventAttributes(item.event),
      } satisfies PublishBatchRequestEntry,
    }));
    const chunks: (typeof entries)[] = [];
    let chunk: typeof entries = [];
    let bytes = 0;
    for (const one of entries) {
      const size = snsMessageBytes(one.entry);
      if (
        chunk.length === SnsLimits.publishBatchEntries ||
        (chunk.length > 0 && bytes + size > SnsLimits.publishBatchBytes)
      ) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(one);
      bytes += size;
    }
    if (chunk.length > 0) chunks.push(chunk);
    const limit = pLimit(this.#options.parallelism ?? 4);
    const results = await Promise.all(chunks.map((c) => limit(() => this.#publishChunk(c))));
    const unpublished = new Set(results.flatMap((result) => result.unpublished));
    return {
      // In the callers' order: the handler reports the first one in stream order.
      unpublished: items.filter((item) => unpublished.has(item)),
      reason: results.map((result) => result.reason).find(Boolean) ?? '',
    };
  }

  async #publishChunk<T>(
    chunk: readonly { readonly item: T; readonly entry: PublishBatchRequestEntry }[],
  ): Promise<Unpublished<T>> {
    const { client, topicArn, retry, onError } = this.#options;
    let pending = [...chunk];
    let reason = '';
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt > retry.retries) break;
        await pause(retry, attempt - 1);
      }
      try {
        const output = await client.send(
          new PublishBatchCommand({
            TopicArn: topicArn,
            PublishBatchRequestEntries: pending.map((one) => one.entry),
          }),
        );
        const failed = new Set((output.Failed ?? []).map((entry) => entry.Id));
        for (const entry of output.Failed ?? []) {
          reason = `${entry.Code ?? 'Failed'}${entry.SenderFault ? ' (sender fault)' : ''}`;
          onError?.({ name: 'PublishBatchEntryFailed', code: entry.Code });
        }
        pending = pending.filter((one) => failed.has(one.entry.Id));
      } catch (error) {
        const { name, message } = error as Error;
        reason = `${name}: ${message}`;
        onError?.({ name, code: (error as { Code?: string }).Code ?? name });
      }
    }
    return { unpublished: pending.map((one) => one.item), reason };
  }
}
