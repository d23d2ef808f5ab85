import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchingPipeline, type BatchingPipelineProps } from '../../infra/BatchingPipeline.js';
import { hasLocalInstanceStorage } from '../../infra/instanceStorage.js';
import { projectedNames } from '../../lib/contract/compactRow.js';
import { jobIndex } from '../../lib/contract/job.js';
import { cpuModel, model, noBundling, synth, vpcAttributes } from './synth.js';

/** A resource of a synthesized template. */
interface CfnResource {
  Type: string;
  Properties: { [key: string]: unknown; Tags?: unknown; KmsKeyId?: unknown };
}
/** A step of a step scaling policy. */
interface StepAdjustment {
  MetricIntervalLowerBound?: number;
  MetricIntervalUpperBound?: number;
  ScalingAdjustment: number;
}

const resourcesOf = (template: Template, type: string) =>
  Object.values(template.findResources(type));

/** An ARN as CDK synthesizes it with a concrete env: partition is still a pseudo parameter. */
const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

/** The batcher's (or, with `role`, another function's) IAM statements, as [actions, resources] pairs. */
function functionStatements(template: Template, role = '^PipelineRole') {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp(role) }] },
  });
  const [policy] = Object.values(policies);
  return (
    policy!.Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
    }[]
  ).map((s) => ({
    actions: [s.Action].flat().sort(),
    resource: s.Resource,
  }));
}

