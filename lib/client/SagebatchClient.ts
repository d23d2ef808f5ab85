import { randomUUID } from 'node:crypto';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { readResultObject, type S3Port } from '../aws/resultBucket.js';
import { isExpired, ResultStore } from '../aws/resultStore.js';
import { sendMessageBatchWithRetries } from '../aws/sendMessageBatch.js';
import { sqsBatches } from '../aws/sqsBatches.js';
import { defaultRetryPolicy, sleep } from '../common/retryPolicy.js';
import { AwsLimits } from '../contract/awsLimits.js';
import { requestIdPattern } from '../contract/envelope.js';
import type { ErrorInfo } from '../contract/errorCodes.js';
import { SagebatchError } from '../contract/errors.js';
import { isFinalStatus } from '../contract/finalStatus.js';
import { offloadedOutput, parseOutputLocation } from '../contract/outputLocation.js';
import {
  decodeOutput,
  decodeOutputText,
  ResultDecodeError,
  type StoredOutput,
} from '../contract/resultEncoding.js';
import { type ResultRow, ResultStatus } from '../contract/resultRow.js';
import {
  type CompletionSubscription,
  openCompletionSubscription,
} from './completionSubscription.js';

/** A request as a producer submits it (the SQS body contract). */
export interface SubmitRequest {
  /** Result key; a random UUID when omitted. 1-256 chars of A-Z a-z 0-9 . _ : - */
  readonly id?: string;
  /** The item the model sees. */
  readonly input: unknown;
  /** Epoch ms after which the request must not reach the model. */
  readonly deadline?: number;
}

/**
 * A result as a producer reads it: the row, with `output` decoded whatever its encoding
 * (the parsed JSON value; nested arrays of numbers for the numeric encodings) and fetched
 * from the results bucket when the row holds an `outputLocation` instead.
 */
export interface RequestResult extends Omit<ResultRow, 'output'> {
  readonly output?: unknown;
  readonly error?: ErrorInfo;
}

/**
 * A result with its output as exact JSON text (`decodeOutputText`): what a results file
 * holds, numbers beyond double precision included.
 */
export interface RequestResultText extends Omit<ResultRow, 'output'> {
  /** The output as JSON text (SUCCEEDED). */
  readonly outputText?: string;
}

/** Progress of {@link SagebatchClient.waitForResults}. */
export interface WaitProgress {
  /** Ids with a final row (SUCCEEDED, FAILED or CANCELLED). */
  readonly done: number;
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
}

/**
 * How {@link SagebatchClient.waitForResults} learns that rows became final: `events` from
 * the completion topic (a temporary queue subscribed for the ids), `poll` by reading the
 * rows again every `intervalMs`; `auto` uses events when the client has `sns` and
 * `completionTopicArn`, else polls.
 */
export type WaitMode = 'auto' | 'events' | 'poll';

/** Options of {@link SagebatchClient.waitForResults}. */
export interface WaitOptions {
  /** Give up after this long, ms. Default 300,000. */
  readonly timeoutMs?: number;
  /** Polling: pause between polls, ms. Default 1,000. */
  readonly intervalMs?: number;
  /** @default 'auto' */
  readonly mode?: WaitMode;
  /**
   * Events: read the rows still pending again after this long, ms. A safety net for what
   * no event can announce: SNS may take a moment to deliver to a new subscription (and up
   * to 15 minutes to apply a new filter policy everywhere), and an event the publisher
   * gave up on never comes. Default 15,000.
   */
  readonly reconcileIntervalMs?: number;
  /** Called after each read of rows. */
  readonly onProgress?: (progress: WaitProgress) => void;
  /** Called once for each result as soon as the wait has it (before the wait returns). */
  readonly onResult?: (result: RequestResult) => void;
  readonly signal?: AbortSignal;
}

/** Result of {@link SagebatchClient.waitForResults}. */
export interface WaitResult {
  /** Final results by id. */
  readonly results: Map<string, RequestResult>;
  /** Ids without a final row when the wait ended (empty when complete). */
  readonly pending: string[];
  /** How the wait learnt of the results. */
  readonly via: 'events' | 'poll';
}

