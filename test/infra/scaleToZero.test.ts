import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { scaleToZeroWakeSeconds } from '../../infra/alarmThresholds.js';
import type { BatchingPipelineProps } from '../../infra/BatchingPipeline.js';
import { inferenceComponentNameOf } from '../../infra/inferenceComponentHosting.js';
import { model, synth } from './synth.js';

/** A step of a step scaling policy. */
interface StepAdjustment {
  MetricIntervalLowerBound?: number;
  MetricIntervalUpperBound?: number;
  ScalingAdjustment: number;
}
interface Resource {
  Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: template JSON
  Properties: any;
}
const resourcesOf = (template: Template, type: string) =>
  Object.values(template.findResources(type)) as Resource[];

const componentName = inferenceComponentNameOf(model.endpointName);

describe('scale to zero (model.scaling.minInstances 0)', () => {
  let template: Template;
  beforeAll(() => {
    template = synth({
      batchSize: 500,
      model: {
        ...model,
        scaling: {
          minInstances: 0,
          maxInstances: 3,
          backlogPerInstance: 100,
          idleBeforeScaleToZero: Duration.minutes(20),
        },
      },
    }).template;
  });

  it('creates an endpoint config with managed instance scaling down to 0 and no model in the variant', () => {
    const [config] = resourcesOf(template, 'AWS::SageMaker::EndpointConfig');
    const variant = config!.Properties.ProductionVariants[0];
    expect(variant.ManagedInstanceScaling).toEqual({
      Status: 'ENABLED',
      MinInstanceCount: 0,
      MaxInstanceCount: 3,
    });
    expect(variant.ModelName).toBeUndefined();
    expect(variant.RoutingConfig).toEqual({ RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' });
    // Inference components need the execution role on the endpoint config.
    expect(config!.Properties.ExecutionRoleArn).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/ExecutionRole/), 'Arn'],
    });
  });

  it('hosts the model as one inference component, one GPU per copy on a GPU type', () => {
    template.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      InferenceComponentName: componentName,
      EndpointName: { 'Fn::GetAtt': [Match.stringLikeRegexp('Endpoint'), 'EndpointName'] },
      VariantName: 'AllTraffic',
      Specification: {
        ModelName: { 'Fn::GetAtt': [Match.stringLikeRegexp('Model'), 'ModelName'] },
        ComputeResourceRequirements: {
          MinMemoryRequiredInMb: 1024,
          NumberOfAcceleratorDevicesRequired: 1,
        },
      },
      RuntimeConfig: { CopyCount: 1 },
    });
  });

  it('registers the component copy count as a scalable target from 0 to maxInstances', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      ResourceId: `inference-component/${componentName}`,
      MinCapacity: 0,
      MaxCapacity: 3,
      RoleARN: Match.objectLike({
        'Fn::Join': [
          '',
          Match.arrayWith([
            Match.stringLikeRegexp('AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint'),
          ]),
        ],
      }),
    });
    // No variant-level target: the instances are SageMaker's managed instance scaling's.
    expect(
      resourcesOf(template, 'AWS::ApplicationAutoScaling::ScalableTarget').filter((t) =>
        JSON.stringify(t).includes('variant:DesiredInstanceCount'),
      ),
    ).toHaveLength(0);
  });

  /** The alarm whose action is the policy, and the policy. */
  function alarmAndPolicy(operator: string) {
    const alarm = resourcesOf(template, 'AWS::CloudWatch::Alarm').find(
      (a) =>
        a.Properties.ComparisonOperator === operator &&
        JSON.stringify(a).includes('ApproximateNumberOfMessagesNotVisible'),
    )!;
    expect(alarm).toBeDefined();
    const policies = template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy');
    const [logicalId] = Object.entries(policies).find(([id]) =>
      JSON.stringify(alarm.Properties.AlarmActions).includes(id),
    )!;
    return { alarm, policy: policies[logicalId!] as Resource };
  }

  it('scales out from zero as soon as one request waits (visible + in flight > 0 for one minute)', () => {
    const { alarm, policy } = alarmAndPolicy('GreaterThanThreshold');
    expect(alarm.Properties.Threshold).toBe(0);
    expect(alarm.Properties.EvaluationPeriods).toBe(1);
    expect(alarm.Properties.Metrics[0].Expression).toBe('visible + inflight');
    expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
    const config = policy.Properties.StepScalingPolicyConfiguration;
    expect(policy.Properties.PolicyType).toBe('StepScaling');
    expect(config.AdjustmentType).toBe('ExactCapacity');
    const desired = (backlog: number) =>
      (config.StepAdjustments as StepAdjustment[]).find(
        (s) =>
          (s.MetricIntervalLowerBound ?? -Infinity) <= backlog &&
          backlog < (s.MetricIntervalUpperBound ?? Infinity),
      )!.ScalingAdjustment;
    // Breaching means backlog >= 1; offsets from the threshold 0 are the backlog itself.
    expect([1, 99, 100, 199, 200, 10_000].map(desired)).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it('scales to zero after the idle time with an empty backlog', () => {
    const { alarm, policy } = alarmAndPolicy('LessThanOrEqualToThreshold');
    expect(alarm.Properties.Threshold).toBe(0);
    expect(alarm.Properties.EvaluationPeriods).toBe(20);
    expect(alarm.Properties.DatapointsToAlarm).toBe(20);
    expect(alarm.Properties.Metrics[0].Expression).toBe('visible + inflight');
    const config = policy.Properties.StepScalingPolicyConfiguration;
    expect(config.AdjustmentType).toBe('ExactCapacity');
    expect(config.StepAdjustments).toEqual([{ MetricIntervalUpperBound: 0, ScalingAdjustment: 0 }]);
  });

  it('passes the component name to the function and lets it invoke only this endpoint and component', () => {
    const [fn] = resourcesOf(template, 'AWS::Lambda::Function').filter((f) =>
      JSON.stringify(f.Properties.Environment ?? {}).includes('ENDPOINT_NAME'),
    );
    expect(fn!.Properties.Environment.Variables.INFERENCE_COMPONENT_NAME).toBe(componentName);
    const statements = resourcesOf(template, 'AWS::IAM::Policy').flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
    );
    const invoke = statements.filter((s) => s.Action === 'sagemaker:InvokeEndpoint');
    expect(invoke).toHaveLength(1);
    expect(invoke[0]!.Resource).toEqual([
      { Ref: expect.stringMatching(/^PipelineEndpoint/) },
      { 'Fn::GetAtt': [expect.stringMatching(/InferenceComponent/), 'InferenceComponentArn'] },
    ]);
  });
});

