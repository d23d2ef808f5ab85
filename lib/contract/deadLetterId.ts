import { createHash } from 'node:crypto';

/**
 * The identity of a request's dead letter: the same for every DLQ message sent for one
 * request and one attempt, whoever sends it (the batcher on any delivery, the finalizer)
 * and however often a publish is retried. An attempt is one SQS message of the request:
 * its deliveries, and the finalizer's handling of it after SQS's redrive, are one attempt
 * (SQS keeps the message id when it moves a message); a redrive or a resubmission is a
 * new message, so a new attempt with its own id.
 *
 * Carried on the FAILED row (`deadLetterId`) and on the DLQ message (the
 * `sagebatch.deadLetterId` attribute), so a consumer can drop a duplicate message.
 *
 * @returns 32 lowercase hex characters (the first 128 bits of a SHA-256).
 */
export function deadLetterIdOf(requestId: string, sourceMessageId: string): string {
  return createHash('sha256').update(`${requestId}\n${sourceMessageId}`).digest('hex').slice(0, 32);
}
