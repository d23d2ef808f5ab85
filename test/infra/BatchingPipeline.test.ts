import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchingPipeline, type BatchingPipelineProps } from '../../infra/BatchingPipeline.js';
import { model, synth } from './synth.js';

const resourcesOf = (template: Template, type: string) =>
  Object.values(template.findResources(type));

/** An ARN as CDK synthesizes it with a concrete env: partition is still a pseudo parameter. */
const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

/** The batcher's IAM statements, as [actions, resources] pairs. */
function functionStatements(template: Template) {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^PipelineRole') }] },
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
      maxConcurrency: 50,
    }).template;
  });

  it('wires the event source with the window, batch size, max concurrency and partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 2000,
      MaximumBatchingWindowInSeconds: 20,
      ScalingConfig: { MaximumConcurrency: 50 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('encrypts both queues, redrives to the DLQ after maxReceiveCount, keeps the DLQ 14 days', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineDlq'), 'Arn'] },
        maxReceiveCount: 5,
      },
      // 6 x 120 s timeout + 20 s window
      VisibilityTimeout: 740,
    });
  });

  it('denies non-TLS access to both queues', () => {
    const policies = resourcesOf(template, 'AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(2);
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

  it('runs the newest Node runtime on arm64 with every setting in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 120,
      Environment: {
        Variables: Match.objectLike({
          ENDPOINT_NAME: 'Sentiment-Prod',
          CODEC: 'json-instances',
          MODEL_BATCH_MAX_ITEMS: '64',
          MODEL_BATCH_MAX_BYTES: String(5 * 1024 * 1024),
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
      actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
      resource: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineResults/), 'Arn'] },
    });
    expect(statements).toContainEqual({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resource: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineLogs/), 'Arn'] },
    });
    const consume = statements.find((s) => s.actions.includes('sqs:ReceiveMessage'))!;
    expect(consume.resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^PipelineRequests/), 'Arn'],
    });
    expect(statements.flatMap((s) => [s.resource].flat())).not.toContain('*');
    expect(statements).toHaveLength(6);
    // No managed policies: the function role carries only the statements above.
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('alarms on DLQ messages, request age (2 x (window + timeout)), function errors and throttles', () => {
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').map((a) => a.Properties);
    expect(alarms).toHaveLength(4);
    const byMetric = Object.fromEntries(alarms.map((a) => [a.MetricName, a]));
    expect(byMetric.ApproximateNumberOfMessagesVisible).toMatchObject({
      Threshold: 0,
      Statistic: 'Maximum',
    });
    expect(byMetric.ApproximateAgeOfOldestMessage).toMatchObject({ Threshold: 280 });
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
    ]) {
      expect(body).toContain(`Sagebatch\\",\\"${metric}\\",\\"service`);
    }
  });

  it('outputs the queue, DLQ, table, function and endpoint names', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs.sort()).toEqual([
      'DlqUrl',
      'EndpointName',
      'FunctionName',
      'RequestQueueUrl',
      'ResultsTableName',
    ]);
  });
});