describe('BatchingPipeline with an existing endpoint', () => {
  let template: Template;
  beforeAll(() => {
    template = synth({
      endpointName: 'Sentiment-Prod',
      batchSize: 2000,
      batchingWindow: Duration.seconds(20),
      maxConcurrency: 30, // 2 x 2000 x 30 = 120,000: the most SQS keeps in flight
      endpointMaxConcurrentCalls: 200,
    }).template;
  });

  it('wires the event source with the window, batch size, max concurrency and partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 2000,
      MaximumBatchingWindowInSeconds: 20,
      ScalingConfig: { MaximumConcurrency: 30 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('encrypts every queue, redrives to the finalizer intake after maxReceiveCount, keeps the DLQ 14 days', () => {
    // Requests, intake, DLQ, and the completion events' failures queue.
    template.resourceCountIs('AWS::SQS::Queue', 4);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineUnprocessed'), 'Arn'],
        },
        maxReceiveCount: 5,
      },
      // 6 x 120 s timeout + 20 s window
      VisibilityTimeout: 740,
    });
    // Should the finalizer fail too, its intake still ends in the DLQ.
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineDlq'), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
  });

  it('gives the finalizer its intake queue and only what it calls: conditional row writes, DLQ sends', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineUnprocessed'), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      // A concurrency cap: a burst of moved messages must not take the account's concurrency.
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    const statements = functionStatements(template, '^PipelineFinalizerRole');
    // Conditional row writes, the re-read before a DLQ publish, the publish's mark on the row.
    expect(statements).toContainEqual({
      actions: ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resource: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineResults/), 'Arn'] },
    });
    expect(statements).toContainEqual({
      actions: ['sqs:SendMessage'],
      resource: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineDlq/), 'Arn'] },
    });
    const consume = statements.find((s) => s.actions.includes('sqs:ReceiveMessage'))!;
    expect(consume.resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^PipelineUnprocessed/), 'Arn'],
    });
    expect(statements).toHaveLength(4);
    const finalizer = resourcesOf(template, 'AWS::Lambda::Function').find((f) =>
      String(f.Properties.Description).includes('finalizer'),
    );
    expect(finalizer?.Properties.Environment.Variables).toMatchObject({
      RESULTS_TABLE_NAME: { Ref: expect.stringMatching(/^PipelineResults/) },
      DLQ_URL: { Ref: expect.stringMatching(/^PipelineDlq/) },
      RESULT_TTL_SECONDS: '604800',
      POWERTOOLS_METRICS_NAMESPACE: 'Sagebatch',
      POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^sagebatch-/),
    });
    expect(finalizer?.Properties.MemorySize).toBe(256);
  });

  it('denies non-TLS access to every queue', () => {
    const policies = resourcesOf(template, 'AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(4);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('creates an on-demand table with TTL, point-in-time recovery and encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('indexes job rows by jobId and jobLine, carrying only what job status counts', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'jobs',
          KeySchema: [
            { AttributeName: 'jobId', KeyType: 'HASH' },
            { AttributeName: 'jobLine', KeyType: 'RANGE' },
          ],
          Projection: {
            ProjectionType: 'INCLUDE',
            // Under both names of a compact (row format 2) row, and its format mark.
            NonKeyAttributes: [
              'status',
              'completedAt',
              'enqueuedAt',
              'modelLatencyMs',
              'batchItems',
              'c',
              'q',
              'l',
              'b',
              'v',
            ],
          },
        },
      ],
    });
  });

  it('projects into the job index every name a compact row may give what job status reads', () => {
    const documented = ['status', 'completedAt', 'enqueuedAt', 'modelLatencyMs', 'batchItems'];
    expect(new Set(jobIndex.projected)).toEqual(new Set(projectedNames(documented)));
  });

  it('runs the newest Node runtime on arm64 with every setting in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      // The default sized from measurements (lib/contract/functionMemory.ts), no longer 1024.
      MemorySize: 256,
      Timeout: 120,
      Environment: {
        Variables: Match.objectLike({
          ENDPOINT_NAME: 'Sentiment-Prod',
          CODEC: 'json-instances',
          MODEL_BATCH_MAX_ITEMS: '64',
          MODEL_BATCH_MAX_BYTES: String(5 * 1024 * 1024),
          MODEL_BATCH_MAX_TOKENS: '32768',
          MODEL_BATCH_PACKING: 'length',
          MAX_RECEIVE_COUNT: '5',
          RESULT_TTL_SECONDS: '604800',
          RESULTS_TABLE_NAME: { Ref: Match.stringLikeRegexp('^PipelineResults') },
          DLQ_URL: { Ref: Match.stringLikeRegexp('^PipelineDlq') },
        }),
      },
    });
    const variables = resourcesOf(template, 'AWS::Lambda::Function')[0]!.Properties.Environment
      .Variables;
    expect(variables).not.toHaveProperty('AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME');
  });

  it('keeps function logs for a month', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('grants exactly what the handler calls, on these resources only', () => {
    const statements = functionStatements(template);
    expect(statements).toContainEqual({
      actions: ['sagemaker:InvokeEndpoint'],
      resource: arn(':sagemaker:us-east-1:123456789012:endpoint/sentiment-prod'),
    });
    expect(statements).toContainEqual({
      actions: ['sqs:SendMessage'],
      resource: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineDlq/), 'Arn'] },
    });
    expect(statements).toContainEqual({
      actions: ['sqs:SendMessage'],
      resource: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineRequests/), 'Arn'] },
    });
    expect(statements).toContainEqual({
      actions: [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ],
      resource: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineResults/), 'Arn'] },
    });
    expect(statements).toContainEqual({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resource: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineLogs/), 'Arn'] },
    });
    expect(statements).toContainEqual({
      actions: ['s3:PutObject'],
      resource: {
        'Fn::Join': [
          '',
          [
            { 'Fn::GetAtt': [expect.stringMatching(/^PipelineResultsBucket/), 'Arn'] },
            '/results/*',
          ],
        ],
      },
    });
    const consume = statements.find((s) => s.actions.includes('sqs:ReceiveMessage'))!;
    expect(consume.resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^PipelineRequests/), 'Arn'],
    });
    expect(statements.flatMap((s) => [s.resource].flat())).not.toContain('*');
    expect(statements).toHaveLength(7);
    // No managed policies: the function role carries only the statements above.
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('alarms on new dead letters (client vs pipeline), request age, systemic and model errors, function errors and throttles', () => {
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').map((a) => a.Properties);
    // The intake queue's age alarm is the finalizer's: keyed apart from the request queue's.
    const keyOf = (a: { MetricName?: string; Metrics?: { Id: string }[]; Dimensions?: unknown }) =>
      a.MetricName === 'ApproximateAgeOfOldestMessage' &&
      JSON.stringify(a.Dimensions).includes('PipelineUnprocessed')
        ? 'Unfinalized'
        : a.MetricName === 'Errors' && JSON.stringify(a.Dimensions).includes('PipelineFinalizer')
          ? 'FinalizerErrors'
          : (a.MetricName ?? a.Metrics!.map((m) => m.Id).join('+'));
    const byMetric = Object.fromEntries(alarms.map((a) => [keyOf(a), a]));
    // One visibility timeout (180 s) and the finalizer's timeout (30 s): see infra/alarmThresholds.ts.
    expect(byMetric.Unfinalized).toMatchObject({ Threshold: 210 });
    expect(Object.keys(byMetric).sort()).toEqual(
      [
        'Unfinalized',
        'FinalizerErrors',
        'HandlerErrors',
        'HeldRequestAge',
        'ApproximateAgeOfOldestMessage',
        'ClientFailures',
        'Errors',
        'PipelineFailures',
        'SystemicErrors',
        'Throttles',
        'expr_1+errors+calls',
      ].sort(),
    );
    // A rate of new dead letters, not "the DLQ is not empty" (which latches for 14 days).
    for (const name of ['ClientFailures', 'PipelineFailures']) {
      expect(byMetric[name]).toMatchObject({
        Namespace: 'Sagebatch',
        Statistic: 'Sum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    expect(alarms.some((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible')).toBe(false);
    expect(byMetric.SystemicErrors).toMatchObject({ Namespace: 'Sagebatch', Threshold: 0 });
    const rate = byMetric['expr_1+errors+calls'];
    expect(rate.Threshold).toBe(5);
    expect(rate.Metrics[0].Expression).toBe('IF(calls > 0, 100 * errors / calls, 0)');
    expect(
      rate.Metrics.map(
        (m: { MetricStat?: { Metric: { MetricName: string } } }) => m.MetricStat?.Metric.MetricName,
      ).filter(Boolean),
    ).toEqual(['ModelAnswerErrors', 'ModelInvocations']);
    // Before the third receive: 2 deliveries x (20 s window + 120 s timeout) + backoff 5+10 s.
    expect(byMetric.ApproximateAgeOfOldestMessage).toMatchObject({ Threshold: 295 });
    expect(byMetric.Errors).toMatchObject({ Threshold: 0, Namespace: 'AWS/Lambda' });
    expect(byMetric.Throttles).toMatchObject({ Threshold: 0, Namespace: 'AWS/Lambda' });
    for (const alarm of alarms) expect(alarm.AlarmActions).toBeUndefined();
  });

  it('builds a dashboard of queue depth and age, items per call, latency and outcomes', () => {
    const [dashboard] = resourcesOf(template, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const title of [
      'Request queue depth',
      'Age of oldest request',
      'Items per model call',
      'Model latency',
      'Outcomes',
    ]) {
      expect(body).toContain(title);
    }
    for (const metric of [
      'ItemsPerInvocation',
      'ModelLatency',
      'Succeeded',
      'Failed',
      'Retried',
      'Duplicates',
      'ClientFailures',
      'PipelineFailures',
      'SystemicErrors',
    ]) {
      expect(body).toContain(`Sagebatch\\",\\"${metric}\\",\\"service`);
    }
  });

  it('outputs the queue, DLQ, table, results bucket, function and endpoint names', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual([
      'Alarms',
      'CompletionTopicArn',
      'DashboardName',
      'DlqUrl',
      'EndpointName',
      'FunctionName',
      'RequestQueueUrl',
      'ResultsBucketName',
      'ResultsTableName',
    ]);
    expect(outputs.ResultsBucketName!.Value).toEqual({
      Ref: expect.stringMatching(/^PipelineResultsBucket/),
    });
  });
});

