/**
 * Error codes a user can see on a FAILED result row and on a DLQ message
 * (`sagebatch.errorCode` attribute). They are part of the public contract.
 */
export const ErrorCode = {
  /** The body is not JSON, the envelope is invalid, or the input is too large. Never retried. */
  INVALID_REQUEST: 'INVALID_REQUEST',
  /** The request's `deadline` passed before it reached the model. */
  EXPIRED: 'EXPIRED',
  /** The model rejected this item on its own (4xx), after bisection isolated it. */
  MODEL_REJECTED: 'MODEL_REJECTED',
  /** The model's answer for this item alone could not be decoded or had the wrong item count. */
  MODEL_BAD_RESPONSE: 'MODEL_BAD_RESPONSE',
  /**
   * The endpoint stayed busy (MODEL_UNAVAILABLE: throttling, 429 / 503, ModelNotReady): the
   * request was held (requeued past the last delivery) for longer than MAX_HOLD_SECONDS
   * since it was first enqueued; the message says how long.
   */
  RETRIES_EXHAUSTED: 'RETRIES_EXHAUSTED',
  /**
   * The model failed on this item alone with a server error (5xx ModelError or repeated
   * timeouts) on every delivery the queue allows: a poison pill the model cannot answer.
   */
  MODEL_ERROR: 'MODEL_ERROR',
  /** The output does not fit in a DynamoDB item (400 KB). */
  OUTPUT_TOO_LARGE: 'OUTPUT_TOO_LARGE',
  /**
   * SQS moved the message to the dead-letter path by itself (the function crashed, timed out
   * or kept failing to record it on every allowed delivery); written by the finalizer.
   */
  UNPROCESSED: 'UNPROCESSED',
  /** Not final: on a RETRYING row, the endpoint was unavailable and the request will be retried. */
  MODEL_UNAVAILABLE: 'MODEL_UNAVAILABLE',
  /**
   * On a RETRYING row: the endpoint refused every call for a reason no retry of this request
   * can fix (endpoint not found, access denied). The request is held in the queue until the
   * configuration is fixed. On a FAILED row (and a DLQ message): it was held for longer than
   * MAX_HOLD_SECONDS since it was first enqueued; the message says how long.
   */
  ENDPOINT_MISCONFIGURED: 'ENDPOINT_MISCONFIGURED',
  /**
   * On a RETRYING row: the endpoint has no copy of the model (scaled to zero); the request is
   * held while capacity comes up, redelivered after minutes. On a FAILED row (and a DLQ
   * message): no capacity came up within MAX_HOLD_SECONDS since it was first enqueued; the
   * message says how long.
   */
  ENDPOINT_NO_CAPACITY: 'ENDPOINT_NO_CAPACITY',
  /**
   * On a CANCELLED row (no DLQ message): the request's job was cancelled (`sagebatch job
   * cancel`) before the request reached the model.
   */
  CANCELLED: 'CANCELLED',
} as const;

/** One of {@link ErrorCode}'s values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A code and a human-readable message naming what was wrong. */
export interface ErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
}

/** A UTF-16 surrogate without its pair (what `String.prototype.toWellFormed` replaces). */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Longest error message kept on a row or a DLQ attribute: it is for people, not payloads. */
export const maxErrorMessageChars = 1_000;

/**
 * An {@link ErrorInfo} whose message is safe to store anywhere: at most
 * {@link maxErrorMessageChars} characters and well-formed Unicode (a lone surrogate from an
 * escaped key in a hostile body would make DynamoDB and SQS reject the whole write).
 */
export function errorInfo(code: ErrorCode, message: string): ErrorInfo {
  const cut =
    message.length > maxErrorMessageChars
      ? `${message.slice(0, maxErrorMessageChars - 1)}…`
      : message;
  return { code, message: cut.replace(loneSurrogate, '\uFFFD') };
}
