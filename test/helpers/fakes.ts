import {
  GetObjectCommand,
  type GetObjectCommandInput,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  InvokeEndpointCommand,
  type InvokeEndpointCommandInput,
  SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import {
  ChangeMessageVisibilityBatchCommand,
  type ChangeMessageVisibilityBatchCommandInput,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { Uint8ArrayBlobAdapter } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import {
  batchMaxBytes,
  checkBatchGet,
  checkBatchWrite,
  checkItemSize,
  conditionHolds,
  DynamoErrors,
  itemBytes,
  queryPageMaxBytes,
} from './awsRules/dynamodb.js';
import * as sagemakerRuntime from './awsRules/sagemakerRuntime.js';
import {
  checkBatchEntries,
  checkSendMessageBatch,
  sendEntryFailure,
  visibilityEntryFailure,
} from './awsRules/sqs.js';

/** The deterministic model the fakes serve: tests compute its output independently. */
export const modelOutput = (input: unknown) => ({
  echo: input,
  length: JSON.stringify(input).length,
});

/** Behaviour of {@link fakeModel}. */
export interface FakeModelOptions {
  /** Inputs that make the whole batch fail with a 4xx ModelError, as real containers do. */
  readonly poison?: (input: unknown) => boolean;
  /** Calls (1-based) that fail with 503 ServiceUnavailable. */
  readonly unavailableCalls?: (call: number) => boolean;
  /** Answer batches holding `input` with one output too few. */
  readonly shortAnswer?: (input: unknown) => boolean;
  /** Inputs that make the whole batch fail with a 500 ModelError, as AWS's inference toolkits do for an unexpected exception. */
  readonly serverError?: (input: unknown) => boolean;
  /** Batches the model never answers (out of memory, stuck): the call must time out. */
  readonly hang?: (instances: unknown[]) => boolean;
  /** The SageMaker-side error every call fails with (for example a ValidationError for a wrong endpoint name). */
  readonly refuse?: () => Error | undefined;
  /**
   * Calls (1-based) the container fails with this HTTP status (503 when its queue is full,
   * 429, ...): SageMaker wraps it as a 424 ModelError with that `OriginalStatusCode`.
   */
  readonly containerStatus?: (call: number) => number | undefined;
  /** Calls (1-based) SageMaker itself throttles (ThrottlingException). */
  readonly throttledCalls?: (call: number) => boolean;
  /** Batches the container takes longer than SageMaker's 60 s to answer: SageMaker's ModelError (status 0). */
  readonly overTime?: (instances: unknown[]) => boolean;
  /** Runs as each call arrives (for example to advance a virtual clock by the call's duration). */
  readonly onCall?: (instances: unknown[]) => void;
}

/** A mocked SageMaker Runtime serving {@link modelOutput} through the json-instances codec. */
export function fakeModel(options: FakeModelOptions = {}) {
  const mock = mockClient(SageMakerRuntimeClient);
  const calls: unknown[][] = [];
  let count = 0;
  mock.on(InvokeEndpointCommand).callsFake((input: InvokeEndpointCommandInput) => {
    count += 1;
    // SageMaker refuses an oversized body before any model sees it (the rules name the pages).
    const oversize = sagemakerRuntime.checkBody(input.Body);
    if (oversize) throw oversize;
    const instances = (JSON.parse(String(input.Body)) as { instances: unknown[] }).instances;
    calls.push(instances);
    options.onCall?.(instances);
    const refusal = options.refuse?.();
    if (refusal) throw refusal;
    if (options.throttledCalls?.(count)) throw sagemakerRuntime.throttling();
    if (options.hang?.(instances)) return new Promise(() => undefined);
    if (options.unavailableCalls?.(count)) throw sagemakerRuntime.serviceUnavailable();
    const status = options.containerStatus?.(count);
    if (status !== undefined) throw sagemakerRuntime.modelError(status, 'container failed');
    if (options.overTime?.(instances)) throw sagemakerRuntime.modelTimedOut();
    if (options.poison && instances.some(options.poison)) {
      throw sagemakerRuntime.modelError(400, 'bad input');
    }
    if (options.serverError && instances.some(options.serverError)) {
      throw sagemakerRuntime.modelError(500, 'unexpected exception');
    }
    const predictions = instances.map(modelOutput);
    if (options.shortAnswer && instances.some(options.shortAnswer)) predictions.pop();
    return {
      Body: Uint8ArrayBlobAdapter.fromString(JSON.stringify({ predictions })),
      ContentType: 'application/json',
    };
  });
  return { mock, calls, items: () => calls.reduce((n, c) => n + c.length, 0) };
}

/** A global secondary index of {@link fakeTable}: string partition key, number sort key. */
export interface FakeIndex {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /** Non-key attributes the index carries (projection INCLUDE). */
  readonly projected: readonly string[];
}

/** Behaviour of {@link fakeTable}. */
export interface FakeTableOptions {
  /** Global secondary indexes Query can read (sparse: items without both keys are absent). */
  readonly indexes?: readonly FakeIndex[];
  /** Leave this many keys of each BatchGet unprocessed the first time they are asked for. */
  readonly unprocessedKeysOnce?: number;
  /** Each BatchGetItem answers this many ms late (real time): a slow or throttled table. */
  readonly readLatencyMs?: number;
  /** Leave this many items of each BatchWrite unprocessed the first time they are sent. */
  readonly unprocessedItemsOnce?: number;
  /** Ids whose write fails every time (a broken or throttled write): PutItem throws, BatchWrite leaves them unprocessed. */
  readonly failPut?: (id: string) => boolean;
  /** Called after each row is stored: a test interleaves a concurrent writer here. */
  readonly afterWrite?: (id: string, rows: Map<string, Record<string, unknown>>) => void;
}

/** A mocked DynamoDB document client backed by a Map, honouring the write condition. */
export function fakeTable(options: FakeTableOptions = {}) {
  const mock = mockClient(DynamoDBDocumentClient);
  const rows = new Map<string, Record<string, unknown>>();
  const deferred = new Set<string>();
  let puts = 0;
  let batchGets = 0;
  let batchWrites = 0;
  const deferredWrites = new Set<string>();
  mock.on(BatchWriteCommand).callsFake((input: BatchWriteCommandInput) => {
    batchWrites += 1;
    const [table, requests] = Object.entries(input.RequestItems ?? {})[0]!;
    checkBatchWrite(
      requests.map((r) => r.PutRequest!.Item as Record<string, unknown>),
      (item) => String(item.id),
    );
    const unprocessed = [];
    let skipped = 0;
    for (const request of requests) {
      const item = request.PutRequest!.Item as Record<string, unknown>;
      const id = String(item.id);
      const defer = !deferredWrites.has(id) && skipped < (options.unprocessedItemsOnce ?? 0);
      if (defer) {
        deferredWrites.add(id);
        skipped += 1;
      }
      if (defer || options.failPut?.(id)) unprocessed.push(request);
      else {
        rows.set(id, structuredClone(item)); // BatchWriteItem has no condition: it overwrites
        options.afterWrite?.(id, rows);
      }
    }
    return { UnprocessedItems: unprocessed.length > 0 ? { [table]: unprocessed } : {} };
  });
  mock.on(PutCommand).callsFake((input: PutCommandInput) => {
    puts += 1;
    const item = input.Item as Record<string, unknown>;
    const id = String(item.id);
    if (options.failPut?.(id)) throw DynamoErrors.throughputExceeded();
    checkItemSize(item);
    // Whatever condition the caller wrote, evaluated as DynamoDB would.
    if (
      input.ConditionExpression !== undefined &&
      !conditionHolds(
        input.ConditionExpression,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
        rows.get(id),
      )
    ) {
      throw DynamoErrors.conditionalCheckFailed();
    }
    rows.set(id, structuredClone(item));
    options.afterWrite?.(id, rows);
    return {};
  });
  // UpdateItem, as the store uses it: `SET #a = :v[, ...]` under a condition.
  mock.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
    const id = String((input.Key as { id: unknown }).id);
    if (options.failPut?.(id)) throw DynamoErrors.throughputExceeded();
    const existing = rows.get(id);
    if (
      input.ConditionExpression !== undefined &&
      !conditionHolds(
        input.ConditionExpression,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
        existing,
      )
    ) {
      throw DynamoErrors.conditionalCheckFailed();
    }
    const set = /^SET\s+(.+)$/i.exec(input.UpdateExpression ?? '');
    if (!set)
      throw DynamoErrors.validation(`Unsupported UpdateExpression ${input.UpdateExpression}`);
    const updated: Record<string, unknown> = { ...(existing ?? { id }) };
    for (const assignment of set[1]!.split(',')) {
      const [name, value] = assignment.split('=').map((part) => part.trim());
      updated[input.ExpressionAttributeNames?.[name!] ?? name!] =
        input.ExpressionAttributeValues?.[value!];
    }
    checkItemSize(updated);
    rows.set(id, updated);
    options.afterWrite?.(id, rows);
    return {};
  });
  mock.on(BatchGetCommand).callsFake(async (input: BatchGetCommandInput) => {
    batchGets += 1;
    if (options.readLatencyMs)
      await new Promise((resolve) => setTimeout(resolve, options.readLatencyMs));
    const [table, request] = Object.entries(input.RequestItems ?? {})[0]!;
    const keys = (request.Keys ?? []) as { id: string }[];
    checkBatchGet(keys.map((key) => key.id));
    const fresh = keys.filter((key) => !deferred.has(key.id));
    const skip = fresh.slice(0, options.unprocessedKeysOnce ?? 0);
    for (const key of skip) deferred.add(key.id);
    // A response stops at 16 MB: the keys past it come back in UnprocessedKeys.
    let bytes = 0;
    const found: Record<string, unknown>[] = [];
    for (const key of keys.filter((k) => !skip.includes(k))) {
      const row = rows.get(key.id);
      if (row === undefined) continue;
      bytes += itemBytes(row);
      if (bytes > batchMaxBytes) skip.push(key);
      else found.push(structuredClone(row));
    }
    return {
      Responses: { [table]: found },
      UnprocessedKeys: skip.length > 0 ? { [table]: { Keys: skip } } : {},
    };
  });
  mock.on(GetCommand).callsFake((input: GetCommandInput) => {
    const row = rows.get(String((input.Key as { id: unknown }).id));
    return row === undefined ? {} : { Item: structuredClone(row) };
  });
  let queries = 0;
  // Query on a GSI, as the job store uses it: `#pk = :value`, ascending or not, Limit and
  // ExclusiveStartKey; a page also stops at 1 MB; a GSI cannot be read strongly consistent.
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html
  mock.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    queries += 1;
    const index = options.indexes?.find((i) => i.name === input.IndexName);
    if (!index)
      throw DynamoErrors.validation(
        `The table does not have the specified index: ${input.IndexName}`,
      );
    if (input.ConsistentRead)
      throw DynamoErrors.validation(
        'Consistent reads are not supported on global secondary indexes',
      );
    const match = /^(#\w+)\s*=\s*(:\w+)$/.exec(input.KeyConditionExpression ?? '');
    if (!match || input.ExpressionAttributeNames?.[match[1]!] !== index.partitionKey)
      throw DynamoErrors.validation(
        `Unsupported KeyConditionExpression ${input.KeyConditionExpression}`,
      );
    const value = input.ExpressionAttributeValues?.[match[2]!];
    const forward = input.ScanIndexForward !== false;
    const sortOf = (row: Record<string, unknown>) => row[index.sortKey] as number;
    const order = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      (sortOf(a) - sortOf(b) || String(a.id).localeCompare(String(b.id))) * (forward ? 1 : -1);
    let matching = [...rows.values()]
      .filter((row) => row[index.partitionKey] === value && typeof row[index.sortKey] === 'number')
      .sort(order);
    const start = input.ExclusiveStartKey as Record<string, unknown> | undefined;
    if (start) matching = matching.filter((row) => order(row, start) > 0);
    const page: Record<string, unknown>[] = [];
    let bytes = 0;
    for (const row of matching) {
      if (input.Limit !== undefined && page.length >= input.Limit) break;
      const item: Record<string, unknown> = {};
      for (const name of ['id', index.partitionKey, index.sortKey, ...index.projected])
        if (row[name] !== undefined) item[name] = structuredClone(row[name]);
      bytes += itemBytes(item);
      page.push(item);
      if (bytes >= queryPageMaxBytes) break;
    }
    const last = page[page.length - 1];
    const more = last !== undefined && page.length < matching.length;
    return {
      Items: page,
      Count: page.length,
      ...(more
        ? {
            LastEvaluatedKey: {
              id: last.id,
              [index.partitionKey]: last[index.partitionKey],
              [index.sortKey]: last[index.sortKey],
            },
          }
        : {}),
    };
  });
  return {
    mock,
    rows,
    queries: () => queries,
    puts: () => puts,
    batchGets: () => batchGets,
    batchWrites: () => batchWrites,
  };
}

