import { ErrorCode } from './errorCodes.js';

/**
 * Why a request is held: kept RETRYING, never FAILED / DLQ, because the endpoint and not
 * the request is the cause, up to `MAX_HOLD_SECONDS` after it first entered the queue.
 *
 * - `systemic`: the endpoint refuses calls for its configuration (missing, access denied).
 * - `busy`: the endpoint is overloaded or scaling (throttling, 429 / 503, ModelNotReady):
 *   an overloaded endpoint must never fail requests.
 * - `noCapacity`: the model is an inference component with no copy (scaled to zero); the
 *   scale-out from the backlog brings one up in minutes. Expected, so never systemic.
 */
export const HoldCause = {
  systemic: 'systemic',
  busy: 'busy',
  noCapacity: 'no-capacity',
} as const;

/** One of {@link HoldCause}'s values. */
export type HoldCause = (typeof HoldCause)[keyof typeof HoldCause];

/** The code on a held request's RETRYING row, by cause. */
export const heldErrorCode: { readonly [C in HoldCause]: ErrorCode } = {
  systemic: ErrorCode.ENDPOINT_MISCONFIGURED,
  busy: ErrorCode.MODEL_UNAVAILABLE,
  'no-capacity': ErrorCode.ENDPOINT_NO_CAPACITY,
};

/**
 * The code a request held past `MAX_HOLD_SECONDS` ends FAILED with, by cause: the cause's
 * own code, so a user fixing the endpoint and redriving filters on what went wrong.
 */
export const holdExpiredErrorCode: { readonly [C in HoldCause]: ErrorCode } = {
  systemic: ErrorCode.ENDPOINT_MISCONFIGURED,
  busy: ErrorCode.RETRIES_EXHAUSTED,
  // "No capacity came up within MAX_HOLD_SECONDS": the cause's own code says it exactly.
  'no-capacity': ErrorCode.ENDPOINT_NO_CAPACITY,
};
