import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SagebatchError } from '../contract/errors.js';
import { StackOutput } from '../contract/stackOutputs.js';
import { localClientConfig } from '../dev/localAws.js';

/** Options every CLI command shares. */
export interface ResourceOptions {
  stack: string;
  local?: boolean;
  queueUrl?: string;
  dlqUrl?: string;
  table?: string;
  topicArn?: string;
}

/** The AWS clients and resource names a command works with. */
export interface Resources {
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBDocumentClient;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly tableName: string;
  /** Reads outputs offloaded to the results bucket. */
  readonly s3: S3Client;
  /** The results bucket, when the stack names one (older stacks have none). */
  readonly resultsBucket?: string;
  /** Subscribes `wait` to completion events. */
  readonly sns: SNSClient;
  /** The completion topic, when the stack has one (or `--topic-arn`); `wait` polls without. */
  readonly completionTopicArn?: string;
}

/**
 * Resolves resource names from the stack's outputs (`--stack`), each overridable by a flag.
 * With `--local` (or `AWS_ENDPOINT_URL` set) the clients talk to the local emulator.
 */
export async function resolveResources(options: ResourceOptions): Promise<Resources> {
  const config = options.local || process.env.AWS_ENDPOINT_URL ? localClientConfig() : {};
  const needsStack = !(options.queueUrl && options.dlqUrl && options.table);
  let outputs: Record<string, string> = {};
  if (needsStack) {
    const cloudFormation = new CloudFormationClient(config);
    const response = await cloudFormation
      .send(new DescribeStacksCommand({ StackName: options.stack }))
      .catch((error: Error) => {
        throw new SagebatchError(
          `cannot read the outputs of stack ${options.stack} (${error.message}); deploy it, pass --stack, or give --queue-url, --dlq-url and --table`,
        );
      });
    outputs = Object.fromEntries(
      (response.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
  }
  const pick = (flag: string | undefined, output: string, name: string) => {
    const value = flag ?? outputs[output];
    if (!value)
      throw new SagebatchError(`stack ${options.stack} has no output ${output}; pass ${name}`);
    return value;
  };
  return {
    sqs: new SQSClient(config),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(config), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    queueUrl: pick(options.queueUrl, StackOutput.queueUrl, '--queue-url'),
    dlqUrl: pick(options.dlqUrl, StackOutput.dlqUrl, '--dlq-url'),
    tableName: pick(options.table, StackOutput.tableName, '--table'),
    // Local emulators serve buckets by path (a host name such as bucket.localhost may not resolve).
    s3: new S3Client({
      ...config,
      ...(options.local || process.env.AWS_ENDPOINT_URL ? { forcePathStyle: true } : {}),
    }),
    ...(outputs[StackOutput.resultsBucket]
      ? { resultsBucket: outputs[StackOutput.resultsBucket] }
      : {}),
    sns: new SNSClient(config),
    ...((options.topicArn ?? outputs[StackOutput.completionTopic])
      ? { completionTopicArn: options.topicArn ?? outputs[StackOutput.completionTopic] }
      : {}),
  };
}
