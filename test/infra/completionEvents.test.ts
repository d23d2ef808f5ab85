import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { eventPublishRetryAttempts } from '../../infra/CompletionEvents.js';
import { FINAL_STATUSES } from '../../lib/contract/finalStatus.js';
import { StackOutput } from '../../lib/contract/stackOutputs.js';
import { synth } from './synth.js';

/** A resource of a synthesized template. */
interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
}

const resources = (template: ReturnType<typeof synth>['template'], type: string) =>
  Object.entries(template.toJSON().Resources as Record<string, CfnResource>).filter(
    ([, r]) => r.Type === type,
  );

describe('completion events', () => {
  const { template } = synth({ endpointName: 'sentiment' });

  it('streams both images of the results table', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('maps the stream to the publisher: final new images only, from the oldest record, bisected retries, failures to a queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineResults'), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: eventPublishRetryAttempts,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              dynamodb: { NewImage: { status: { S: [...FINAL_STATUSES] } } },
            }),
          },
        ],
      },
      DestinationConfig: {
        OnFailure: {
          Destination: {
            'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineCompletionEventsFailures'), 'Arn'],
          },
        },
      },
    });
  });

  it('publishes to a topic encrypted with its own rotated KMS key, refusing anything but TLS', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: {
        'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineCompletionEventsTopicKey'), 'Arn'],
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts the sagebatch completion topic',
      EnableKeyRotation: true,
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    template.hasOutput(StackOutput.completionTopic, {
      Value: { Ref: Match.stringLikeRegexp('^PipelineCompletionEventsTopic') },
    });
  });

  it("gives the publisher's role the stream, the topic, the key and its logs, nothing else", () => {
    const [[, policy]] = resources(template, 'AWS::IAM::Policy').filter(([name]) =>
      name.startsWith('PipelineCompletionEventsRole'),
    ) as [[string, CfnResource]];
    const statements = (
      policy.Properties.PolicyDocument as {
        Statement: { Action: string | string[]; Resource: unknown }[];
      }
    ).Statement;
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(
      [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sns:Publish',
        // The failures queue (the on-failure destination's grant).
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ].sort(),
    );
    for (const statement of statements) {
      const wildcard = JSON.stringify(statement.Resource) === '"*"';
      expect(wildcard ? statement.Action : 'scoped').toEqual(
        wildcard ? 'dynamodb:ListStreams' : 'scoped',
      );
    }
  });

  it('can be left out: no stream, no topic, no output', () => {
    const { template: without } = synth({ endpointName: 'sentiment', completionEvents: false });
    expect(resources(without, 'AWS::SNS::Topic')).toHaveLength(0);
    expect(
      resources(without, 'AWS::DynamoDB::Table').every(
        ([, r]) => !r.Properties.StreamSpecification,
      ),
    ).toBe(true);
    expect(Object.keys(without.toJSON().Outputs)).not.toContain(StackOutput.completionTopic);
  });
});
