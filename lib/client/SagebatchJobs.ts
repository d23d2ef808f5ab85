import { setMaxListeners } from 'node:events';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type JobIndexRow, JobStore } from '../aws/jobStore.js';
import { sendMessages } from '../aws/sendMessageBatch.js';
import { defaultRetryPolicy } from '../common/retryPolicy.js';
import { SagebatchError } from '../contract/errors.js';
import { type JobItem, JobState, jobIdPattern, jobKey, jobListPartition } from '../contract/job.js';
import { ResultStatus } from '../contract/resultRow.js';
import {
  type InvalidLine,
  InvalidLinesError,
  type JobLine,
  JobLineChecker,
} from '../jobs/jobLines.js';
import { JobCounter, type JobProgress } from '../jobs/jobProgress.js';
import type { RequestResultText, SagebatchClient } from './SagebatchClient.js';
import { SubmitError } from './SagebatchClient.js';

/**
 * The longest a request can wait in the request queue before its row is written (the
 * queue's retention, at most 4 days): a job item lives this much longer than its rows' TTL.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
 */
const maxQueueRetentionSeconds = 345_600;

/**
 * On-demand price per hour of the construct's default instance, ml.g5.xlarge, us-east-1, as
 * bench/prices.ts records it (read 2026-11-29): `job status` prices endpoint time with it
 * unless told another price.
 */
export const defaultInstancePricePerHour = 1.41;

/** Settings of {@link SagebatchJobs}. */
export interface SagebatchJobsOptions {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly dynamo: Pick<DynamoDBDocumentClient, 'send'>;
  readonly queueUrl: string;
  readonly tableName: string;
  /** Reads and decodes result rows (offloaded outputs included) for {@link SagebatchJobs.results}. */
  readonly results: Pick<SagebatchClient, 'getResultTexts'>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** What {@link SagebatchJobs.submit} reads: the file's lines, from the start, each time it is called. */
export type LineSource = () => AsyncIterable<string>;

/** Options of {@link SagebatchJobs.submit}. */
export interface JobSubmitOptions {
  readonly jobId: string;
  /** A name for people (`job list`). @default the job id */
  readonly name?: string;
  /** SHA-256 of the file (hex): a resume must read the same file. */
  readonly fileSha256: string;
  /** Send the valid lines and list the invalid ones, instead of sending nothing. */
  readonly skipInvalid?: boolean;
  /**
   * Lines sent between two checkpoints: a resumed submit sends at most this many lines
   * twice. @default 1000
   */
  readonly checkpointLines?: number;
  /** The pipeline's row lifetime (RESULT_TTL_SECONDS), for the job item's TTL. @default 7 days */
  readonly resultTtlSeconds?: number;
  /** Stops sending (Ctrl-C): the call throws, and a re-run continues from the last checkpoint. */
  readonly signal?: AbortSignal;
  /** Called after the check, before anything is sent. */
  readonly onChecked?: (check: { requests: number; alreadySent: number }) => void;
  /** Called after each checkpoint with the requests sent so far (this run and earlier runs). */
  readonly onProgress?: (sent: number) => void;
}

/** What {@link SagebatchJobs.submit} did. */
export interface JobSubmitReport {
  readonly jobId: string;
  /** Non-blank lines of the file. */
  readonly totalLines: number;
  /** Lines the check refused (sent nothing only when `skipInvalid` is false: then it throws). */
  readonly invalid: readonly InvalidLine[];
  /** Requests of the job (valid lines). */
  readonly requests: number;
  /** Requests this run sent. */
  readonly sent: number;
  /** Requests an earlier run had sent (up to its last checkpoint): not sent again. */
  readonly alreadySent: number;
}

/** A job's status: its item and its progress. */
export interface JobStatus {
  readonly job: JobItem;
  readonly progress: JobProgress;
  /**
   * True for exactly one status read, ever: the one that found the job complete first and
   * recorded it (`completedAt`). The hook for announcing the job's completion once.
   */
  readonly completedNow: boolean;
}

/** One request's line of a results or errors file. */
export interface JobResultLine {
  readonly line: number;
  readonly result: RequestResultText;
}

/**
 * Jobs: a file of requests submitted together, then watched, read back in input order, or
 * cancelled. Rows carry `jobId` and `jobLine`; the results table's job index lists them.
 *
 * @example
 * ```ts
 * const jobs = new SagebatchJobs({ sqs, dynamo, queueUrl, tableName, results: client });
 * await jobs.submit(() => readLinesOf('requests.jsonl'), { jobId: 'corpus-1', fileSha256 });
 * const { progress } = await jobs.status('corpus-1');
 * ```
 */
export class SagebatchJobs {
  readonly #options: SagebatchJobsOptions;
  readonly #store: JobStore;
  readonly #now: () => number;

