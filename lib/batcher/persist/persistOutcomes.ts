import type { DeadLetter, DeadLetterPublisher } from '../../aws/deadLetterPublisher.js';
import type { RequestQueue } from '../../aws/requestQueue.js';
import type { ResultStore, WriteOutcome } from '../../aws/resultStore.js';
import { ErrorCode } from '../../contract/errorCodes.js';
import { redeliveryDelaySeconds } from '../../contract/redeliveryBackoff.js';
import { type ResultRow, ResultStatus } from '../../contract/resultRow.js';
import type { Settlement } from '../settle/settlement.js';

/** Where outcomes are made durable. */
export interface OutcomeSinks {
  readonly store: Pick<ResultStore, 'write'>;
  readonly deadLetters: Pick<DeadLetterPublisher, 'publish'>;
  readonly requestQueue: Pick<RequestQueue, 'changeVisibility' | 'requeue'>;
  /** Row lifetime for the TTL attribute, seconds. */
  readonly resultTtlSeconds: number;
  /** Current time, epoch ms. */
  readonly now: number;
  /** Lambda request id of this invocation, stamped on every row it writes. */
  readonly invocationId: string;
  /** Ids the pre-check could not read: their successes are written conditionally. */
  readonly unread: ReadonlySet<string>;
  /** Aborts the save phase before the function runs out of time: what is left is retried. */
  readonly signal: AbortSignal;
  /** Told about each error a write ended with, for logs (never payloads). */
  readonly onError?: (
    source: 'results-table' | 'dead-letter-queue' | 'request-queue',
    error: unknown,
  ) => void;
}

/** What {@link persistOutcomes} made durable, and what must be delivered again. */
export interface PersistReport {
  /** Message ids to report in `batchItemFailures`. */
  readonly retry: Set<string>;
  readonly succeeded: number;
  readonly failed: number;
  /** Of `failed`: caused by the request itself (INVALID_REQUEST, EXPIRED). */
  readonly clientFailures: number;
  /** Of `failed`: caused by the model or the pipeline. */
  readonly pipelineFailures: number;
  readonly retried: number;
  readonly duplicates: number;
  /** Held back by a misconfigured endpoint on their last delivery, sent back to the queue. */
  readonly requeued: number;
}

const clientCodes: ReadonlySet<string> = new Set([ErrorCode.INVALID_REQUEST, ErrorCode.EXPIRED]);

function rowOf(settlement: Settlement, sinks: OutcomeSinks): ResultRow | undefined {
  const { record, id, verdict } = settlement;
  const { now, invocationId } = sinks;
  const expiresAt = Math.floor(now / 1000) + sinks.resultTtlSeconds;
  const { receiveCount: attempts, messageId, enqueuedAt } = record;
  // Object literals spelt out in full: this runs once per record, on the hot path.
  switch (verdict.kind) {
    case 'succeeded':
      return {
        id,
        status: ResultStatus.SUCCEEDED,
        output: verdict.outputJson,
        attempts,
        messageId,
        invocationId,
        enqueuedAt,
        completedAt: now,
        modelLatencyMs: Math.round(verdict.latencyMs),
        batchItems: verdict.batchItems,
        expiresAt,
      };
    case 'failed':
    case 'retry':
    case 'requeue':
      return {
        id,
        status: verdict.kind === 'failed' ? ResultStatus.FAILED : ResultStatus.RETRYING,
        error: verdict.error,
        attempts,
        messageId,
        invocationId,
        enqueuedAt,
        completedAt: now,
        expiresAt,
      };
    case 'duplicate':
      return undefined;
  }
}

const write = (
  store: OutcomeSinks['store'],
  rows: readonly ResultRow[],
  options: Parameters<ResultStore['write']>[1],
): Promise<Map<string, WriteOutcome>> =>
  rows.length > 0 ? store.write(rows, options) : Promise.resolve(new Map());

/**
 * Makes every settlement durable and says which records may be acknowledged. The order
 * is what keeps the invariant (one visible end state per request):
 *
 * 1. rows first (a FAILED or RETRYING row never overwrites a SUCCEEDED one);
 * 2. a DLQ message only for a request whose FAILED row was written, so an id whose row is
 *    SUCCEEDED never gets one (each failure's chain runs beside the other writes and the
 *    requeued copies);
 * 3. then the records left for redelivery are hidden for a backoff by receive count.
 *
 * A record is acknowledged only when its outcome is durable; everything else, including
 * whatever `signal` cut short, is reported for redelivery. Duplicates of a record in the
 * same delivery share its fate.
 */