/** A message the fake SQS received. */
export interface ReceivedMessage {
  readonly body: string;
  readonly attributes: Record<string, string>;
  readonly queueUrl: string;
  readonly delaySeconds: number | undefined;
}

/** Behaviour of {@link fakeQueue}. */
export interface FakeQueueOptions {
  /** How many times to fail (server side) the entry with this body before accepting it. */
  readonly failTimes?: (body: string, queueUrl: string) => number;
  /** Awaited before each ChangeMessageVisibilityBatch answers (latency on a virtual clock). */
  readonly visibilityLatency?: () => Promise<void>;
}

/**
 * A mocked SQS client that records SendMessageBatch entries (`messages`: those sent to
 * the DLQ, `requeued`: those sent back to the request queue) and visibility changes,
 * refusing what SQS refuses (test/helpers/awsRules/sqs.ts).
 */
export function fakeQueue(options: FakeQueueOptions = {}) {
  const mock = mockClient(SQSClient);
  const sent: ReceivedMessage[] = [];
  const messages: ReceivedMessage[] = [];
  const requeued: ReceivedMessage[] = [];
  const visibility: { receiptHandle: string; seconds: number }[] = [];
  mock
    .on(ChangeMessageVisibilityBatchCommand)
    .callsFake(async (input: ChangeMessageVisibilityBatchCommandInput) => {
      const entries = input.Entries ?? [];
      checkBatchEntries(entries);
      await options.visibilityLatency?.();
      const failed = [];
      const successful = [];
      for (const entry of entries) {
        const failure = visibilityEntryFailure(entry);
        if (failure) {
          failed.push({ Id: entry.Id, ...failure });
          continue;
        }
        visibility.push({
          receiptHandle: entry.ReceiptHandle ?? '',
          seconds: entry.VisibilityTimeout ?? 0,
        });
        successful.push({ Id: entry.Id });
      }
      return { Successful: successful, Failed: failed };
    });
  const failures = new Map<string, number>();
  let batches = 0;
  mock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
    batches += 1;
    const entries = input.Entries ?? [];
    checkSendMessageBatch(entries);
    const failed = [];
    const successful = [];
    for (const entry of entries) {
      const refused = sendEntryFailure(entry);
      if (refused) {
        failed.push({ Id: entry.Id, ...refused });
        continue;
      }
      const body = entry.MessageBody ?? '';
      const seen = failures.get(body) ?? 0;
      if (seen < (options.failTimes?.(body, input.QueueUrl ?? '') ?? 0)) {
        failures.set(body, seen + 1);
        failed.push({
          Id: entry.Id,
          Code: 'InternalError',
          SenderFault: false,
          Message: 'try again',
        });
        continue;
      }
      const attributes = Object.fromEntries(
        Object.entries(entry.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          value.StringValue ?? '',
        ]),
      );
      const message = {
        body,
        attributes,
        queueUrl: input.QueueUrl ?? '',
        delaySeconds: entry.DelaySeconds,
      };
      sent.push(message);
      // A requeued copy is the one message the batcher sends with its first enqueue time.
      ('sagebatch.enqueuedAt' in attributes ? requeued : messages).push(message);
      successful.push({ Id: entry.Id, MessageId: `m-${sent.length}`, MD5OfMessageBody: '' });
    }
    return { Successful: successful, Failed: failed };
  });
  return { mock, messages, requeued, visibility, batches: () => batches };
}

