/**
 * The job contract: a named set of requests submitted together (`sagebatch job submit`).
 * Requests of a job carry `jobId` and `jobLine` in their body; the batcher copies both to
 * their rows, and the results table's job index (partition `jobId`, sort `jobLine`) gives
 * a job's rows in input order. The job's own item lives in the same table under a key no
 * request id can take (request ids never contain `#`), so it shares the table's TTL,
 * encryption, backups and IAM.
 */

/** Pattern of a job id: no `:` (request ids default to `<jobId>:<line>`), no `#`. */
export const jobIdPattern = /^[A-Za-z0-9._-]{1,128}$/;

/** Prefix of a job item's `id`: `#` is outside the request id alphabet, so no row can collide. */
export const jobKeyPrefix = '#job:';

/** The results table key of a job's item. */
export const jobKey = (jobId: string): string => `${jobKeyPrefix}${jobId}`;

/**
 * The results table's global secondary index over job rows: partition `jobId`, sort
 * `jobLine` (Number). Rows without a job are not in it (a sparse index).
 */
export const jobIndex = {
  name: 'jobs',
  partitionKey: 'jobId',
  sortKey: 'jobLine',
  /**
   * Row attributes the index carries besides the keys: what `job status` counts and prices,
   * under both names of a row format 2 (compact) row (lib/contract/compactRow.ts: `c`, `q`,
   * `l`, `b` and the format mark `v`), which the index would otherwise drop silently.
   * Outputs stay in the table: `job results` reads them by id, page by page.
   */
  projected: [
    'status',
    'completedAt',
    'enqueuedAt',
    'modelLatencyMs',
    'batchItems',
    'c',
    'q',
    'l',
    'b',
    'v',
  ],
} as const;

/**
 * The index partition that lists jobs: every job item is in it (its `jobLine` is its
 * creation time), so `job list` is one Query, newest first. `#` keeps it apart from job ids.
 */
export const jobListPartition = '#jobs';

/** Lifecycle of a job item. A job is complete when every request has a final row. */
export const JobState = {
  /** Lines are being sent; `submittedLines` says how far. */
  SUBMITTING: 'SUBMITTING',
  /** Every valid line was accepted by SQS. */
  SUBMITTED: 'SUBMITTED',
  /** `job cancel`: requests not yet computed end CANCELLED. */
  CANCELLED: 'CANCELLED',
} as const;

/** One of {@link JobState}'s values. */
export type JobState = (typeof JobState)[keyof typeof JobState];

/** A job's item in the results table. */
export interface JobItem {
  /** {@link jobKey} of the job id. */
  readonly id: string;
  /** Always {@link jobListPartition} (the job list's index partition). */
  readonly jobId: string;
  /** Creation time, epoch ms: the job list's sort key. */
  readonly jobLine: number;
  readonly name: string;
  /** The job id itself. */
  readonly job: string;
  readonly jobState: JobState;
  readonly createdAt: number;
  /** Lines in the file (blank lines not counted). */
  readonly totalLines: number;
  /** Number of the file's last line (blank lines included): no request has a higher `jobLine`. */
  readonly lastLine: number;
  /** Lines refused by the check (not sent: `--skip-invalid`). */
  readonly invalidLines: number;
  /** Requests of the job: lines sent or to send (`totalLines - invalidLines`). */
  readonly requests: number;
  /**
   * The submit checkpoint: every line up to this one (1-based, invalid ones skipped) was
   * accepted by SQS. A resumed submit starts after it.
   */
  readonly submittedLines: number;
  /** Requests among the lines up to `submittedLines`: what a cancelled submit left sent. */
  readonly submittedRequests: number;
  /** SHA-256 of the file, hex: a resume must read the same file. */
  readonly fileSha256: string;
  readonly cancelledAt?: number;
  /** Set once, by the first reader that found every request final (see `markCompleted`). */
  readonly completedAt?: number;
  /** DynamoDB TTL, epoch seconds: after the last row of the job can have expired. */
  readonly expiresAt: number;
}

/** A request's place in its job, as carried in the body and written to its row. */
export interface JobRef {
  readonly jobId: string;
  /** 1-based line number in the submitted file. */
  readonly jobLine: number;
}
