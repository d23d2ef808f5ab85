import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AwsLimits } from '../contract/awsLimits.js';
import { readResultRow } from '../contract/compactRow.js';
import { type JobItem, JobState, jobIndex, jobKey, jobListPartition } from '../contract/job.js';
import type { ResultRow } from '../contract/resultRow.js';

/** A row as the job index holds it: keys and the attributes `job status` counts. */
export type JobIndexRow = Pick<
  ResultRow,
  'id' | 'status' | 'completedAt' | 'enqueuedAt' | 'modelLatencyMs' | 'batchItems'
> & { readonly jobId: string; readonly jobLine: number };

/** Settings of a {@link JobStore}. */
export interface JobStoreOptions {
  readonly client: Pick<DynamoDBDocumentClient, 'send'>;
  readonly tableName: string;
  /** Index items per Query page (DynamoDB also stops a page at 1 MB). @default 500 */
  readonly pageSize?: number;
}

const isConditionFailure = (error: unknown) =>
  (error as { name?: unknown }).name === 'ConditionalCheckFailedException';

/**
 * Job items and the job index of the results table (lib/contract/job.ts). Every change of
 * a job item is a conditional write, so two submits, a submit and a cancel, or two status
 * readers racing each other cannot step back a checkpoint or report completion twice.
 */
export class JobStore {
  readonly #client: Pick<DynamoDBDocumentClient, 'send'>;
  readonly #tableName: string;
  readonly #pageSize: number;

  constructor(options: JobStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#pageSize = options.pageSize ?? 500;
  }

  /** The job's item (strongly consistent), or undefined. */
  async get(jobId: string): Promise<JobItem | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { id: jobKey(jobId) },
        ConsistentRead: true,
      }),
    );
    return Item as JobItem | undefined;
  }

  /** Creates the job's item unless it exists: `false` when another submit created it first. */
  async create(item: JobItem): Promise<boolean> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Moves the submit checkpoint forward to `line` (never back), while the job is still
   * SUBMITTING. `false`: the job was cancelled (or finished by another submit): stop sending.
   */
  async checkpoint(jobId: string, line: number, requests: number): Promise<boolean> {
    return this.#update(jobId, {
      UpdateExpression: 'SET #submitted = :line, #requests = :requests',
      ConditionExpression: '#state = :submitting AND #submitted < :line',
      ExpressionAttributeNames: {
        '#submitted': 'submittedLines',
        '#requests': 'submittedRequests',
        '#state': 'jobState',
      },
      ExpressionAttributeValues: {
        ':line': line,
        ':requests': requests,
        ':submitting': JobState.SUBMITTING,
      },
    });
  }

  /** Marks every line sent. `false`: the job is no longer SUBMITTING (cancelled). */
  async finishSubmit(jobId: string, lastLine: number, requests: number): Promise<boolean> {
    return this.#update(jobId, {
      UpdateExpression: 'SET #state = :submitted, #submitted = :line, #requests = :requests',
      ConditionExpression: '#state = :submitting',
      ExpressionAttributeNames: {
        '#submitted': 'submittedLines',
        '#requests': 'submittedRequests',
        '#state': 'jobState',
      },
      ExpressionAttributeValues: {
        ':line': lastLine,
        ':requests': requests,
        ':submitting': JobState.SUBMITTING,
        ':submitted': JobState.SUBMITTED,
      },
    });
  }

  /**
   * Cancels the job. `false`: there is no such job, or it was cancelled already (its first
   * `cancelledAt` stands).
   */
  async cancel(jobId: string, at: number): Promise<boolean> {
    return this.#update(jobId, {
      UpdateExpression: 'SET #state = :cancelled, #at = :at',
      ConditionExpression: 'attribute_exists(#id) AND #state <> :cancelled',
      ExpressionAttributeNames: { '#id': 'id', '#state': 'jobState', '#at': 'cancelledAt' },
      ExpressionAttributeValues: { ':cancelled': JobState.CANCELLED, ':at': at },
    });
  }

  /**
   * Records that every request of the job is final: `true` for exactly one caller, ever
   * (conditional on no `completedAt` yet): the one that may announce the job's completion.
   */
  async markCompleted(jobId: string, at: number): Promise<boolean> {
    return this.#update(jobId, {
      UpdateExpression: 'SET #at = :at',
      ConditionExpression: 'attribute_exists(#id) AND attribute_not_exists(#at)',
      ExpressionAttributeNames: { '#id': 'id', '#at': 'completedAt' },
      ExpressionAttributeValues: { ':at': at },
    });
  }

  /**
   * The job's rows in input order (`jobLine`), page by page from the job index: constant
   * memory whatever the job's size. The index is eventually consistent: a row written a
   * moment ago may show a moment later.
   */
  async *rows(jobId: string): AsyncGenerator<JobIndexRow[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: jobIndex.name,
          KeyConditionExpression: '#job = :job',
          ExpressionAttributeNames: { '#job': jobIndex.partitionKey },
          ExpressionAttributeValues: { ':job': jobId },
          Limit: this.#pageSize,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      start = page.LastEvaluatedKey;
      // A compact row's index entry carries the short names: read back the documented form.
      yield (page.Items ?? []).map((item) => readResultRow(item) as unknown as JobIndexRow);
    } while (start !== undefined);
  }

  /** Every job item, newest first (one Query of the job list, then BatchGetItem by 100). */
  async *list(): AsyncGenerator<JobItem> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: jobIndex.name,
          KeyConditionExpression: '#job = :jobs',
          ExpressionAttributeNames: { '#job': jobIndex.partitionKey },
          ExpressionAttributeValues: { ':jobs': jobListPartition },
          ScanIndexForward: false,
          Limit: AwsLimits.dynamoBatchGetKeys,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      start = page.LastEvaluatedKey;
      const ids = (page.Items ?? []).map((item) => String(item.id));
      const items = await this.#getMany(ids);
      for (const id of ids) {
        const item = items.get(id);
        if (item) yield item;
      }
    } while (start !== undefined);
  }

  async #getMany(ids: readonly string[]): Promise<Map<string, JobItem>> {
    const found = new Map<string, JobItem>();
    let keys: Record<string, unknown>[] = ids.map((id) => ({ id }));
    // UnprocessedKeys are asked again until none are left (job lists are small).
    for (let round = 0; keys.length > 0 && round < 10; round++) {
      const response = await this.#client.send(
        new BatchGetCommand({ RequestItems: { [this.#tableName]: { Keys: keys } } }),
      );
      for (const item of response.Responses?.[this.#tableName] ?? [])
        found.set(String(item.id), item as JobItem);
      keys = response.UnprocessedKeys?.[this.#tableName]?.Keys ?? [];
    }
    return found;
  }

  async #update(
    jobId: string,
    expression: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>,
  ): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { id: jobKey(jobId) },
          ...expression,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
