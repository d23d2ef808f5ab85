/**
 * The batcher's metric contract: namespace, service dimension and metric names. Pure
 * values, so the CDK app can build its dashboard and alarms from them without loading
 * Powertools at synth; `telemetry.ts` emits under exactly these names.
 */

import type { FailureKind } from './errors.js';

/** Service name when `POWERTOOLS_SERVICE_NAME` is not set (tests, local tools). */
export const defaultServiceName = 'sagebatch';

/** CloudWatch namespace of sagebatch's EMF metrics (the construct sets POWERTOOLS_METRICS_NAMESPACE to it). */
export const metricsNamespace = 'Sagebatch';

/** The one dimension on every batcher metric: the pipeline's service name. */
export const serviceDimension = 'service';

/** Names of the metrics the batcher emits; the dashboard and alarms use the same names. */
export const MetricName = {
  records: 'Records',
  /** Model calls made, whatever their result. */
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
  /** Requests held back by a misconfigured endpoint on their last delivery, sent back to the queue. */
  requeued: 'Requeued',
  /** Cost line, per invocation: model call time (ms summed over calls) divided by the requests settled. */
  endpointMsPerRequest: 'EndpointMsPerRequest',
  /** Cost line, per invocation: bytes written (result rows + offloaded objects) divided by the requests settled. */
  bytesWrittenPerRequest: 'BytesWrittenPerRequest',
  /** Outputs stored in the results bucket instead of their row. */
  offloadedOutputs: 'OffloadedOutputs',
  /** Requests held because the endpoint had no capacity (scaled to zero): RETRYING or requeued, never FAILED. */
  noCapacityHolds: 'NoCapacityHolds',
} as const;

/** One of {@link MetricName}'s values. */
export type MetricNameValue = (typeof MetricName)[keyof typeof MetricName];

/**
 * One metric per kind of model call error (see {@link FailureKind}), so a dashboard tells
 * throttling from poison pills from a misconfigured endpoint.
 */
export const ModelErrorMetric: { readonly [K in FailureKind]: string } = {
  unavailable: 'ModelUnavailableErrors',
  'model-error': 'ModelServerErrors',
  rejected: 'ModelRejections',
  'bad-response': 'ModelBadResponses',
  systemic: MetricName.systemicErrors,
  'no-capacity': 'NoCapacityInvocations',
};
