import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { abortable } from '../common/abortable.js';
import { defaultRetryPolicy, pause, type RetryPolicy } from '../common/retryPolicy.js';
import { AwsLimits } from '../contract/awsLimits.js';
import { projectedNames, readResultRow, type StoredRow } from '../contract/compactRow.js';
import { deadLetterIdOf } from '../contract/deadLetterId.js';
import { JobState, jobKey } from '../contract/job.js';
import { type ResultRow, ResultStatus } from '../contract/resultRow.js';

/**
 * Outcome of writing one row:
 * - `written`;
 * - `already-succeeded`: a SUCCEEDED row's condition kept an unexpired success;
 * - `kept`: a FAILED or RETRYING row's condition kept the row there, either an unexpired
 *   success or the FAILED row of the same attempt (same `deadLetterId`): read it to know;
 * - `error`: not written (throttled past the retries, aborted, ...).
 */
export type WriteOutcome = 'written' | 'already-succeeded' | 'kept' | 'error';

/** A FAILED row whose DLQ message SQS accepted, to record on the row. */
export interface DeadLetterMark {
  readonly id: string;
  readonly deadLetterId: string;
}

/** Options of one {@link ResultStore.write} or {@link ResultStore.findSucceeded} call. */
export interface StoreCallOptions {
  /** Stops issuing requests and aborts those in flight: their rows count as not written. */
  readonly signal?: AbortSignal;
  /** Told about each error a request ended with (after the SDK's own retries), for logs. */
  readonly onError?: (error: unknown) => void;
}

/** What the pre-check found: ids already SUCCEEDED, and ids it could not read. */
export interface SucceededCheck {
  readonly succeeded: Set<string>;
  /** Throttled past every retry, or unread because a request failed: status unknown. */
  readonly unread: Set<string>;
  /**
   * Of the jobs asked about, those cancelled (`job cancel`). A job item that could not be
   * read counts as not cancelled: its requests are computed, as before the cancel.
   */
  readonly cancelledJobs: Set<string>;
}

/** Settings of a {@link ResultStore}. */
export interface ResultStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How unprocessed keys and items are tried again. @default defaultRetryPolicy */
  readonly retry?: RetryPolicy;
  /** Conditional writes in flight at once, default 25. */
  readonly writeParallelism?: number;
  /** Milliseconds since the epoch, to tell expired rows. @default Date.now */
  readonly now?: () => number;
}

/**
 * Whether a row is past its `expiresAt` (epoch seconds). DynamoDB's TTL deletes expired
 * items only within a few days and reads return them until then: an expired row must count
 * as no row, or an id resubmitted in that gap would be acknowledged as already SUCCEEDED and
 * then lose its row to the TTL.
 */
export const isExpired = (row: { readonly expiresAt?: unknown }, nowMs: number): boolean =>
  typeof row.expiresAt === 'number' && row.expiresAt * 1_000 <= nowMs;

/**
 * The DynamoDB results table: reads which ids already SUCCEEDED, writes result rows.
 *
 * - FAILED and RETRYING rows are written with a conditional PutItem: a failure never
 *   overwrites a success that has not expired, nor the FAILED row of the same attempt
 *   (same `deadLetterId`, see lib/contract/deadLetterId.ts), whose code and DLQ message
 *   stand (a redelivery or the finalizer finishes that row's publish instead).
 * - A row past its `expiresAt` counts as no row everywhere ({@link isExpired}).
 * - SUCCEEDED rows, the bulk of the traffic, go through BatchWriteItem (25 a call,
 *   UnprocessedItems retried): one request per 25 rows instead of 25 costs far less
 *   Lambda CPU. They are written only for ids the BatchGet pre-check (strongly consistent)
 *   found not SUCCEEDED; ids it could not read are written with the conditional PutItem.
 *   BatchWriteItem takes no condition, so two deliveries of one id racing through the
 *   pre-check at the same moment can both write SUCCEEDED, the later one winning with
 *   the same output when the model is deterministic.
 */
