import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { COMPACT_ROW_FORMAT, compactNames, ROW_FORMAT_ATTRIBUTE } from '../contract/compactRow.js';
import {
  type RequestCompletedEvent,
  type RowImage,
  requestCompletedEventOf,
  requestEventIdOf,
} from '../contract/completionEvent.js';

/** A stream record's completion event, with the record's position (for a partial batch failure). */
export interface RecordEvent {
  /** The record's `SequenceNumber`: Lambda resumes the shard from the first one reported failed. */
  readonly sequenceNumber: string;
  readonly event: RequestCompletedEvent;
}

type Image = Readonly<Record<string, AttributeValue>>;

/**
 * The attributes a completion event needs, read from one image of a stream record
 * (DynamoDB JSON). Undefined when the image is absent or has no `id` / `status` string.
 */
export function rowImageOf(image: Image | undefined): RowImage | undefined {
  const id = image?.id?.S;
  const status = image?.status?.S;
  if (image === undefined || id === undefined || status === undefined) return undefined;
  // A row format 2 (compact) row holds `completedAt` as `c` (lib/contract/compactRow.ts).
  const completedAtValue =
    image[ROW_FORMAT_ATTRIBUTE]?.N === String(COMPACT_ROW_FORMAT)
      ? image[compactNames.completedAt]
      : image.completedAt;
  const completedAt = completedAtValue?.N === undefined ? undefined : Number(completedAtValue.N);
  const optional = {
    errorCode: image.error?.M?.code?.S,
    jobId: image.jobId?.S,
    completedAt: Number.isFinite(completedAt) ? completedAt : undefined,
    outputLocation: image.outputLocation?.S,
    deadLetterId: image.deadLetterId?.S,
  };
  return {
    id,
    status,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

/**
 * The table a stream belongs to, from the record's `eventSourceARN`
 * (`arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`).
 */
export function tableOfStreamArn(arn: string | undefined): string {
  return /:table\/([^/]+)\/stream\//.exec(arn ?? '')?.[1] ?? '';
}

/**
 * The completion events of a batch of stream records, in stream order: one per record
 * that moves its row into a final state (lib/contract/completionEvent.ts
 * `isFinalTransition`); REMOVE records (TTL deletions) and other writes give none.
 */
export function completionEventsOf(
  records: readonly DynamoDBRecord[],
  options: { readonly negativeControl?: 'off' | 'every-write' } = {},
): RecordEvent[] {
  const events: RecordEvent[] = [];
  for (const record of records) {
    if (record.eventName === 'REMOVE') continue;
    const next = rowImageOf(record.dynamodb?.NewImage);
    if (next === undefined) continue;
    const table = tableOfStreamArn(record.eventSourceARN);
    const event =
      options.negativeControl === 'every-write'
        ? everyWriteEvent(next, table)
        : requestCompletedEventOf(next, rowImageOf(record.dynamodb?.OldImage), table);
    if (event) events.push({ sequenceNumber: record.dynamodb?.SequenceNumber ?? '', event });
  }
  return events;
}

/**
 * The broken publisher of the integration test's negative control: an event for any row
 * write with a `completedAt`, final or not, transition or not.
 */
function everyWriteEvent(next: RowImage, table: string): RequestCompletedEvent | undefined {
  const asFirstFinalWrite = requestCompletedEventOf(
    { ...next, status: 'SUCCEEDED' },
    undefined,
    table,
  );
  if (asFirstFinalWrite === undefined) return undefined;
  return {
    ...asFirstFinalWrite,
    status: next.status as RequestCompletedEvent['status'],
    eventId: requestEventIdOf(next.id, next.status, asFirstFinalWrite.completedAt),
  };
}
