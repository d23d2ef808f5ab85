/**
 * Message attributes sagebatch writes on SQS messages: the DLQ message's error details
 * (users read them, `dlq redrive` reads them back) and the identity a requeued copy keeps.
 */

/** Names of the message attributes a DLQ message carries. */
export const DeadLetterAttribute = {
  errorCode: 'sagebatch.errorCode',
  errorMessage: 'sagebatch.errorMessage',
  requestId: 'sagebatch.requestId',
  attempts: 'sagebatch.attempts',
  sourceMessageId: 'sagebatch.sourceMessageId',
  /**
   * Stable per request and attempt (see deadLetterIdOf): every DLQ message sent for the
   * same failure carries the same value, so a consumer drops the duplicates SQS's
   * at-least-once delivery or a publish retried after a lost answer can produce.
   */
  deadLetterId: 'sagebatch.deadLetterId',
} as const;

/** Message attributes a requeued copy carries, so it keeps its identity and age. */
export const RequeueAttribute = {
  /** The request id, for bodies that name none (same name as on DLQ messages). */
  requestId: DeadLetterAttribute.requestId,
  /** When the request first entered the queue, epoch ms. */
  enqueuedAt: 'sagebatch.enqueuedAt',
} as const;