export async function persistOutcomes(
  settlements: readonly Settlement[],
  sinks: OutcomeSinks,
): Promise<PersistReport> {
  const { signal, onError } = sinks;
  const writeOptions = {
    conditional: sinks.unread,
    signal,
    onError: (error: unknown) => onError?.('results-table', error),
  };
  const failedRows: ResultRow[] = [];
  const otherRows: ResultRow[] = [];
  for (const settlement of settlements) {
    const row = rowOf(settlement, sinks);
    if (row) (row.status === ResultStatus.FAILED ? failedRows : otherRows).push(row);
  }

  // FAILED rows and their DLQ messages form one chain (row, then message), run beside the
  // other writes so a slow BatchWriteItem never holds a dead letter back.
  const failures = async (): Promise<[Map<string, WriteOutcome>, Set<string>]> => {
    const written = await write(sinks.store, failedRows, writeOptions);
    const letters: DeadLetter[] = [];
    for (const { record, id, verdict } of settlements) {
      if (verdict.kind === 'failed' && written.get(id) === 'written') {
        letters.push({
          body: record.body,
          requestId: id,
          sourceMessageId: record.messageId,
          attempts: record.receiveCount,
          error: verdict.error,
        });
      }
    }
    const unpublished =
      letters.length > 0 ? await sinks.deadLetters.publish(letters, { signal }) : new Set<string>();
    return [written, unpublished];
  };
  const requeues = settlements.flatMap(({ record, id, verdict }) =>
    verdict.kind === 'requeue'
      ? [
          {
            messageId: record.messageId,
            body: record.body,
            requestId: id,
            enqueuedAt: record.enqueuedAt,
            delaySeconds: verdict.delaySeconds,
          },
        ]
      : [],
  );
  const [[writtenFailed, unpublished], writtenOther, unrequeued] = await Promise.all([
    failures(),
    write(sinks.store, otherRows, writeOptions),
    requeues.length > 0 ? sinks.requestQueue.requeue(requeues, { signal }) : new Set<string>(),
  ]);
  const written = new Map([...writtenOther, ...writtenFailed]);

  const report = {
    retry: new Set<string>(),
    succeeded: 0,
    failed: 0,
    clientFailures: 0,
    pipelineFailures: 0,
    retried: 0,
    duplicates: 0,
    requeued: 0,
  };
  const again = (messageId: string) => {
    report.retry.add(messageId);
    report.retried++;
  };
  for (const { record, id, verdict } of settlements) {
    const row = written.get(id);
    switch (verdict.kind) {
      case 'duplicate':
        // An id that already SUCCEEDED is done; a duplicate in this delivery follows its
        // primary record (decided below, once every primary is settled).
        if (verdict.of === undefined) report.duplicates++;
        break;
      case 'succeeded':
        if (row === 'written') report.succeeded++;
        else if (row === 'already-succeeded') report.duplicates++;
        else again(record.messageId);
        break;
      case 'failed':
        if (row === 'already-succeeded') report.duplicates++;
        else if (row !== 'written' || unpublished.has(record.messageId)) again(record.messageId);
        else {
          report.failed++;
          if (clientCodes.has(verdict.error.code)) report.clientFailures++;
          else report.pipelineFailures++;
        }
        break;
      case 'retry':
        if (row === 'already-succeeded') report.duplicates++;
        else again(record.messageId);
        break;
      case 'requeue':
        if (row === 'already-succeeded') report.duplicates++;
        else if (unrequeued.has(record.messageId)) again(record.messageId);
        else report.requeued++;
        break;
    }
  }
  for (const { record, verdict } of settlements) {
    if (verdict.kind !== 'duplicate' || verdict.of === undefined) continue;
    if (report.retry.has(settlements[verdict.of]!.record.messageId)) again(record.messageId);
    else report.duplicates++;
  }

  // Whatever waits for another delivery comes back after a backoff, not a whole
  // visibility timeout (best effort: if this fails, the visibility timeout still applies).
  const redeliveries = settlements.flatMap(({ record }) =>
    report.retry.has(record.messageId)
      ? [
          {
            messageId: record.messageId,
            receiptHandle: record.receiptHandle,
            delaySeconds: redeliveryDelaySeconds(record.receiveCount),
          },
        ]
      : [],
  );
  if (redeliveries.length > 0) {
    await sinks.requestQueue.changeVisibility(redeliveries, {
      signal,
      onError: (error) => onError?.('request-queue', error),
    });
  }
  return report;
}
