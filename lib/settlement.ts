import type { EnvelopeResult } from './envelope.js';
import { ErrorCode, type ErrorInfo } from './errorCodes.js';
import { AwsLimits } from './limits.js';
import type { ItemOutcome } from './modelInvoker.js';
import type { Plan } from './planner.js';

/** One SQS record as the pipeline sees it. */
export interface DeliveredRecord {
  readonly messageId: string;
  readonly body: string;
  /** SQS ApproximateReceiveCount: 1 on the first delivery. */
  readonly receiveCount: number;
  /** SQS SentTimestamp, epoch ms. */
  readonly enqueuedAt: number;
}

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
  /** Transient failure: RETRYING row, reported in batchItemFailures. */
  | { readonly kind: 'retry'; readonly error: ErrorInfo }
  /** The id already SUCCEEDED: acknowledged, nothing written. */
  | { readonly kind: 'duplicate' };

/** A record, the request id it resolves to, and its verdict. */
export interface Settlement {
  readonly record: DeliveredRecord;
  readonly id: string;
  readonly verdict: Verdict;
}

/** Largest output JSON that still fits a result row with room for its other attributes. */
export const maxOutputBytes = AwsLimits.dynamoMaxItemBytes - 8_192;

/** Inputs of {@link settle} shared by every record of one invocation. */
export interface SettleContext {
  /** Ids whose row is already SUCCEEDED. */
  readonly succeeded: ReadonlySet<string>;
  /** The model's outcome for every id that was planned. */
  readonly outcomes: ReadonlyMap<string, ItemOutcome>;
  /** The queue's maxReceiveCount: the delivery with this count is the last. */
  readonly maxReceiveCount: number;
}

/**
 * Decides one record's fate from its envelope and the model's outcome, following the
 * error-routing table of DESIGN.md. Pure: nothing is written here.
 */
export function settle(
  record: DeliveredRecord,
  envelope: EnvelopeResult,
  context: SettleContext,
): Settlement {
  if (!envelope.ok)
    return { record, id: envelope.id, verdict: { kind: 'failed', error: envelope.error } };
  const { id } = envelope.request;
  if (context.succeeded.has(id)) return { record, id, verdict: { kind: 'duplicate' } };
  const outcome = context.outcomes.get(id);
  if (outcome === undefined)
    throw new Error(`no model outcome for request ${id}: planner lost a record`);
  return { record, id, verdict: verdictOf(outcome, record.receiveCount, context.maxReceiveCount) };
}

function verdictOf(outcome: ItemOutcome, receiveCount: number, maxReceiveCount: number): Verdict {
  switch (outcome.status) {
    case 'ok': {
      const outputJson = JSON.stringify(outcome.output) ?? 'null';
      const bytes = Buffer.byteLength(outputJson);
      if (bytes > maxOutputBytes) {
        return {
          kind: 'failed',
          error: {
            code: ErrorCode.OUTPUT_TOO_LARGE,
            message: `model output is ${bytes} bytes; a result row holds at most ${maxOutputBytes}`,
          },
        };
      }
      return {
        kind: 'succeeded',
        outputJson,
        latencyMs: outcome.latencyMs,
        batchItems: outcome.batchItems,
      };
    }
    case 'failed':
      return { kind: 'failed', error: outcome.error };
    case 'transient':
      if (receiveCount >= maxReceiveCount) {
        return {
          kind: 'failed',
          error: {
            code: ErrorCode.RETRIES_EXHAUSTED,
            message: `still failing after ${receiveCount} deliveries: ${outcome.message}`,
          },
        };
      }
      return {
        kind: 'retry',
        error: { code: ErrorCode.MODEL_UNAVAILABLE, message: outcome.message },
      };
  }
}

/**
 * The model's outcome per request id: each planned request's, and INVALID_REQUEST for the
 * requests too large to be sent even alone.
 */
export function outcomesById<T extends { readonly id: string; readonly inputBytes: number }>(
  plan: Plan<T>,
  outcomes: readonly (readonly ItemOutcome[])[],
  maxBatchBytes: number,
): Map<string, ItemOutcome> {
  const byId = new Map<string, ItemOutcome>();
  for (const [b, batch] of plan.batches.entries()) {
    for (const [i, request] of batch.entries()) byId.set(request.id, outcomes[b]![i]!);
  }
  for (const request of plan.oversized) {
    byId.set(request.id, {
      status: 'failed',
      error: {
        code: ErrorCode.INVALID_REQUEST,
        message: `input of ${request.inputBytes} bytes does not fit one model call (MODEL_BATCH_MAX_BYTES=${maxBatchBytes})`,
      },
    });
  }
  return byId;
}