/** Settings of a {@link SagebatchClient}. */
export interface SagebatchClientOptions {
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBDocumentClient;
  /** The request queue's URL (stack output `RequestQueueUrl`). */
  readonly queueUrl: string;
  /** The results table's name (stack output `ResultsTableName`). */
  readonly tableName: string;
  /** Rounds of retries of failed SendMessageBatch entries. Default 5. */
  readonly maxRetryRounds?: number;
  /** Sends in flight at once. Default 8. */
  readonly sendParallelism?: number;
  /**
   * Reads outputs too large for their row from the results bucket. Needed only for rows
   * with an `outputLocation`; the reader needs `s3:GetObject` on `<bucket>/results/*` (and
   * `kms:Decrypt` on the pipeline's key when it has one).
   */
  readonly s3?: S3Port;
  /**
   * The results bucket (stack output `ResultsBucketName`), required with `s3`: a row
   * pointing anywhere else is refused instead of read with the reader's credentials.
   */
  readonly resultsBucket?: string;
  /** Results objects read at once. Default 16. */
  readonly readParallelism?: number;
  /** Milliseconds since the epoch, to tell rows past their `expiresAt`. @default Date.now */
  readonly now?: () => number;
  /**
   * Subscribes `waitForResults` to completion events. The caller needs sns:Subscribe on the
   * topic, sns:Unsubscribe, and sqs:CreateQueue, GetQueueAttributes, SetQueueAttributes,
   * ReceiveMessage and DeleteQueue on `sagebatch-wait-*` queues (README "Completion events").
   */
  readonly sns?: Pick<SNSClient, 'send'>;
  /** The completion topic (stack output `CompletionTopicArn`), with `sns`. */
  readonly completionTopicArn?: string;
}

/** A request could not be submitted: a bad request, or SQS kept refusing it. */
export class SubmitError extends SagebatchError {
  /** Ids of the requests that were not accepted by SQS. */
  readonly failedIds: string[];

  constructor(message: string, failedIds: string[]) {
    super(message);
    this.name = 'SubmitError';
    this.failedIds = failedIds;
  }
}

interface Entry {
  readonly id: string;
  readonly body: string;
  readonly bytes: number;
}

/**
 * The producer side of sagebatch: put requests on the queue, read their results.
 *
 * @example
 * ```ts
 * const client = new SagebatchClient({ sqs, dynamo, queueUrl, tableName });
 * const ids = await client.submit([{ input: 'hello' }, { id: 'order-42', input: 'world' }]);
 * const { results, pending } = await client.waitForResults(ids, { timeoutMs: 60_000 });
 * ```
 */
export class SagebatchClient {
  readonly #options: SagebatchClientOptions;
  readonly #store: ResultStore;