  constructor(options: SagebatchJobsOptions) {
    this.#options = options;
    this.#store = new JobStore({ client: options.dynamo, tableName: options.tableName });
    this.#now = options.now ?? Date.now;
  }

  /**
   * Checks every line, then sends the valid ones in order, checkpointing every
   * `checkpointLines` in the job item; a re-run with the same job id and file sends only what
   * follows the last checkpoint. Reads the lines twice (check, then send), holding at most
   * one checkpoint's messages at a time.
   *
   * Guarantee: every line is sent at least once (or the call throws and a re-run continues);
   * lines sent after the last checkpoint of an interrupted run are sent again by the re-run
   * (at most `checkpointLines`). A line sent twice has one request id, so it gets one row
   * (rows are keyed by id): at most one extra model call, none once its row is SUCCEEDED.
   * @throws InvalidLinesError before sending anything, when lines are invalid and not `skipInvalid`.
   * @throws SubmitError when SQS keeps refusing messages (re-run to continue), the job id
   *   belongs to another file, or the job was cancelled.
   */
  async submit(source: LineSource, options: JobSubmitOptions): Promise<JobSubmitReport> {
    const { jobId } = options;
    if (!jobIdPattern.test(jobId))
      throw new SagebatchError(
        `job id ${JSON.stringify(jobId)} must be 1-128 characters of A-Z a-z 0-9 . _ -`,
      );
    const check = await checkLines(source, jobId);
    if (check.invalid.length > 0 && !options.skipInvalid)
      throw new InvalidLinesError(check.invalid, check.totalLines);
    const requests = check.totalLines - check.invalid.length;
    const now = this.#now();
    const ttl = options.resultTtlSeconds ?? 7 * 86_400;
    const fresh: JobItem = {
      id: jobKey(jobId),
      jobId: jobListPartition,
      jobLine: now,
      job: jobId,
      name: options.name ?? jobId,
      jobState: JobState.SUBMITTING,
      createdAt: now,
      totalLines: check.totalLines,
      lastLine: check.lastLine,
      invalidLines: check.invalid.length,
      requests,
      submittedLines: 0,
      submittedRequests: 0,
      fileSha256: options.fileSha256,
      expiresAt: Math.floor(now / 1_000) + ttl + maxQueueRetentionSeconds,
    };
    const job = (await this.#store.create(fresh)) ? fresh : await this.#store.get(jobId);
    if (job === undefined) throw new SubmitError(`job ${jobId} could not be created`, []);
    if (job.fileSha256 !== options.fileSha256)
      throw new SubmitError(
        `job ${jobId} was submitted from another file (SHA-256 ${job.fileSha256.slice(0, 12)}...); give another --job id`,
        [],
      );
    if (job.jobState === JobState.CANCELLED)
      throw new SubmitError(`job ${jobId} was cancelled; submit it under another --job id`, []);
    const report = {
      jobId,
      totalLines: check.totalLines,
      invalid: check.invalid,
      requests,
      sent: 0,
      alreadySent: job.submittedRequests,
    };
    options.onChecked?.({ requests, alreadySent: job.submittedRequests });
    if (job.jobState === JobState.SUBMITTED) return { ...report, alreadySent: requests };

    const every = options.checkpointLines ?? 1_000;
    // Every batch call in flight listens to the signal (16 at a time, and their retries).
    if (options.signal) setMaxListeners(256, options.signal);
    const checker = new JobLineChecker(jobId);
    let window: JobLine[] = [];
    let sentThrough = job.submittedRequests;
    let lastLine = job.submittedLines;
    const flush = async () => {
      if (window.length === 0) return;
      const { unsent, reason } = await sendMessages(
        this.#options.sqs,
        this.#options.queueUrl,
        window,
        { retry: defaultRetryPolicy, ...(options.signal ? { signal: options.signal } : {}) },
      );
      if (unsent.length > 0 && options.signal?.aborted)
        throw new SubmitError(
          `submit of job ${jobId} interrupted after ${sentThrough} requests (checkpoint); run the same submit again to send the rest`,
          unsent.map((m) => m.id),
        );
      if (unsent.length > 0)
        throw new SubmitError(
          `SQS did not accept ${unsent.length} requests (${reason}); run the same submit again to send the rest`,
          unsent.map((m) => m.id),
        );
      report.sent += window.length;
      sentThrough += window.length;
      lastLine = window[window.length - 1]!.line;
      window = [];
      if (!(await this.#store.checkpoint(jobId, lastLine, sentThrough)))
        throw new SubmitError(`job ${jobId} was cancelled while it was submitted`, []);
      options.onProgress?.(sentThrough);
    };
    let line = 0;
    for await (const text of source()) {
      line++;
      if (text.trim() === '') continue;
      // Every line is checked again, so the second pass refuses exactly what the first did
      // (an id repeated from a line before the checkpoint included); sent lines are skipped.
      if (options.signal?.aborted) break;
      const checked = checker.check(text, line);
      if (!checked.ok || line <= job.submittedLines) continue;
      window.push(checked.request);
      if (window.length >= every) await flush();
    }
    // An abort between two windows sends nothing more.
    if (options.signal?.aborted)
      throw new SubmitError(
        `submit of job ${jobId} interrupted after ${sentThrough} requests (checkpoint); run the same submit again to send the rest`,
        [],
      );
    await flush();
    if (!(await this.#store.finishSubmit(jobId, Math.max(lastLine, line), sentThrough)))
      throw new SubmitError(`job ${jobId} was cancelled while it was submitted`, []);
    return report;
  }

  /**
   * The job's counts by state (exact: one row per request, whatever the redeliveries),
   * throughput, ETA and endpoint cost so far, read from the job index in constant memory.
   * The first read that finds the job complete records `completedAt` (`completedNow`).
   * @throws SagebatchError when there is no such job.
   */
  async status(
    jobId: string,
    options: { readonly pricePerHour?: number } = {},
  ): Promise<JobStatus> {
    const job = await this.#job(jobId);
    const counter = new JobCounter(job);
    for await (const page of this.#store.rows(jobId)) for (const row of page) counter.add(row);
    const progress = counter.progress(job, options.pricePerHour ?? defaultInstancePricePerHour);
    const completedNow =
      progress.complete && job.completedAt === undefined
        ? await this.#store.markCompleted(jobId, this.#now())
        : false;
    return { job, progress, completedNow };
  }

  /**
   * Streams the job's final results in input order to `onResult` (awaited: back-pressure),
   * decoded (every encoding, offloaded outputs fetched), one index page at a time.
   * @returns how many requests had no final row yet (not passed to `onResult`).
   */
  async results(
    jobId: string,
    onResult: (line: JobResultLine) => Promise<void> | void,
  ): Promise<{ written: number; notFinal: number }> {
    await this.#job(jobId);
    let written = 0;
    let notFinal = 0;
    let lastLine = 0;
    for await (const page of this.#store.rows(jobId)) {
      const rows = page.filter((row) => {
        if (row.jobLine <= lastLine) return false;
        lastLine = row.jobLine;
        return true;
      });
      const final = rows.filter((row) => isFinal(row));
      notFinal += rows.length - final.length;
      const texts = await this.#options.results.getResultTexts(final.map((row) => row.id));
      for (const row of final) {
        const result = texts.get(row.id);
        if (result === undefined) {
          notFinal++; // expired meanwhile, or the index ran ahead of the table
          continue;
        }
        await onResult({ line: row.jobLine, result });
        written++;
      }
    }
    return { written, notFinal };
  }

  /**
   * Cancels the job: its requests not yet computed end CANCELLED (no model call, no DLQ
   * message) when the batcher next reads them; finished ones keep their result.
   * @throws SagebatchError when there is no such job.
   */
  async cancel(jobId: string): Promise<JobItem> {
    await this.#store.cancel(jobId, this.#now());
    // Cancelling twice is no error: the job stays cancelled since the first time.
    const job = await this.#job(jobId);
    if (job.jobState !== JobState.CANCELLED)
      throw new SagebatchError(`job ${jobId} could not be cancelled (state ${job.jobState})`);
    return job;
  }

  /** Every job, newest first. */
  list(): AsyncGenerator<JobItem> {
    return this.#store.list();
  }

  async #job(jobId: string): Promise<JobItem> {
    const job = await this.#store.get(jobId);
    if (job === undefined || job.expiresAt * 1_000 <= this.#now())
      throw new SagebatchError(`no job ${jobId} (or it expired); see sagebatch job list`);
    return job;
  }
}

const isFinal = (row: Pick<JobIndexRow, 'status'>) =>
  row.status === ResultStatus.SUCCEEDED ||
  row.status === ResultStatus.FAILED ||
  row.status === ResultStatus.CANCELLED;

/**
 * The check pass of a job file: every line, in constant memory but for explicit ids and
 * invalid lines. `submit` runs it first; callers may run it before they connect to AWS.
 */
export async function checkLines(
  source: LineSource,
  jobId: string,
): Promise<{ totalLines: number; lastLine: number; invalid: InvalidLine[] }> {
  const checker = new JobLineChecker(jobId);
  const invalid: InvalidLine[] = [];
  let totalLines = 0;
  let line = 0;
  for await (const text of source()) {
    line++;
    if (text.trim() === '') continue;
    totalLines++;
    const checked = checker.check(text, line);
    if (!checked.ok) invalid.push(checked.invalid);
  }
  return { totalLines, lastLine: line, invalid };
}
