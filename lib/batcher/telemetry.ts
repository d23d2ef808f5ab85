import { Logger } from '@aws-lambda-powertools/logger';
import {
  Metrics,
  MetricUnit,
  type Metrics as PowertoolsMetrics,
} from '@aws-lambda-powertools/metrics';
import type { FailureKind } from '../contract/errors.js';
import {
  defaultServiceName,
  MetricName,
  ModelErrorMetric,
  metricsNamespace,
} from '../contract/metricNames.js';
import type { ModelCallReport } from './invoke/modelInvoker.js';
import type { PersistReport } from './persist/persistOutcomes.js';

export {
  defaultServiceName,
  MetricName,
  type MetricNameValue,
  ModelErrorMetric,
  metricsNamespace,
  serviceDimension,
} from '../contract/metricNames.js';

/**
 * Creates the batcher's Powertools logger and metrics, named by the environment the
 * construct gives the function: `POWERTOOLS_SERVICE_NAME` (the pipeline's own service
 * dimension, which its dashboard and alarms query) and `POWERTOOLS_METRICS_NAMESPACE`.
 */
export function createTelemetry(env: Readonly<Record<string, string | undefined>> = process.env): {
  logger: Logger;
  metrics: PowertoolsMetrics;
} {
  const serviceName = env.POWERTOOLS_SERVICE_NAME || defaultServiceName;
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE || metricsNamespace,
      serviceName,
    }),
  };
}

/**
 * Adds one invocation's counts to `metrics`. Only calls the endpoint really answered (or
 * let time out) count as model invocations; calls cut off by the function's own time
 * budget do not. Items, latency and bytes are per successful call; errors are counted
 * in total and per kind.
 */
export function recordInvocationMetrics(
  metrics: PowertoolsMetrics,
  records: number,
  calls: readonly ModelCallReport[],
  report: PersistReport,
): void {
  metrics.addMetric(MetricName.records, MetricUnit.Count, records);
  const errors: Record<FailureKind, number> = {
    unavailable: 0,
    'model-error': 0,
    rejected: 0,
    'bad-response': 0,
    systemic: 0,
  };
  let sent = 0;
  for (const call of calls) {
    if (call.result === 'aborted') continue;
    sent++;
    if (call.result !== 'ok') {
      errors[call.result]++;
      continue;
    }
    metrics.addMetric(MetricName.itemsPerInvocation, MetricUnit.Count, call.items);
    metrics.addMetric(MetricName.modelLatency, MetricUnit.Milliseconds, call.latencyMs);
    metrics.addMetric(MetricName.payloadBytes, MetricUnit.Bytes, call.bytes);
  }
  metrics.addMetric(MetricName.modelInvocations, MetricUnit.Count, sent);
  metrics.addMetric(MetricName.modelErrors, MetricUnit.Count, sent - countOk(calls));
  for (const [kind, count] of Object.entries(errors) as [FailureKind, number][]) {
    metrics.addMetric(ModelErrorMetric[kind], MetricUnit.Count, count);
  }
  metrics.addMetric(MetricName.succeeded, MetricUnit.Count, report.succeeded);
  metrics.addMetric(MetricName.failed, MetricUnit.Count, report.failed);
  metrics.addMetric(MetricName.clientFailures, MetricUnit.Count, report.clientFailures);
  metrics.addMetric(MetricName.pipelineFailures, MetricUnit.Count, report.pipelineFailures);
  metrics.addMetric(MetricName.retried, MetricUnit.Count, report.retried);
  metrics.addMetric(MetricName.duplicates, MetricUnit.Count, report.duplicates);
  metrics.addMetric(MetricName.requeued, MetricUnit.Count, report.requeued);
}

const countOk = (calls: readonly ModelCallReport[]) =>
  calls.reduce((n, call) => n + (call.result === 'ok' ? 1 : 0), 0);
