import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { createHandler } from '../../functions/batcher/handler.js';
import { type Clock, systemClock } from '../../lib/batcher/clock.js';
import { type BatcherConfig, loadConfig } from '../../lib/batcher/config.js';
import { type BatcherDependencies, createAdapters } from '../../lib/batcher/dependencies.js';
import type { DeliveredRecord } from '../../lib/batcher/records/readRecords.js';
import { type RetryPolicy, retryPolicyOf } from '../../lib/common/retryPolicy.js';

/** Region and credentials for SDK clients whose `send` is mocked: nothing leaves the process. */
export const offline = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
};

export const queueUrl = 'https://sqs.us-east-1.amazonaws.com/000000000000/requests';
export const dlqUrl = 'https://sqs.us-east-1.amazonaws.com/000000000000/requests-dlq';
export const tableName = 'results';

/** A retry policy with millisecond delays, for adapters under test. */
export const fastRetry: RetryPolicy = { retries: 5, baseMs: 1, maxMs: 2 };

/** A valid config for tests, with overrides. */
export function testConfig(overrides: Partial<Record<string, string>> = {}): BatcherConfig {
  return loadConfig({
    RESULTS_TABLE_NAME: tableName,
    DLQ_URL: dlqUrl,
    REQUEST_QUEUE_URL: queueUrl,
    ENDPOINT_NAME: 'test-endpoint',
    MODEL_BATCH_MAX_ITEMS: '32',
    RETRY_BASE_MS: '1',
    RETRY_MAX_MS: '5',
    TIME_RESERVE_MS: '1000',
    ...overrides,
  });
}

let sequence = 0;

/** An SQS record as Lambda delivers it. */
export function sqsRecord(
  body: unknown,
  options: { receiveCount?: number; messageId?: string } = {},
): SQSRecord {
  sequence += 1;
  return {
    messageId: options.messageId ?? `msg-${sequence}`,
    receiptHandle: `rh-${sequence}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(Date.now() - 1_000),
      SenderId: 'tester',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:requests',
    awsRegion: 'us-east-1',
  };
}

/** A record as the batcher reads it (see `deliveredRecord` in lib/batcher/records). */
export function deliveredRecord(
  options: { receiveCount?: number; messageId?: string; body?: string } = {},
): DeliveredRecord {
  const messageId = options.messageId ?? 'm-1';
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: options.body ?? '{}',
    receiveCount: options.receiveCount ?? 1,
    enqueuedAt: 1,
    fallbackId: messageId,
  };
}

/** An event holding `records`. */
export const sqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });

/** A Lambda context with `remainingMs` left. */
export function lambdaContext(remainingMs = 60_000): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'batcher',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:batcher',
    memoryLimitInMB: '1024',
    awsRequestId: `req-${sequence}`,
    logGroupName: '/aws/lambda/batcher',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => remainingMs - (Date.now() - started),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Real adapters over real SDK clients (tests mock their `send` with aws-sdk-client-mock). */
export function buildDependencies(
  config: BatcherConfig = testConfig(),
  options: { clock?: Clock; random?: () => number } = {},
): BatcherDependencies {
  const clock = options.clock ?? systemClock;
  // One retry policy for every adapter, as in production (RETRY_* of the test config).
  const retry = retryPolicyOf(config, {
    wait: clock.sleep,
    ...(options.random ? { random: options.random } : {}),
  });
  return {
    config,
    ...createAdapters(config, { clientConfig: offline, clock, retry }),
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'test' }),
    clock,
  };
}

/** The real handler over {@link buildDependencies}, built once. */
export function buildHandler(config: BatcherConfig = testConfig()) {
  const deps = buildDependencies(config);
  return createHandler(() => deps);
}
