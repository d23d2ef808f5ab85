import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { BatchingPipelineProps } from '../../infra/BatchingPipeline.js';
import { SagebatchStack, type SagebatchStackProps } from '../../infra/SagebatchStack.js';

/** Region and account for test stacks: ARNs then resolve to readable strings. */
export const env = { account: '123456789012', region: 'us-east-1' };

/** Model settings for the create-endpoint mode. */
export const model = {
  endpointName: 'minilm',
  imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/minilm-server:1',
  modelDataUrl: 's3://my-models/minilm/model.tar.gz',
};

/** The same model on an EBS-backed CPU instance type (its volume takes a KMS key). */
export const cpuModel = { ...model, instanceType: 'ml.c5.xlarge' };

/** An existing VPC, by attributes (no lookup, no credentials). */
export const vpcAttributes = {
  vpcId: 'vpc-0123456789abcdef0',
  availabilityZones: ['us-east-1a', 'us-east-1b'],
  privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
};

/** Skips bundling the function's code: templates are what these tests read. */
export const noBundling = { 'aws:cdk:bundling-stacks': [] };

/** Synthesizes a stack with one pipeline (and cdk-nag's AwsSolutions pack when asked). */
export function synth(
  pipeline: BatchingPipelineProps,
  options: { nag?: boolean; outdir?: string; stack?: Omit<SagebatchStackProps, 'pipeline'> } = {},
) {
  const app = new App({
    context: noBundling,
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const stack = new SagebatchStack(app, 'Test', { env, ...options.stack, pipeline });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  return { app, stack, assembly, template: Template.fromStack(stack as Stack) };
}

/** An imported VPC (literal ids: usable from any stack). */
const existingVpc = ec2.Vpc.fromVpcAttributes(
  new Stack(new App(), 'Network'),
  'Vpc',
  vpcAttributes,
);

/** Every deployable variant the infra checks (cdk-nag, cfn-lint) run on. */
export const variants: [string, BatchingPipelineProps, Omit<SagebatchStackProps, 'pipeline'>?][] = [
  ['an existing endpoint', { endpointName: 'sentiment' }],
  ['a created endpoint on a GPU (NVMe) instance type', { model }],
  ['a created endpoint on a CPU (EBS) instance type', { model: cpuModel }],
  [
    'customer-managed KMS keys and active tracing',
    { endpointName: 'sentiment', tracing: lambda.Tracing.ACTIVE },
    {
      encryptionKeyArn:
        'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    },
  ],
  ['a created endpoint in a VPC', { model: { ...cpuModel, vpc: { vpc: existingVpc } } }],
  ['endpoint autoscaling', { model: { ...model, scaling: { minInstances: 1, maxInstances: 4 } } }],
  [
    'scale to zero (inference component)',
    { model: { ...model, scaling: { minInstances: 0, maxInstances: 2 } } },
  ],
  [
    'scale to zero on an EBS instance type',
    { model: { ...cpuModel, scaling: { minInstances: 0, maxInstances: 3 } } },
  ],
  ['an alarm e-mail', { endpointName: 'sentiment' }, { alarms: { email: 'ops@example.com' } }],
  ['local mode', { endpointName: 'local', localSageMakerRuntimeUrl: 'http://127.0.0.1:8080' }],
];
