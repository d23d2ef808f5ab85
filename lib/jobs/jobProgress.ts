import { type JobItem, JobState } from '../contract/job.js';
import { ResultStatus } from '../contract/resultRow.js';

/** A job row as counted: what the job index carries. */
export interface CountedRow {
  readonly jobLine: number;
  readonly status: string;
  readonly completedAt?: number;
  readonly enqueuedAt?: number;
  readonly modelLatencyMs?: number;
  readonly batchItems?: number;
}

/** Requests of a job by state. Every request is in exactly one of these. */
export interface JobCounts {
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Waiting for another delivery (RETRYING row). */
  readonly retrying: number;
  /** Sent (or to send) with no row yet. */
  readonly pending: number;
  /** Requests the job is expected to end with (see {@link expectedRequests}). */
  readonly requests: number;
}

/** A job's progress as `job status` prints it. */
export interface JobProgress {
  readonly counts: JobCounts;
  /** Final requests (SUCCEEDED + FAILED + CANCELLED). */
  readonly done: number;
  /** `done / requests`, 0..1 (1 for a job of no requests). */
  readonly fractionDone: number;
  /** Final requests per second, from the first enqueue to the last completion seen. */
  readonly throughputPerSecond: number | undefined;
  /** Seconds until every request is final at that throughput; 0 when complete. */
  readonly etaSeconds: number | undefined;
  /** Endpoint time the job's results took: each SUCCEEDED row's share of its model call. */
  readonly endpointSeconds: number;
  /** `endpointSeconds` at the given instance price, USD. */
  readonly costUsd: number;
  readonly complete: boolean;
}

/**
 * Counts a job's rows from the job index, page by page, in constant memory. Rows come in
 * `jobLine` order, so one line seen twice (impossible by the submit's checks, but a
 * hand-made message could do it) is counted once; lines past the file's end are ignored.
 * That is what keeps the counts exact and never over 100%, whatever redeliveries and
 * duplicate messages did: the table holds one row per id, the job one id per line.
 */
export class JobCounter {
  readonly #lastFileLine: number;
  readonly #afterLine: number;
  #lastLine = 0;
  #firstEnqueuedAt = Number.POSITIVE_INFINITY;
  #lastCompletedAt = 0;
  #endpointMs = 0;
  /** Rows by status; `beyondCheckpoint`: rows of lines after the submit checkpoint. */
  readonly byStatus = { succeeded: 0, failed: 0, cancelled: 0, retrying: 0, beyondCheckpoint: 0 };

  constructor(job: Pick<JobItem, 'lastLine' | 'submittedLines'>) {
    this.#lastFileLine = job.lastLine;
    this.#afterLine = job.submittedLines;
  }

  /** Adds one index row (rows must come in ascending `jobLine`). */
  add(row: CountedRow): void {
    if (row.jobLine <= this.#lastLine || row.jobLine > this.#lastFileLine) return;
    this.#lastLine = row.jobLine;
    if (row.jobLine > this.#afterLine) this.byStatus.beyondCheckpoint++;
    switch (row.status) {
      case ResultStatus.SUCCEEDED:
        this.byStatus.succeeded++;
        // The request's share of the call that served it: the cost line's endpoint time.
        if (row.modelLatencyMs !== undefined && row.batchItems)
          this.#endpointMs += row.modelLatencyMs / row.batchItems;
        break;
      case ResultStatus.FAILED:
        this.byStatus.failed++;
        break;
      case ResultStatus.CANCELLED:
        this.byStatus.cancelled++;
        break;
      default:
        this.byStatus.retrying++;
        return;
    }
    if (row.enqueuedAt !== undefined)
      this.#firstEnqueuedAt = Math.min(this.#firstEnqueuedAt, row.enqueuedAt);
    if (row.completedAt !== undefined)
      this.#lastCompletedAt = Math.max(this.#lastCompletedAt, row.completedAt);
  }

  /** The job's progress from the rows added, its endpoint time priced at `pricePerHour` USD. */
  progress(
    job: Pick<JobItem, 'jobState' | 'requests' | 'submittedRequests'>,
    pricePerHour: number,
  ): JobProgress {
    const { succeeded, failed, cancelled, retrying, beyondCheckpoint } = this.byStatus;
    const rows = succeeded + failed + cancelled + retrying;
    const requests = expectedRequests(job, rows, beyondCheckpoint);
    const done = succeeded + failed + cancelled;
    const counts: JobCounts = {
      succeeded,
      failed,
      cancelled,
      retrying,
      pending: requests - rows,
      requests,
    };
    const complete = isJobComplete(job, counts);
    const seconds = (this.#lastCompletedAt - this.#firstEnqueuedAt) / 1_000;
    const throughput = done > 0 && seconds > 0 ? done / seconds : undefined;
    const remaining = requests - done;
    return {
      counts,
      done,
      fractionDone: requests === 0 ? 1 : done / requests,
      throughputPerSecond: throughput,
      etaSeconds: complete ? 0 : throughput ? remaining / throughput : undefined,
      endpointSeconds: this.#endpointMs / 1_000,
      costUsd: (this.#endpointMs / 3_600_000) * pricePerHour,
      complete,
    };
  }
}

/**
 * How many requests the job ends with. A job submitted to the end: every valid line. A job
 * cancelled during its submit: the lines sent up to the checkpoint, plus any of the lines
 * after it that were sent before the submit stopped (they have rows; the others were never
 * sent and never will be). Never less than the rows counted, so never over 100%.
 */
export function expectedRequests(
  job: Pick<JobItem, 'jobState' | 'requests' | 'submittedRequests'>,
  rows: number,
  rowsBeyondCheckpoint: number,
): number {
  const expected =
    job.jobState === JobState.CANCELLED && job.submittedRequests < job.requests
      ? job.submittedRequests + rowsBeyondCheckpoint
      : job.requests;
  return Math.max(expected, rows);
}

/**
 * The job-completed rule: nothing left to send (not SUBMITTING) and every request it ends
 * with has a final row (SUCCEEDED, FAILED or CANCELLED). Whoever finds it true first records
 * it with `JobStore.markCompleted`, which succeeds once: the one place that may announce it.
 */
export function isJobComplete(job: Pick<JobItem, 'jobState'>, counts: JobCounts): boolean {
  return (
    job.jobState !== JobState.SUBMITTING &&
    counts.pending === 0 &&
    counts.retrying === 0 &&
    counts.succeeded + counts.failed + counts.cancelled === counts.requests
  );
}
