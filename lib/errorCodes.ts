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
  /** Transient failures persisted until the last delivery the queue allows. */
  RETRIES_EXHAUSTED: 'RETRIES_EXHAUSTED',
  /** The output does not fit in a DynamoDB item (400 KB). */
  OUTPUT_TOO_LARGE: 'OUTPUT_TOO_LARGE',
  /**
   * SQS moved the message to the dead-letter path by itself (the function crashed, timed out
   * or kept failing to record it on every allowed delivery); written by the finalizer.
   */
  UNPROCESSED: 'UNPROCESSED',
  /** Not final: on a RETRYING row, the model failed transiently and the request will be retried. */
  MODEL_UNAVAILABLE: 'MODEL_UNAVAILABLE',
} as const;

/** One of {@link ErrorCode}'s values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A code and a human-readable message naming what was wrong. */
export interface ErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
}
