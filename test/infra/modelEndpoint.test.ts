import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { hasLocalInstanceStorage } from '../../infra/instanceStorage.js';
import { ModelEndpoint } from '../../infra/ModelEndpoint.js';
import { cpuModel } from './synth.js';

const endpointOf = (props: ConstructorParameters<typeof ModelEndpoint>[2]) => {
  const stack = new Stack(new App(), 'S', {
    env: { account: '123456789012', region: 'us-east-1' },
  });
  new ModelEndpoint(stack, 'E', props);
  return Template.fromStack(stack);
};

describe('endpoint updates keep the autoscaled instance count', () => {
  it('retains the running variant properties when the count is autoscaled', () => {
    const template = endpointOf({ ...cpuModel, scaling: { minInstances: 1, maxInstances: 4 } });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      RetainAllVariantProperties: true,
    });
  });

  it('applies the configured count when it is fixed (nothing else sets it)', () => {
    const template = endpointOf({ ...cpuModel, instanceCount: 2 });
    const [endpoint] = Object.values(template.findResources('AWS::SageMaker::Endpoint'));
    expect(endpoint!.Properties.RetainAllVariantProperties).toBeUndefined();
  });
});

describe('local NVMe instance storage, per documented family', () => {
  it.each([
    // Hyphenated GPU families the old name parsing missed.
    'ml.p6-b200.48xlarge',
    'ml.p6-b300.48xlarge',
    'ml.p6e-gb200.36xlarge',
    // GPU and Trainium families without a `d`.
    'ml.g5.xlarge',
    'ml.g6.xlarge',
    'ml.g6e.xlarge',
    'ml.gr6.4xlarge',
    'ml.p5.48xlarge',
    'ml.p5e.48xlarge',
    'ml.p5en.48xlarge',
    'ml.trn1.32xlarge',
    'ml.trn1n.32xlarge',
    'ml.trn2.48xlarge',
    // `d` families.
    'ml.g4dn.xlarge',
    'ml.g4ad.xlarge',
    'ml.p3dn.24xlarge',
    'ml.p4d.24xlarge',
    'ml.p4de.24xlarge',
    'ml.m5d.large',
    'ml.m6gd.large',
    'ml.m6id.large',
    'ml.m7gd.large',
    'ml.c5d.xlarge',
    'ml.c6gd.large',
    'ml.c6id.large',
    'ml.c7gd.large',
    'ml.r5d.large',
    'ml.r6gd.large',
    'ml.r6id.large',
    'ml.r7gd.large',
    // A family added later keeps the `d` convention.
    'ml.m8gd.large',
  ])('%s has local NVMe storage', (type) => {
    expect(hasLocalInstanceStorage(type)).toBe(true);
  });

  it.each([
    'ml.c5.xlarge',
    'ml.m5.large',
    'ml.r5.large',
    'ml.c6g.large',
    'ml.m7i.large',
    'ml.g5g.xlarge',
    'ml.inf1.xlarge',
    'ml.inf2.xlarge',
    'ml.p3.2xlarge',
    'ml.t2.medium',
    'not-an-instance-type',
  ])('%s is EBS-backed (takes a KMS key)', (type) => {
    expect(hasLocalInstanceStorage(type)).toBe(false);
  });
});