describe('the results bucket (outputs too large for a row)', () => {
  let template: Template;
  beforeAll(() => {
    template = synth({ endpointName: 'ep' }).template;
  });
  const bucketOf = (t: Template) => {
    const buckets = resourcesOf(t, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(1);
    return buckets[0]!;
  };

  it('is private, unversioned and encrypted with S3-managed keys without a customer key', () => {
    const bucket = bucketOf(template);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ],
    });
    // Each object is written once and expires with its row: no versions to pay for.
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
    // No public website, no ACL grants, no name of our choosing (CloudFormation's is unique).
    expect(bucket.Properties.BucketName).toBeUndefined();
    expect(bucket.Properties.WebsiteConfiguration).toBeUndefined();
  });

  it('denies every request that does not use TLS, on the bucket and its objects', () => {
    const policies = resourcesOf(template, 'AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(1);
    const bucketArn = { 'Fn::GetAtt': [expect.stringMatching(/^PipelineResultsBucket/), 'Arn'] };
    expect(policies[0]!.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Resource: [bucketArn, { 'Fn::Join': ['', [bucketArn, '/*']] }],
      },
    ]);
  });

  it('expires offloaded outputs under results/ with their rows, and is retained with the table', () => {
    expect(bucketOf(template).Properties.LifecycleConfiguration).toEqual({
      Rules: [
        { Id: 'ExpireWithResultRows', Prefix: 'results/', ExpirationInDays: 7, Status: 'Enabled' },
      ],
    });
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  // S3 expiration counts whole days (at least one, then rounded to the next midnight UTC):
  // round the TTL up, so an object never expires before the row pointing to it.
  it.each([
    [Duration.seconds(60), 1],
    [Duration.days(1), 1],
    [Duration.seconds(86_401), 2],
    [Duration.hours(36), 2],
    [Duration.days(30), 30],
  ])('keeps objects of a %s row TTL for %i day(s)', (resultTtl, days) => {
    const bucket = bucketOf(synth({ endpointName: 'ep', resultTtl }).template);
    expect(bucket.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(days);
  });

  it('is deleted with the table when the table is (local mode)', () => {
    const { template: local } = synth({
      endpointName: 'ep',
      tableRemovalPolicy: RemovalPolicy.DESTROY,
    });
    local.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    local.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  it('gives the batcher its name, the encoding and the offload threshold; the finalizer none of it', () => {
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const batcher = functions.find((f) => String(f.Properties.Description).includes('batcher'))!;
    expect(batcher.Properties.Environment.Variables).toMatchObject({
      RESULTS_BUCKET_NAME: { Ref: expect.stringMatching(/^PipelineResultsBucket/) },
      RESULT_ENCODING: 'lossless',
      RESULT_OFFLOAD_BYTES: '65536',
    });
    const finalizer = functions.find((f) =>
      String(f.Properties.Description).includes('finalizer'),
    )!;
    expect(finalizer.Properties.Environment.Variables).not.toHaveProperty('RESULTS_BUCKET_NAME');
  });

  it('lets only the batcher write, and only objects under results/', () => {
    const s3Statements = (role: string) =>
      functionStatements(template, role).filter((s) => s.actions.some((a) => a.startsWith('s3:')));
    expect(s3Statements('^PipelineRole')).toEqual([
      {
        actions: ['s3:PutObject'],
        resource: {
          'Fn::Join': [
            '',
            [
              { 'Fn::GetAtt': [expect.stringMatching(/^PipelineResultsBucket/), 'Arn'] },
              '/results/*',
            ],
          ],
        },
      },
    ]);
    // The finalizer writes FAILED rows only: never an output, so no S3 access.
    expect(s3Statements('^PipelineFinalizerRole')).toEqual([]);
  });

  it('passes a chosen encoding and threshold through, and rejects what the function would', () => {
    const { template: chosen } = synth({
      endpointName: 'ep',
      resultEncoding: 'float32',
      resultOffloadBytes: 200_000,
    });
    chosen.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ RESULT_ENCODING: 'float32', RESULT_OFFLOAD_BYTES: '200000' }),
      },
    });
    const build = (props: Partial<BatchingPipelineProps>) => () =>
      new BatchingPipeline(new Stack(new App(), 'S'), 'P', { endpointName: 'e', ...props });
    expect(build({ resultEncoding: 'zstd' as 'json' })).toThrow('resultEncoding="zstd"');
    expect(build({ resultOffloadBytes: 0 })).toThrow('resultOffloadBytes=0');
    expect(build({ resultOffloadBytes: 307_201 })).toThrow('resultOffloadBytes=307201');
  });

  it('graphs the cost line: endpoint time and bytes written per request, outputs offloaded', () => {
    const [dashboard] = resourcesOf(template, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    expect(body).toContain('Cost per request');
    expect(body).toContain('Outputs offloaded to S3');
    for (const metric of ['EndpointMsPerRequest', 'BytesWrittenPerRequest', 'OffloadedOutputs']) {
      expect(body).toContain(`Sagebatch\\",\\"${metric}\\",\\"service`);
    }
  });
});

