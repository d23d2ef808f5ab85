import type { DeadLetterPublisher } from '../../aws/deadLetterPublisher.js';
import type { RequestQueue } from '../../aws/requestQueue.js';
import type { ResultBucket, ResultObject } from '../../aws/resultBucket.js';
import type { ResultStore, WriteOutcome } from '../../aws/resultStore.js';
import type { StoredRow } from '../../contract/compactRow.js';
import { deadLetterIdOf } from '../../contract/deadLetterId.js';
import { ErrorCode } from '../../contract/errorCodes.js';
import { itemSizeBytes } from '../../contract/itemSize.js';
import { redeliveryDelaySeconds } from '../../contract/redeliveryBackoff.js';
import type { ResultEncoding } from '../../contract/resultEncoding.js';
import { type ResultRow, ResultStatus } from '../../contract/resultRow.js';
import type { Settlement } from '../settle/settlement.js';
import { type DeadLetterCandidate, type DeadLetterFate, deadLetterOnce } from './deadLetterOnce.js';
import { placeOutput } from './outputPlacement.js';

/** How SUCCEEDED outputs are stored: the pipeline's encoding, and where large ones go. */
export interface OutputSink {
  readonly encoding: ResultEncoding;
  /** Encoded outputs larger than this many bytes go to `bucket` (when there is one). */
  readonly offloadBytes: number;
  /** The results bucket; absent: no offload, OUTPUT_TOO_LARGE past DynamoDB's item limit. */
  readonly bucket?: Pick<ResultBucket, 'name' | 'put'> | undefined;
}

/** Where outcomes are made durable. */
export interface OutcomeSinks {
  readonly store: Pick<ResultStore, 'write' | 'getRows' | 'markDeadLettered'>;
  readonly outputs: OutputSink;
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
    source: 'results-table' | 'results-bucket' | 'dead-letter-queue' | 'request-queue',
    error: unknown,
  ) => void;
}

/** What {@link persistOutcomes} made durable, and what must be delivered again. */
export interface PersistReport {
  /** Message ids to report in `batchItemFailures`. */
  readonly retry: Set<string>;
  readonly succeeded: number;
  readonly failed: number;
  /** CANCELLED rows written: their job was cancelled (no model call, no DLQ message). */
  readonly cancelled: number;
  /** Of `failed`: caused by the request itself (INVALID_REQUEST, EXPIRED). */
  readonly clientFailures: number;
  /** Of `failed`: caused by the model or the pipeline. */
  readonly pipelineFailures: number;
  readonly retried: number;
  readonly duplicates: number;
  /** Held back by a misconfigured endpoint on their last delivery, sent back to the queue. */
  readonly requeued: number;
  /**
   * DLQ messages sent for a row that a concurrent delivery's success replaced during the
   * publish (the one window a re-check cannot close): the request SUCCEEDED.
   */
  readonly deadLetterRaces: number;
}

/** What {@link persistOutcomes} wrote, for the cost line of the metrics. */
export interface WriteVolume {
  /** Bytes made durable: rows written (by DynamoDB's item size rules) plus objects put. */
  readonly bytesWritten: number;
  /** SUCCEEDED rows written that point at an object in the results bucket. */
  readonly offloaded: number;
}

const clientCodes: ReadonlySet<string> = new Set([ErrorCode.INVALID_REQUEST, ErrorCode.EXPIRED]);

/** A settlement with the row (and object) that records it. */
interface Recorded {
  /** The settlement, its verdict turned FAILED / OUTPUT_TOO_LARGE if the output fits nowhere. */
  readonly settlement: Settlement;
  readonly row?: StoredRow;
  readonly rowBytes: number;
  /** An output kept in the results bucket: put before its row is written. */
  readonly object?: ResultObject;
}

function recordOf(settlement: Settlement, sinks: OutcomeSinks): Recorded {
  const { record, id, verdict } = settlement;
  const { now, invocationId } = sinks;
  const expiresAt = Math.floor(now / 1000) + sinks.resultTtlSeconds;
  const { receiveCount: attempts, messageId, enqueuedAt } = record;
  // A job's requests carry their job and line to the row (the job index's keys).
  const jobId = settlement.job?.jobId;
  const jobLine = settlement.job?.jobLine;
  // Object literals spelt out in full: this runs once per record, on the hot path.
  switch (verdict.kind) {
    case 'succeeded': {
      const base: ResultRow = {
        id,
        status: ResultStatus.SUCCEEDED,
        attempts,
        messageId,
        invocationId,
        enqueuedAt,
        completedAt: now,
        modelLatencyMs: Math.round(verdict.latencyMs),
        batchItems: verdict.batchItems,
        expiresAt,
        ...(jobId === undefined ? {} : { jobId, jobLine }),
      };
      const { encoding, offloadBytes, bucket } = sinks.outputs;
      const placed = placeOutput(
        verdict.outputJson,
        base,
        { encoding, offloadBytes, bucket: bucket?.name },
        invocationId,
      );
      if (placed.kind === 'too-large')
        return recordOf({ ...settlement, verdict: { kind: 'failed', error: placed.error } }, sinks);
      return placed.kind === 'object'
        ? { settlement, row: placed.row, rowBytes: placed.rowBytes, object: placed.object }
        : { settlement, row: placed.row, rowBytes: placed.rowBytes };
    }
    case 'failed':
    case 'cancelled':
    case 'retry':
    case 'requeue': {
      const row: ResultRow = {
        id,
        status:
          verdict.kind === 'failed'
            ? ResultStatus.FAILED
            : verdict.kind === 'cancelled'
              ? ResultStatus.CANCELLED
              : ResultStatus.RETRYING,
        error: verdict.error,
        attempts,
        messageId,
        invocationId,
        enqueuedAt,
        completedAt: now,
        expiresAt,
        ...(jobId === undefined ? {} : { jobId, jobLine }),
        // Written with the FAILED row, in the same conditional write: the attempt's DLQ
        // message is known before it is sent, by every later writer.
        ...(verdict.kind === 'failed' ? { deadLetterId: deadLetterIdOf(id, messageId) } : {}),
      };
      return {
        settlement,
        row,
        rowBytes: itemSizeBytes(row as unknown as Record<string, unknown>),
      };
    }
    case 'duplicate':
      return { settlement, rowBytes: 0 };
  }
}