describe('scale to zero validation at synth', () => {
  const build =
    (scaling: object, extra: Partial<BatchingPipelineProps> = {}) =>
    () =>
      synth({ model: { ...model, scaling: scaling as never }, ...extra });

  it.each([
    ['maxInstances 0', { minInstances: 0, maxInstances: 0 }, 'maxInstances >= 1'],
    [
      'an idle time under a minute',
      { minInstances: 0, maxInstances: 1, idleBeforeScaleToZero: Duration.seconds(30) },
      'idleBeforeScaleToZero must be whole minutes',
    ],
    [
      'an idle time over a day',
      { minInstances: 0, maxInstances: 1, idleBeforeScaleToZero: Duration.hours(25) },
      'idleBeforeScaleToZero must be whole minutes',
    ],
    [
      'an idle time on an always-on endpoint',
      { minInstances: 1, maxInstances: 2, idleBeforeScaleToZero: Duration.minutes(5) },
      'apply only to scale to zero',
    ],
    [
      'zero accelerators per copy',
      { minInstances: 0, maxInstances: 1, copySizing: { accelerators: 0 } },
      'copySizing.accelerators',
    ],
  ])('rejects %s', (_, scaling, message) => {
    expect(build(scaling)).toThrow(message);
  });

  it('rejects an instanceCount with scale to zero', () => {
    expect(() =>
      synth({
        model: { ...model, instanceCount: 2, scaling: { minInstances: 0, maxInstances: 2 } },
      }),
    ).toThrow('instanceCount does not apply to scale to zero');
  });

  it('rejects a MAX_HOLD_SECONDS too short for a wake-up from zero', () => {
    // No-capacity holds end FAILED past MAX_HOLD_SECONDS: shorter than a wake-up, every
    // request after idle would fail.
    expect(build({ minInstances: 0, maxInstances: 1 }, { maxHoldSeconds: 600 })).toThrow(
      /maxHoldSeconds \(600 s\) is too short for scale to zero/,
    );
    expect(build({ minInstances: 0, maxInstances: 1 }, { maxHoldSeconds: 2_400 })).not.toThrow();
    // Always-on endpoints keep the 60 s minimum.
    expect(build({ minInstances: 1, maxInstances: 2 }, { maxHoldSeconds: 600 })).not.toThrow();
  });

  it('alarms on HeldRequestAge (which counts no-capacity holds) only past an ordinary wake-up', () => {
    const heldAgeThreshold = (scaling: object) => {
      const alarms = resourcesOf(build(scaling)().template, 'AWS::CloudWatch::Alarm');
      return alarms.find((a) => a.Properties.MetricName === 'HeldRequestAge')!.Properties
        .Threshold as number;
    };
    // The first requests after idle wait about 10 minutes: the alarm must not page for it.
    expect(heldAgeThreshold({ minInstances: 0, maxInstances: 1 })).toBe(scaleToZeroWakeSeconds);
    expect(scaleToZeroWakeSeconds).toBeGreaterThanOrEqual(1_200);
    // Always on: one full round of deliveries, as before.
    expect(heldAgeThreshold({ minInstances: 1, maxInstances: 2 })).toBeLessThan(
      scaleToZeroWakeSeconds,
    );
  });

  it('rejects inferenceComponentName in created mode', () => {
    expect(build({ minInstances: 0, maxInstances: 1 }, { inferenceComponentName: 'x' })).toThrow(
      'inferenceComponentName is for an existing endpoint',
    );
  });

  it('passes inferenceComponentName to the function for an existing endpoint', () => {
    const { template } = synth({ endpointName: 'shared', inferenceComponentName: 'shared-ic' });
    const fns = resourcesOf(template, 'AWS::Lambda::Function').filter((f) =>
      JSON.stringify(f.Properties.Environment ?? {}).includes('INFERENCE_COMPONENT_NAME'),
    );
    expect(fns[0]!.Properties.Environment.Variables.INFERENCE_COMPONENT_NAME).toBe('shared-ic');
  });
});