describe('BatchingPipeline creating its endpoint', () => {
  let template: Template;
  beforeAll(() => {
    template = synth({ model }).template;
  });

  it('creates model, endpoint config on the default GPU type without a KMS key, and endpoint', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { Image: model.imageUri, ModelDataUrl: model.modelDataUrl },
    });
    // ml.g5 has local NVMe storage: CreateEndpointConfig rejects a KmsKeyId for it.
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      KmsKeyId: Match.absent(),
      ProductionVariants: [
        Match.objectLike({ InstanceType: 'ml.g5.xlarge', InitialInstanceCount: 1 }),
      ],
    });
    // The one key is the completion topic's own (SNS encryption needs a KMS key).
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts the sagebatch completion topic',
    });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'minilm' });
  });

  it('points the function at the endpoint resource itself, so it is created first', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ENDPOINT_NAME: {
            'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineEndpoint'), 'EndpointName'],
          },
        }),
      },
    });
    const invoke = functionStatements(template).find((s) =>
      s.actions.includes('sagemaker:InvokeEndpoint'),
    )!;
    expect(invoke.resource).toEqual({
      Ref: expect.stringMatching(/^PipelineEndpoint[0-9A-F]{8}$/),
    });
    const [endpointId] = Object.keys(template.findResources('AWS::SageMaker::Endpoint'));
    expect(invoke.resource).toEqual({ Ref: endpointId });
  });

  it('scopes the execution role to the model artifact and image repository: no wildcard S3 or KMS', () => {
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^PipelineEndpointExecutionRole') }] },
      }),
    );
    const statements = policy!.Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
    }[];
    const find = (action: string) => statements.find((s) => [s.Action].flat().includes(action))!;
    expect(find('s3:GetObject').Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-models/minilm/model.tar.gz']],
    });
    expect(JSON.stringify(find('ecr:BatchGetImage').Resource)).toContain(
      ':ecr:us-east-1:123456789012:repository/minilm-server',
    );
    expect(find('kms:Decrypt')).toBeUndefined();
    for (const s of statements) {
      const wildcard = [s.Resource].flat().includes('*');
      if (wildcard)
        expect([s.Action].flat()).toEqual(
          expect.arrayContaining([
            expect.stringMatching(/^(ecr:GetAuthorizationToken|cloudwatch:PutMetricData)$/),
          ]),
        );
    }
  });

  it('alarms on the endpoint own 5xx errors and p90 model latency', () => {
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').map((a) => a.Properties);
    const sagemaker = alarms.filter((a) => a.Namespace === 'AWS/SageMaker');
    const byMetric = Object.fromEntries(sagemaker.map((a) => [a.MetricName, a]));
    expect(Object.keys(byMetric).sort()).toEqual(['Invocation5XXErrors', 'ModelLatency']);
    expect(byMetric.Invocation5XXErrors).toMatchObject({ Statistic: 'Sum', Threshold: 0 });
    // 30 s in microseconds, the unit SageMaker reports ModelLatency in.
    expect(byMetric.ModelLatency).toMatchObject({
      ExtendedStatistic: 'p90',
      Threshold: 30_000_000,
    });
    for (const alarm of sagemaker) {
      expect(alarm.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'EndpointName', Value: { 'Fn::GetAtt': [expect.any(String), 'EndpointName'] } },
          { Name: 'VariantName', Value: 'AllTraffic' },
        ]),
      );
    }
  });
});

describe('created endpoint storage encryption', () => {
  it.each([
    ['ml.g5.xlarge', true],
    ['ml.g4dn.2xlarge', true],
    ['ml.g6.xlarge', true],
    ['ml.p4d.24xlarge', true],
    ['ml.p5.48xlarge', true],
    ['ml.c5d.xlarge', true],
    ['ml.m5d.large', true],
    ['ml.c5.xlarge', false],
    ['ml.m5.large', false],
    ['ml.inf2.xlarge', false],
    ['ml.g5g.xlarge', false],
  ])('knows whether %s has local NVMe storage (%s)', (type, nvme) => {
    expect(hasLocalInstanceStorage(type)).toBe(nvme);
  });

  it('encrypts an EBS-backed (CPU) endpoint volume with a new rotating key the execution role may use', () => {
    const { template } = synth({ model: cpuModel });
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineEndpointKey'), 'Arn'] },
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.c5.xlarge' })],
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it("uses the user's own key where it applies", () => {
    const app = new App({ context: noBundling });
    const stack = new Stack(app, 'S', { env: { account: '123456789012', region: 'us-east-1' } });
    const key = new kms.Key(stack, 'Mine', { enableKeyRotation: true });
    new BatchingPipeline(stack, 'P', { model: { ...cpuModel, volumeKey: key } });
    const configs = Object.values(
      app.synth().getStackByName('S').template.Resources as Record<string, CfnResource>,
    ).filter((r) => r.Type === 'AWS::SageMaker::EndpointConfig');
    expect(configs[0]!.Properties.KmsKeyId).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^Mine/), 'Arn'],
    });
  });

  it('refuses a key for an instance type with local NVMe storage', () => {
    const stack = new Stack(new App(), 'S');
    const key = new kms.Key(stack, 'Mine');
    expect(() => new BatchingPipeline(stack, 'P', { model: { ...model, volumeKey: key } })).toThrow(
      'ml.g5.xlarge has local NVMe storage',
    );
  });
});

