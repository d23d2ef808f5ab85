import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeadLetterPublisher } from '../aws/deadLetterPublisher.js';
import { RequestQueue } from '../aws/requestQueue.js';
import { ResultBucket } from '../aws/resultBucket.js';
import { ResultStore } from '../aws/resultStore.js';
import { type RetryPolicy, retryPolicyOf } from '../common/retryPolicy.js';
import { type Clock, systemClock } from './clock.js';
import { getCodec } from './codecs/index.js';
import type { BatcherConfig } from './config.js';
import { ModelInvoker } from './invoke/modelInvoker.js';
import { createTelemetry } from './telemetry.js';

/** Everything the batcher handler uses, built once per execution environment. */
export interface BatcherDependencies {
  readonly config: BatcherConfig;
  readonly invoker: Pick<ModelInvoker, 'invoke'>;
  readonly store: Pick<ResultStore, 'findSucceeded' | 'write' | 'getRows' | 'markDeadLettered'>;
  readonly deadLetters: Pick<DeadLetterPublisher, 'publish'>;
  readonly requestQueue: Pick<RequestQueue, 'changeVisibility' | 'requeue'>;
  /** Where outputs too large for a row go; absent when `RESULTS_BUCKET_NAME` is not set. */
  readonly resultBucket?: Pick<ResultBucket, 'name' | 'put'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Time source (tests inject a virtual one); default the wall clock. */
  readonly clock?: Clock;
}

/**
 * The model invoker the config describes, calling the endpoint through `client`; tests may
 * inject the clock and the retry policy (its jitter's randomness).
 */
export function createModelInvoker(
  config: BatcherConfig,
  client: Pick<SageMakerRuntimeClient, 'send'>,
  clock: Clock = systemClock,
  retry: RetryPolicy = retryPolicyOf(config),
): ModelInvoker {
  return new ModelInvoker({
    clock,
    retry,
    client,
    endpointName: config.endpointName,
    inferenceComponentName: config.inferenceComponentName,
    codec: getCodec(config.codec),
    parallelism: config.modelParallelism,
    callTimeoutMs: config.modelCallTimeoutMs,
  });
}

/** What {@link createAdapters} may be given instead of its defaults (tests, benches). */
export interface AdapterOptions {
  /** Passed to every SDK client (region, credentials, endpoint). @default the Lambda environment's */
  readonly clientConfig?: {
    readonly region?: string;
    readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default retryPolicyOf(config) */
  readonly retry?: RetryPolicy;
}

/**
 * The AWS clients and the adapters over them that a validated config describes, sharing one
 * retry policy. SageMaker Runtime's own retries are off (`maxAttempts: 1`): the invoker
 * retries inside the invocation's time budget, which the SDK cannot see.
 */
export function createAdapters(
  config: BatcherConfig,
  options: AdapterOptions = {},
): Pick<
  BatcherDependencies,
  'invoker' | 'store' | 'deadLetters' | 'requestQueue' | 'resultBucket'
> {
  const clientConfig = options.clientConfig ?? {};
  const retry = options.retry ?? retryPolicyOf(config);
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const sqs = new SQSClient(clientConfig);
  const runtime = new SageMakerRuntimeClient({ ...clientConfig, maxAttempts: 1 });
  return {
    invoker: createModelInvoker(config, runtime, options.clock ?? systemClock, retry),
    store: new ResultStore({ client: dynamo, tableName: config.resultsTableName, retry }),
    deadLetters: new DeadLetterPublisher({ client: sqs, queueUrl: config.dlqUrl, retry }),
    requestQueue: new RequestQueue({ client: sqs, queueUrl: config.requestQueueUrl, retry }),
    ...(config.resultsBucketName === undefined
      ? {}
      : {
          resultBucket: new ResultBucket({
            client: new S3Client(clientConfig),
            bucketName: config.resultsBucketName,
          }),
        }),
  };
}

/** The batcher's dependencies in the Lambda environment: the adapters and Powertools telemetry. */
export function createDependencies(
  config: BatcherConfig,
  telemetry: Pick<BatcherDependencies, 'logger' | 'metrics'> = createTelemetry(),
): BatcherDependencies {
  return { config, ...createAdapters(config), ...telemetry };
}
