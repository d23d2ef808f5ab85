import { Logger } from '@aws-lambda-powertools/logger';
import {
  Metrics,
  MetricUnit,
  type Metrics as PowertoolsMetrics,
} from '@aws-lambda-powertools/metrics';
import { defaultServiceName, MetricName, metricsNamespace } from './metricNames.js';
import type { ModelCallReport } from './modelInvoker.js';
import type { PersistReport } from './persistOutcomes.js';

export {
  defaultServiceName,
  MetricName,
  type MetricNameValue,
  metricsNamespace,
  serviceDimension,
} from './metricNames.js';

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

/** Adds one invocation's counts to `metrics`: one value per model call, totals per outcome. */
export function recordInvocationMetrics(
  metrics: PowertoolsMetrics,
  records: number,
  calls: readonly ModelCallReport[],
  report: PersistReport,
): void {
  metrics.addMetric(MetricName.records, MetricUnit.Count, records);
  metrics.addMetric(MetricName.modelInvocations, MetricUnit.Count, calls.length);
  for (const call of calls) {
    metrics.addMetric(MetricName.itemsPerInvocation, MetricUnit.Count, call.items);
    metrics.addMetric(MetricName.modelLatency, MetricUnit.Milliseconds, call.latencyMs);
    metrics.addMetric(MetricName.payloadBytes, MetricUnit.Bytes, call.bytes);
  }
  metrics.addMetric(MetricName.succeeded, MetricUnit.Count, report.succeeded);
  metrics.addMetric(MetricName.failed, MetricUnit.Count, report.failed);
  metrics.addMetric(MetricName.retried, MetricUnit.Count, report.retried);
  metrics.addMetric(MetricName.duplicates, MetricUnit.Count, report.duplicates);
}
