import type { EnvelopeResult } from '../../contract/envelope.js';
import { expiredError } from '../../contract/envelope.js';
import { ErrorCode, type ErrorInfo, errorInfo } from '../../contract/errorCodes.js';
import { HoldCause, heldErrorCode, holdExpiredErrorCode } from '../../contract/holdCause.js';
import type { JobRef } from '../../contract/job.js';
import { noCapacityDelaySeconds } from '../../contract/noCapacityBackoff.js';
import { redeliveryDelaySeconds } from '../../contract/redeliveryBackoff.js';
import type { ItemOutcome } from '../invoke/modelInvoker.js';
import type { Plan } from '../plan/planner.js';
import type { DeliveredRecord } from '../records/readRecords.js';

export type { DeliveredRecord } from '../records/readRecords.js';

/** What happens to one record. */
export type Verdict =
  | {
      readonly kind: 'succeeded';
      readonly outputJson: string;
      readonly latencyMs: number;
      readonly batchItems: number;
    }
  /** Final failure: FAILED row + DLQ message, then acknowledged. */
  | { readonly kind: 'failed'; readonly error: ErrorInfo }
  /** Its job was cancelled before it reached the model: CANCELLED row, no DLQ message, acknowledged. */
  | { readonly kind: 'cancelled'; readonly error: ErrorInfo }
  /**
   * Try again later: RETRYING row, reported in batchItemFailures, hidden `delaySeconds`.
   * `hold` names the endpoint cause when the request is held (see {@link HoldCause}).
   */
  | {
      readonly kind: 'retry';
      readonly error: ErrorInfo;
      readonly delaySeconds: number;
      readonly hold?: HoldCause;
    }
  /**
   * Held on the queue's last delivery: the cause is the endpoint (`hold`), not the request,
   * so the request is not failed: RETRYING row, a copy sent back to the request queue
   * (after `delaySeconds`, keeping its first enqueue time), then acknowledged. Bounded by
   * `MAX_HOLD_SECONDS` from the first enqueue time.
   */
  | {
      readonly kind: 'requeue';
      readonly error: ErrorInfo;
      readonly delaySeconds: number;
      readonly hold: HoldCause;
    }
  /**
   * Another record decides this one's fate: its id already SUCCEEDED (`of` undefined), or
   * an earlier record of this delivery carries the same id (`of` is that record's index).
   */
  | { readonly kind: 'duplicate'; readonly of: number | undefined };

/** A record, the request id it resolves to, and its verdict. */
export interface Settlement {
  readonly record: DeliveredRecord;
  readonly id: string;
  /** The request's deadline, if it has one. */
  readonly deadline?: number | undefined;
  /** The request's job and line, copied to its row. */
  readonly job?: JobRef | undefined;
  readonly verdict: Verdict;
}

/** Inputs of {@link settle} shared by every record of one invocation. */
export interface SettleContext {
  /** Ids whose row is already SUCCEEDED. */
  readonly succeeded: ReadonlySet<string>;
  /** Jobs cancelled (read once per invocation): their requests not yet SUCCEEDED end CANCELLED. */
  readonly cancelledJobs?: ReadonlySet<string>;
  /** The model's outcome for every id that was planned. */
  readonly outcomes: ReadonlyMap<string, ItemOutcome>;
  /** The queue's maxReceiveCount: the delivery with this count is the last. */
  readonly maxReceiveCount: number;
  /** For each record, the index of the record whose fate it shares (itself for most). */
  readonly primaryOf: readonly number[];
  /** Current time, epoch ms: a request left waiting past its deadline ends EXPIRED. */
  readonly now: number;
  /** `MAX_HOLD_SECONDS`: a request held longer than this since its first enqueue ends FAILED. */
  readonly maxHoldSeconds: number;
}

/**
 * Decides one record's fate from its envelope and the model's outcome, following the
 * README's error-routing table. Pure: nothing is written here.
 */