  constructor(options: SagebatchClientOptions) {
    if (options.s3 !== undefined && options.resultsBucket === undefined)
      throw new SagebatchError(
        "SagebatchClient: give resultsBucket (stack output ResultsBucketName) with s3, so offloaded outputs are read only from the pipeline's own bucket",
      );
    this.#options = options;
    this.#store = new ResultStore({
      client: options.dynamo,
      tableName: options.tableName,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  /**
   * Sends requests with SendMessageBatch (10 entries and 1 MiB a call), retrying entries
   * SQS failed on its side. Returns the request ids in input order.
   * @throws SubmitError before sending anything if a request is invalid; after sending if
   *   some entries were still refused (their ids are in `failedIds`).
   */
  async submit(requests: readonly SubmitRequest[]): Promise<string[]> {
    const entries = requests.map((request, i) => toEntry(request, i));
    const { chunks, oversized } = sqsBatches(entries, (entry) => entry.bytes);
    if (oversized.length > 0) {
      throw new SubmitError(
        `request ${oversized[0]!.id} is ${oversized[0]!.bytes} bytes; an SQS message holds at most ${AwsLimits.sqsMaxMessageBytes}`,
        oversized.map((entry) => entry.id),
      );
    }
    const failed: string[] = [];
    let reason = '';
    const parallelism = this.#options.sendParallelism ?? 8;
    for (let start = 0; start < chunks.length; start += parallelism) {
      const wave = chunks.slice(start, start + parallelism);
      const sent = await Promise.all(
        wave.map((chunk) =>
          sendMessageBatchWithRetries(this.#options.sqs, this.#options.queueUrl, chunk, {
            retry: { ...defaultRetryPolicy, retries: this.#options.maxRetryRounds ?? 5 },
          }),
        ),
      );
      for (const refused of sent) {
        failed.push(...refused.unsent.map((entry) => entry.id));
        reason ||= refused.reason;
      }
    }
    if (failed.length > 0) {
      throw new SubmitError(
        `${failed.length} of ${entries.length} requests were not accepted by SQS (${reason})`,
        failed,
      );
    }
    return entries.map((entry) => entry.id);
  }

  /**
   * Reads the current rows of `ids` (BatchGetItem, UnprocessedKeys retried) and decodes
   * their outputs, fetching offloaded ones; absent ids have no row yet, or only a row past
   * its `expiresAt` (treated as deleted).
   * @throws ResultDecodeError naming the request when an output cannot be read or decoded
   *   (damaged, unknown encoding, object missing or not readable, no `s3` client given).
   */
  async getResults(ids: readonly string[]): Promise<Map<string, RequestResult>> {
    const { rows } = await this.#store.getRows(ids);
    const limit = pLimit(this.#options.readParallelism ?? 16);
    // A row past its expiresAt is gone as far as readers are concerned (DynamoDB's TTL may
    // take days to delete it, and the lifecycle rule may already have deleted its object).
    const now = (this.#options.now ?? Date.now)();
    const live = [...rows.values()].filter((row) => !isExpired(row, now));
    const results = await Promise.all(live.map((row) => limit(() => this.#toResult(row))));
    return new Map(results.map((result) => [result.id, result]));
  }

  /**
   * Like {@link getResults}, with each output as its exact JSON text instead of a parsed
   * value (every encoding, offloaded outputs fetched).
   * @throws ResultDecodeError naming the request, as getResults does.
   */
  async getResultTexts(ids: readonly string[]): Promise<Map<string, RequestResultText>> {
    const { rows } = await this.#store.getRows(ids);
    const limit = pLimit(this.#options.readParallelism ?? 16);
    const now = (this.#options.now ?? Date.now)();
    const live = [...rows.values()].filter((row) => !isExpired(row, now));
    const results = await Promise.all(
      live.map((row) =>
        limit(() => this.#decode(row, (stored) => ({ outputText: decodeOutputText(stored) }))),
      ),
    );
    return new Map(results.map((result) => [result.id, result]));
  }

  /**
   * Waits until every id has a final row (SUCCEEDED, FAILED or CANCELLED) or the timeout
   * passes, by completion events or by polling (see {@link WaitMode}). With events it
   * subscribes first, then reads the rows once (requests already final are not announced
   * again), then reads a row when its event arrives, and the rows still pending every
   * `reconcileIntervalMs`; the temporary queue and its subscriptions are removed when the
   * wait ends, also on a timeout, an error or `signal` aborting.
   */
  async waitForResults(ids: readonly string[], options: WaitOptions = {}): Promise<WaitResult> {
    const mode = options.mode ?? 'auto';
    const { sns, completionTopicArn } = this.#options;
    const canSubscribe = sns !== undefined && completionTopicArn !== undefined;
    if (mode === 'events' && !canSubscribe)
      throw new SagebatchError(
        'waitForResults with mode "events" needs the sns client and completionTopicArn (stack output CompletionTopicArn)',
      );
    if (mode === 'poll' || !canSubscribe) return this.#poll(ids, options);
    return this.#waitForEvents(ids, options, sns, completionTopicArn);
  }

  async #poll(ids: readonly string[], options: WaitOptions): Promise<WaitResult> {
    const { timeoutMs = 300_000, intervalMs = 1_000, signal } = options;
    const giveUpAt = Date.now() + timeoutMs;
    const progress = new WaitTracker(ids, options);
    for (;;) {
      progress.record(await this.getResults(progress.pending()));
      if (progress.done() || Date.now() + intervalMs > giveUpAt || signal?.aborted)
        return progress.result('poll');
      await sleep(intervalMs, signal).catch(() => undefined);
    }
  }

  async #waitForEvents(
    ids: readonly string[],
    options: WaitOptions,
    sns: Pick<SNSClient, 'send'>,
    topicArn: string,
  ): Promise<WaitResult> {
    const { timeoutMs = 300_000, reconcileIntervalMs = 15_000, signal } = options;
    const giveUpAt = Date.now() + timeoutMs;
    const progress = new WaitTracker(ids, options);
    // Subscribe before the first read: a row that becomes final after the read is announced.
    const subscription: CompletionSubscription = await openCompletionSubscription(
      { sqs: this.#options.sqs, sns },
      topicArn,
      { ids: progress.pending() },
    );
    try {
      progress.record(await this.getResults(progress.pending()));
      let reconcileAt = Date.now() + reconcileIntervalMs;
      while (!progress.done() && !signal?.aborted && Date.now() < giveUpAt) {
        const waitMs = Math.min(giveUpAt, reconcileAt) - Date.now();
        const events = await subscription
          .receive(Math.ceil(Math.max(0, waitMs) / 1_000), signal)
          .catch((error: unknown) => {
            if (signal?.aborted) return [];
            throw error;
          });
        const announced = progress.pendingOf(events.map((event) => event.id));
        if (announced.length > 0) progress.record(await this.getResults(announced));
        if (Date.now() >= reconcileAt && !progress.done()) {
          progress.record(await this.getResults(progress.pending()));
          reconcileAt = Date.now() + reconcileIntervalMs;
        }
      }
      return progress.result('events');
    } finally {
      await subscription.close().catch(() => undefined);
    }
  }

  #toResult(row: ResultRow): Promise<RequestResult> {
    return this.#decode(row, (stored) => ({ output: decodeOutput(stored) }));
  }

  /** The row without `output`, plus what `decode` makes of its output (fetched if offloaded). */
  async #decode<T extends object>(
    row: ResultRow,
    decode: (stored: StoredOutput) => T,
  ): Promise<Omit<ResultRow, 'output'> & Partial<T>> {
    const { output, ...rest } = row;
    try {
      if (row.outputLocation !== undefined) {
        const body = await this.#fetch(row.outputLocation);
        return { ...rest, ...decode(offloadedOutput(row, body)) };
      }
      return output === undefined
        ? (rest as Omit<ResultRow, 'output'> & Partial<T>)
        : { ...rest, ...decode(row as StoredOutput) };
    } catch (error) {
      if (!(error instanceof ResultDecodeError)) throw error;
      throw new ResultDecodeError(`result ${row.id}: ${error.message}`, { cause: error });
    }
  }

  /** The bytes of an offloaded output, with the reason in the error when they cannot be read. */
  async #fetch(outputLocation: string): Promise<Uint8Array> {
    const location = parseOutputLocation(outputLocation);
    const { s3, resultsBucket } = this.#options;
    if (resultsBucket !== undefined && location.bucket !== resultsBucket)
      throw new ResultDecodeError(
        `its output is in bucket ${location.bucket}, not this pipeline's results bucket ${resultsBucket}`,
      );
    if (s3 === undefined)
      throw new ResultDecodeError(
        `its output is in ${outputLocation}: give SagebatchClient an s3 client (the reader needs s3:GetObject on that bucket) to read it`,
      );
    try {
      return await readResultObject(s3, location);
    } catch (error) {
      const { name, message } = error as Error;
      throw new ResultDecodeError(
        `cannot read its output at ${outputLocation} (${name}: ${message})`,
        {
          cause: error,
        },
      );
    }
  }
}

function toEntry(request: SubmitRequest, index: number): Entry {
  const id = request.id ?? randomUUID();
  if (!requestIdPattern.test(id)) {
    throw new SubmitError(
      `request ${index}: id ${JSON.stringify(id)} must be 1-256 characters of A-Z a-z 0-9 . _ : -`,
      [id],
    );
  }
  if (request.input === undefined)
    throw new SubmitError(`request ${index} (${id}): input is required`, [id]);
  const body = JSON.stringify({ id, input: request.input, deadline: request.deadline });
  return { id, body, bytes: Buffer.byteLength(body) };
}

/** The state of one wait: which ids are final, counts for progress. */
class WaitTracker {
  readonly #results = new Map<string, RequestResult>();
  readonly #pending: Set<string>;
  readonly #options: Pick<WaitOptions, 'onProgress' | 'onResult'>;
  #succeeded = 0;

  constructor(ids: readonly string[], options: Pick<WaitOptions, 'onProgress' | 'onResult'>) {
    this.#pending = new Set(ids);
    this.#options = options;
  }

  pending(): string[] {
    return [...this.#pending];
  }

  /** The ids among `ids` still pending, each once. */
  pendingOf(ids: readonly string[]): string[] {
    return [...new Set(ids)].filter((id) => this.#pending.has(id));
  }

  done(): boolean {
    return this.#pending.size === 0;
  }

  /** Keeps the final results among `read` (rows still RETRYING stay pending) and reports progress. */
  record(read: ReadonlyMap<string, RequestResult>): void {
    for (const [id, result] of read) {
      if (!this.#pending.has(id) || !isFinalStatus(result.status)) continue;
      this.#pending.delete(id);
      this.#results.set(id, result);
      if (result.status === ResultStatus.SUCCEEDED) this.#succeeded++;
      this.#options.onResult?.(result);
    }
    this.#options.onProgress?.({
      done: this.#results.size,
      total: this.#results.size + this.#pending.size,
      succeeded: this.#succeeded,
      failed: this.#results.size - this.#succeeded,
    });
  }

  result(via: WaitResult['via']): WaitResult {
    return { results: this.#results, pending: this.pending(), via };
  }
}