export class ResultStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #retry: RetryPolicy;
  readonly #writeParallelism: number;
  readonly #now: () => number;

  constructor(options: ResultStoreOptions) {
    this.#now = options.now ?? Date.now;
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#retry = options.retry ?? defaultRetryPolicy;
    this.#writeParallelism = options.writeParallelism ?? 25;
  }

  /**
   * Reads rows by id with BatchGetItem (100 keys a call), retrying UnprocessedKeys with
   * backoff. Rows come back in the documented form, compact rows included
   * (lib/contract/compactRow.ts). Ids not found are absent from the map; keys still unprocessed after the
   * retries are reported in `unread` rather than guessed at.
   */
  async getRows(
    ids: Iterable<string>,
    attributes?: readonly string[],
    options: StoreCallOptions & { consistent?: boolean } = {},
  ): Promise<{ rows: Map<string, ResultRow>; unread: string[] }> {
    const rows = new Map<string, ResultRow>();
    const unread: string[] = [];
    const unique = [...new Set(ids)];
    // A compact row holds some attributes under other names: project those too.
    const names = attributes ? projectedNames(attributes) : undefined;
    const projection = names
      ? {
          ProjectionExpression: names.map((_, i) => `#a${i}`).join(','),
          ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
        }
      : {};
    for (let start = 0; start < unique.length; start += AwsLimits.dynamoBatchGetKeys) {
      let keys: Record<string, unknown>[] = unique
        .slice(start, start + AwsLimits.dynamoBatchGetKeys)
        .map((id) => ({ id }));
      for (let round = 0; keys.length > 0; round++) {
        if (round > this.#retry.retries || options.signal?.aborted) {
          unread.push(...keys.map((key) => String(key.id)));
          break;
        }
        try {
          if (round > 0) {
            await pause(this.#retry, round - 1, options.signal);
          }
          const response = await abortable(
            this.#client.send(
              new BatchGetCommand({
                RequestItems: {
                  [this.#tableName]: {
                    Keys: keys,
                    ...projection,
                    ...(options.consistent ? { ConsistentRead: true } : {}),
                  },
                },
              }),
              { abortSignal: options.signal },
            ),
            options.signal,
          );
          for (const item of response.Responses?.[this.#tableName] ?? []) {
            rows.set(String(item.id), readResultRow(item));
          }
          keys = response.UnprocessedKeys?.[this.#tableName]?.Keys ?? [];
        } catch (error) {
          // The whole call failed after the SDK's own retries (or was aborted): try the same
          // keys again next round; what is still unread at the end is reported as such.
          options.onError?.(error);
        }
      }
    }
    return { rows, unread };
  }

  /**
   * The pre-check: which of `ids` already have a SUCCEEDED row (those need no model call),
   * read with strongly consistent reads so a success written a moment ago is seen. Ids it
   * could not read (throttled past every retry, a failed request) are returned in `unread`
   * instead of failing the batch; the caller must write their successes conditionally.
   */
  async findSucceeded(
    ids: Iterable<string>,
    options: StoreCallOptions & { readonly jobIds?: Iterable<string> } = {},
  ): Promise<SucceededCheck> {
    // The jobs' items ride in the same BatchGetItem as the rows: one read per job per
    // invocation, and no extra call unless the keys spill into another 100-key call.
    const jobKeys = [...(options.jobIds ?? [])].map(jobKey);
    const jobKeySet = new Set(jobKeys);
    const { rows, unread } = await this.getRows(
      [...ids, ...jobKeys],
      jobKeys.length > 0
        ? ['id', 'status', 'expiresAt', 'jobState', 'job']
        : ['id', 'status', 'expiresAt'],
      { ...options, consistent: true },
    );
    const succeeded = new Set<string>();
    const cancelledJobs = new Set<string>();
    const now = this.#now();
    for (const [id, row] of rows) {
      if (jobKeySet.has(id)) {
        const job = row as unknown as { jobState?: unknown; job?: unknown };
        if (job.jobState === JobState.CANCELLED && typeof job.job === 'string')
          cancelledJobs.add(job.job);
      } else if (row.status === ResultStatus.SUCCEEDED && !isExpired(row, now)) succeeded.add(id);
    }
    return {
      succeeded,
      unread: new Set(unread.filter((id) => !jobKeySet.has(id))),
      cancelledJobs,
    };
  }

  /**
   * Writes every row (see the class notes for the conditions); never throws, reports per
   * id. SUCCEEDED rows whose id is in `conditional` (the pre-check could not read it) are
   * written with the conditional PutItem too, so they can never overwrite a success.
   */
  async write(
    rows: readonly StoredRow[],
    options: StoreCallOptions & { conditional?: ReadonlySet<string> } = {},
  ): Promise<Map<string, WriteOutcome>> {
    const limit = pLimit(this.#writeParallelism);
    const outcomes = new Map<string, WriteOutcome>();
    const succeeded: StoredRow[] = [];
    const others: Promise<void>[] = [];
    for (const row of rows) {
      if (row.status === ResultStatus.SUCCEEDED && !options.conditional?.has(row.id)) {
        succeeded.push(row);
      } else {
        others.push(limit(async () => void outcomes.set(row.id, await this.#put(row, options))));
      }
    }
    const batches: Promise<void>[] = [];
    for (let start = 0; start < succeeded.length; start += AwsLimits.dynamoBatchWriteItems) {
      const chunk = succeeded.slice(start, start + AwsLimits.dynamoBatchWriteItems);
      batches.push(limit(() => this.#batchWrite(chunk, outcomes, options)));
    }
    await Promise.all([...others, ...batches]);
    return outcomes;
  }

  /**
   * Records on each FAILED row that SQS accepted its DLQ message (`deadLetteredAt`), with
   * a conditional UpdateItem: only while the row is still FAILED for that `deadLetterId`.
   * `kept`: the row changed meanwhile (a concurrent delivery's success landed during the
   * publish). Never throws.
   */
  async markDeadLettered(
    marks: readonly DeadLetterMark[],
    at: number,
    options: StoreCallOptions = {},
  ): Promise<Map<string, 'written' | 'kept' | 'error'>> {
    const limit = pLimit(this.#writeParallelism);
    const outcomes = new Map<string, 'written' | 'kept' | 'error'>();
    await Promise.all(
      marks.map((mark) =>
        limit(async () => {
          if (options.signal?.aborted) return void outcomes.set(mark.id, 'error');
          try {
            await abortable(
              this.#client.send(
                new UpdateCommand({
                  TableName: this.#tableName,
                  Key: { id: mark.id },
                  UpdateExpression: 'SET #deadLetteredAt = :at',
                  ConditionExpression: '#status = :failed AND #deadLetterId = :deadLetterId',
                  ExpressionAttributeNames: {
                    '#deadLetteredAt': 'deadLetteredAt',
                    '#status': 'status',
                    '#deadLetterId': 'deadLetterId',
                  },
                  ExpressionAttributeValues: {
                    ':at': at,
                    ':failed': ResultStatus.FAILED,
                    ':deadLetterId': mark.deadLetterId,
                  },
                }),
                { abortSignal: options.signal },
              ),
              options.signal,
            );
            outcomes.set(mark.id, 'written');
          } catch (error) {
            if ((error as { name?: unknown }).name === 'ConditionalCheckFailedException') {
              outcomes.set(mark.id, 'kept');
              return;
            }
            options.onError?.(error);
            outcomes.set(mark.id, 'error');
          }
        }),
      ),
    );
    return outcomes;
  }

  /** One BatchWriteItem of up to 25 rows, UnprocessedItems retried with backoff. */
  async #batchWrite(
    rows: StoredRow[],
    outcomes: Map<string, WriteOutcome>,
    options: StoreCallOptions,
  ): Promise<void> {
    let pending: Record<string, unknown>[] = rows.map((row) => ({ PutRequest: { Item: row } }));
    for (let round = 0; pending.length > 0 && round <= this.#retry.retries; round++) {
      if (options.signal?.aborted) break;
      try {
        if (round > 0) {
          await pause(this.#retry, round - 1, options.signal);
        }
        const response = await abortable(
          this.#client.send(
            new BatchWriteCommand({ RequestItems: { [this.#tableName]: pending } }),
            { abortSignal: options.signal },
          ),
          options.signal,
        );
        pending = response.UnprocessedItems?.[this.#tableName] ?? [];
      } catch (error) {
        // The whole call failed after the SDK's own retries: try the same requests again.
        options.onError?.(error);
      }
    }
    if (pending.length === 0) {
      for (const row of rows) outcomes.set(row.id, 'written');
      return;
    }
    const unwritten = new Set(
      pending.map((request) =>
        String((request as { PutRequest: { Item: StoredRow } }).PutRequest.Item.id),
      ),
    );
    for (const row of rows) outcomes.set(row.id, unwritten.has(row.id) ? 'error' : 'written');
  }

  async #put(row: StoredRow, options: StoreCallOptions): Promise<WriteOutcome> {
    if (options.signal?.aborted) return 'error';
    // A failure (FAILED or RETRYING) also keeps the FAILED row of its own attempt.
    const guarded = row.status !== ResultStatus.SUCCEEDED;
    try {
      await abortable(
        this.#client.send(
          new PutCommand({
            TableName: this.#tableName,
            Item: row,
            // An expired success (TTL not yet run) is no success: see isExpired.
            ...(guarded
              ? {
                  ConditionExpression:
                    'attribute_not_exists(#id) OR #expiresAt <= :now OR (#status <> :succeeded AND (attribute_not_exists(#deadLetterId) OR #deadLetterId <> :deadLetterId))',
                  ExpressionAttributeNames: {
                    '#id': 'id',
                    '#status': 'status',
                    '#expiresAt': 'expiresAt',
                    '#deadLetterId': 'deadLetterId',
                  },
                  ExpressionAttributeValues: {
                    ':succeeded': ResultStatus.SUCCEEDED,
                    ':now': Math.floor(this.#now() / 1_000),
                    ':deadLetterId': row.deadLetterId ?? deadLetterIdOf(row.id, row.messageId),
                  },
                }
              : {
                  ConditionExpression:
                    'attribute_not_exists(#id) OR #status <> :succeeded OR #expiresAt <= :now',
                  ExpressionAttributeNames: {
                    '#id': 'id',
                    '#status': 'status',
                    '#expiresAt': 'expiresAt',
                  },
                  ExpressionAttributeValues: {
                    ':succeeded': ResultStatus.SUCCEEDED,
                    ':now': Math.floor(this.#now() / 1_000),
                  },
                }),
          }),
          { abortSignal: options.signal },
        ),
        options.signal,
      );
      return 'written';
    } catch (error) {
      // The SDK already retried throttling and 5xx; what is left is final for this delivery.
      // Matched by SDK error name: an instanceof check breaks when two SDK copies are bundled.
      if ((error as { name?: unknown }).name === 'ConditionalCheckFailedException') {
        return guarded ? 'kept' : 'already-succeeded';
      }
      options.onError?.(error);
      return 'error';
    }
  }
}
