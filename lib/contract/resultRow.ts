import type { ErrorInfo } from './errorCodes.js';

/** Status of a result row. SUCCEEDED and FAILED are final; RETRYING is not. */
export const ResultStatus = {
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  RETRYING: 'RETRYING',
} as const;

/** One of {@link ResultStatus}'s values. */
export type ResultStatus = (typeof ResultStatus)[keyof typeof ResultStatus];

/**
 * A result row in DynamoDB, partition key `id`. This is the contract users read.
 *
 * `output` is the model's output for this request as JSON text: it round-trips any JSON
 * value exactly (DynamoDB numbers cannot hold every JSON number) and its size is known
 * before the write.
 */
export interface ResultRow {
  readonly id: string;
  readonly status: ResultStatus;
  /** JSON text of the model output (SUCCEEDED only). */
  readonly output?: string;
  /** What went wrong (FAILED and RETRYING). */
  readonly error?: ErrorInfo;
  /** Deliveries of the message so far (SQS ApproximateReceiveCount). */
  readonly attempts: number;
  /** SQS message id of the delivery that wrote the row. */
  readonly messageId: string;
  /** Lambda request id of the invocation that wrote the row. */
  readonly invocationId: string;
  /** When the message was sent to the queue, epoch ms. */
  readonly enqueuedAt: number;
  /** When this row was written, epoch ms. */
  readonly completedAt: number;
  /** Duration of the model call that served the request, ms (SUCCEEDED only). */
  readonly modelLatencyMs?: number;
  /** Items in the model call that served the request (SUCCEEDED only). */
  readonly batchItems?: number;
  /** DynamoDB TTL: epoch seconds after which the row may be deleted. */
  readonly expiresAt: number;
}
