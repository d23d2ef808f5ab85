import { execFileSync } from 'node:child_process';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SagebatchClient } from '../../lib/client/index.js';
import { deployLocal, destroyLocal, type StackOutputs } from '../../lib/dev/cdkLocal.js';
import type { BuiltinModelName } from '../../lib/dev/endpointEmulator/builtinModels.js';
import { EndpointEmulator } from '../../lib/dev/endpointEmulator/EndpointEmulator.js';
import { localClientConfig, localEndpointHosts } from '../../lib/dev/localAws.js';

/**
 * The settings the integration stack is deployed with (short timeouts keep retries quick;
 * a batch size of 1,000 lets one invocation hold every request a test sends at once).
 */
export const itContext = {
  batchSize: '1000',
  batchingWindowSeconds: '1',
  timeoutSeconds: '10',
  // A 10 s function fits one call of 5 s plus the save reserve (checked at synth).
  modelCallTimeoutMs: '5000',
  maxReceiveCount: '2',
  // Holds end within the suite: a permanently busy endpoint fails requests after 2 minutes.
  maxHoldSeconds: '120',
  modelBatchMaxItems: '16',
  codec: 'json-instances',
};

/** A deployed pipeline on the local emulator, with clients and the endpoint emulator. */
export interface LocalStack {
  readonly outputs: StackOutputs;
  readonly endpoint: EndpointEmulator;
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly client: SagebatchClient;
  teardown(): Promise<void>;
}

/**
 * Starts (or reuses) the AWS emulator, starts the local endpoint emulator, and deploys the
 * real CDK app in local mode with the CDK CLI.
 */
export async function startLocalStack(
  stackName: string,
  context: Readonly<Record<string, string>> = itContext,
  options: {
    readonly model?: BuiltinModelName;
    /** The endpoint emulator's capacity switch (scale to zero). */
    readonly capacity?: { readonly atZero?: boolean; readonly startupMs?: number };
  } = {},
): Promise<LocalStack> {
  const emulator = execFileSync('bash', ['scripts/aws-emulator.sh', 'start'], {
    encoding: 'utf8',
  }).trim();
  const hosts = localEndpointHosts();
  const endpoint = new EndpointEmulator({
    port: 0,
    host: hosts.bind,
    ...(options.model ? { model: options.model } : {}),
    ...(options.capacity ? { capacity: options.capacity } : {}),
  });
  const url = new URL(await endpoint.start());
  url.hostname = hosts.host;
  const outputs = await deployLocal({
    stackName,
    sageMakerRuntimeUrl: url.origin,
    context,
  });
  const config = localClientConfig();
  const sqs = new SQSClient(config);
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient(config));
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const sns = new SNSClient(config);
  const client = new SagebatchClient({
    sqs,
    dynamo,
    queueUrl: outputs.queueUrl,
    tableName: outputs.tableName,
    s3,
    resultsBucket: outputs.resultsBucket,
  });
  return {
    outputs,
    endpoint,
    sqs,
    dynamo,
    s3,
    sns,
    client,
    async teardown() {
      try {
        await destroyLocal(stackName, context);
      } finally {
        await endpoint.stop();
        if (emulator === 'started') execFileSync('bash', ['scripts/aws-emulator.sh', 'stop']);
      }
    },
  };
}
