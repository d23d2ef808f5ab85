/**
 * Completion events: what the stack publishes to its completion topic (stack output
 * `CompletionTopicArn`) when a request's row reaches a final status, and, later, when a
 * job's last request does. This file is the whole contract: the message body, the SNS
 * message attributes subscribers filter on, the stable event id, the rule for which row
 * writes publish, and the filter policies `wait` subscribes with.
 *
 * Delivery is at least once: a subscriber can see an event twice (a retried stream batch,
 * SNS's own redelivery) and recognises the copy by `eventId`. See README "Completion events".
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { SnsLimits } from './awsLimits.js';
import { FINAL_STATUSES, type FinalStatus, isFinalStatus } from './finalStatus.js';

/** Values of an event's `type` (and of its `type` message attribute). One topic carries both. */
export const CompletionEventType = {
  /** One request's row reached a final status. */
  requestCompleted: 'request.completed',
  /** Every request of a job is final (issue 18, part 2: published by the jobs feature). */
  jobCompleted: 'job.completed',
} as const;

/** One of {@link CompletionEventType}'s values. */
export type CompletionEventType = (typeof CompletionEventType)[keyof typeof CompletionEventType];

/**
 * Names of the SNS message attributes every event carries (String values), for subscription
 * filter policies with the default scope `MessageAttributes`. With raw message delivery an
 * SQS subscriber receives them as SQS message attributes of the same names.
 */
export const CompletionEventAttribute = {
  type: 'type',
  /** request.completed only: the final status. */
  status: 'status',
  /** request.completed only: the request id. */
  id: 'id',
  /** When the request (or the job) belongs to a job. */
  jobId: 'jobId',
} as const;

/** Where a request's result is read: its row (always), and the offloaded output object. */
export interface ResultPointer {
  /** The results table (stack output `ResultsTableName`). */
  readonly table: string;
  /** The row's key. */
  readonly key: { readonly id: string };
}

/** Body of a `request.completed` event (JSON; a few hundred bytes, never an output). */
export interface RequestCompletedEvent {
  /** Schema version of the body; additions keep 1, a breaking change would not. */
  readonly version: 1;
  readonly type: typeof CompletionEventType.requestCompleted;
  /**
   * Stable identity of this final transition: every copy of the event carries the same
   * value (see {@link requestEventIdOf}).
   */
  readonly eventId: string;
  /** The request id. */
  readonly id: string;
  readonly status: FinalStatus;
  /** FAILED rows: the error code (see lib/contract/errorCodes.ts); the message stays in the row. */
  readonly errorCode?: string;
  /** The job the request belongs to, when its row names one. */
  readonly jobId?: string;
  /** The row's `completedAt`: when the final row was written, epoch ms. */
  readonly completedAt: number;
  /** Where to read the result. */
  readonly result: ResultPointer;
  /** SUCCEEDED rows whose output was too large for the row: `s3://<bucket>/results/...`. */
  readonly outputLocation?: string;
}

/**
 * Body of a `job.completed` event. Defined here so both event types share one topic and
 * one set of attributes; the jobs feature publishes it, once per job in effect (its
 * `eventId` is derived from the job id, so copies are recognisable).
 */
export interface JobCompletedEvent {
  readonly version: 1;
  readonly type: typeof CompletionEventType.jobCompleted;
  /** {@link jobEventIdOf} of the job. */
  readonly eventId: string;
  readonly jobId: string;
  /** When the job's last request became final, epoch ms. */
  readonly completedAt: number;
  /** Requests of the job by final status. */
  readonly counts: Readonly<Partial<Record<FinalStatus, number>>>;
}

/** Any event on the completion topic. */
export type CompletionEvent = RequestCompletedEvent | JobCompletedEvent;

/** The attributes of a result row a completion event is built from (either image of a stream record). */
export interface RowImage {
  readonly id: string;
  readonly status: string;
  readonly errorCode?: string;
  readonly jobId?: string;
  readonly completedAt?: number;
  readonly outputLocation?: string;
  /** FAILED rows: the failure's identity; a new failure of a redriven request has a new one. */
  readonly deadLetterId?: string;
}

/**
 * The stable id of a request's final transition: the first 128 bits of a SHA-256 over
 * type, id, status and the final row's `completedAt`, as 32 hex characters. The same row
 * write always gives the same id (a retried stream batch, an SNS redelivery); a later,
 * different final transition of the same id (a redriven FAILED request that now
 * SUCCEEDED) is a new row write with a new `completedAt`, so a new id.
 */
export function requestEventIdOf(id: string, status: string, completedAt: number): string {
  return digest(`${CompletionEventType.requestCompleted}\n${id}\n${status}\n${completedAt}`);
}

