import type { ErrorInfo } from './errorCodes.js';
import type { StoredEncoding } from './resultEncoding.js';

/** Status of a result row. SUCCEEDED, FAILED and CANCELLED are final; RETRYING is not. */
export const ResultStatus = {
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  RETRYING: 'RETRYING',
  /**
   * The request's job was cancelled before the request reached the model: no model call,
   * no DLQ message (nothing failed; `job cancel` asked for it). Error code CANCELLED.
   */
  CANCELLED: 'CANCELLED',
} as const;

/** One of {@link ResultStatus}'s values. */
export type ResultStatus = (typeof ResultStatus)[keyof typeof ResultStatus];

/**
 * A result row in DynamoDB, partition key `id`. This is the contract users read.
 *
 * A SUCCEEDED row holds the model's output for this request in `output`, encoded as
 * `outputEncoding` says (absent: the model's JSON text, exact for any JSON value; see
 * lib/contract/resultEncoding.ts), or, when it was too large for the row, in the results
 * bucket object `outputLocation` names (lib/contract/outputLocation.ts), with no `output`.
 * `decodeOutput` (and `SagebatchClient`) read every form.
 *
 * This is the documented form. A SUCCEEDED row may be stored in a compact form (one-letter
 * names, `v: 2`) where that saves a write unit; readers get this form back from
 * `readResultRow` (lib/contract/compactRow.ts), which ResultStore.getRows applies.
 */
export interface ResultRow {
  readonly id: string;
  readonly status: ResultStatus;
  /** The model's output (SUCCEEDED, unless offloaded): JSON text, or Binary for the other encodings. */
  readonly output?: string | Uint8Array;
  /** How `output` (or the offloaded object) is encoded; absent means JSON text. */
  readonly outputEncoding?: StoredEncoding;
  /** Dimensions of a nested numeric output, outermost first. */
  readonly outputShape?: readonly number[];
  /** `s3://<bucket>/results/...`: where an output too large for the row is kept (then no `output`). */
  readonly outputLocation?: string;
  /** What went wrong (FAILED and RETRYING), or why it was not computed (CANCELLED). */
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
  /**
   * FAILED rows: the identity of this failure's DLQ message (see deadLetterIdOf), written
   * with the row; the message carries it as `sagebatch.deadLetterId`.
   */
  readonly deadLetterId?: string;
  /**
   * FAILED rows: when SQS confirmed the DLQ message, epoch ms. Absent while the message is
   * not (yet) confirmed: the publish failed, or its answer was lost; a later delivery or
   * the finalizer sends it then, with the same `deadLetterId`.
   */
  readonly deadLetteredAt?: number;
  /** The job the request belongs to (`sagebatch job submit`); key of the job index. */
  readonly jobId?: string;
  /** The request's 1-based line in the job's file; sort key of the job index. */
  readonly jobLine?: number;
  /** DynamoDB TTL: epoch seconds after which the row may be deleted. */
  readonly expiresAt: number;
}
