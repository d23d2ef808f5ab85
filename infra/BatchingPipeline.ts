import { fileURLToPath } from 'node:url';
import { Duration, Names, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { defaultBatcherMemoryMb } from '../lib/contract/functionMemory.js';
import { jobIndex } from '../lib/contract/job.js';
import { metricsNamespace } from '../lib/contract/metricNames.js';
import {
  batcherSettings,
  finalizerSettings,
  type PropSettings,
  requestQueueRetentionSeconds,
  settingDefault,
} from '../lib/contract/settings.js';
import {
  checkMaxHoldForScaleToZero,
  checkOldestRequestAgeThreshold,
  defaultOldestRequestAgeThreshold,
  heldRequestAgeThreshold,
  scaleToZeroWakeSeconds,
  unfinalizedThreshold,
} from './alarmThresholds.js';
import { CompletionEvents } from './CompletionEvents.js';
import { EndpointAutoscaling } from './EndpointAutoscaling.js';
import { functionBundling } from './functionBundling.js';
import { ModelEndpoint, type ModelEndpointProps } from './ModelEndpoint.js';
import { type PipelineAlarms, PipelineOperations } from './PipelineOperations.js';
import { ResultsBucket } from './ResultsBucket.js';
import { ScaleToZeroAutoscaling } from './ScaleToZeroAutoscaling.js';
import { acknowledgeTracingWildcard } from './tracingAcknowledgement.js';
import {
  finalizerTimeout,
  intakeVisibilityTimeout,
  UnprocessedFinalizer,
} from './UnprocessedFinalizer.js';
import { validateEndpointScaling } from './validateEndpointScaling.js';
import {
  checkCallFitsTimeout,
  checkEndpointConcurrency,
  checkFunctionSettings,
  defaultVisibilityTimeout,
  throwIfInvalid,
  validatePipelineProps,
} from './validatePipelineProps.js';

/**
 * Properties of a {@link BatchingPipeline}. Exactly one of `endpointName` and `model` is
 * required. The batcher's own settings (`codec`, `modelBatchMaxItems`, `modelBatchMaxBytes`,
 * `modelParallelism`, `maxInputBytes`, `maxReceiveCount`, `modelCallTimeoutMs`) come from
 * lib/contract/settings.ts, which defines their ranges and defaults once for synth and cold start.
 */
export interface BatchingPipelineProps extends PropSettings {
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
   * Most messages the event source hands the function at once (1-10000).
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
  /**
   * Reserved concurrency of the batcher function: guarantees it `maxConcurrency` instances
   * and keeps it from taking the account's whole pool. At least `maxConcurrency`.
   * @default none (the account's unreserved pool)
   */
  readonly reservedConcurrency?: number;
  /**
   * Most concurrent finalizer instances its intake event source starts (2-1000). A burst of
   * messages SQS moved (a crashing batcher) then cannot take the account's concurrency.
   * @default 2
   */
  readonly finalizerMaxConcurrency?: number;
  /**
   * Reserved concurrency of the finalizer function; at least `finalizerMaxConcurrency`.
   * @default none (the account's unreserved pool)
   */
  readonly finalizerReservedConcurrency?: number;
  /**
   * Existing endpoint only: model calls it takes at once over all its instances, the bound
   * for `maxConcurrency x modelParallelism` checked at synth (see `endpointCapacity` in
   * lib/contract/settings.ts).
   * @default 40
   */
  readonly endpointMaxConcurrentCalls?: number;
  /**
   * Created endpoint only: model calls one instance takes at once; with the most instances
   * it runs (`scaling.maxInstances`, else `instanceCount`), the bound for
   * `maxConcurrency x modelParallelism` checked at synth.
   * @default 40
   */
  readonly endpointCallsPerInstance?: number;
  /** How long result rows live (DynamoDB TTL). @default Duration.days(7) */
  readonly resultTtl?: Duration;
  /**
   * The batcher's memory, MB. It mostly waits for the endpoint, and Lambda bills the wait
   * by memory: the default is the smallest size its measured memory use allows
   * (lib/contract/functionMemory.ts; `sagebatch tune` recommends one for your endpoint).
   * @default 256
   */
  readonly memorySize?: number;
  /** Function timeout (10 s to 15 min). @default Duration.minutes(2) */
  readonly timeout?: Duration;
  /** Request queue visibility timeout. @default 6 x timeout + batchingWindow */
  readonly visibilityTimeout?: Duration;
  /** Where alarms notify. @default alarms without actions */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Age of the oldest request (the request queue's ApproximateAgeOfOldestMessage) that
   * raises an alarm. Must stay below 2 x visibilityTimeout - 60 s: SQS stops counting a
   * message after its third receive, so a higher threshold never fires.
   * @default 2 x (batchingWindow + timeout) + the backoff after the first two deliveries (5 + 10 s): the age a healthy request reaches before its third receive
   */
  readonly oldestRequestAgeAlarmThreshold?: Duration;
  /** Model error rate (ModelAnswerErrors / ModelInvocations, percent over 5 minutes) that raises an alarm. @default 5 */
  readonly modelErrorRateAlarmPercent?: number;
  /** Created endpoint only: p90 of the endpoint's ModelLatency that raises an alarm. @default Duration.seconds(30) */
  readonly endpointLatencyAlarmThreshold?: Duration;
  /** Function log retention. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the results table and the results bucket when the stack is deleted:
   * both together, so no row outlives the object it points to.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * Pre-warmed throughput of the on-demand results table, for a known peak from the start.
   * @default none (on-demand starts from its usual initial capacity)
   */
  readonly tableWarmThroughput?: dynamodb.WarmThroughput;
  /**
   * Customer-managed KMS key for both queues, the results table and the results bucket.
   * The function, the event source and producers granted through `queue.grantSendMessages`
   * get the key permissions they need; readers of offloaded outputs need kms:Decrypt on it.
   * @default SQS-managed SSE for the queues, the AWS-managed key for the table, SSE-S3 for the bucket
   */
  readonly encryptionKey?: kms.IKey;
  /** Lambda active tracing (X-Ray). @default lambda.Tracing.DISABLED */
  readonly tracing?: lambda.Tracing;
  /**
   * Completion events: the results table's stream drives one SNS message per request that
   * reaches a final status (see {@link CompletionEvents}); `wait` uses them when present.
   * @default true
   */
  readonly completionEvents?: boolean;
  /** Tags for every resource of the pipeline, besides `sagebatch:pipeline`. @default none */
  readonly tags?: Record<string, string>;
  /**
   * Local mode only: the SageMaker Runtime URL the function calls instead of AWS (the local
   * endpoint emulator). Sets `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`, and leaves out the
   * model-error-rate alarm, whose metric math the emulators' CloudFormation rejects.
   * @default the real SageMaker Runtime
   */
  readonly localSageMakerRuntimeUrl?: string;
  /**
   * Local mode only (with `localSageMakerRuntimeUrl`): the URL both functions' DynamoDB and
   * SQS clients call instead of the emulator's edge, through the SDK's service-specific
   * variables `AWS_ENDPOINT_URL_DYNAMODB` and `AWS_ENDPOINT_URL_SQS` (the integration tests
   * put a fault proxy there). An `http(s)://host:port` origin.
   * @default the emulator's edge (the function's `AWS_ENDPOINT_URL`)
   */
  readonly localAwsProxyUrl?: string;
}

/**
 * The problem with a `localAwsProxyUrl`, if any: only in local mode, and an http(s) origin
 * (the SDK appends the service's path itself).
 */
export function localAwsProxyUrlProblem(
  url: string | undefined,
  localSageMakerRuntimeUrl: string | undefined,
): string | undefined {
  if (url === undefined) return undefined;
  if (localSageMakerRuntimeUrl === undefined)
    return 'localAwsProxyUrl is for local mode only (set with localSageMakerRuntimeUrl)';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `localAwsProxyUrl must be an http(s) URL (got ${JSON.stringify(url)})`;
  }
  if (!['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== url.replace(/\/$/, ''))
    return `localAwsProxyUrl must be an http(s) origin such as http://127.0.0.1:4600, with no path (got ${JSON.stringify(url)})`;
  return undefined;
}

/** The SDK's service-specific endpoint variables that route DynamoDB and SQS to `url`. */
export const localAwsProxyEnvironment = (url: string | undefined): Record<string, string> =>
  url === undefined ? {} : { AWS_ENDPOINT_URL_DYNAMODB: url, AWS_ENDPOINT_URL_SQS: url };

/**
 * The URL the functions are given for `queue`: its own, or with `localAwsProxyUrl` the same
 * path (`/<account>/<name>`) on the proxy's origin. The SQS client sends each call to its
 * QueueUrl's origin unless an `endpoint` is set in code (`useQueueUrlAsEndpoint`, default on),
 * so `AWS_ENDPOINT_URL_SQS` alone would not route a call that names a queue.
 */
export function functionQueueUrl(queue: sqs.IQueue, proxyUrl: string | undefined): string {
  if (proxyUrl === undefined) return queue.queueUrl;
  return `${proxyUrl.replace(/\/$/, '')}/${Stack.of(queue).account}/${queue.queueName}`;
}

const handlerEntry = fileURLToPath(new URL('../functions/batcher/handler.ts', import.meta.url));

/** The tag every resource of a pipeline carries, for cost allocation. */
export const pipelineTagKey = 'sagebatch:pipeline';

/**
 * An SQS-triggered batching pipeline in front of a SageMaker endpoint: request queue (with
 * DLQ), batcher function, results table (and a bucket for outputs too large for a row),
 * alarms and dashboard, all secure by default.
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
  /** Where SQS's redrive moves requests the batcher could not record; the finalizer empties it. */
  readonly intakeQueue: sqs.Queue;
  /** Turns every message SQS moved by itself into a FAILED / UNPROCESSED row and a DLQ message. */
  readonly finalizer: NodejsFunction;
  /** The completion topic and its publisher (absent with `completionEvents: false`). */
  readonly completionEvents?: CompletionEvents;
  /** One row per request id. */
  readonly table: dynamodb.Table;
  /**
   * Outputs too large for their row, at `results/<request id>/<invocation id>` (the row holds the pointer).
   * Readers need s3:GetObject on its objects (and kms:Decrypt with a customer-managed key).
   */
  readonly resultsBucket: s3.Bucket;
  /** The batcher. */
  readonly function: NodejsFunction;
  /** The event source mapping from the request queue to the batcher, to tune further. */
  readonly eventSourceMapping: lambda.EventSourceMapping;
  /** The alarms, by what they watch. */
  readonly alarms: PipelineAlarms;
  readonly dashboard: cloudwatch.Dashboard;
  /** The endpoint the function invokes (a token of the endpoint resource in created mode). */
  readonly endpointName: string;
  /** The endpoint created with the pipeline, when `model` was given. */
  readonly modelEndpoint?: ModelEndpoint;
  /** Backlog-driven scaling of the created endpoint, when `model.scaling` was given. */
  readonly endpointAutoscaling?: EndpointAutoscaling;
  /** Scaling of the created endpoint's model copies down to zero, when `model.scaling.minInstances` is 0. */
  readonly scaleToZero?: ScaleToZeroAutoscaling;
  /** The `service` dimension of this pipeline's metrics, unique in the app, and its tag value. */
  readonly serviceName: string;

  constructor(scope: Construct, id: string, props: BatchingPipelineProps) {
    super(scope, id);
    const batchSize = props.batchSize ?? 1_000;
    const batchingWindow = props.batchingWindow ?? Duration.seconds(5);
    const timeout = props.timeout ?? Duration.minutes(2);
    const visibilityTimeout =
      props.visibilityTimeout ?? defaultVisibilityTimeout(timeout, batchingWindow);
    const resultTtl = props.resultTtl ?? Duration.days(7);
    const maxConcurrency = props.maxConcurrency ?? 10;
    const finalizerMaxConcurrency = props.finalizerMaxConcurrency ?? 2;
    const memorySize = props.memorySize ?? defaultBatcherMemoryMb;

    // Validate everything first, every problem at once.
    const problems: string[] = [];
    if ((props.endpointName === undefined) === (props.model === undefined)) {
      problems.push(
        'set exactly one of endpointName (an existing endpoint) and model (create one)',
      );
    }
    if ('fifo' in props) {
      problems.push(
        'fifo is not supported: a FIFO event source hands at most 10 messages and has no batching window, so there is nothing to batch',
      );
    }
    problems.push(
      ...validatePipelineProps({
        batchSize,
        batchingWindow,
        maxConcurrency,
        timeout,
        visibilityTimeout,
        memorySize,
        resultTtl,
        reservedConcurrency: props.reservedConcurrency,
        finalizerMaxConcurrency,
        finalizerReservedConcurrency: props.finalizerReservedConcurrency,
      }),
    );
    const oldestRequestAgeThreshold =
      props.oldestRequestAgeAlarmThreshold ??
      defaultOldestRequestAgeThreshold(batchingWindow, timeout);
    problems.push(
      ...checkOldestRequestAgeThreshold(oldestRequestAgeThreshold, {
        batchingWindow,
        timeout,
        visibilityTimeout,
      }),
    );
    const literalEndpointName = props.endpointName ?? props.model?.endpointName;
    const settings = checkFunctionSettings(props, literalEndpointName, resultTtl);
    problems.push(...settings.problems);
    const scaling = props.model?.scaling;
    problems.push(...validateEndpointScaling(props.model, batchSize));
    const scalesToZero = scaling?.minInstances === 0;
    if (scalesToZero) {
      problems.push(
        ...checkMaxHoldForScaleToZero(
          settings.values.maxHoldSeconds ?? settingDefault('maxHoldSeconds'),
        ),
      );
    }
    if (props.model && props.inferenceComponentName !== undefined) {
      problems.push(
        'inferenceComponentName is for an existing endpoint: a created endpoint that scales to zero names its own component',
      );
    }
    problems.push(
      ...checkCallFitsTimeout(
        timeout,
        settings.values.modelCallTimeoutMs ?? settingDefault('modelCallTimeoutMs'),
        batchSize,
      ),
    );
    if (props.model && props.endpointMaxConcurrentCalls !== undefined) {
      problems.push(
        'endpointMaxConcurrentCalls applies to an existing endpoint; for a created one set endpointCallsPerInstance',
      );
    }
    problems.push(
      ...checkEndpointConcurrency(
        maxConcurrency,
        settings.values.modelParallelism ?? settingDefault('modelParallelism'),
        props.model
          ? {
              mode: 'created',
              instances: scaling?.maxInstances ?? props.model.instanceCount ?? 1,
              callsPerInstance: props.endpointCallsPerInstance,
            }
          : { mode: 'existing', maxConcurrentCalls: props.endpointMaxConcurrentCalls },
      ),
    );
    const proxyProblem = localAwsProxyUrlProblem(
      props.localAwsProxyUrl,
      props.localSageMakerRuntimeUrl,
    );
    if (proxyProblem) problems.push(proxyProblem);
    throwIfInvalid(this, problems);
    const values = settings.values;
    const maxReceiveCount = values.maxReceiveCount!;
    const stack = Stack.of(this);
    this.serviceName = `sagebatch-${Names.uniqueResourceName(this, { maxLength: 40, separator: '-' })}`;

    // Queues: encrypted, TLS only, failures redriven to the DLQ after maxReceiveCount.
    const queueEncryption = props.encryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };
    this.dlq = new sqs.Queue(this, 'Dlq', {
      ...queueEncryption,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // What SQS moves off the request queue by itself (the batcher crashed, timed out or
    // could not record it on every delivery) lands here first: the finalizer writes its
    // FAILED / UNPROCESSED row and forwards it to the DLQ with the usual attributes. Should
    // the finalizer fail too, its own redrive still ends in the DLQ.
    this.intakeQueue = new sqs.Queue(this, 'Unprocessed', {
      ...queueEncryption,
      enforceSSL: true,
      visibilityTimeout: intakeVisibilityTimeout,
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: 5 },
    });
    this.queue = new sqs.Queue(this, 'Requests', {
      ...queueEncryption,
      enforceSSL: true,
      visibilityTimeout,
      // MAX_HOLD_SECONDS is checked against this same value (lib/contract/settings.ts).
      retentionPeriod: Duration.seconds(requestQueueRetentionSeconds),
      deadLetterQueue: { queue: this.intakeQueue, maxReceiveCount },
    });

    this.table = new dynamodb.Table(this, 'Results', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(props.encryptionKey
        ? {
            encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryptionKey: props.encryptionKey,
          }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
      warmThroughput: props.tableWarmThroughput,
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
      // Completion events read both images: only a write INTO a final state publishes.
      ...(props.completionEvents === false
        ? {}
        : { stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES }),
    });
    // Jobs (`sagebatch job ...`): a sparse index of the rows that carry a job, in input order,
    // with what `job status` counts; outputs are read from the table by id.
    this.table.addGlobalSecondaryIndex({
      indexName: jobIndex.name,
      partitionKey: { name: jobIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: jobIndex.sortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...jobIndex.projected],
    });
    const results = new ResultsBucket(this, 'ResultsBucket', {
      resultTtl,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.resultsBucket = results.bucket;

    // In created mode the function names the endpoint by the resource's own attributes, so
    // CloudFormation creates (or replaces) the endpoint before it updates the function.
    let endpointName: string;
    let endpointArn: string;
    let componentArn: string | undefined;
    if (props.model) {
      this.modelEndpoint = new ModelEndpoint(this, 'Endpoint', props.model);
      endpointName = this.modelEndpoint.endpoint.attrEndpointName;
      endpointArn = this.modelEndpoint.endpoint.ref;
      componentArn = this.modelEndpoint.inferenceComponent?.attrInferenceComponentArn;
    } else {
      endpointName = props.endpointName!;
      endpointArn = stack.formatArn({
        service: 'sagemaker',
        resource: 'endpoint',
        // Endpoint ARNs are lowercase whatever the name's case.
        resourceName: endpointName.toLowerCase(),
      });
    }
    this.endpointName = endpointName;

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
      new iam.PolicyStatement({
        actions: ['sagemaker:InvokeEndpoint'],
        // Scale to zero: the call names the endpoint and its inference component.
        resources: componentArn ? [endpointArn, componentArn] : [endpointArn],
      }),
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
        actions: [
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ],
        resources: [this.table.tableArn],
      }),
    );
    results.grantWriteResults(role);
    // Sending to the DLQ, writing rows and offloaded outputs encrypt with the key (S3's
    // PutObject under SSE-KMS asks for kms:GenerateDataKey); reading rows decrypts.
    props.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');

    // Every batcher setting from the one table, resolved; the resources' names are tokens.
    const environment: Record<string, string> = {};
    for (const [key, setting] of Object.entries(batcherSettings)) {
      const value = values[key as keyof typeof values];
      if (value !== undefined) environment[setting.env] = String(value);
    }
    Object.assign(environment, {
      [batcherSettings.resultsTableName.env]: this.table.tableName,
      [batcherSettings.resultsBucketName.env]: this.resultsBucket.bucketName,
      [batcherSettings.dlqUrl.env]: functionQueueUrl(this.dlq, props.localAwsProxyUrl),
      [batcherSettings.requestQueueUrl.env]: functionQueueUrl(this.queue, props.localAwsProxyUrl),
      [batcherSettings.endpointName.env]: endpointName,
      ...(this.modelEndpoint?.inferenceComponentName
        ? {
            [batcherSettings.inferenceComponentName.env]: this.modelEndpoint.inferenceComponentName,
          }
        : {}),
      POWERTOOLS_SERVICE_NAME: this.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
      ...(props.localSageMakerRuntimeUrl
        ? { AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: props.localSageMakerRuntimeUrl }
        : {}),
      ...localAwsProxyEnvironment(props.localAwsProxyUrl),
    });

    this.function = new NodejsFunction(this, 'Batcher', {
      entry: handlerEntry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      timeout,
      role,
      logGroup,
      tracing: props.tracing ?? lambda.Tracing.DISABLED,
      description: `sagebatch batcher for SageMaker endpoint ${literalEndpointName}`,
      environment,
      bundling: functionBundling,
    });
    acknowledgeTracingWildcard(role, props.tracing);
    this.queue.grantConsumeMessages(role);
    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'EventSource', {
      target: this.function,
      eventSourceArn: this.queue.queueArn,
      batchSize,
      maxBatchingWindow: batchingWindow.toSeconds() > 0 ? batchingWindow : undefined,
      maxConcurrency,
      reportBatchItemFailures: true,
    });
    // The mapping starts polling on creation: let it find its permissions in place.
    this.eventSourceMapping.node.addDependency(role);

    this.finalizer = new UnprocessedFinalizer(this, 'Finalizer', {
      intake: this.intakeQueue,
      table: this.table,
      dlq: this.dlq,
      serviceName: this.serviceName,
      resultTtl,
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention,
      tracing: props.tracing,
      maxConcurrency: finalizerMaxConcurrency,
      reservedConcurrency: props.finalizerReservedConcurrency,
      localEnvironment: props.localAwsProxyUrl
        ? {
            ...localAwsProxyEnvironment(props.localAwsProxyUrl),
            [finalizerSettings.dlqUrl.env]: functionQueueUrl(this.dlq, props.localAwsProxyUrl),
          }
        : undefined,
    }).function;

    if (props.completionEvents !== false) {
      this.completionEvents = new CompletionEvents(this, 'CompletionEvents', {
        table: this.table,
        serviceName: this.serviceName,
        encryptionKey: props.encryptionKey,
        logRetention: props.logRetention,
        tracing: props.tracing,
      });
    }

    if (scaling && this.modelEndpoint?.inferenceComponent) {
      this.scaleToZero = new ScaleToZeroAutoscaling(this, 'ScaleToZero', {
        endpoint: this.modelEndpoint,
        queue: this.queue,
        scaling,
        backlogPerInstance: scaling.backlogPerInstance ?? batchSize,
      });
    } else if (scaling && this.modelEndpoint) {
      this.endpointAutoscaling = new EndpointAutoscaling(this, 'Autoscaling', {
        endpoint: this.modelEndpoint,
        queue: this.queue,
        scaling,
        backlogPerInstance: scaling.backlogPerInstance ?? batchSize,
      });
    }

    const operations = new PipelineOperations(this, 'Operations', {
      queue: this.queue,
      dlq: this.dlq,
      intakeQueue: this.intakeQueue,
      function: this.function,
      finalizer: this.finalizer,
      serviceName: this.serviceName,
      oldestRequestAgeThreshold,
      unfinalizedThreshold: unfinalizedThreshold({
        visibilityTimeout: intakeVisibilityTimeout,
        timeout: finalizerTimeout,
      }),
      heldRequestAgeThreshold: heldRequestAgeThreshold(
        batchingWindow,
        timeout,
        maxReceiveCount,
        values.maxHoldSeconds!,
        // No-capacity holds count in HeldRequestAge: an ordinary wake-up must not page.
        scalesToZero ? scaleToZeroWakeSeconds : 0,
      ),
      // Local mode: the emulators' CloudFormation rejects metric-math alarms.
      modelErrorRatePercent: props.localSageMakerRuntimeUrl
        ? undefined
        : (props.modelErrorRateAlarmPercent ?? 5),
      endpoint: this.modelEndpoint
        ? {
            endpointName,
            variantName: this.modelEndpoint.variantName,
            latencyThreshold: props.endpointLatencyAlarmThreshold ?? Duration.seconds(30),
          }
        : undefined,
      alarmTopic: props.alarmTopic,
    });
    this.alarms = operations.alarms;
    this.dashboard = operations.dashboard;

    Tags.of(this).add(pipelineTagKey, this.serviceName);
    for (const [key, value] of Object.entries(props.tags ?? {})) Tags.of(this).add(key, value);
  }
}