export function settle(
  index: number,
  record: DeliveredRecord,
  envelope: EnvelopeResult,
  context: SettleContext,
): Settlement {
  if (!envelope.ok) {
    const primary = context.primaryOf[index]!;
    const verdict: Verdict =
      primary === index
        ? { kind: 'failed', error: envelope.error }
        : { kind: 'duplicate', of: primary };
    return { record, id: envelope.id, job: envelope.job, verdict };
  }
  const { id, deadline, job } = envelope.request;
  const primary = context.primaryOf[index]!;
  if (primary !== index)
    return { record, id, deadline, job, verdict: { kind: 'duplicate', of: primary } };
  if (context.succeeded.has(id)) {
    return { record, id, deadline, job, verdict: { kind: 'duplicate', of: undefined } };
  }
  // Checked before the model outcome: a cancelled job's requests are never planned.
  if (job !== undefined && context.cancelledJobs?.has(job.jobId)) {
    return { record, id, deadline, job, verdict: cancelledVerdict(job.jobId) };
  }
  const outcome = context.outcomes.get(id);
  if (outcome === undefined)
    throw new Error(`no model outcome for request ${id}: the plan lost a record`);
  let verdict = verdictOf(outcome, record.receiveCount, context.maxReceiveCount);
  // Deadlines hold to the end: a request that would wait again, past its deadline, expires.
  if ((verdict.kind === 'retry' || verdict.kind === 'requeue') && deadline !== undefined) {
    if (deadline <= context.now) verdict = { kind: 'failed', error: expiredError(deadline) };
  }
  // Holds are bounded: past MAX_HOLD_SECONDS since its first enqueue, a held request fails.
  if ((verdict.kind === 'retry' || verdict.kind === 'requeue') && verdict.hold !== undefined) {
    const heldSeconds = Math.floor((context.now - record.enqueuedAt) / 1_000);
    if (heldSeconds >= context.maxHoldSeconds) {
      verdict = {
        kind: 'failed',
        error: errorInfo(
          holdExpiredErrorCode[verdict.hold],
          `held for ${heldSeconds} s since it was first enqueued, past MAX_HOLD_SECONDS (${context.maxHoldSeconds} s), after ${record.receiveCount} deliveries of this copy: ${verdict.error.message}`,
        ),
      };
    }
  }
  return { record, id, deadline, job, verdict };
}

/** The verdict of a request whose job was cancelled before it reached the model. */
export function cancelledVerdict(jobId: string): Verdict {
  return {
    kind: 'cancelled',
    error: errorInfo(
      ErrorCode.CANCELLED,
      `job ${jobId} was cancelled before this request reached the model`,
    ),
  };
}

/** A verdict that keeps the request for an endpoint cause: a retry before the last delivery, a requeue on it. */
function hold(
  cause: HoldCause,
  message: string,
  last: boolean,
  delaySeconds: number,
): Verdict & { hold: HoldCause } {
  const error = errorInfo(heldErrorCode[cause], message);
  return last
    ? { kind: 'requeue', error, delaySeconds, hold: cause }
    : { kind: 'retry', error, delaySeconds, hold: cause };
}

function verdictOf(outcome: ItemOutcome, receiveCount: number, maxReceiveCount: number): Verdict {
  const last = receiveCount >= maxReceiveCount;
  const delaySeconds = redeliveryDelaySeconds(receiveCount);
  switch (outcome.status) {
    case 'ok':
      // Where the output is kept (row, results bucket, or nowhere: OUTPUT_TOO_LARGE) is
      // decided when its row is built, by the row's real size: persist/outputPlacement.ts.
      return {
        kind: 'succeeded',
        outputJson: outcome.outputJson,
        latencyMs: outcome.latencyMs,
        batchItems: outcome.batchItems,
      };
    case 'failed':
      return { kind: 'failed', error: outcome.error };
    case 'expired':
      return {
        kind: 'failed',
        error: errorInfo(ErrorCode.EXPIRED, 'deadline passed before the request reached the model'),
      };
    case 'retry':
      switch (outcome.reason) {
        case 'systemic':
          return hold(HoldCause.systemic, outcome.message, last, delaySeconds);
        case 'unavailable':
          // Throttling, 429 / 503, ModelNotReady: the endpoint is overloaded or scaling, which
          // must never fail a request; it is held (requeued on the last delivery) instead.
          return hold(HoldCause.busy, outcome.message, last, delaySeconds);
        case 'no-capacity':
          // An inference component scaled to zero: expected, held like the other causes but
          // with a wait suited to an instance start (minutes), bounded by MAX_HOLD_SECONDS.
          return hold(
            HoldCause.noCapacity,
            outcome.message,
            last,
            noCapacityDelaySeconds(receiveCount),
          );
        case 'model-error':
          if (last) {
            return {
              kind: 'failed',
              error: errorInfo(
                ErrorCode.MODEL_ERROR,
                `the model failed on this request alone on each of ${receiveCount} deliveries: ${outcome.message}`,
              ),
            };
          }
          break;
      }
      return {
        kind: 'retry',
        error: errorInfo(ErrorCode.MODEL_UNAVAILABLE, outcome.message),
        delaySeconds,
      };
  }
}

/** The model's outcome per request id, for every planned request (the plan covers them all). */
export function outcomesById<T extends { readonly id: string; readonly inputBytes: number }>(
  plan: Plan<T>,
  outcomes: readonly (readonly ItemOutcome[])[],
): Map<string, ItemOutcome> {
  const byId = new Map<string, ItemOutcome>();
  for (const [b, batch] of plan.batches.entries()) {
    for (const [i, request] of batch.entries()) byId.set(request.id, outcomes[b]![i]!);
  }
  return byId;
}
