import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { Context, SQSEvent } from 'aws-lambda';
import pLimit from 'p-limit';
import { createHandler } from '../functions/batcher/handler.js';
import { DeadLetterPublisher } from '../lib/aws/deadLetterPublisher.js';
import { RequestQueue } from '../lib/aws/requestQueue.js';
import { ResultStore } from '../lib/aws/resultStore.js';
import { loadConfig } from '../lib/batcher/config.js';
import { createModelInvoker } from '../lib/batcher/dependencies.js';
import { readResultRow } from '../lib/contract/compactRow.js';
import { gbSeconds } from '../lib/contract/functionMemory.js';
import { decodeOutput } from '../lib/contract/resultEncoding.js';
import type { EndpointEmulator } from '../lib/dev/endpointEmulator/EndpointEmulator.js';
import { type AwsUsage, fakeAws } from './fakeAws.js';

/** One way of running the pipeline over the same inputs. */
export interface PipelineRunOptions {
  readonly name: string;
  readonly texts: readonly string[];
  /** Records per Lambda invocation, as the event source mapping would deliver them. */
  readonly eventSize: number;
  /** MODEL_BATCH_MAX_ITEMS of the function. */
  readonly modelBatchItems: number;
  /** Lambda invocations running at once. */
  readonly concurrency: number;
  /** The function's memory, MB (its configuration: what Lambda bills GB-s by). */
  readonly memoryMb: number;
  readonly endpoint: EndpointEmulator;
  /** More settings of the function, by environment variable (e.g. MODEL_BATCH_PACKING). */
  readonly environment?: Readonly<Record<string, string>>;
  /** MODEL_PARALLELISM of the function. @default 2 */
  readonly modelParallelism?: number;
}

/** What a run cost and produced. */
export interface PipelineRunResult {
  readonly name: string;
  readonly requests: number;
  readonly eventSize: number;
  readonly modelBatchItems: number;
  readonly wallSeconds: number;
  readonly itemsPerSecond: number;
  readonly lambdaInvocations: number;
  /** Summed duration of every invocation, s, here (the handler's CPU at this machine's one core). */
  readonly handlerSeconds: number;
  /**
   * CPU the process spent while the handlers ran, s: the handlers' own, plus the in-process
   * endpoint emulator's and the fakes' (an upper bound of the handlers', so the model below
   * errs towards more stretched CPU time at small memory sizes).
   */
  readonly handlerCpuSeconds: number;
  /** The function's memory, MB. */
  readonly memoryMb: number;
  /** GB-s Lambda bills at `memoryMb`, by the model of lib/contract/functionMemory.ts. */
  readonly lambdaGbSeconds: number;
  readonly modelCalls: number;
  readonly endpointBusySeconds: number;
  /** SQS requests: producer sends (10 a call) + event source receives (10 a call) + deletes (one DeleteMessageBatch per 10 records of each invocation). */
  readonly sqsRequests: number;
  readonly aws: AwsUsage;
  readonly failedRecords: number;
  /** Longest model call any request was served by (its row's modelLatencyMs), ms. */
  readonly maxModelLatencyMs: number;
  /** Output of each request, by index into `texts`. */
  readonly outputs: unknown[];
  /** Each request's row as written (output as the model's JSON text), by index into `texts`. */
  readonly rows: Record<string, unknown>[];
}

/**
 * GB-s of a run's invocations at `memoryMb`: measured here at one full core, each
 * invocation's wall time is its CPU plus its wait, and Lambda stretches the CPU part below
 * 1,769 MB (lib/contract/functionMemory.ts). The sum over invocations is linear, so the
 * run's totals suffice.
 */
export function runGbSeconds(
  run: Pick<PipelineRunResult, 'handlerSeconds' | 'handlerCpuSeconds'>,
  memoryMb: number,
): number {
  const cpuMs = run.handlerCpuSeconds * 1_000;
  return gbSeconds({ cpuMs, waitMs: run.handlerSeconds * 1_000 - cpuMs }, memoryMb);
}

const context = (remainingMs: number) =>
  ({
    getRemainingTimeInMillis: () => remainingMs,
    functionName: 'bench',
    // Shaped like Lambda's request ids, so rows weigh what they weigh on AWS.
    awsRequestId: randomUUID(),
  }) as Context;