describe('BatchingPipeline creating its endpoint', () => {
  let template: Template;
  beforeAll(() => {
    template = synth({ model }).template;
  });

  it('creates model, endpoint config (GPU, KMS-encrypted) and endpoint', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { Image: model.imageUri, ModelDataUrl: model.modelDataUrl },
    });
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineEndpointKey'), 'Arn'] },
      ProductionVariants: [
        Match.objectLike({ InstanceType: 'ml.g5.xlarge', InitialInstanceCount: 1 }),
      ],
    });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'minilm' });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
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
    expect(find('kms:Decrypt').Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^PipelineEndpointKey/), 'Arn'],
    });
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

  it('lets the function invoke the created endpoint only', () => {
    expect(functionStatements(template)).toContainEqual({
      actions: ['sagemaker:InvokeEndpoint'],
      resource: arn(':sagemaker:us-east-1:123456789012:endpoint/minilm'),
    });
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
  });

  it('sends alarms to the topic given', () => {
    const app = new App();
    const stack = new Stack(app, 'Topic');
    const topic = new sns.Topic(stack, 'Alarms');
    const pipeline = new BatchingPipeline(stack, 'P', { endpointName: 'ep', alarmTopic: topic });
    expect(pipeline.alarms.dlqNotEmpty.alarmArn).toBeDefined();
    const alarms = Object.values(app.synth().getStackByName('Topic').template.Resources).filter(
      (r) => (r as { Type: string }).Type === 'AWS::CloudWatch::Alarm',
    ) as { Properties: { AlarmActions: unknown[] } }[];
    expect(alarms).toHaveLength(4);
    for (const alarm of alarms)
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Alarms/) }]);
  });

  it('supports FIFO queues with their limits', () => {
    const { template } = synth({ endpointName: 'ep', fifo: true });
    template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: Match.absent(),
    });
  });
});

describe('BatchingPipeline validation', () => {
  const build = (props: BatchingPipelineProps) => () =>
    new BatchingPipeline(new Stack(new App(), 'S'), 'P', props);

  it.each<[string, BatchingPipelineProps, string]>([
    ['no endpoint', {}, 'set exactly one of endpointName'],
    ['both endpoint modes', { endpointName: 'a', model }, 'set exactly one of endpointName'],
    ['a bad endpoint name', { endpointName: 'my_endpoint' }, 'endpoint name must be 1-63'],
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
      'FIFO with batchSize 11',
      { endpointName: 'e', fifo: true, batchSize: 11 },
      '1 to 10 for a FIFO queue',
    ],
    [
      'FIFO with a window',
      { endpointName: 'e', fifo: true, batchingWindow: Duration.seconds(5) },
      'must be 0 for a FIFO queue',
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
      'a short visibility timeout',
      { endpointName: 'e', visibilityTimeout: Duration.seconds(100) },
      'at least 6 x timeout + batchingWindow = 725 s',
    ],
    [
      'model batch bytes over the InvokeEndpoint limit',
      { endpointName: 'e', modelBatchMaxBytes: 6_291_457 },
      'the InvokeEndpoint limit',
    ],
    [
      'modelBatchMaxItems 0',
      { endpointName: 'e', modelBatchMaxItems: 0 },
      'modelBatchMaxItems must be',
    ],
    ['modelParallelism 0', { endpointName: 'e', modelParallelism: 0 }, 'modelParallelism must be'],
    ['maxReceiveCount 0', { endpointName: 'e', maxReceiveCount: 0 }, 'maxReceiveCount must be'],
    [
      'a timeout over 15 minutes',
      { endpointName: 'e', timeout: Duration.minutes(16) },
      'timeout must be from 10 seconds to 15 minutes',
    ],
    ['memory 64 MB', { endpointName: 'e', memorySize: 64 }, 'memorySize must be from 128'],
    [
      'maxInputBytes above the model batch',
      { endpointName: 'e', modelBatchMaxBytes: 2_000, maxInputBytes: 3_000 },
      'maxInputBytes must be',
    ],
    [
      'a TTL under a minute',
      { endpointName: 'e', resultTtl: Duration.seconds(30) },
      'resultTtl must be at least 60 seconds',
    ],
  ])('rejects %s', (_, props, message) => {
    expect(build(props)).toThrow(message);
  });

  it('reports every problem at once', () => {
    expect(
      build({ batchSize: 0, maxConcurrency: 1, batchingWindow: Duration.seconds(400) }),
    ).toThrow(/endpointName[\s\S]*batchSize[\s\S]*300 seconds[\s\S]*maxConcurrency/);
  });

  it('rejects a model artifact that is not an S3 object URL', () => {
    expect(
      build({ model: { ...model, modelDataUrl: 'https://example.com/model.tar.gz' } }),
    ).toThrow('modelDataUrl must look like s3://bucket/key');
  });
});