describe('BatchingPipeline options', () => {
  it('points the function at a local endpoint emulator in local mode', () => {
    const { template } = synth({
      endpointName: 'local',
      localSageMakerRuntimeUrl: 'http://10.0.0.1:8080',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: 'http://10.0.0.1:8080' }),
      },
    });
    // The emulators' CloudFormation rejects metric-math alarms: none in local mode.
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
    // + HeldRequestAge, HandlerErrors, FinalizerErrors (issue 17).
    expect(alarms).toHaveLength(10);
    expect(alarms.filter((a) => a.Properties.Metrics !== undefined)).toEqual([]);
  });

  it("routes both functions' DynamoDB and SQS calls through localAwsProxyUrl, in local mode only", () => {
    const { template } = synth({
      endpointName: 'local',
      localSageMakerRuntimeUrl: 'http://127.0.0.1:8080',
      localAwsProxyUrl: 'http://127.0.0.1:4600',
    });
    // The event publisher calls SNS only: no DynamoDB or SQS calls to route.
    const functions = resourcesOf(template, 'AWS::Lambda::Function').filter(
      (f) =>
        f.Properties.Environment?.Variables?.POWERTOOLS_METRICS_NAMESPACE !== undefined &&
        f.Properties.Environment?.Variables?.COMPLETION_TOPIC_ARN === undefined,
    );
    expect(functions).toHaveLength(2);
    for (const f of functions) {
      const variables = f.Properties.Environment.Variables;
      expect(variables).toMatchObject({
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4600',
        AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4600',
      });
      // The SQS client sends a call to its QueueUrl's origin: the queues are named on the proxy.
      expect(JSON.stringify(variables.DLQ_URL)).toContain('http://127.0.0.1:4600/123456789012/');
    }
    const batcher = functions.find((f) => f.Properties.Environment.Variables.REQUEST_QUEUE_URL);
    expect(JSON.stringify(batcher?.Properties.Environment.Variables.REQUEST_QUEUE_URL)).toContain(
      'http://127.0.0.1:4600/123456789012/',
    );
    const { template: plain } = synth({
      endpointName: 'local',
      localSageMakerRuntimeUrl: 'http://127.0.0.1:8080',
    });
    const variables = JSON.stringify(resourcesOf(plain, 'AWS::Lambda::Function'));
    expect(variables).not.toContain('AWS_ENDPOINT_URL_DYNAMODB');
    expect(variables).not.toContain('AWS_ENDPOINT_URL_SQS');
  });

  it.each([
    [{ endpointName: 'ep', localAwsProxyUrl: 'http://127.0.0.1:4600' }, 'for local mode only'],
    [
      {
        endpointName: 'ep',
        localSageMakerRuntimeUrl: 'http://127.0.0.1:8080',
        localAwsProxyUrl: 'ftp://127.0.0.1:4600',
      },
      'must be an http(s) origin',
    ],
    [
      {
        endpointName: 'ep',
        localSageMakerRuntimeUrl: 'http://127.0.0.1:8080',
        localAwsProxyUrl: 'http://127.0.0.1:4600/dynamodb',
      },
      'must be an http(s) origin',
    ],
    [
      {
        endpointName: 'ep',
        localSageMakerRuntimeUrl: 'http://127.0.0.1:8080',
        localAwsProxyUrl: 'proxy',
      },
      'must be an http(s) URL',
    ],
  ])('refuses localAwsProxyUrl %j', (props, message) => {
    expect(() => new BatchingPipeline(new Stack(new App()), 'P', props)).toThrow(message);
  });

  it('sends alarms (and their recovery) to the topic given', () => {
    const app = new App({ context: noBundling });
    const stack = new Stack(app, 'Topic');
    const topic = new sns.Topic(stack, 'Alarms');
    const pipeline = new BatchingPipeline(stack, 'P', { endpointName: 'ep', alarmTopic: topic });
    expect(pipeline.alarms.pipelineFailures.alarmArn).toBeDefined();
    const alarms = Object.values(app.synth().getStackByName('Topic').template.Resources).filter(
      (r) => (r as { Type: string }).Type === 'AWS::CloudWatch::Alarm',
    ) as { Properties: { AlarmActions: unknown[]; OKActions: unknown[] } }[];
    expect(alarms).toHaveLength(11);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Alarms/) }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: expect.stringMatching(/^Alarms/) }]);
    }
  });

  it('turns on active tracing when asked, and only then', () => {
    synth({ endpointName: 'ep' }).template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: Match.absent(),
    });
    const { template } = synth({ endpointName: 'ep', tracing: lambda.Tracing.ACTIVE });
    template.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
  });

  it('pre-warms the results table when asked', () => {
    const { template } = synth({
      endpointName: 'ep',
      tableWarmThroughput: { readUnitsPerSecond: 15_000, writeUnitsPerSecond: 20_000 },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      WarmThroughput: { ReadUnitsPerSecond: 15_000, WriteUnitsPerSecond: 20_000 },
    });
  });

  it('encrypts the queues, the table and the results bucket with a customer-managed key and grants the function its use', () => {
    const app = new App({ context: noBundling });
    const stack = new Stack(app, 'Kms', { env: { account: '123456789012', region: 'us-east-1' } });
    const key = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
    new BatchingPipeline(stack, 'Pipeline', { endpointName: 'ep', encryptionKey: key });
    const template = Template.fromStack(stack);
    const keyArn = { 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] };
    // The completion events' failures queue keeps SQS-managed encryption: it holds stream
    // positions only, and a KMS queue as an on-failure destination would add wildcard KMS
    // actions to the publisher's role.
    const queues = resourcesOf(template, 'AWS::SQS::Queue').filter(
      (queue) => queue.Properties.SqsManagedSseEnabled !== true,
    );
    expect(queues).toHaveLength(3);
    for (const queue of queues) {
      expect(queue.Properties.KmsMasterKeyId).toEqual(keyArn);
      expect(queue.Properties.SqsManagedSseEnabled).toBeUndefined();
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
    });
    // Offloaded outputs too: S3 asks the writer for kms:GenerateDataKey, the reader for kms:Decrypt.
    const [bucket] = resourcesOf(template, 'AWS::S3::Bucket');
    expect(bucket!.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn },
        },
      ],
    });
    const kmsActions = functionStatements(template)
      .filter((s) => s.actions.some((a) => a.startsWith('kms:')))
      .flatMap((s) => {
        expect(s.resource).toEqual(keyArn);
        return s.actions;
      });
    expect(new Set(kmsActions)).toEqual(
      new Set(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']),
    );
  });

  it('places a created endpoint in the VPC given, with scoped network-interface permissions', () => {
    const app = new App({ context: noBundling });
    const stack = new Stack(app, 'Vpc', { env: { account: '123456789012', region: 'us-east-1' } });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', vpcAttributes);
    new BatchingPipeline(stack, 'Pipeline', { model: { ...model, vpc: { vpc } } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::Model', {
      VpcConfig: {
        Subnets: vpcAttributes.privateSubnetIds,
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('SecurityGroup'), 'GroupId'] }],
      },
    });
    const policy = JSON.stringify(
      resourcesOf(template, 'AWS::IAM::Policy').find((p) =>
        JSON.stringify(p).includes('ec2:CreateNetworkInterface'),
      ),
    );
    for (const subnet of vpcAttributes.privateSubnetIds)
      expect(policy).toContain(`subnet/${subnet}`);
  });

  it('tags every taggable resource for cost allocation, plus the tags given', () => {
    const { template, stack } = synth({
      model: { ...cpuModel, scaling: { minInstances: 1, maxInstances: 3 } },
      tags: { team: 'ml' },
    });
    const service = stack.pipeline.serviceName;
    const untaggable = new Set([
      'AWS::IAM::Policy',
      'AWS::SQS::QueuePolicy',
      'AWS::SNS::TopicPolicy',
      'AWS::S3::BucketPolicy',
      'AWS::Lambda::EventSourceMapping',
      'AWS::CloudWatch::Dashboard',
      'AWS::ApplicationAutoScaling::ScalingPolicy',
    ]);
    const resources = Object.values(template.toJSON().Resources as Record<string, CfnResource>);
    const taggable = resources.filter((r) => !untaggable.has(r.Type));
    expect(taggable.length).toBeGreaterThan(10);
    for (const resource of taggable) {
      expect({ type: resource.Type, tags: resource.Properties.Tags }).toEqual({
        type: resource.Type,
        tags: expect.arrayContaining([
          { Key: 'sagebatch:pipeline', Value: service },
          { Key: 'team', Value: 'ml' },
        ]),
      });
    }
  });

  it('exposes the event source mapping so users can tune it', () => {
    const app = new App({ context: noBundling });
    const stack = new Stack(app, 'Esm');
    const pipeline = new BatchingPipeline(stack, 'P', { endpointName: 'ep' });
    (
      pipeline.eventSourceMapping.node.defaultChild as lambda.CfnEventSourceMapping
    ).addPropertyOverride('MetricsConfig', { Metrics: ['EventCount'] });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PRequests'), 'Arn'] },
      MetricsConfig: { Metrics: ['EventCount'] },
    });
    expect(pipeline.eventSourceMapping.eventSourceMappingId).toBeDefined();
  });
});

