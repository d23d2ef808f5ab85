import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ageAlarmCanFire,
  defaultOldestRequestAgeThreshold,
  failingThirdReceiveAgeSeconds,
  healthyAgeBeforeThirdReceiveSeconds,
  unfinalizedThreshold,
} from '../../infra/alarmThresholds.js';
import { BatchingPipeline } from '../../infra/BatchingPipeline.js';
import { finalizerTimeout, intakeVisibilityTimeout } from '../../infra/UnprocessedFinalizer.js';
import {
  defaultVisibilityTimeout,
  validatePipelineProps,
} from '../../infra/validatePipelineProps.js';
import {
  RedeliveryBackoff,
  type RedeliveryBackoffPolicy,
  redeliveryDelaySeconds,
  totalRedeliveryDelaySeconds,
} from '../../lib/contract/redeliveryBackoff.js';
import { env, noBundling } from './synth.js';

// SQS stops counting a message in ApproximateAgeOfOldestMessage after its third receive
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html).
// An age threshold is right when, for a setting the construct accepts, (1) a healthy request
// never passes it before its third receive and (2) a failing one passes it, with a sample
// to spare, before its third receive.

/** Every setting the construct accepts that the request queue's ages follow. */
const settings = fc
  .record({
    timeoutS: fc.integer({ min: 10, max: 900 }),
    windowS: fc.integer({ min: 0, max: 300 }),
    maxReceiveCount: fc.integer({ min: 1, max: 1_000 }),
    extraVisibilityS: fc.integer({ min: 0, max: 20_000 }),
    backoff: fc.constantFrom<RedeliveryBackoffPolicy>(RedeliveryBackoff),
  })
  .map((s) => {
    const timeout = Duration.seconds(s.timeoutS);
    const batchingWindow = Duration.seconds(s.windowS);
    const visibilityTimeout = Duration.seconds(
      Math.min(
        43_200,
        defaultVisibilityTimeout(timeout, batchingWindow).toSeconds() + s.extraVisibilityS,
      ),
    );
    return { ...s, timeout, batchingWindow, visibilityTimeout };
  })
  .filter(
    (s) =>
      validatePipelineProps({
        batchSize: 10,
        batchingWindow: s.batchingWindow,
        maxConcurrency: 2,
        timeout: s.timeout,
        visibilityTimeout: s.visibilityTimeout,
        memorySize: 1_024,
        resultTtl: Duration.days(1),
      }).length === 0,
  );

type Settings = typeof settings extends fc.Arbitrary<infer T> ? T : never;

/** Holds when `threshold` neither pages for healthy retries nor misses a failing batcher. */
const oldestRequestAgeIsRight = (s: Settings, thresholdS: number) =>
  thresholdS >= healthyAgeBeforeThirdReceiveSeconds(s.batchingWindow, s.timeout, s.backoff) &&
  ageAlarmCanFire(thresholdS, failingThirdReceiveAgeSeconds(s.visibilityTimeout));

/** The default before this fix: every delivery the queue allows, with its backoff, + 60 s. */
const previousDefault = (s: Settings) =>
  s.maxReceiveCount * (s.windowS + s.timeoutS) +
  totalRedeliveryDelaySeconds(s.maxReceiveCount, s.backoff) +
  60;

describe('the OldestRequestAge threshold fires before the third receive', () => {
  it('for every allowed setting (property)', () => {
    fc.assert(
      fc.property(settings, (s) =>
        oldestRequestAgeIsRight(
          s,
          defaultOldestRequestAgeThreshold(s.batchingWindow, s.timeout).toSeconds(),
        ),
      ),
      { numRuns: 2_000 },
    );
  });

  it("today's threshold fails the same property (negative control)", () => {
    const result = fc.check(
      fc.property(settings, (s) => oldestRequestAgeIsRight(s, previousDefault(s))),
      { numRuns: 2_000 },
    );
    expect(result.failed).toBe(true);
  });

  it('a healthy request waits the window and the timeout twice, and two backoffs', () => {
    expect(healthyAgeBeforeThirdReceiveSeconds(Duration.seconds(5), Duration.minutes(2))).toBe(
      2 * 125 + redeliveryDelaySeconds(1) + redeliveryDelaySeconds(2),
    );
  });
});

