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
import type { PersistReport, WriteVolume } from './persist/persistOutcomes.js';

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
 * What {@link recordInvocationMetrics} reads: the persist report, and what was written
 * (optional for callers that have no writes to report: they count as 0).
 */
export type InvocationReport = PersistReport &
  Partial<WriteVolume> & {
    /** Requests held because the endpoint had no capacity (scaled to zero). */
    readonly noCapacityHolds?: number;
    /** Age of the oldest request held, seconds since its first enqueue (0 or absent: none). */
    readonly heldAgeSeconds?: number;
  };

/**
 * Adds one invocation's counts to `metrics`. Only calls the endpoint really answered (or
 * let time out) count as model invocations; calls cut off by the function's own time
 * budget do not. Items, latency and bytes are per successful call; errors are counted
 * in total, per kind, and as the model's own answer errors (the model error rate alarm's
 * numerator).
 *
 * The cost line divides by `records` (every record delivered, duplicates included: what a
 * producer sent): `EndpointMsPerRequest` is the time of every call the endpoint worked on,
 * failed ones included, since an instance is busy either way; `BytesWrittenPerRequest`
 * counts rows and results objects made durable, the volume DynamoDB and S3 bill.
 */
export function recordInvocationMetrics(
  metrics: PowertoolsMetrics,
  records: number,
  calls: readonly ModelCallReport[],
  report: InvocationReport,
): void {
  metrics.addMetric(MetricName.records, MetricUnit.Count, records);
  const errors: Record<FailureKind, number> = {
    unavailable: 0,
    'model-error': 0,
    rejected: 0,
    'bad-response': 0,
    systemic: 0,
    'no-capacity': 0,
  };
  let sent = 0;
  let endpointMs = 0;
  for (const call of calls) {
    if (call.result === 'aborted') continue;
    sent++;
    endpointMs += call.latencyMs;
    if (call.result !== 'ok') {
      errors[call.result]++;
      continue;
    }
    metrics.addMetric(MetricName.itemsPerInvocation, MetricUnit.Count, call.items);
    metrics.addMetric(MetricName.modelLatency, MetricUnit.Milliseconds, call.latencyMs);
    metrics.addMetric(MetricName.payloadBytes, MetricUnit.Bytes, call.bytes);
  }
  metrics.addMetric(MetricName.modelInvocations, MetricUnit.Count, sent);
  // A no-capacity answer is the endpoint at zero, not the model failing: not a model error.
  metrics.addMetric(
    MetricName.modelErrors,
    MetricUnit.Count,
    sent - countOk(calls) - errors['no-capacity'],
  );
  // Only what the model answered: throttling and an overloaded or misconfigured endpoint
  // have their own metrics and must not page as "the model answers with errors".
  metrics.addMetric(
    MetricName.modelAnswerErrors,
    MetricUnit.Count,
    errors['model-error'] + errors.rejected + errors['bad-response'],
  );
  for (const [kind, count] of Object.entries(errors) as [FailureKind, number][]) {
    metrics.addMetric(ModelErrorMetric[kind], MetricUnit.Count, count);
  }
  metrics.addMetric(MetricName.succeeded, MetricUnit.Count, report.succeeded);
  metrics.addMetric(MetricName.failed, MetricUnit.Count, report.failed);
  metrics.addMetric(MetricName.cancelled, MetricUnit.Count, report.cancelled);
  metrics.addMetric(MetricName.clientFailures, MetricUnit.Count, report.clientFailures);
  metrics.addMetric(MetricName.pipelineFailures, MetricUnit.Count, report.pipelineFailures);
  metrics.addMetric(MetricName.retried, MetricUnit.Count, report.retried);
  metrics.addMetric(MetricName.duplicates, MetricUnit.Count, report.duplicates);
  metrics.addMetric(MetricName.requeued, MetricUnit.Count, report.requeued);
  metrics.addMetric(MetricName.heldRequestAge, MetricUnit.Seconds, report.heldAgeSeconds ?? 0);
  const perRequest = (value: number) => (records > 0 ? value / records : 0);
  metrics.addMetric(
    MetricName.endpointMsPerRequest,
    MetricUnit.Milliseconds,
    perRequest(endpointMs),
  );
  metrics.addMetric(
    MetricName.bytesWrittenPerRequest,
    MetricUnit.Bytes,
    perRequest(report.bytesWritten ?? 0),
  );
  metrics.addMetric(MetricName.offloadedOutputs, MetricUnit.Count, report.offloaded ?? 0);
  metrics.addMetric(MetricName.noCapacityHolds, MetricUnit.Count, report.noCapacityHolds ?? 0);
}

const countOk = (calls: readonly ModelCallReport[]) =>
  calls.reduce((n, call) => n + (call.result === 'ok' ? 1 : 0), 0);