describe('endpoint autoscaling on the backlog', () => {
  let template: Template;
  beforeAll(() => {
    template = synth({
      batchSize: 500,
      model: {
        ...cpuModel,
        scaling: { minInstances: 1, maxInstances: 4, backlogPerInstance: 100 },
      },
    }).template;
  });

  it('registers the production variant with min and max instances', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 1,
      MaxCapacity: 4,
      ResourceId: {
        'Fn::Join': [
          '',
          [
            'endpoint/',
            { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineEndpoint'), 'EndpointName'] },
            '/variant/AllTraffic',
          ],
        ],
      },
      RoleARN: Match.objectLike({
        'Fn::Join': [
          '',
          Match.arrayWith([
            Match.stringLikeRegexp('AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint'),
          ]),
        ],
      }),
    });
  });

  it('sets the exact instance count to ceil(backlog / backlogPerInstance) on visible + in-flight requests', () => {
    const policies = resourcesOf(template, 'AWS::ApplicationAutoScaling::ScalingPolicy');
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').filter((a) =>
      JSON.stringify(a).includes('ApproximateNumberOfMessagesNotVisible'),
    );
    expect(alarms).toHaveLength(2);
    const threshold = alarms[0]!.Properties.Threshold as number;
    expect(alarms.map((a) => a.Properties.Threshold)).toEqual([threshold, threshold]);
    expect(alarms[0]!.Properties.Metrics[0].Expression).toBe('visible + inflight');
    // Evaluate the policies the way Application Auto Scaling does, for a few backlogs.
    const desired = (backlog: number) => {
      const upper = backlog >= threshold;
      const policy = policies.find((p) =>
        upper
          ? p.Properties.StepScalingPolicyConfiguration.StepAdjustments.some(
              (s: StepAdjustment) => (s.MetricIntervalLowerBound ?? -Infinity) >= 0,
            )
          : p.Properties.StepScalingPolicyConfiguration.StepAdjustments.every(
              (s: StepAdjustment) => (s.MetricIntervalUpperBound ?? Infinity) <= 0,
            ),
      )!;
      expect(policy.Properties.StepScalingPolicyConfiguration.AdjustmentType).toBe('ExactCapacity');
      const offset = backlog - threshold;
      const step = policy.Properties.StepScalingPolicyConfiguration.StepAdjustments.find(
        (s: StepAdjustment) =>
          (s.MetricIntervalLowerBound ?? -Infinity) <= offset &&
          offset < (s.MetricIntervalUpperBound ?? Infinity),
      );
      return step.ScalingAdjustment as number;
    };
    expect([0, 99, 100, 199, 250, 300, 10_000].map(desired)).toEqual([1, 1, 2, 2, 3, 4, 4]);
  });
});