describe('the Unfinalized threshold fires before the third receive', () => {
  const intake = { visibilityTimeout: intakeVisibilityTimeout, timeout: finalizerTimeout };
  it('stays quiet for a message finalized on its second delivery and fires before the third', () => {
    const threshold = unfinalizedThreshold(intake).toSeconds();
    // Second delivery: one visibility timeout after the first, done within the timeout.
    expect(threshold).toBeGreaterThanOrEqual(
      intake.visibilityTimeout.toSeconds() + intake.timeout.toSeconds(),
    );
    expect(ageAlarmCanFire(threshold, 2 * intake.visibilityTimeout.toSeconds())).toBe(true);
  });

  it("today's 600 s could never fire (negative control)", () => {
    expect(ageAlarmCanFire(600, 2 * intake.visibilityTimeout.toSeconds())).toBe(false);
  });
});

describe('alarms that stay in ALARM while requests are held, and that see handler errors', () => {
  const app = new App({ context: noBundling });
  const stack = new Stack(app, 'Alarms', { env });
  new BatchingPipeline(stack, 'Pipeline', {
    endpointName: 'sentiment',
    batchingWindow: Duration.seconds(20),
    timeout: Duration.minutes(2),
    maxHoldSeconds: 86_400,
  });
  const template = Template.fromStack(stack);
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (r) => r.Properties as Record<string, unknown>,
  );
  const byName = (name: string) => alarms.filter((a) => a.MetricName === name);

  it('SystemicErrors keeps its state through minutes without data (held copies are invisible)', () => {
    expect(byName('SystemicErrors')).toEqual([
      expect.objectContaining({ TreatMissingData: 'ignore', Threshold: 0, Statistic: 'Sum' }),
    ]);
  });

  it('HeldRequestAge alarms on the maximum after one full round of deliveries, keeping its state', () => {
    // 5 deliveries x (20 s + 120 s) + backoff 5+10+20+40 s.
    expect(byName('HeldRequestAge')).toEqual([
      expect.objectContaining({
        Namespace: 'Sagebatch',
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 775,
        TreatMissingData: 'ignore',
      }),
    ]);
  });

  it('HandlerErrors alarms on any invocation the safety net answered', () => {
    expect(byName('HandlerErrors')).toEqual([
      expect.objectContaining({ Namespace: 'Sagebatch', Statistic: 'Sum', Threshold: 0 }),
    ]);
  });

  it("watches both functions' Lambda Errors", () => {
    const errors = byName('Errors');
    expect(errors).toHaveLength(2);
    const functions = errors.map((a) => JSON.stringify(a.Dimensions));
    expect(functions.some((d) => d.includes('PipelineBatcher'))).toBe(true);
    expect(functions.some((d) => d.includes('PipelineFinalizer'))).toBe(true);
  });

  it('OldestRequestAge and Unfinalized use the derived thresholds', () => {
    const ages = byName('ApproximateAgeOfOldestMessage');
    const unfinalized = ages.find((a) => JSON.stringify(a.Dimensions).includes('Unprocessed'));
    const oldest = ages.find((a) => !JSON.stringify(a.Dimensions).includes('Unprocessed'));
    expect(unfinalized).toMatchObject({ Threshold: 210 });
    expect(oldest).toMatchObject({ Threshold: 2 * 140 + 5 + 10 });
  });

  it('refuses an OldestRequestAge threshold that could never fire', () => {
    const other = new Stack(new App({ context: noBundling }), 'Refused', { env });
    expect(
      () =>
        new BatchingPipeline(other, 'Pipeline', {
          endpointName: 'sentiment',
          timeout: Duration.minutes(2),
          oldestRequestAgeAlarmThreshold: Duration.hours(1),
        }),
    ).toThrow(/could never fire.*third receive/);
  });

  it('refuses MAX_HOLD_SECONDS beyond the request queue retention', () => {
    const other = new Stack(new App({ context: noBundling }), 'Hold', { env });
    expect(
      () =>
        new BatchingPipeline(other, 'Pipeline', {
          endpointName: 'sentiment',
          maxHoldSeconds: 5 * 86_400,
        }),
    ).toThrow(/maxHoldSeconds.*retention period/);
  });
});
