/**
 * The statuses a result row ends in: once a row holds one of them, waiting for the request
 * is over and a completion event says so. SUCCEEDED and FAILED come from the batcher and
 * the finalizer; CANCELLED from cancelling a job (issue 18, part 2). One list, so the
 * event filter, the event publisher and `wait` cannot disagree on what "done" means.
 */
export const FINAL_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;

/** One of {@link FINAL_STATUSES}. */
export type FinalStatus = (typeof FINAL_STATUSES)[number];

/** Whether `status` is final (see {@link FINAL_STATUSES}). */
export function isFinalStatus(status: unknown): status is FinalStatus {
  return (FINAL_STATUSES as readonly unknown[]).includes(status);
}
