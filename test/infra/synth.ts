import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { BatchingPipelineProps } from '../../infra/BatchingPipeline.js';
import { SagebatchStack } from '../../infra/SagebatchStack.js';

/** Region and account for test stacks: ARNs then resolve to readable strings. */
export const env = { account: '123456789012', region: 'us-east-1' };

/** Model settings for the create-endpoint mode. */
export const model = {
  endpointName: 'minilm',
  imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/minilm-server:1',
  modelDataUrl: 's3://my-models/minilm/model.tar.gz',
};

/** Synthesizes a stack with one pipeline (and cdk-nag's AwsSolutions pack when asked). */
export function synth(
  pipeline: BatchingPipelineProps,
  options: { nag?: boolean; outdir?: string } = {},
) {
  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  const stack = new SagebatchStack(app, 'Test', { env, pipeline });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  return { app, stack, assembly, template: Template.fromStack(stack as Stack) };
}
