import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { defaultFinalizerMemoryMb } from '../lib/contract/functionMemory.js';
import { metricsNamespace } from '../lib/contract/metricNames.js';
import { finalizerSettings } from '../lib/contract/settings.js';
import { functionBundling } from './functionBundling.js';
import { acknowledgeTracingWildcard } from './tracingAcknowledgement.js';

const finalizerEntry = fileURLToPath(new URL('../functions/finalizer/handler.ts', import.meta.url));

/** The finalizer function's timeout: the intake alarm's threshold follows it. */
export const finalizerTimeout = Duration.seconds(30);

/** The intake queue's visibility timeout (6 x the finalizer's timeout): the intake alarm's threshold follows it. */
export const intakeVisibilityTimeout = Duration.seconds(180);

/** What the {@link UnprocessedFinalizer} reads from and writes to. */
export interface UnprocessedFinalizerProps {
  /** The queue the request queue's redrive moves messages to. */
  readonly intake: sqs.IQueue;
  readonly table: dynamodb.ITable;
  readonly dlq: sqs.IQueue;
  /** The pipeline's `service` dimension: its metrics count with the batcher's. */
  readonly serviceName: string;
  readonly resultTtl: Duration;
  readonly encryptionKey?: kms.IKey;
  readonly logRetention?: logs.RetentionDays;
  readonly tracing?: lambda.Tracing;
  /** Most concurrent instances the intake event source starts (2-1000). */
  readonly maxConcurrency: number;
  /** Reserved concurrency of the function. @default none */
  readonly reservedConcurrency?: number | undefined;
  /** Local mode only: endpoint variables for the SDK clients and the DLQ URL on the proxy (see `localAwsProxyUrl`); they win over the defaults. @default none */
  readonly localEnvironment?: Readonly<Record<string, string>>;
}

/**
 * The function on the intake queue: every message SQS's redrive moved off the request
 * queue (the batcher crashed, timed out or could not record it on every allowed delivery)
 * becomes a FAILED / UNPROCESSED row, never over a SUCCEEDED one, and a DLQ message with
 * the usual attributes. Its own role may only write rows, send to the DLQ and consume the
 * intake queue.
 */
export class UnprocessedFinalizer extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: UnprocessedFinalizerProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'sagebatch finalizer: record messages SQS moved without an outcome',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    role.addToPolicy(
      // Conditional row writes, the re-read before a DLQ publish, the publish's mark.
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.dlq.queueArn] }),
    );
    props.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    props.intake.grantConsumeMessages(role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: finalizerEntry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // Mostly cold starts, which are CPU: see defaultFinalizerMemoryMb.
      memorySize: defaultFinalizerMemoryMb,
      timeout: finalizerTimeout,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      role,
      logGroup,
      tracing: props.tracing ?? lambda.Tracing.DISABLED,
      description: 'sagebatch finalizer: FAILED / UNPROCESSED rows for messages SQS moved',
      environment: {
        [finalizerSettings.resultsTableName.env]: props.table.tableName,
        [finalizerSettings.dlqUrl.env]: props.dlq.queueUrl,
        [finalizerSettings.resultTtlSeconds.env]: String(props.resultTtl.toSeconds()),
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
        ...props.localEnvironment,
      },
      bundling: functionBundling,
    });
    acknowledgeTracingWildcard(role, props.tracing);
    const mapping = new lambda.EventSourceMapping(this, 'EventSource', {
      target: this.function,
      eventSourceArn: props.intake.queueArn,
      batchSize: 10,
      maxConcurrency: props.maxConcurrency,
      reportBatchItemFailures: true,
    });
    mapping.node.addDependency(role);
  }
}
