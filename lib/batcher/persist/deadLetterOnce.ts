import type { DeadLetter, DeadLetterPublisher } from '../../aws/deadLetterPublisher.js';
import type { ResultStore } from '../../aws/resultStore.js';
import type { ErrorInfo } from '../../contract/errorCodes.js';
import { ResultStatus } from '../../contract/resultRow.js';

/** A request whose FAILED row was just written, or kept by the write's condition. */
export interface DeadLetterCandidate {
  readonly requestId: string;
  /** The attempt's dead-letter id (the one the FAILED row was written with). */
  readonly deadLetterId: string;
  /** The SQS message standing for this attempt: its body is what the DLQ message carries. */
  readonly sourceMessageId: string;
  readonly body: string;
}

/**
 * What became of a candidate:
 * - `published`: its DLQ message was sent now (`error` is the row's);
 * - `already-published`: an earlier delivery (or the finalizer) sent it: nothing to do;
 * - `succeeded`: the row is SUCCEEDED (a concurrent delivery's success): no DLQ message;
 * - `retry`: not settled (row unreadable, publish failed, the row changed): deliver again.
 */
export type DeadLetterFate =
  | { readonly kind: 'published'; readonly error: ErrorInfo }
  | { readonly kind: 'already-published' }
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'retry' };

/** Where {@link deadLetterOnce} reads rows, publishes and records the publish. */
export interface DeadLetterSinks {
  readonly store: Pick<ResultStore, 'getRows' | 'markDeadLettered'>;
  readonly deadLetters: Pick<DeadLetterPublisher, 'publish'>;
  /** Current time, epoch ms, for `deadLetteredAt`. */
  readonly now: () => number;
  readonly signal?: AbortSignal | undefined;
  /** Told about each error a call ended with, for logs. */
  readonly onError?:
    | ((source: 'results-table' | 'dead-letter-queue', error: unknown) => void)
    | undefined;
}

/** What {@link deadLetterOnce} did, per request id. */
export interface DeadLetterReport {
  readonly fates: Map<string, DeadLetterFate>;
  /**
   * Published, then found the row no longer FAILED for this attempt: a concurrent
   * delivery's success landed during the publish (the one window left; see the README).
   */
  readonly raced: number;
}

/** Row attributes the re-check reads: never `output`, which may be large. */
const checked = ['id', 'status', 'error', 'attempts', 'deadLetterId', 'deadLetteredAt'];

/**
 * Sends each candidate's DLQ message at most once per request and attempt, as far as the
 * table can tell:
 *
 * 1. re-reads the rows (strongly consistent) right before publishing: a row a concurrent
 *    delivery made SUCCEEDED since the FAILED write gets no DLQ message, a row whose
 *    message was already sent (`deadLetteredAt`) gets no second one;
 * 2. publishes the rest with the row's own error and attempts (so a redelivery or the
 *    finalizer sends what the first writer decided, under the same `deadLetterId`);
 * 3. records each confirmed publish on the row (`deadLetteredAt`), conditionally.
 *
 * A publish whose answer was lost is counted as failed and retried (by the publisher,
 * then by redelivery): SQS may then hold two copies, both with the same
 * `sagebatch.deadLetterId`.
 */
export async function deadLetterOnce(
  candidates: readonly DeadLetterCandidate[],
  sinks: DeadLetterSinks,
): Promise<DeadLetterReport> {
  const fates = new Map<string, DeadLetterFate>();
  if (candidates.length === 0) return { fates, raced: 0 };
  const { store, signal, onError } = sinks;
  const { rows } = await store.getRows(
    candidates.map((c) => c.requestId),
    checked,
    { consistent: true, signal, onError: (e) => onError?.('results-table', e) },
  );
  const letters: DeadLetter[] = [];
  for (const candidate of candidates) {
    const row = rows.get(candidate.requestId);
    if (row?.status === ResultStatus.SUCCEEDED)
      fates.set(candidate.requestId, { kind: 'succeeded' });
    else if (
      row?.status !== ResultStatus.FAILED ||
      row.deadLetterId !== candidate.deadLetterId ||
      row.error === undefined
    ) {
      // Unread, or another attempt's row replaced this one: the next delivery decides.
      fates.set(candidate.requestId, { kind: 'retry' });
    } else if (row.deadLetteredAt !== undefined) {
      fates.set(candidate.requestId, { kind: 'already-published' });
    } else {
      letters.push({
        body: candidate.body,
        requestId: candidate.requestId,
        sourceMessageId: candidate.sourceMessageId,
        attempts: row.attempts,
        error: row.error,
        deadLetterId: candidate.deadLetterId,
      });
    }
  }
  if (letters.length === 0) return { fates, raced: 0 };
  const unpublished = await sinks.deadLetters.publish(letters, {
    ...(signal === undefined ? {} : { signal }),
    onError: (e) => onError?.('dead-letter-queue', e),
  });
  const sent = letters.filter((letter) => !unpublished.has(letter.sourceMessageId));
  for (const letter of letters)
    if (unpublished.has(letter.sourceMessageId)) fates.set(letter.requestId, { kind: 'retry' });
  // The message exists now whatever the mark's fate: the record is settled either way. A
  // mark that fails leaves the row unmarked, and a later delivery sends the same letter.
  const marks = await store.markDeadLettered(
    sent.map((letter) => ({ id: letter.requestId, deadLetterId: letter.deadLetterId })),
    sinks.now(),
    { signal, onError: (e) => onError?.('results-table', e) },
  );
  let raced = 0;
  for (const letter of sent) {
    if (marks.get(letter.requestId) === 'kept') raced++;
    fates.set(letter.requestId, { kind: 'published', error: letter.error });
  }
  return { fates, raced };
}