/** Drives the real batcher handler with SQS events, the model behind `endpoint`. */
export async function runPipeline(options: PipelineRunOptions): Promise<PipelineRunResult> {
  const { texts, eventSize, endpoint } = options;
  const aws = fakeAws();
  const config = loadConfig({
    RESULTS_TABLE_NAME: 'results',
    DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/dlq',
    REQUEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/requests',
    ENDPOINT_NAME: 'bench',
    CODEC: 'hf-inputs',
    MODEL_BATCH_MAX_ITEMS: String(options.modelBatchItems),
    MODEL_PARALLELISM: String(options.modelParallelism ?? 2),
    // Rows keep the model's JSON text: the encodings table re-encodes them under every encoding.
    RESULT_ENCODING: 'json',
    ...options.environment,
  });
  const handler = createHandler(() => ({
    config,
    invoker: createModelInvoker(
      config,
      new SageMakerRuntimeClient({
        endpoint: endpoint.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
        maxAttempts: 1,
      }),
    ),
    store: new ResultStore({ client: aws.dynamo, tableName: config.resultsTableName }),
    deadLetters: new DeadLetterPublisher({ client: aws.sqs, queueUrl: config.dlqUrl }),
    requestQueue: new RequestQueue({ client: aws.sqs, queueUrl: config.requestQueueUrl }),
    logger: new Logger({ serviceName: 'bench', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Bench', serviceName: 'bench' }),
  }));

  const now = String(Date.now());
  // Ids shaped like SQS message ids (the default request id): a row's size depends on them.
  const ids = texts.map(() => randomUUID());
  const events: SQSEvent[] = [];
  for (let start = 0; start < texts.length; start += eventSize) {
    events.push({
      Records: texts.slice(start, start + eventSize).map((text, i) => ({
        messageId: ids[start + i]!,
        receiptHandle: 'rh',
        body: JSON.stringify({ input: text }),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: 'bench',
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:requests',
        awsRegion: 'us-east-1',
      })),
    });
  }

  endpoint.reset();
  const limit = pLimit(options.concurrency);
  let handlerMs = 0;
  let failedRecords = 0;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  await Promise.all(
    events.map((event) =>
      limit(async () => {
        const t = performance.now();
        const response = await handler(event, context(900_000));
        handlerMs += performance.now() - t;
        failedRecords += response.batchItemFailures.length;
      }),
    ),
  );
  const wallSeconds = (performance.now() - started) / 1_000;
  const cpuUsed = process.cpuUsage(cpuStart);
  const handlerCpuSeconds = Math.min(handlerMs / 1_000, (cpuUsed.user + cpuUsed.system) / 1e6);
  const stats = endpoint.stats();
  const batches = Math.ceil(texts.length / 10);
  const deletes = events.reduce((n, e) => n + Math.ceil(e.Records.length / 10), 0);
  return {
    name: options.name,
    requests: texts.length,
    eventSize,
    modelBatchItems: options.modelBatchItems,
    wallSeconds,
    itemsPerSecond: texts.length / wallSeconds,
    lambdaInvocations: events.length,
    handlerSeconds: handlerMs / 1_000,
    handlerCpuSeconds,
    memoryMb: options.memoryMb,
    lambdaGbSeconds: runGbSeconds(
      { handlerSeconds: handlerMs / 1_000, handlerCpuSeconds },
      options.memoryMb,
    ),
    modelCalls: stats.calls,
    endpointBusySeconds: stats.busyMs / 1_000,
    sqsRequests: batches + batches + deletes,
    aws: aws.usage,
    failedRecords,
    maxModelLatencyMs: Math.max(
      0,
      ...[...aws.rows.values()].map((row) => Number(readResultRow(row).modelLatencyMs) || 0),
    ),
    outputs: ids.map((id) => {
      const row = aws.rows.get(id);
      return row === undefined || readResultRow(row).output === undefined
        ? undefined
        : decodeOutput(readResultRow(row));
    }),
    // In the documented form, whichever form each row was stored in.
    rows: ids.map((id) => {
      const row = aws.rows.get(id);
      return row === undefined
        ? { id }
        : (readResultRow(row) as unknown as Record<string, unknown>);
    }),
  };
}
