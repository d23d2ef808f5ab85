import { chunkBySize } from '../../common/chunk.js';
import type { InferenceRequest } from '../../contract/envelope.js';
import type { Packing } from '../../contract/settings.js';
import type { Codec } from '../codecs/index.js';
import { cutSorted } from './cutSorted.js';
import { estimateTokens } from './tokenEstimate.js';

export type { Packing } from '../../contract/settings.js';

/** Limits of one model call, and how to pack requests into calls. */
export interface PlanLimits {
  /** Most items in one InvokeEndpoint call. */
  readonly maxItems: number;
  /** Most bytes in one InvokeEndpoint request body, codec wrapper included. */
  readonly maxBytes: number;
  /**
   * Most padded tokens in one call: items x the estimated tokens of its longest item. A
   * request estimated above it alone is still sent alone. @default Infinity
   */
  readonly maxTokens?: number;
  /** @default 'length' */
  readonly packing?: Packing;
  /** The codec whose wrapper and separators count against `maxBytes`. */
  readonly codec: Pick<Codec, 'overheadBytes' | 'separatorBytes'>;
}

/**
 * What the planner reads of a request: its size and deadline, and (when the handler knows
 * them) how often it was delivered and when it first entered the queue, which decide the
 * order calls go out in.
 */
export type Plannable = Pick<InferenceRequest, 'inputBytes' | 'deadline'> & {
  /** SQS ApproximateReceiveCount of its record: 1 on the first delivery. @default 1 */
  readonly receiveCount?: number;
  /** When it first entered the queue, epoch ms (kept across requeues). */
  readonly enqueuedAt?: number;
};

/** Model batches in the order to send them: every request planned is in exactly one. */
export interface Plan<T extends Pick<InferenceRequest, 'inputBytes'>> {
  readonly batches: T[][];
}

const tokensOf = (request: Plannable) => estimateTokens(request.inputBytes);
/** What puts one batch before another: its most delivered, soonest due and oldest request. */
interface Urgency {
  readonly deliveries: number;
  readonly due: number;
  readonly since: number;
}

function urgencyOf(batch: readonly Plannable[]): Urgency {
  let deliveries = 1;
  let due = Number.POSITIVE_INFINITY;
  let since = Number.POSITIVE_INFINITY;
  for (const r of batch) {
    deliveries = Math.max(deliveries, r.receiveCount ?? 1);
    due = Math.min(due, r.deadline ?? Number.POSITIVE_INFINITY);
    since = Math.min(since, r.enqueuedAt ?? Number.POSITIVE_INFINITY);
  }
  return { deliveries, due, since };
}

/** Most deliveries first, then earliest deadline, then oldest; ties keep the packing order. */
const byUrgency = (a: Urgency, b: Urgency) =>
  b.deliveries - a.deliveries || a.due - b.due || a.since - b.since;

/**
 * Splits valid requests into model batches bounded by items, encoded bytes and padded
 * tokens. Every request is in exactly one batch: a request too large for one call alone
 * was refused when it was read (`readRecords`), and one reaching the planner is a bug
 * that throws rather than a request silently left out.
 *
 * With `length` packing, requests are first ordered by estimated tokens (stable), because
 * a transformer endpoint pads every item of a call to the longest one: a call's cost
 * follows items x longest item, and a random mix of lengths wastes most of it on padding.
 * The sorted requests are then cut with as little padding as possible in no more calls
 * than filling each call to the brim would take ({@link cutSorted}).
 * Batches are then sent most urgent first (stable), so that when the time budget cannot
 * cover every call, what it cuts is never the same requests delivery after delivery:
 * 1. the batch holding the most delivered request first: a request already cut once (length
 *    packing puts long requests last) goes out before requests seen for the first time, so
 *    it cannot be cut on every delivery until RETRIES_EXHAUSTED;
 * 2. among equals, earliest deadline first: the request due soonest is in the next call;
 * 3. then the oldest first (a request requeued after a hold keeps its first enqueue time).
 * Callers map results back by request, never by position.
 */
export function planBatches<T extends Plannable>(
  requests: readonly T[],
  limits: PlanLimits,
): Plan<T> {
  const packing = limits.packing ?? 'length';
  const ordered =
    packing === 'length'
      ? requests
          .map((request, index) => ({ request, index, tokens: tokensOf(request) }))
          .sort((a, b) => a.tokens - b.tokens || a.index - b.index)
          .map(({ request }) => request)
      : requests;
  const chunkLimits = {
    maxItems: limits.maxItems,
    maxBytes: limits.maxBytes,
    sizeOf: (request: T) => request.inputBytes,
    overheadBytes: limits.codec.overheadBytes,
    separatorBytes: limits.codec.separatorBytes,
    maxPaddedTokens: limits.maxTokens ?? Number.POSITIVE_INFINITY,
    tokensOf,
  };
  let { chunks, oversized } = chunkBySize(ordered, chunkLimits);
  if (oversized.length > 0) {
    throw new RangeError(
      `${oversized.length} request(s) cannot fit one model call of ${limits.maxBytes} bytes; requests must be refused when read`,
    );
  }
  if (packing === 'length' && ordered.length > 0) chunks = cutSorted(ordered, chunkLimits, chunks);
  const batches = chunks
    .map((batch, index) => ({ batch, index, urgency: urgencyOf(batch) }))
    .sort((a, b) => byUrgency(a.urgency, b.urgency) || a.index - b.index)
    .map(({ batch }) => batch);
  return { batches };
}
