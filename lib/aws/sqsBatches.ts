import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { type Chunked, chunkBySize } from '../common/chunk.js';
import { AwsLimits } from '../contract/awsLimits.js';

/**
 * The one place SQS batch calls are cut. SendMessageBatch, DeleteMessageBatch and
 * ChangeMessageVisibilityBatch take at most 10 entries; SendMessageBatch also refuses a
 * request whose messages add up to more than 1 MiB (BatchRequestTooLong), each message
 * counted as its body plus every attribute's name, type and value.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_MessageAttributeValue.html
 */

/** Bytes SQS counts for a message: its body plus each attribute's name, data type and value. */
export function sqsMessageBytes(
  body: string,
  attributes: Readonly<Record<string, MessageAttributeValue>> = {},
): number {
  let bytes = Buffer.byteLength(body);
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '');
    bytes +=
      value.BinaryValue === undefined
        ? Buffer.byteLength(value.StringValue ?? '')
        : value.BinaryValue.byteLength;
  }
  return bytes;
}

/**
 * Cuts `items`, in order, into the entries of consecutive batch calls: at most 10 each and,
 * when `sizeOf` is given (SendMessageBatch), at most 1 MiB each. `oversized` holds the items
 * SQS refuses even alone (over 1 MiB).
 */
export function sqsBatches<T>(
  items: readonly T[],
  sizeOf: (item: T) => number = () => 0,
): Chunked<T> {
  return chunkBySize(items, {
    maxItems: AwsLimits.sqsBatchEntries,
    maxBytes: AwsLimits.sqsMaxBatchBytes,
    sizeOf,
  });
}

/** Whether `sizes` fit one batch call (entries and bytes). */
export function fitsOneSqsBatch(sizes: readonly number[]): boolean {
  return (
    sizes.length <= AwsLimits.sqsBatchEntries &&
    sizes.reduce((sum, size) => sum + size, 0) <= AwsLimits.sqsMaxBatchBytes
  );
}