const write = (
  store: OutcomeSinks['store'],
  rows: readonly StoredRow[],
  options: Parameters<ResultStore['write']>[1],
): Promise<Map<string, WriteOutcome>> =>
  rows.length > 0 ? store.write(rows, options) : Promise.resolve(new Map());

/**
 * Makes every settlement durable and says which records may be acknowledged. The order
 * is what keeps the invariant (one visible end state per request):
 *
 * 1. rows first (a FAILED or RETRYING row never overwrites a SUCCEEDED one, nor the
 *    FAILED row of its own attempt);
 * 2. a DLQ message only for a request whose FAILED row is there, re-read right before the
 *    publish, and at most once per request and attempt ({@link deadLetterOnce}): an id
 *    whose row became SUCCEEDED gets none (each failure's chain runs beside the other
 *    writes and the requeued copies);
 * 3. then the records left for redelivery are hidden for a backoff by receive count.
 *
 * A record is acknowledged only when its outcome is durable; everything else, including
 * whatever `signal` cut short, is reported for redelivery. Duplicates of a record in the
 * same delivery share its fate.
 */
export async function persistOutcomes(
  given: readonly Settlement[],
  sinks: OutcomeSinks,
): Promise<PersistReport & WriteVolume> {
  const { signal, onError } = sinks;
  const writeOptions = {
    conditional: sinks.unread,
    signal,
    onError: (error: unknown) => onError?.('results-table', error),
  };
  const recorded = given.map((settlement) => recordOf(settlement, sinks));
  // From here on, an output that fits nowhere is the FAILED / OUTPUT_TOO_LARGE it became.
  const settlements = recorded.map((r) => r.settlement);
  const failedRows: StoredRow[] = [];
  const otherRows: StoredRow[] = [];
  const offloaded: Recorded[] = [];
  for (const r of recorded) {
    if (r.row === undefined) continue;
    if (r.object !== undefined) offloaded.push(r);
    else (r.row.status === ResultStatus.FAILED ? failedRows : otherRows).push(r.row);
  }

  // An offloaded output's object is put first, then its row: a row never points at
  // nothing. A row whose object was not stored is not written (its record is delivered
  // again), and an object whose row was not written is left to the bucket's expiration.
  let objectBytes = 0;
  const offloads = async (): Promise<Map<string, WriteOutcome>> => {
    if (offloaded.length === 0) return new Map();
    const bucket = sinks.outputs.bucket!;
    const unstored = await bucket.put(
      offloaded.map((r) => r.object!),
      { signal, onError: (error) => onError?.('results-bucket', error) },
    );
    const rows: StoredRow[] = [];
    const outcomes = new Map<string, WriteOutcome>();
    for (const r of offloaded) {
      if (unstored.has(r.object!.key)) outcomes.set(r.row!.id, 'error');
      else {
        objectBytes += r.object!.body.byteLength;
        rows.push(r.row!);
      }
    }
    for (const [id, outcome] of await write(sinks.store, rows, writeOptions))
      outcomes.set(id, outcome);
    return outcomes;
  };

  // FAILED rows and their DLQ messages form one chain (row, re-check, message, mark), run
  // beside the other writes so a slow BatchWriteItem never holds a dead letter back.
  const deadLetterSinks = {
    store: sinks.store,
    deadLetters: sinks.deadLetters,
    now: () => sinks.now,
    signal,
    onError,
  };
  const candidateOf = ({ record, id }: Settlement): DeadLetterCandidate => ({
    requestId: id,
    deadLetterId: deadLetterIdOf(id, record.messageId),
    sourceMessageId: record.messageId,
    body: record.body,
  });
  const failures = async (): Promise<
    [Map<string, WriteOutcome>, Awaited<ReturnType<typeof deadLetterOnce>>]
  > => {
    const written = await write(sinks.store, failedRows, writeOptions);
    const candidates: DeadLetterCandidate[] = [];
    for (const settlement of settlements) {
      if (settlement.verdict.kind !== 'failed') continue;
      const outcome = written.get(settlement.id);
      if (outcome === 'written' || outcome === 'kept') candidates.push(candidateOf(settlement));
    }
    return [written, await deadLetterOnce(candidates, deadLetterSinks)];
  };
  // Loops rather than flatMap over every settlement: flatMap's empty array per record
  // was garbage for thousands of records at a time.
  const requeues = [];
  for (const { record, id, verdict } of settlements) {
    if (verdict.kind !== 'requeue') continue;
    requeues.push({
      messageId: record.messageId,
      body: record.body,
      requestId: id,
      enqueuedAt: record.enqueuedAt,
      delaySeconds: verdict.delaySeconds,
    });
  }
  const [[writtenFailed, deadLettered], writtenOther, writtenOffloaded, unrequeued] =
    await Promise.all([
      failures(),
      write(sinks.store, otherRows, writeOptions),
      offloads(),
      requeues.length > 0
        ? sinks.requestQueue.requeue(requeues, {
            signal,
            onError: (error) => onError?.('request-queue', error),
          })
        : new Set<string>(),
    ]);
  // One map of every row's outcome (ids are unique across the three writes).
  const written = writtenOther;
  for (const [id, outcome] of writtenOffloaded) written.set(id, outcome);
  for (const [id, outcome] of writtenFailed) written.set(id, outcome);
  // A RETRYING row kept by its condition met a success or this attempt's FAILED row (an
  // earlier delivery failed it for good): that row's DLQ message is finished, not replaced.
  const keptCandidates: DeadLetterCandidate[] = [];
  for (const settlement of settlements) {
    const { kind } = settlement.verdict;
    if (
      (kind === 'retry' || kind === 'requeue' || kind === 'cancelled') &&
      written.get(settlement.id) === 'kept'
    )
      keptCandidates.push(candidateOf(settlement));
  }
  const keptFailures = await deadLetterOnce(keptCandidates, deadLetterSinks);
  const fates = new Map<string, DeadLetterFate>([...deadLettered.fates, ...keptFailures.fates]);

  const report = {
    retry: new Set<string>(),
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    clientFailures: 0,
    pipelineFailures: 0,
    retried: 0,
    duplicates: 0,
    requeued: 0,
    deadLetterRaces: deadLettered.raced + keptFailures.raced,
    bytesWritten: objectBytes,
    offloaded: 0,
  };
  const again = (messageId: string) => {
    report.retry.add(messageId);
    report.retried++;
  };
  // One pass over the records, one lookup of each row's outcome.
  for (const r of recorded) {
    const { record, id, verdict } = r.settlement;
    const row = r.row === undefined ? undefined : written.get(id);
    if (row === 'written') {
      report.bytesWritten += r.rowBytes;
      if (r.object !== undefined) report.offloaded++;
    }
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
      case 'cancelled':
      case 'retry':
      case 'requeue': {
        const fate = fates.get(id);
        if (fate === undefined) {
          // Not a dead-letter candidate: the row was written (or not) as a plain write.
          if (row === 'already-succeeded' || row === 'kept') report.duplicates++;
          // CANCELLED is final with its row alone: nothing failed, so no DLQ message.
          else if (verdict.kind === 'cancelled' && row === 'written') report.cancelled++;
          else if (verdict.kind === 'requeue') {
            // The copy carries the request on, whatever became of its RETRYING row.
            if (unrequeued.has(record.messageId)) again(record.messageId);
            else report.requeued++;
          } else again(record.messageId);
        } else if (fate.kind === 'published') {
          report.failed++;
          if (clientCodes.has(fate.error.code)) report.clientFailures++;
          else report.pipelineFailures++;
        } else if (fate.kind === 'succeeded' || fate.kind === 'already-published') {
          // Settled before: a success, or this attempt's DLQ message sent by an earlier delivery.
          report.duplicates++;
        } else again(record.messageId);
        break;
      }
    }
  }
  for (const { record, verdict } of settlements) {
    if (verdict.kind !== 'duplicate' || verdict.of === undefined) continue;
    if (report.retry.has(settlements[verdict.of]!.record.messageId)) again(record.messageId);
    else report.duplicates++;
  }

  // Whatever waits for another delivery comes back after a backoff, not a whole
  // visibility timeout (best effort: if this fails, the visibility timeout still applies).
  const redeliveries = [];
  for (const { record, verdict } of report.retry.size > 0 ? settlements : []) {
    if (!report.retry.has(record.messageId)) continue;
    redeliveries.push({
      messageId: record.messageId,
      receiptHandle: record.receiptHandle,
      // A retry verdict may ask for longer (minutes for a hold on no capacity).
      delaySeconds: Math.max(
        redeliveryDelaySeconds(record.receiveCount),
        verdict.kind === 'retry' ? verdict.delaySeconds : 0,
      ),
    });
  }
  if (redeliveries.length > 0) {
    await sinks.requestQueue.changeVisibility(redeliveries, {
      signal,
      onError: (error) => onError?.('request-queue', error),
    });
  }
  return report;
}
