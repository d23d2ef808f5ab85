import { fileURLToPath } from 'node:url';
import { Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CodecName } from '../lib/codecs/index.js';
import { ModelEndpoint, type ModelEndpointProps } from './ModelEndpoint.js';
import { type PipelineAlarms, PipelineOperations } from './PipelineOperations.js';
import { defaultVisibilityTimeout, validatePipelineProps } from './validatePipelineProps.js';

/** Properties of a {@link BatchingPipeline}. Exactly one of `endpointName` and `model` is required. */
export interface BatchingPipelineProps {
  /**
   * An existing SageMaker endpoint to invoke. The function may invoke this endpoint only.
   * @default none: set this or `model`
   */
  readonly endpointName?: string;
  /**
   * A model to serve on a new real-time endpoint created with the pipeline.
   * @default none: set this or `endpointName`
   */
  readonly model?: ModelEndpointProps;
  /**
   * Most messages the event source hands the function at once (1-10000; 10 for FIFO).
   * @default 1000
   */
  readonly batchSize?: number;
  /**
   * How long the event source gathers messages before invoking (0-300 s; must be at least
   * 1 s when batchSize > 10). The upper bound of the latency batching adds.
   * @default Duration.seconds(5)
   */
  readonly batchingWindow?: Duration;
  /**
   * Most concurrent function instances the event source starts (2-1000).
   * @default 10
   */
  readonly maxConcurrency?: number;
  /** Most items in one InvokeEndpoint call. @default 64 */
  readonly modelBatchMaxItems?: number;
  /** Most bytes in one InvokeEndpoint request body (at most 6,291,456). @default 5 MiB */
  readonly modelBatchMaxBytes?: number;
  /** Model calls in flight at once per function instance. @default 4 */
  readonly modelParallelism?: number;
  /** Wire format of the model calls. @default 'json-instances' */
  readonly codec?: CodecName;
  /** Largest accepted request `input`, bytes of JSON text. @default 256 KiB */
  readonly maxInputBytes?: number;
  /** Deliveries before SQS moves a message to the DLQ; on the last one the function fails it itself. @default 5 */
  readonly maxReceiveCount?: number;
  /** How long result rows live (DynamoDB TTL). @default Duration.days(7) */
  readonly resultTtl?: Duration;
  /** Function memory, MB. @default 1024 */
  readonly memorySize?: number;
  /** Function timeout (10 s to 15 min). @default Duration.minutes(2) */
  readonly timeout?: Duration;
  /** Request queue visibility timeout. @default 6 x timeout + batchingWindow */
  readonly visibilityTimeout?: Duration;
  /** Use FIFO queues (batch size at most 10, no batching window: little batching). @default false */
  readonly fifo?: boolean;
  /** Where alarms notify. @default alarms without actions */
  readonly alarmTopic?: sns.ITopic;
  /** Age of the oldest request that raises an alarm. @default 2 x (batchingWindow + timeout) */
  readonly oldestRequestAgeAlarmThreshold?: Duration;
  /** Function log retention. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the results table when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * Local mode only: the SageMaker Runtime URL the function calls instead of AWS (the local
   * endpoint emulator). Sets `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`.
   * @default the real SageMaker Runtime
   */
  readonly localSageMakerRuntimeUrl?: string;
}

const handlerEntry = fileURLToPath(new URL('../functions/batcher/handler.ts', import.meta.url));

/**
 * An SQS-triggered batching pipeline in front of a SageMaker endpoint: request queue (with
 * DLQ), batcher function, results table, alarms and dashboard, all secure by default.
 *
 * @example
 * ```ts
 * const pipeline = new BatchingPipeline(this, 'Sentiment', {
 *   endpointName: 'sentiment-prod',
 *   batchSize: 2000,
 *   batchingWindow: Duration.seconds(10),
 *   codec: 'hf-inputs',
 * });
 * pipeline.queue.grantSendMessages(producerRole);
 * ```
 */
export class BatchingPipeline extends Construct {
  /** The request queue producers send to. */
  readonly queue: sqs.Queue;
  /** Receives every request that FAILED, with error attributes. */
  readonly dlq: sqs.Queue;
  /** One row per request id. */
  readonly table: dynamodb.Table;
  /** The batcher. */
  readonly function: NodejsFunction;
  /** Alarms on the DLQ, request age, function errors and throttles. */
  readonly alarms: PipelineAlarms;
  readonly dashboard: cloudwatch.Dashboard;
  /** The endpoint the function invokes. */
  readonly endpointName: string;
  /** The endpoint created with the pipeline, when `model` was given. */
  readonly modelEndpoint?: ModelEndpoint;

