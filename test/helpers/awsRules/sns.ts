import {
  BatchEntryIdsNotDistinctException,
  BatchRequestTooLongException,
  EmptyBatchRequestException,
  type PublishBatchCommandInput,
  ThrottledException,
  TooManyEntriesInBatchRequestException,
} from '@aws-sdk/client-sns';

/**
 * The rules of Amazon SNS's PublishBatch that the test fakes enforce, each with the AWS page
 * it follows.
 * https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html: at most 10 entries
 * (TooManyEntriesInBatchRequest), "the total aggregate size of all messages in a single
 * PublishBatch request can't exceed 262,144 bytes (256 KiB)" (BatchRequestTooLong), entry
 * ids unique (BatchEntryIdsNotDistinct), at least one entry (EmptyBatchRequest); a
 * throttled request fails whole with ThrottledException (Throttled, 400) and the SDK
 * retries it.
 */
export const snsMaxBatchEntries = 10;
/** @see snsMaxBatchEntries */
export const snsMaxBatchBytes = 262_144;

const clientError = (message: string) => ({ message, $metadata: { httpStatusCode: 400 } });

/** Bytes SNS counts for an entry: message plus every attribute's name, type and value. */
function entryBytes(
  entry: NonNullable<PublishBatchCommandInput['PublishBatchRequestEntries']>[number],
) {
  let bytes = Buffer.byteLength(entry.Message ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {}))
    bytes +=
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? '') +
      Buffer.byteLength(value.StringValue ?? '');
  return bytes;
}

/** Throws what SNS answers to a PublishBatch it refuses as a whole. */
export function checkPublishBatch(input: PublishBatchCommandInput): void {
  const entries = input.PublishBatchRequestEntries ?? [];
  if (entries.length === 0)
    throw new EmptyBatchRequestException(
      clientError('The batch request does not contain any entries.'),
    );
  if (entries.length > snsMaxBatchEntries)
    throw new TooManyEntriesInBatchRequestException(
      clientError(`The batch request contains more entries than permissible (${entries.length}).`),
    );
  if (new Set(entries.map((entry) => entry.Id)).size !== entries.length)
    throw new BatchEntryIdsNotDistinctException(
      clientError('Two or more batch entries have the same Id.'),
    );
  const bytes = entries.reduce((sum, entry) => sum + entryBytes(entry), 0);
  if (bytes > snsMaxBatchBytes)
    throw new BatchRequestTooLongException(
      clientError(
        `The length of all the messages put together is more than the limit (${bytes} bytes).`,
      ),
    );
}

/** The error SNS throttling gives. */
export const throttled = () => new ThrottledException(clientError('Rate exceeded'));