describe('the app', () => {
  it('sends alarms to a new encrypted topic e-mailing the address from context, and says so', () => {
    const { template } = synth(
      { endpointName: 'ep' },
      { stack: { alarms: { email: 'ops@example.com' } } },
    );
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: Match.anyValue(),
    });
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
    for (const alarm of alarms)
      expect(alarm.Properties.AlarmActions).toEqual([
        { Ref: expect.stringMatching(/^AlarmTopic/) },
      ]);
    expect(JSON.stringify(template.findOutputs('Alarms'))).toContain('ops@example.com');
  });

  it('says where alarms go when nowhere was given', () => {
    const { template } = synth({ endpointName: 'ep' });
    expect(JSON.stringify(template.findOutputs('Alarms'))).toContain('sagebatch:alarmEmail');
  });
});

describe('BatchingPipeline validation', () => {
  const build = (props: BatchingPipelineProps) => () =>
    new BatchingPipeline(new Stack(new App(), 'S'), 'P', props);

  it.each<[string, BatchingPipelineProps, string]>([
    ['no endpoint', {}, 'set exactly one of endpointName'],
    ['both endpoint modes', { endpointName: 'a', model }, 'set exactly one of endpointName'],
    ['a bad endpoint name', { endpointName: 'my_endpoint' }, 'endpointName="my_endpoint"'],
    [
      // The old check let hyphen runs through: 102 characters synthesized.
      'a 102-character endpoint name',
      { endpointName: `${'a-'.repeat(50)}ab` },
      'must be at most 63 characters',
    ],
    [
      'a mistyped codec',
      { endpointName: 'e', codec: 'hf-input' as BatchingPipelineProps['codec'] },
      'codec="hf-input"',
    ],
    ['FIFO', { endpointName: 'e', fifo: true } as BatchingPipelineProps, 'fifo is not supported'],
    [
      'batchSize 0',
      { endpointName: 'e', batchSize: 0 },
      'batchSize must be an integer from 1 to 10000',
    ],
    [
      'batchSize 10001',
      { endpointName: 'e', batchSize: 10_001 },
      'batchSize must be an integer from 1 to 10000',
    ],
    [
      'batchSize > 10 without a window',
      { endpointName: 'e', batchSize: 11, batchingWindow: Duration.seconds(0) },
      'needs a batchingWindow of at least 1 second',
    ],
    [
      'a window over 300 s',
      { endpointName: 'e', batchingWindow: Duration.seconds(301) },
      'at most 300 seconds',
    ],
    [
      'maxConcurrency 1',
      { endpointName: 'e', maxConcurrency: 1 },
      'maxConcurrency must be an integer from 2 to 1000',
    ],
    [
      'maxConcurrency 1001',
      { endpointName: 'e', maxConcurrency: 1_001 },
      'maxConcurrency must be an integer from 2 to 1000',
    ],
    [
      'finalizerMaxConcurrency 1',
      { endpointName: 'e', finalizerMaxConcurrency: 1 },
      'finalizerMaxConcurrency must be an integer from 2 to 1000',
    ],
    [
      'reservedConcurrency 0',
      { endpointName: 'e', reservedConcurrency: 0 },
      'reservedConcurrency must be a positive integer',
    ],
    [
      'reservedConcurrency under maxConcurrency',
      { endpointName: 'e', maxConcurrency: 20, reservedConcurrency: 10 },
      'reservedConcurrency (10) must be at least maxConcurrency (20)',
    ],
    [
      'finalizerReservedConcurrency under finalizerMaxConcurrency',
      { endpointName: 'e', finalizerMaxConcurrency: 5, finalizerReservedConcurrency: 4 },
      'finalizerReservedConcurrency (4) must be at least finalizerMaxConcurrency (5)',
    ],
    [
      'a short visibility timeout',
      { endpointName: 'e', visibilityTimeout: Duration.seconds(100) },
      'at least 6 x timeout + batchingWindow = 725 s',
    ],
    [
      'model batch bytes over the InvokeEndpoint limit',
      { endpointName: 'e', modelBatchMaxBytes: 6_291_457 },
      'modelBatchMaxBytes=6291457',
    ],
    ['modelBatchMaxItems 0', { endpointName: 'e', modelBatchMaxItems: 0 }, 'modelBatchMaxItems=0'],
    ['modelParallelism 0', { endpointName: 'e', modelParallelism: 0 }, 'modelParallelism=0'],
    [
      'modelBatchMaxTokens 0',
      { endpointName: 'e', modelBatchMaxTokens: 0 },
      'modelBatchMaxTokens=0',
    ],
    [
      'an unknown packing',
      { endpointName: 'e', modelBatchPacking: 'sorted' as 'fifo' },
      'modelBatchPacking="sorted"',
    ],
    ['maxReceiveCount 0', { endpointName: 'e', maxReceiveCount: 0 }, 'maxReceiveCount=0'],
    [
      'a timeout over 15 minutes',
      { endpointName: 'e', timeout: Duration.minutes(16) },
      'timeout must be from 10 seconds to 15 minutes',
    ],
    ['memory 64 MB', { endpointName: 'e', memorySize: 64 }, 'memorySize must be from 128'],
    [
      'maxInputBytes above the model batch',
      { endpointName: 'e', modelBatchMaxBytes: 2_000, maxInputBytes: 3_000 },
      'maxInputBytes (3000) must not exceed modelBatchMaxBytes (2000)',
    ],
    [
      'a TTL under a minute',
      { endpointName: 'e', resultTtl: Duration.seconds(30) },
      'resultTtl (seconds)=30',
    ],
    [
      'scaling with max below min',
      { model: { ...cpuModel, scaling: { minInstances: 3, maxInstances: 2 } } },
      'minInstances <= maxInstances',
    ],
    [
      'a timeout that cannot fit one model call and the save reserve',
      { endpointName: 'e', timeout: Duration.seconds(60) },
      'timeout (60 s) must fit one model call of modelCallTimeoutMs (70000 ms)',
    ],
    [
      'a timeout of exactly the call timeout (no room to save)',
      { endpointName: 'e', timeout: Duration.seconds(20), modelCallTimeoutMs: 20_000 },
      'plus the save reserve',
    ],
    [
      'more calls in flight than an existing endpoint takes',
      { endpointName: 'e', maxConcurrency: 50, modelParallelism: 4 },
      'maxConcurrency x modelParallelism = 200 model calls in flight exceeds endpointMaxConcurrentCalls (40)',
    ],
    [
      'more calls in flight than a created endpoint takes at its largest',
      {
        model: { ...cpuModel, scaling: { minInstances: 1, maxInstances: 2 } },
        maxConcurrency: 30,
        modelParallelism: 4,
        endpointCallsPerInstance: 50,
      },
      '120 model calls in flight exceeds 2 instances x endpointCallsPerInstance (50) = 100',
    ],
    [
      'endpointMaxConcurrentCalls with a created endpoint',
      { model: cpuModel, endpointMaxConcurrentCalls: 100 },
      'endpointMaxConcurrentCalls applies to an existing endpoint',
    ],
  ])('rejects %s', (_, props, message) => {
    expect(build(props)).toThrow(message);
  });

  it('accepts calls in flight within the endpoint capacity it is told of', () => {
    expect(
      build({ endpointName: 'e', maxConcurrency: 50, endpointMaxConcurrentCalls: 200 }),
    ).not.toThrow();
    expect(
      build({
        model: { ...cpuModel, scaling: { minInstances: 1, maxInstances: 5 } },
        maxConcurrency: 50,
      }),
    ).not.toThrow();
    expect(
      build({ endpointName: 'e', timeout: Duration.seconds(75), batchSize: 100 }),
    ).not.toThrow();
  });

  it('reports every problem at once, with the construct path', () => {
    expect(
      build({
        batchSize: 0,
        maxConcurrency: 1,
        batchingWindow: Duration.seconds(400),
        codec: 'x' as 'jsonlines',
      }),
    ).toThrow(
      /at S\/P:[\s\S]*endpointName[\s\S]*batchSize[\s\S]*300 seconds[\s\S]*maxConcurrency[\s\S]*codec/,
    );
  });

  it('rejects a model artifact that is not an S3 object URL', () => {
    expect(
      build({ model: { ...model, modelDataUrl: 'https://example.com/model.tar.gz' } }),
    ).toThrow('modelDataUrl must look like s3://bucket/key');
  });
});