  constructor(scope: Construct, id: string, props: BatchingPipelineProps) {
    super(scope, id);
    const fifo = props.fifo ?? false;
    const batchSize = props.batchSize ?? (fifo ? 10 : 1_000);
    const batchingWindow =
      props.batchingWindow ?? (fifo ? Duration.seconds(0) : Duration.seconds(5));
    const timeout = props.timeout ?? Duration.minutes(2);
    const visibilityTimeout =
      props.visibilityTimeout ?? defaultVisibilityTimeout(timeout, batchingWindow);
    const settings = {
      batchSize,
      batchingWindow,
      maxConcurrency: props.maxConcurrency ?? 10,
      fifo,
      timeout,
      visibilityTimeout,
      memorySize: props.memorySize ?? 1_024,
      modelBatchMaxItems: props.modelBatchMaxItems ?? 64,
      modelBatchMaxBytes: props.modelBatchMaxBytes ?? 5 * 1024 * 1024,
      modelParallelism: props.modelParallelism ?? 4,
      maxInputBytes: props.maxInputBytes ?? 256 * 1024,
      maxReceiveCount: props.maxReceiveCount ?? 5,
      resultTtl: props.resultTtl ?? Duration.days(7),
    };
    const problems = validatePipelineProps(settings);
    if ((props.endpointName === undefined) === (props.model === undefined)) {
      problems.unshift(
        'set exactly one of endpointName (an existing endpoint) and model (create one)',
      );
    }
    const endpointName = props.endpointName ?? props.model?.endpointName ?? '';
    if (endpointName !== '' && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(endpointName)) {
      problems.push(
        `endpoint name must be 1-63 letters, digits and hyphens (got "${endpointName}")`,
      );
    }
    if (problems.length > 0) {
      throw new Error(`Invalid BatchingPipeline "${id}" props:\n  - ${problems.join('\n  - ')}`);
    }
    this.endpointName = endpointName;
    const stack = Stack.of(this);

    // Queues: encrypted, TLS only, failures redriven to the DLQ after maxReceiveCount.
    this.dlq = new sqs.Queue(this, 'Dlq', {
      fifo: fifo || undefined,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Requests', {
      fifo: fifo || undefined,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: settings.maxReceiveCount },
    });

    this.table = new dynamodb.Table(this, 'Results', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    if (props.model) {
      this.modelEndpoint = new ModelEndpoint(this, 'Endpoint', props.model);
    }
    const endpointArn = stack.formatArn({
      service: 'sagemaker',
      resource: 'endpoint',
      // Endpoint ARNs are lowercase whatever the name's case.
      resourceName: endpointName.toLowerCase(),
    });

    // The function's role: only what the handler calls, on these resources only.
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'sagebatch batcher: invoke one endpoint, write results, send failures to the DLQ',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:InvokeEndpoint'], resources: [endpointArn] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.dlq.queueArn] }),
    );
    // On its last delivery, a request held back by a misconfigured endpoint is sent back to
    // the request queue as a fresh message instead of draining into the DLQ.
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
        resources: [this.table.tableArn],
      }),
    );

    const serviceName = `sagebatch-${Names.uniqueResourceName(this, { maxLength: 40, separator: '-' })}`;
    this.function = new NodejsFunction(this, 'Batcher', {
      entry: handlerEntry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: settings.memorySize,
      timeout,
      role,
      logGroup,
      description: `sagebatch batcher for SageMaker endpoint ${endpointName}`,
      environment: {
        RESULTS_TABLE_NAME: this.table.tableName,
        DLQ_URL: this.dlq.queueUrl,
        REQUEST_QUEUE_URL: this.queue.queueUrl,
        ENDPOINT_NAME: endpointName,
        CODEC: props.codec ?? 'json-instances',
        MODEL_BATCH_MAX_ITEMS: String(settings.modelBatchMaxItems),
        MODEL_BATCH_MAX_BYTES: String(settings.modelBatchMaxBytes),
        MODEL_PARALLELISM: String(settings.modelParallelism),
        MAX_INPUT_BYTES: String(settings.maxInputBytes),
        MAX_RECEIVE_COUNT: String(settings.maxReceiveCount),
        RESULT_TTL_SECONDS: String(settings.resultTtl.toSeconds()),
        POWERTOOLS_SERVICE_NAME: serviceName,
        NODE_OPTIONS: '--enable-source-maps',
        ...(props.localSageMakerRuntimeUrl
          ? { AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: props.localSageMakerRuntimeUrl }
          : {}),
      },
      bundling: {
        // Bundled locally by the project's esbuild (no Docker); Node 20 syntax runs on every newer runtime.
        format: OutputFormat.ESM,
        target: 'node20',
        minify: true,
        sourceMap: true,
        // Bundle the SDK too: the versions the tests ran against, not the runtime's.
        externalModules: [],
        mainFields: ['module', 'main'],
        banner:
          "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });
    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize,
        maxBatchingWindow: batchingWindow.toSeconds() > 0 ? batchingWindow : undefined,
        maxConcurrency: settings.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    const operations = new PipelineOperations(this, 'Operations', {
      queue: this.queue,
      dlq: this.dlq,
      function: this.function,
      serviceName,
      oldestRequestAgeThreshold:
        props.oldestRequestAgeAlarmThreshold ??
        Duration.seconds(2 * (batchingWindow.toSeconds() + timeout.toSeconds())),
      alarmTopic: props.alarmTopic,
    });
    this.alarms = operations.alarms;
    this.dashboard = operations.dashboard;
  }
}
