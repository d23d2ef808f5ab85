import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { StackOutput } from '../lib/contract/stackOutputs.js';
import { BatchingPipeline, type BatchingPipelineProps } from './BatchingPipeline.js';

export { StackOutput } from '../lib/contract/stackOutputs.js';

/** Where the stack's alarms notify: a new topic with an e-mail subscription, or a topic of yours. */
export interface AlarmDestination {
  /** E-mail address subscribed to a new, encrypted alarm topic (confirm the e-mail AWS sends). */
  readonly email?: string;
  /** ARN of an existing SNS topic (its key policy must let CloudWatch publish if it is encrypted). */
  readonly topicArn?: string;
}

/** Properties of a {@link SagebatchStack}. */
export interface SagebatchStackProps extends StackProps {
  readonly pipeline: BatchingPipelineProps;
  /** @default alarms without actions */
  readonly alarms?: AlarmDestination;
  /** ARN of a customer-managed KMS key for the queues, the table and the results bucket. @default AWS-managed encryption */
  readonly encryptionKeyArn?: string;
}

/** A stack holding one {@link BatchingPipeline} and the outputs a producer needs. */
export class SagebatchStack extends Stack {
  readonly pipeline: BatchingPipeline;
  /** The topic alarms notify, when one was given or created. */
  readonly alarmTopic?: sns.ITopic;

  constructor(scope: Construct, id: string, props: SagebatchStackProps) {
    super(scope, id, props);
    const { email, topicArn } = props.alarms ?? {};
    if (email && topicArn) throw new Error('set at most one of alarmEmail and alarmTopicArn');
    if (topicArn) this.alarmTopic = sns.Topic.fromTopicArn(this, 'AlarmTopic', topicArn);
    if (email) this.alarmTopic = this.createAlarmTopic(email);
    this.pipeline = new BatchingPipeline(this, 'Pipeline', {
      ...props.pipeline,
      alarmTopic: props.pipeline.alarmTopic ?? this.alarmTopic,
      encryptionKey:
        props.pipeline.encryptionKey ??
        (props.encryptionKeyArn
          ? kms.Key.fromKeyArn(this, 'EncryptionKey', props.encryptionKeyArn)
          : undefined),
    });
    const alarmsGo = this.alarmTopic
      ? email
        ? `SNS topic ${this.alarmTopic.topicArn}, e-mailing ${email} once the subscription is confirmed`
        : `SNS topic ${this.alarmTopic.topicArn}`
      : 'nowhere: the alarms have no action (deploy with -c sagebatch:alarmEmail=you@example.com or -c sagebatch:alarmTopicArn=arn:...)';
    const outputs: Record<string, [string, string]> = {
      [StackOutput.queueUrl]: [this.pipeline.queue.queueUrl, 'Send requests here'],
      [StackOutput.dlqUrl]: [this.pipeline.dlq.queueUrl, 'Failed requests, with error attributes'],
      [StackOutput.tableName]: [this.pipeline.table.tableName, 'One result row per request id'],
      [StackOutput.resultsBucket]: [
        this.pipeline.resultsBucket.bucketName,
        'Outputs too large for their result row (the row points to results/<request id>/<invocation id>)',
      ],
      [StackOutput.functionName]: [this.pipeline.function.functionName, 'The batcher function'],
      [StackOutput.endpointName]: [this.pipeline.endpointName, 'The SageMaker endpoint invoked'],
      [StackOutput.alarms]: [alarmsGo, 'Where the pipeline alarms notify'],
      [StackOutput.dashboard]: [
        this.pipeline.dashboard.dashboardName,
        'CloudWatch dashboard of the pipeline',
      ],
    };
    if (this.pipeline.completionEvents)
      outputs[StackOutput.completionTopic] = [
        this.pipeline.completionEvents.topic.topicArn,
        'Completion events: one request.completed message per request that reaches a final status',
      ];
    for (const [name, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, name, { value, description });
    }
  }

  /** An SNS topic encrypted with its own key, which CloudWatch alarms may use to publish. */
  private createAlarmTopic(email: string): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'Encrypts the sagebatch alarm topic',
    });
    // CloudWatch publishes alarm notifications to encrypted topics only if the key lets it.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'sagebatch alarms',
      masterKey: key,
      enforceSSL: true,
    });
    topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }
}
