import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { synth, variants } from './synth.js';

describe('cdk-nag AwsSolutions', () => {
  it('finds a violation when there is one (the pack really runs)', () => {
    const app = new App();
    new sqs.Queue(new Stack(app, 'Bad'), 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/does not have server-side encryption enabled/);
  });

  it.each(variants)('reports no errors for a pipeline with %s', (_, pipeline, stack) => {
    const { assembly } = synth(pipeline, { nag: true, stack });
    expect(assembly.stacks).toHaveLength(1);
  });
});
