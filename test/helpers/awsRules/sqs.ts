import {
  BatchEntryIdsNotDistinct,
  BatchRequestTooLong,
  EmptyBatchRequest,
  InvalidBatchEntryId,
  type MessageAttributeValue,
  TooManyEntriesInBatchRequest,
} from '@aws-sdk/client-sqs';

/**
 * The rules of Amazon SQS's batch actions that the test fakes enforce, each with the AWS
 * page it follows. A fake that lets through what AWS refuses hides a bug until production;
 * every SQS fake in test/helpers uses these checks.
 */

/**
 * Entries per SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
 * ("Message batch": at most 10 messages), and the TooManyEntriesInBatchRequest error of
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 */
export const maxBatchEntries = 10;

/**
 * Largest message, and largest sum of the messages of one SendMessageBatch: 1 MiB each
 * (raised from 256 KiB in August 2025). A message's size is its body plus every attribute's
 * name, type and value.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_MessageAttributeValue.html
 */
export const maxMessageBytes = 1_048_576;
/** @see maxMessageBytes */
export const maxBatchBytes = 1_048_576;

/**
 * Message attributes per message.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
 */
export const maxMessageAttributes = 10;

/**
 * DelaySeconds of a message: 0 to 900 (15 minutes).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatchRequestEntry.html
 */
export const maxDelaySeconds = 900;

/**
 * VisibilityTimeout of ChangeMessageVisibility(Batch): 0 to 43,200 seconds (12 hours).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html
 */
export const maxVisibilityTimeoutSeconds = 43_200;

/**
 * A batch entry Id: 1 to 80 characters, alphanumeric, hyphens and underscores, unique
 * within the request.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatchRequestEntry.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatchRequestEntry.html
 */
export const batchEntryIdPattern = /^[A-Za-z0-9_-]{1,80}$/;

/** What the SDK's error classes take: the shape the client builds from SQS's answer. */
const clientError = (message: string) => ({ message, $metadata: { httpStatusCode: 400 } });

/** Bytes SQS counts for a message: body plus every attribute's name, data type and value. */
export function messageBytes(
  body: string,
  attributes: Record<string, MessageAttributeValue> = {},
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
 * Throws what the SDK throws for a batch request SQS refuses as a whole: no entries, more
 * than 10, an invalid or repeated entry Id. Shared by the three batch actions.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html#API_ChangeMessageVisibilityBatch_Errors
 */
export function checkBatchEntries(entries: readonly { Id?: string | undefined }[]): void {
  if (entries.length === 0) {
    throw new EmptyBatchRequest(clientError("The batch request doesn't contain any entries."));
  }
  if (entries.length > maxBatchEntries) {
    throw new TooManyEntriesInBatchRequest(
      clientError(
        `Maximum number of entries per request are ${maxBatchEntries}. You have sent ${entries.length}.`,
      ),
    );
  }
  const seen = new Set<string>();
  for (const { Id: id = '' } of entries) {
    if (!batchEntryIdPattern.test(id)) {
      throw new InvalidBatchEntryId(
        clientError(
          `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long. (got "${id}")`,
        ),
      );
    }
    if (seen.has(id)) {
      throw new BatchEntryIdsNotDistinct(clientError(`Id ${id} repeated.`));
    }
    seen.add(id);
  }
}

/** A SendMessageBatch entry as the fakes read it. */
interface SendEntry {
  readonly Id?: string | undefined;
  readonly MessageBody?: string | undefined;
  readonly DelaySeconds?: number | undefined;
  readonly MessageAttributes?: Record<string, MessageAttributeValue> | undefined;
}

/**
 * Checks a whole SendMessageBatch request: the entry rules, then the sum of the messages'
 * sizes (BatchRequestTooLong, the whole call fails). A single message over 1 MiB makes the
 * sum exceed it too.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html#API_SendMessageBatch_Errors
 */
export function checkSendMessageBatch(entries: readonly SendEntry[]): void {
  checkBatchEntries(entries);
  const total = entries.reduce(
    (sum, entry) => sum + messageBytes(entry.MessageBody ?? '', entry.MessageAttributes),
    0,
  );
  if (total > maxBatchBytes) {
    throw new BatchRequestTooLong(
      clientError(
        `Batch requests cannot be longer than ${maxBatchBytes} bytes. You have sent ${total} bytes.`,
      ),
    );
  }
}

/** A per-entry failure SQS reports in `Failed` (the call itself succeeds). */
export interface EntryFailure {
  readonly Code: string;
  readonly Message: string;
  readonly SenderFault: true;
}

const invalid = (message: string): EntryFailure => ({
  Code: 'InvalidParameterValue',
  Message: message,
  SenderFault: true,
});

/**
 * The rules of one SendMessageBatch entry SQS reports as that entry's sender fault:
 * empty body, more than 10 attributes, an attribute without a type or value, DelaySeconds
 * out of 0-900. Returns undefined when SQS accepts the entry.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatchRequestEntry.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
 */
export function sendEntryFailure(entry: SendEntry): EntryFailure | undefined {
  if ((entry.MessageBody ?? '') === '') return invalid('The message body must not be empty.');
  const attributes = Object.entries(entry.MessageAttributes ?? {});
  if (attributes.length > maxMessageAttributes) {
    return invalid(
      `Number of message attributes [${attributes.length}] exceeds the allowed maximum [${maxMessageAttributes}].`,
    );
  }
  for (const [name, value] of attributes) {
    const empty = value.StringValue === undefined && value.BinaryValue === undefined;
    if (name === '' || !value.DataType || empty) {
      return invalid(`Message attribute ${name} must have a name, a type and a value.`);
    }
  }
  const delay = entry.DelaySeconds;
  if (delay !== undefined && (!Number.isInteger(delay) || delay < 0 || delay > maxDelaySeconds)) {
    return invalid(
      `Value ${delay} for parameter DelaySeconds is invalid. Reason: must be between 0 and ${maxDelaySeconds}.`,
    );
  }
  return undefined;
}

/**
 * The rule of one ChangeMessageVisibilityBatch entry: VisibilityTimeout 0-43200 seconds.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html
 */
export function visibilityEntryFailure(entry: {
  readonly VisibilityTimeout?: number | undefined;
}): EntryFailure | undefined {
  const seconds = entry.VisibilityTimeout;
  if (
    seconds !== undefined &&
    (!Number.isInteger(seconds) || seconds < 0 || seconds > maxVisibilityTimeoutSeconds)
  ) {
    return invalid(
      `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: must be between 0 and ${maxVisibilityTimeoutSeconds}.`,
    );
  }
  return undefined;
}
