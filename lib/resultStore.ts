import { BatchGetCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { backoffDelay, sleep } from './backoff.js';
import { AwsLimits } from './limits.js';
import { type ResultRow, ResultStatus } from './resultRow.js';

/** Outcome of writing one row. */
export type WriteOutcome = 'written' | 'already-succeeded' | 'error';

/** Settings of a {@link ResultStore}. */
export interface ResultStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Rounds of UnprocessedKeys retries before giving up on a key, default 5. */
  readonly maxRetryRounds?: number;
  /** Conditional writes in flight at once, default 25. */
  readonly writeParallelism?: number;
  /** First backoff delay for UnprocessedKeys, ms, default 50. */
  readonly retryBaseMs?: number;
}

/**
 * The DynamoDB results table: reads which ids already SUCCEEDED, writes result rows.
 *
 * Writes are conditional (`attribute_not_exists(id) OR status <> SUCCEEDED`), so a
 * SUCCEEDED row is never overwritten, whatever races between duplicate deliveries.
 * BatchWriteItem cannot carry a condition, which is why rows are written one by one
 * (with bounded parallelism): write capacity is priced per item either way.
 */
export class ResultStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #maxRetryRounds: number;
  readonly #writeParallelism: number;
  readonly #retryBaseMs: number;

  constructor(options: ResultStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#maxRetryRounds = options.maxRetryRounds ?? 5;
    this.#writeParallelism = options.writeParallelism ?? 25;
    this.#retryBaseMs = options.retryBaseMs ?? 50;
  }

  /**
   * Reads rows by id with BatchGetItem (100 keys a call), retrying UnprocessedKeys with
   * backoff. Ids not found are absent from the map; keys still unprocessed after the
   * retries are reported in `unread` rather than guessed at.
   */
  async getRows(
    ids: Iterable<string>,
    attributes?: readonly string[],
  ): Promise<{ rows: Map<string, ResultRow>; unread: string[] }> {
    const rows = new Map<string, ResultRow>();
    const unread: string[] = [];
    const unique = [...new Set(ids)];
    const projection = attributes
      ? {
          ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(','),
          ExpressionAttributeNames: Object.fromEntries(
            attributes.map((name, i) => [`#a${i}`, name]),
          ),
        }
      : {};
    for (let start = 0; start < unique.length; start += AwsLimits.dynamoBatchGetKeys) {
      let keys: Record<string, unknown>[] = unique
        .slice(start, start + AwsLimits.dynamoBatchGetKeys)
        .map((id) => ({ id }));
      for (let round = 0; keys.length > 0; round++) {
        if (round > this.#maxRetryRounds) {
          unread.push(...keys.map((key) => String(key.id)));
          break;
        }
        if (round > 0)
          await sleep(backoffDelay(round - 1, { baseMs: this.#retryBaseMs, maxMs: 2_000 }));
        const response = await this.#client.send(
          new BatchGetCommand({
            RequestItems: { [this.#tableName]: { Keys: keys, ...projection } },
          }),
        );
        for (const item of response.Responses?.[this.#tableName] ?? []) {
          rows.set(String(item.id), item as ResultRow);
        }
        keys = response.UnprocessedKeys?.[this.#tableName]?.Keys ?? [];
      }
    }
    return { rows, unread };
  }

  /**
   * The subset of `ids` whose row is SUCCEEDED: those need no model call. An id that
   * could not be read is treated as not succeeded; the conditional write still keeps the
   * first success.
   */
  async findSucceeded(ids: Iterable<string>): Promise<Set<string>> {
    const { rows } = await this.getRows(ids, ['id', 'status']);
    const succeeded = new Set<string>();
    for (const [id, row] of rows) if (row.status === ResultStatus.SUCCEEDED) succeeded.add(id);
    return succeeded;
  }

  /** Writes every row unless its id already SUCCEEDED; never throws, reports per id. */
  async write(rows: readonly ResultRow[]): Promise<Map<string, WriteOutcome>> {
    const limit = pLimit(this.#writeParallelism);
    const outcomes = new Map<string, WriteOutcome>();
    await Promise.all(
      rows.map((row) =>
        limit(async () => {
          outcomes.set(row.id, await this.#put(row));
        }),
      ),
    );
    return outcomes;
  }

  async #put(row: ResultRow): Promise<WriteOutcome> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: row,
          ConditionExpression: 'attribute_not_exists(#id) OR #status <> :succeeded',
          ExpressionAttributeNames: { '#id': 'id', '#status': 'status' },
          ExpressionAttributeValues: { ':succeeded': ResultStatus.SUCCEEDED },
        }),
      );
      return 'written';
    } catch (error) {
      // The SDK already retried throttling and 5xx; what is left is final for this delivery.
      // Matched by SDK error name: an instanceof check breaks when two SDK copies are bundled.
      return (error as { name?: unknown }).name === 'ConditionalCheckFailedException'
        ? 'already-succeeded'
        : 'error';
    }
  }
}