/** The stable id of a job's `job.completed` event: one per job. */
export function jobEventIdOf(jobId: string): string {
  return digest(`${CompletionEventType.jobCompleted}\n${jobId}`);
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * Whether a row write is a transition into a final state, the only writes that publish:
 * the new row is final, and the old row was absent, not final, final with another status
 * (FAILED, redriven, then SUCCEEDED), or FAILED for another failure (a redriven request
 * failing again: a new `deadLetterId`). Rewrites of the same outcome publish nothing: the
 * DLQ mark (`deadLetteredAt`) on a FAILED row, a second delivery of a failure already
 * recorded, the finalizer finding a row already FAILED.
 */
export function isFinalTransition(next: RowImage, previous: RowImage | undefined): boolean {
  if (!isFinalStatus(next.status)) return false;
  if (previous === undefined || !isFinalStatus(previous.status)) return true;
  if (previous.status !== next.status) return true;
  return next.status === 'FAILED' && previous.deadLetterId !== next.deadLetterId;
}

/**
 * The `request.completed` event of a row write, or undefined when the write is not a
 * final transition ({@link isFinalTransition}) or the row has no `completedAt`.
 */
export function requestCompletedEventOf(
  next: RowImage,
  previous: RowImage | undefined,
  table: string,
): RequestCompletedEvent | undefined {
  if (!isFinalTransition(next, previous) || next.completedAt === undefined) return undefined;
  const status = next.status as FinalStatus;
  return {
    version: 1,
    type: CompletionEventType.requestCompleted,
    eventId: requestEventIdOf(next.id, status, next.completedAt),
    id: next.id,
    status,
    ...(next.errorCode === undefined ? {} : { errorCode: next.errorCode }),
    ...(next.jobId === undefined ? {} : { jobId: next.jobId }),
    completedAt: next.completedAt,
    result: { table, key: { id: next.id } },
    ...(next.outputLocation === undefined ? {} : { outputLocation: next.outputLocation }),
  };
}

/** An SNS message attribute value (the shape of the SDK's `MessageAttributeValue`). */
export interface EventAttributeValue {
  readonly DataType: 'String';
  readonly StringValue: string;
}

/** The SNS message attributes of an event (see {@link CompletionEventAttribute}). */
export function completionEventAttributes(
  event: CompletionEvent,
): Record<string, EventAttributeValue> {
  const value = (text: string): EventAttributeValue => ({ DataType: 'String', StringValue: text });
  const attributes: Record<string, EventAttributeValue> = {
    [CompletionEventAttribute.type]: value(event.type),
  };
  if (event.jobId !== undefined) attributes[CompletionEventAttribute.jobId] = value(event.jobId);
  if (event.type === CompletionEventType.requestCompleted) {
    attributes[CompletionEventAttribute.status] = value(event.status);
    attributes[CompletionEventAttribute.id] = value(event.id);
  }
  return attributes;
}

/**
 * Lambda event filter patterns (FilterCriteria) for the results table's stream: only
 * records whose new image is final invoke the publisher, so RETRYING writes cost no
 * invocation. Whether the write is a transition is decided by {@link isFinalTransition}
 * (a pattern cannot compare the old image with the new one).
 * https://docs.aws.amazon.com/lambda/latest/dg/with-ddb-filtering.html
 */
export const streamFilterPatterns: readonly object[] = [
  { dynamodb: { NewImage: { status: { S: [...FINAL_STATUSES] } } } },
];

/** What a `wait` subscribes to: some request ids, or a job. */
export type WaitTarget = { readonly ids: readonly string[] } | { readonly jobId: string };

/**
 * Most ids one filter policy names: a policy holds at most 150 combinations of values
 * (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html),
 * and `type` takes one.
 */
export const maxFilterPolicyIds = SnsLimits.filterPolicyCombinations - 1;

/**
 * The subscription filter policy (scope MessageAttributes) for a wait on `target`: the
 * job's events, or the events of up to {@link maxFilterPolicyIds} ids; for more ids, every
 * `request.completed` event (the waiter drops the others). One policy, because one queue
 * can hold only one subscription to a topic: SNS refuses a second Subscribe of the same
 * endpoint with other attributes.
 */
export function waitFilterPolicy(target: WaitTarget): Record<string, string[]> {
  const type = [CompletionEventType.requestCompleted];
  if ('jobId' in target)
    return {
      [CompletionEventAttribute.type]: type,
      [CompletionEventAttribute.jobId]: [target.jobId],
    };
  const ids = [...new Set(target.ids)];
  if (ids.length > maxFilterPolicyIds) return anyRequestFilterPolicy();
  return { [CompletionEventAttribute.type]: type, [CompletionEventAttribute.id]: ids };
}

/** A filter policy for every `request.completed` event of the stack (the waiter filters ids itself). */
export const anyRequestFilterPolicy = (): Record<string, string[]> => ({
  [CompletionEventAttribute.type]: [CompletionEventType.requestCompleted],
});

const requestCompletedSchema = z.object({
  version: z.literal(1),
  type: z.literal(CompletionEventType.requestCompleted),
  eventId: z.string().min(1),
  id: z.string().min(1),
  status: z.enum(FINAL_STATUSES),
  errorCode: z.string().optional(),
  jobId: z.string().optional(),
  completedAt: z.number(),
  result: z.object({ table: z.string(), key: z.object({ id: z.string() }) }),
  outputLocation: z.string().optional(),
});

/**
 * Reads a `request.completed` event from a message body; undefined for anything else
 * (another event type, a newer schema version, not JSON), which a waiter ignores.
 */
export function parseRequestCompletedEvent(body: string): RequestCompletedEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = requestCompletedSchema.safeParse(json);
  return parsed.success ? (parsed.data as RequestCompletedEvent) : undefined;
}