describe('one source of truth for settings', () => {
  it('gives the function every setting the batcher reads, each a value loadConfig accepts', async () => {
    const { batcherSettings, settingDefault } = await import('../../lib/contract/settings.js');
    const { loadConfig } = await import('../../lib/batcher/config.js');
    const { template } = synth({ endpointName: 'ep', modelBatchMaxItems: 128 });
    const variables = resourcesOf(template, 'AWS::Lambda::Function')[0]!.Properties.Environment
      .Variables as Record<string, unknown>;
    // INFERENCE_COMPONENT_NAME is set only for an endpoint hosting inference components.
    for (const setting of Object.values(batcherSettings))
      if (setting !== batcherSettings.inferenceComponentName)
        expect(variables).toHaveProperty(setting.env);
    const literal = Object.fromEntries(
      Object.entries(variables).map(([k, v]) => [
        k,
        typeof v === 'string'
          ? v
          : k.endsWith('_URL')
            ? 'https://sqs.us-east-1.amazonaws.com/1/q'
            : 'x',
      ]),
    );
    const config = loadConfig(literal);
    expect(config.modelBatchMaxItems).toBe(128);
    expect(config.modelParallelism).toBe(settingDefault('modelParallelism'));
    expect(config.codec).toBe(settingDefault('codec'));
  });
});

describe('BatchingPipeline concurrency', () => {
  it('reserves concurrency for each function only when asked, and caps the finalizer as told', () => {
    const { template } = synth({
      endpointName: 'ep',
      maxConcurrency: 20,
      endpointMaxConcurrentCalls: 80,
      reservedConcurrency: 25,
      finalizerMaxConcurrency: 3,
      finalizerReservedConcurrency: 3,
    });
    const functions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
      ([, f]) => String(f.Properties?.Description ?? '').startsWith('sagebatch'),
    );
    const reserved = Object.fromEntries(
      functions.map(([id, f]) => [
        id.startsWith('PipelineFinalizer')
          ? 'finalizer'
          : id.startsWith('PipelineCompletionEvents')
            ? 'eventPublisher'
            : 'batcher',
        f.Properties?.ReservedConcurrentExecutions,
      ]),
    );
    expect(reserved).toEqual({ batcher: 25, finalizer: 3, eventPublisher: undefined });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineUnprocessed'), 'Arn'] },
      ScalingConfig: { MaximumConcurrency: 3 },
    });
    const plain = synth({ endpointName: 'ep' }).template;
    for (const f of Object.values(plain.findResources('AWS::Lambda::Function')))
      expect(f.Properties?.ReservedConcurrentExecutions).toBeUndefined();
  });
});
