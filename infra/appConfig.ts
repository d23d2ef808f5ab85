import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Tracing } from 'aws-cdk-lib/aws-lambda';
import type { BatchingPipelineProps } from './BatchingPipeline.js';
import type { AlarmDestination } from './SagebatchStack.js';

/** Reads a CDK context value (from cdk.json or `-c key=value`). */
export type ContextReader = (key: string) => unknown;

const number = (read: ContextReader, key: string): number | undefined => {
  const value = read(key);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed))
    throw new Error(`context ${key} must be a number (got ${JSON.stringify(value)})`);
  return parsed;
};
const text = (read: ContextReader, key: string): string | undefined => {
  const value = read(key);
  return value === undefined || value === '' ? undefined : String(value);
};

/** The app's settings, from CDK context keys `sagebatch:*` (see the README). */
export interface AppConfig {
  readonly stackName: string;
  readonly local: boolean;
  readonly pipeline: BatchingPipelineProps;
  readonly alarms: AlarmDestination;
  /** ARN of a customer-managed KMS key for the queues, the table and the results bucket. */
  readonly encryptionKeyArn?: string;
}

/**
 * Turns CDK context into stack settings. With `sagebatch:local=true` the function calls the
 * local endpoint emulator (`sagebatch:localSageMakerRuntimeUrl`), optionally sends its DynamoDB
 * and SQS calls through `sagebatch:localAwsProxyUrl` (refused outside local mode), and the
 * table is destroyed with the stack.
 */
export function readAppConfig(read: ContextReader): AppConfig {
  const local = String(read('sagebatch:local') ?? 'false') === 'true';
  const localAwsProxyUrl = text(read, 'sagebatch:localAwsProxyUrl');
  if (localAwsProxyUrl !== undefined && !local)
    throw new Error(
      'context sagebatch:localAwsProxyUrl is for local mode only (with sagebatch:local=true): on AWS the functions must call DynamoDB and SQS themselves',
    );
  const imageUri = text(read, 'sagebatch:imageUri');
  const minInstances = number(read, 'sagebatch:minInstances');
  const maxInstances = number(read, 'sagebatch:maxInstances');
  const seconds = (key: string) => {
    const value = number(read, key);
    return value === undefined ? undefined : Duration.seconds(value);
  };
  const pipeline: BatchingPipelineProps = {
    endpointName: imageUri ? undefined : text(read, 'sagebatch:endpointName'),
    model: imageUri
      ? {
          endpointName: text(read, 'sagebatch:endpointName') ?? 'sagebatch-endpoint',
          imageUri,
          modelDataUrl: text(read, 'sagebatch:modelDataUrl') ?? '',
          instanceType: text(read, 'sagebatch:instanceType'),
          instanceCount: number(read, 'sagebatch:instanceCount'),
          scaling:
            maxInstances === undefined
              ? undefined
              : {
                  minInstances: minInstances ?? 1,
                  maxInstances,
                  backlogPerInstance: number(read, 'sagebatch:backlogPerInstance'),
                },
        }
      : undefined,
    batchSize: number(read, 'sagebatch:batchSize'),
    batchingWindow: seconds('sagebatch:batchingWindowSeconds'),
    maxConcurrency: number(read, 'sagebatch:maxConcurrency'),
    reservedConcurrency: number(read, 'sagebatch:reservedConcurrency'),
    finalizerMaxConcurrency: number(read, 'sagebatch:finalizerMaxConcurrency'),
    finalizerReservedConcurrency: number(read, 'sagebatch:finalizerReservedConcurrency'),
    modelBatchMaxItems: number(read, 'sagebatch:modelBatchMaxItems'),
    modelBatchMaxBytes: number(read, 'sagebatch:modelBatchMaxBytes'),
    modelParallelism: number(read, 'sagebatch:modelParallelism'),
    modelCallTimeoutMs: number(read, 'sagebatch:modelCallTimeoutMs'),
    endpointMaxConcurrentCalls: number(read, 'sagebatch:endpointMaxConcurrentCalls'),
    endpointCallsPerInstance: number(read, 'sagebatch:endpointCallsPerInstance'),
    modelBatchMaxTokens: number(read, 'sagebatch:modelBatchMaxTokens'),
    modelBatchPacking: text(
      read,
      'sagebatch:modelBatchPacking',
    ) as BatchingPipelineProps['modelBatchPacking'],
    // Checked by the construct with the function's own schema: a typo fails the synth.
    codec: text(read, 'sagebatch:codec') as BatchingPipelineProps['codec'],
    maxReceiveCount: number(read, 'sagebatch:maxReceiveCount'),
    maxHoldSeconds: number(read, 'sagebatch:maxHoldSeconds'),
    resultEncoding: text(
      read,
      'sagebatch:resultEncoding',
    ) as BatchingPipelineProps['resultEncoding'],
    resultOffloadBytes: number(read, 'sagebatch:resultOffloadBytes'),
    timeout: seconds('sagebatch:timeoutSeconds'),
    memorySize: number(read, 'sagebatch:memorySize'),
    tracing: String(read('sagebatch:tracing') ?? 'false') === 'true' ? Tracing.ACTIVE : undefined,
    localSageMakerRuntimeUrl: local
      ? (text(read, 'sagebatch:localSageMakerRuntimeUrl') ?? 'http://127.0.0.1:8080')
      : undefined,
    // Checked by the construct (an http(s) origin); a fault proxy in the integration tests.
    localAwsProxyUrl,
    tableRemovalPolicy: local ? RemovalPolicy.DESTROY : undefined,
  };
  return {
    stackName: text(read, 'sagebatch:stackName') ?? 'Sagebatch',
    local,
    pipeline,
    alarms: {
      email: text(read, 'sagebatch:alarmEmail'),
      topicArn: text(read, 'sagebatch:alarmTopicArn'),
    },
    encryptionKeyArn: text(read, 'sagebatch:encryptionKeyArn'),
  };
}