/** Behaviour of {@link fakeBucket}. */
export interface FakeBucketOptions {
  /** Keys whose PutObject fails every time (after the SDK's retries). */
  readonly failPut?: (key: string) => boolean;
}

/** A mocked S3 client backed by a Map of `bucket/key` to the bytes put. */
export function fakeBucket(options: FakeBucketOptions = {}) {
  const mock = mockClient(S3Client);
  const objects = new Map<string, Uint8Array>();
  const puts: PutObjectCommandInput[] = [];
  mock.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    puts.push(input);
    if (options.failPut?.(input.Key ?? '')) {
      throw Object.assign(new Error('We encountered an internal error'), {
        name: 'InternalError',
        $metadata: { httpStatusCode: 500 },
      });
    }
    objects.set(`${input.Bucket}/${input.Key}`, new Uint8Array(input.Body as Uint8Array));
    return {};
  });
  mock.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    const body = objects.get(`${input.Bucket}/${input.Key}`);
    if (body === undefined) {
      throw Object.assign(new Error('The specified key does not exist.'), {
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      });
    }
    // Only what readers use of the SDK's streaming body.
    return {
      ContentLength: body.byteLength,
      Body: {
        transformToByteArray: async () => new Uint8Array(body),
        transformToWebStream: () => new ReadableStream(),
      },
    } as never;
  });
  return { mock, objects, puts };
}
