import { Logger } from '@aws-lambda-powertools/logger';
import {
  Metrics,
  MetricUnit,
  type Metrics as PowertoolsMetrics,
} from '@aws-lambda-powertools/metrics';
import type { ModelCallReport } from './modelInvoker.js';
import type { PersistReport } from './persistOutcomes.js';

/** Service name on logs and the metrics dimension. */
export const serviceName = 'sagebatch';

/** CloudWatch namespace of sagebatch's EMF metrics (overridable with POWERTOOLS_METRICS_NAMESPACE). */
export const metricsNamespace = 'Sagebatch';

/** Names of the metrics the batcher emits; the dashboard and alarms use the same names. */
export const MetricName = {
  records: 'Records',
  modelInvocations: 'ModelInvocations',
  itemsPerInvocation: 'ItemsPerInvocation',
  modelLatency: 'ModelLatency',
  payloadBytes: 'PayloadBytes',
  succeeded: 'Succeeded',
  failed: 'Failed',
  retried: 'Retried',
  duplicates: 'Duplicates',
  /** Model calls the endpoint answered with an error (any class); with ModelInvocations, the model error rate. */
  modelErrors: 'ModelErrors',
  /** Systemic endpoint errors (endpoint missing, access denied): the circuit breaker opened. */
  systemicErrors: 'SystemicErrors',
  /** FAILED outcomes the request itself caused (INVALID_REQUEST, EXPIRED). */
  clientFailures: 'ClientFailures',
  /** FAILED outcomes the pipeline or model caused (MODEL_*, RETRIES_EXHAUSTED, OUTPUT_TOO_LARGE, UNPROCESSED). */
  pipelineFailures: 'PipelineFailures',
  /** Messages SQS moved by itself after maxReceiveCount, finalized as UNPROCESSED. */
  unprocessed: 'Unprocessed',
} as const;

/** Creates the batcher's Powertools logger and metrics. */
export function createTelemetry(): { logger: Logger; metrics: PowertoolsMetrics } {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? metricsNamespace,
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
