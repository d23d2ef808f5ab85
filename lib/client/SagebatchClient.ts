import { randomUUID } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ResultStore } from '../aws/resultStore.js';
import { sendMessageBatchWithRetries } from '../aws/sendMessageBatch.js';
import { chunkBySize } from '../common/chunk.js';
import { defaultRetryPolicy, sleep } from '../common/retryPolicy.js';
import { AwsLimits } from '../contract/awsLimits.js';
import { requestIdPattern } from '../contract/envelope.js';
import type { ErrorInfo } from '../contract/errorCodes.js';
import { SagebatchError } from '../contract/errors.js';
import { type ResultRow, ResultStatus } from '../contract/resultRow.js';

/** A request as a producer submits it (the SQS body contract). */
export interface SubmitRequest {
  /** Result key; a random UUID when omitted. 1-256 chars of A-Z a-z 0-9 . _ : - */
  readonly id?: string;
  /** The item the model sees. */
  readonly input: unknown;
  /** Epoch ms after which the request must not reach the model. */
  readonly deadline?: number;
}

/** A result as a producer reads it: the row, with `output` parsed back from JSON text. */
export interface RequestResult extends Omit<ResultRow, 'output'> {
  readonly output?: unknown;
  readonly error?: ErrorInfo;
}

/** Progress of {@link SagebatchClient.waitForResults}. */
export interface WaitProgress {
  /** Ids with a final row (SUCCEEDED or FAILED). */
  readonly done: number;
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
}

/** Options of {@link SagebatchClient.waitForResults}. */
export interface WaitOptions {
  /** Give up after this long, ms. Default 300,000. */
  readonly timeoutMs?: number;
  /** Pause between polls, ms. Default 1,000. */
  readonly intervalMs?: number;
  /** Called after each poll. */
  readonly onProgress?: (progress: WaitProgress) => void;
  readonly signal?: AbortSignal;
}

/** Result of {@link SagebatchClient.waitForResults}. */
export interface WaitResult {
  /** Final results by id. */
  readonly results: Map<string, RequestResult>;
  /** Ids without a final row when the wait ended (empty when complete). */
  readonly pending: string[];
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
    this.#options = options;
    this.#store = new ResultStore({ client: options.dynamo, tableName: options.tableName });
  }

  /**
   * Sends requests with SendMessageBatch (10 entries and 1 MiB a call), retrying entries
   * SQS failed on its side. Returns the request ids in input order.
   * @throws SubmitError before sending anything if a request is invalid; after sending if
   *   some entries were still refused (their ids are in `failedIds`).
   */
  async submit(requests: readonly SubmitRequest[]): Promise<string[]> {
    const entries = requests.map((request, i) => toEntry(request, i));
    const { chunks, oversized } = chunkBySize(entries, {
      maxItems: AwsLimits.sqsBatchEntries,
      maxBytes: AwsLimits.sqsMaxBatchBytes,
      sizeOf: (entry) => entry.bytes,
    });
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

  /** Reads the current rows of `ids` (BatchGetItem, UnprocessedKeys retried); absent ids have no row yet. */
  async getResults(ids: readonly string[]): Promise<Map<string, RequestResult>> {
    const { rows } = await this.#store.getRows(ids);
    const results = new Map<string, RequestResult>();
    for (const [id, row] of rows) results.set(id, toResult(row));
    return results;
  }

  /**
   * Polls until every id has a final row (SUCCEEDED or FAILED) or the timeout passes.
   * Only ids still pending are read again on each poll.
   */
  async waitForResults(ids: readonly string[], options: WaitOptions = {}): Promise<WaitResult> {
    const { timeoutMs = 300_000, intervalMs = 1_000, onProgress, signal } = options;
    const giveUpAt = Date.now() + timeoutMs;
    const results = new Map<string, RequestResult>();
    let pending = [...new Set(ids)];
    let succeeded = 0;
    for (;;) {
      for (const [id, result] of await this.getResults(pending)) {
        if (result.status === ResultStatus.RETRYING) continue;
        results.set(id, result);
        if (result.status === ResultStatus.SUCCEEDED) succeeded++;
      }
      pending = pending.filter((id) => !results.has(id));
      onProgress?.({
        done: results.size,
        total: results.size + pending.length,
        succeeded,
        failed: results.size - succeeded,
      });
      if (pending.length === 0 || Date.now() + intervalMs > giveUpAt || signal?.aborted)
        return { results, pending };
      await sleep(intervalMs, signal).catch(() => undefined);
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

function toResult(row: ResultRow): RequestResult {
  const { output, ...rest } = row;
  return output === undefined ? rest : { ...rest, output: JSON.parse(output) };
}
