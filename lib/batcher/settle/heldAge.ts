import type { Settlement } from './settlement.js';

/**
 * Age, in seconds since its first enqueue, of the oldest request this invocation holds
 * (a retry or requeue whose cause is the endpoint), or 0 when it holds none. Emitted as
 * HeldRequestAge on every invocation: SQS's ApproximateAgeOfOldestMessage cannot show it,
 * since a requeued copy is a new message and a message received three times drops out of
 * that metric; the zeros let the alarm return to OK once nothing is held.
 */
export function oldestHeldAgeSeconds(settlements: readonly Settlement[], now: number): number {
  let oldest = 0;
  for (const { record, verdict } of settlements) {
    if ((verdict.kind === 'retry' || verdict.kind === 'requeue') && verdict.hold !== undefined) {
      oldest = Math.max(oldest, Math.floor((now - record.enqueuedAt) / 1_000));
    }
  }
  return oldest;
}
