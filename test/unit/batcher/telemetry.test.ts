import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import type { ModelCallReport } from '../../../lib/batcher/invoke/modelInvoker.js';
import type { PersistReport } from '../../../lib/batcher/persist/persistOutcomes.js';
import { MetricName, recordInvocationMetrics } from '../../../lib/batcher/telemetry.js';

const report: PersistReport = {
  retry: new Set(),
  succeeded: 0,
  failed: 0,
  cancelled: 0,
  clientFailures: 0,
  pipelineFailures: 0,
  retried: 0,
  duplicates: 0,
  requeued: 0,
  deadLetterRaces: 0,
};

/** Sums of every metric one invocation with `calls` adds. */
function emitted(calls: ModelCallReport[]): Record<string, number> {
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });
  const sums: Record<string, number> = {};
  const real = metrics.addMetric.bind(metrics);
  metrics.addMetric = (name, unit, value) => {
    sums[name] = (sums[name] ?? 0) + value;
    return real(name, unit, value);
  };
  recordInvocationMetrics(metrics, 10, calls, report);
  return sums;
}

const call = (result: ModelCallReport['result']): ModelCallReport => ({
  items: 4,
  bytes: 100,
  latencyMs: 10,
  result,
});

describe('recordInvocationMetrics', () => {
  it('counts each kind of model call error apart: throttling and systemic calls are not model answer errors', () => {
    const sums = emitted([
      call('ok'),
      call('unavailable'),
      call('unavailable'),
      call('systemic'),
      call('aborted'),
    ]);
    expect(sums[MetricName.modelInvocations]).toBe(4);
    expect(sums.ModelUnavailableErrors).toBe(2);
    expect(sums.SystemicErrors).toBe(1);
    // The model-error-rate alarm's numerator: no model answered with an error here.
    expect(sums[MetricName.modelAnswerErrors]).toBe(0);
    // Kept as documented: every call answered with an error, of any kind.
    expect(sums[MetricName.modelErrors]).toBe(3);
  });

  it('counts 5xx, 4xx and undecodable answers as model answer errors', () => {
    const sums = emitted([
      call('model-error'),
      call('rejected'),
      call('bad-response'),
      call('unavailable'),
    ]);
    expect(sums[MetricName.modelAnswerErrors]).toBe(3);
    expect(sums.ModelServerErrors).toBe(1);
    expect(sums.ModelRejections).toBe(1);
    expect(sums.ModelBadResponses).toBe(1);
  });
});
