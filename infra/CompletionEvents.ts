import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { streamFilterPatterns } from '../lib/contract/completionEvent.js';
import { metricsNamespace } from '../lib/contract/metricNames.js';
import { eventPublisherSettings } from '../lib/contract/settings.js';
import { functionBundling } from './functionBundling.js';
import { acknowledgeTracingWildcard } from './tracingAcknowledgement.js';

const publisherEntry = fileURLToPath(
  new URL('../functions/eventPublisher/handler.ts', import.meta.url),
);

/**
 * Tries of a failing stream batch before its position goes to the failures queue: with
 * bisection, enough to isolate one record whose events SNS keeps refusing in a batch of 100.
 */
export const eventPublishRetryAttempts = 10;

/** What {@link CompletionEvents} reads from. */
export interface CompletionEventsProps {
  /** The results table; its stream must carry new and old images. */
  readonly table: dynamodb.ITable;
  /** The pipeline's `service` dimension. */
  readonly serviceName: string;
  /** Customer-managed key of the pipeline: the topic uses it too. @default a key of the topic's own, rotated yearly */
  readonly encryptionKey?: kms.IKey;
  readonly logRetention?: logs.RetentionDays;
  readonly tracing?: lambda.Tracing;
}

/**
 * Completion events, off the batcher's hot path: the results table's stream (new and old
 * images) drives a small function that publishes one `request.completed` message per row
 * write that moves a request into a final state, to an SNS topic encrypted with KMS whose
 * policy refuses anything but TLS. The event source lets only records with a final new
 * image through (filter criteria), retries a failing batch with bisection, and sends the
 * position of a batch it gives up on to an encrypted failures queue (the records
 * themselves stay readable in the stream for 24 hours, and the rows in the table).
 *
 * Why a function and not EventBridge Pipes -> SNS: a pipe cannot set SNS message
 * attributes (PipeTargetParameters has no SNS member:
 * https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeTargetParameters.html),
 * so subscribers could not filter on attributes; see README "Completion events".
 */
export class CompletionEvents extends Construct {
  readonly topic: sns.Topic;
  readonly function: NodejsFunction;
  /** Where the event source sends the stream positions of batches it gave up on. */
  readonly failures: sqs.Queue;

  constructor(scope: Construct, id: string, props: CompletionEventsProps) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error('CompletionEvents: the results table has no stream');
    const topicKey =
      props.encryptionKey ??
      new kms.Key(this, 'TopicKey', {
        enableKeyRotation: true,
        description: 'Encrypts the sagebatch completion topic',
        removalPolicy: RemovalPolicy.DESTROY,
      });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'sagebatch completion events',
      masterKey: topicKey,
      enforceSSL: true,
    });
    // SQS-managed encryption even with a customer-managed key: its messages hold stream
    // positions and error names only (no request data), and the event source's grant on a
    // KMS queue would add wildcard KMS actions (kms:ReEncrypt*) to the role.
    this.failures = new sqs.Queue(this, 'Failures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter destination: the on-failure destination of the completion events stream mapping.',
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'sagebatch completion events: read the results stream, publish to one topic',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    // What Lambda's stream poller calls with the function's role
    // (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#events-dynamodb-permissions).
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [streamArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: ['*'] }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams has no resource-level permissions (the Service Authorization Reference lists no resource type for it); every other action is scoped to the stream, the topic or the queue.',
    });
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    // Publishing to a topic under a customer-managed key needs the key
    // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html); with the
    // pipeline's key, the same grant decrypts the stream of the table it encrypts.
    topicKey.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');

    this.function = new NodejsFunction(this, 'Function', {
      entry: publisherEntry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      role,
      logGroup,
      tracing: props.tracing ?? lambda.Tracing.DISABLED,
      description: 'sagebatch completion events: one SNS message per request that became final',
      environment: {
        [eventPublisherSettings.completionTopicArn.env]: this.topic.topicArn,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
      },
      bundling: functionBundling,
    });
    acknowledgeTracingWildcard(role, props.tracing);
    const mapping = new lambda.EventSourceMapping(this, 'EventSource', {
      target: this.function,
      eventSourceArn: streamArn,
      // From the oldest record: rows written while the mapping was being created publish too.
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      bisectBatchOnError: true,
      retryAttempts: eventPublishRetryAttempts,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.failures),
      filters: streamFilterPatterns.map((pattern) => ({ pattern: JSON.stringify(pattern) })),
    });
    mapping.node.addDependency(role);
  }
}
