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
  /** CANCELLED rows written: requests of a cancelled job that reached no model call. */
  cancelled: 'Cancelled',
  duplicates: 'Duplicates',
  /** Model calls the endpoint answered with an error (any class: throttling, busy and systemic included). */
  modelErrors: 'ModelErrors',
  /**
   * Model calls the model itself answered with an error: a 5xx or 4xx ModelError other than
   * busy (429, 503), SageMaker's 60 s timeout, or an undecodable answer
   * (ModelServerErrors + ModelRejections + ModelBadResponses). Throttling, a busy or
   * unreachable endpoint and systemic errors are not counted: with ModelInvocations, the
   * model error rate the `modelErrorRate` alarm watches.
   */
  modelAnswerErrors: 'ModelAnswerErrors',
  /** Systemic endpoint errors (endpoint missing, access denied): the circuit breaker opened. */
  systemicErrors: 'SystemicErrors',
  /** FAILED outcomes the request itself caused (INVALID_REQUEST, EXPIRED). */
  clientFailures: 'ClientFailures',
  /** FAILED outcomes the pipeline or model caused (MODEL_*, RETRIES_EXHAUSTED, OUTPUT_TOO_LARGE, UNPROCESSED). */
  pipelineFailures: 'PipelineFailures',
  /** Messages SQS moved by itself after maxReceiveCount, finalized as UNPROCESSED. */
  unprocessed: 'Unprocessed',
  /** Requests held on their last delivery (misconfigured or busy endpoint), sent back to the queue. */
  requeued: 'Requeued',
  /**
   * Seconds since the first enqueue of the oldest request an invocation held (kept RETRYING
   * because of the endpoint, see HoldCause), 0 when it held none; counted across requeues.
   */
  heldRequestAge: 'HeldRequestAge',
  /**
   * Invocations the safety net answered (an unexpected exception or a configuration error:
   * every record reported failed), emitted by the batcher and the finalizer alike. Lambda
   * counts those invocations as successes, so its Errors metric never sees them.
   */
  handlerErrors: 'HandlerErrors',
  /** Cost line, per invocation: model call time (ms summed over calls) divided by the requests settled. */
  endpointMsPerRequest: 'EndpointMsPerRequest',
  /** Cost line, per invocation: bytes written (result rows + offloaded objects) divided by the requests settled. */
  bytesWrittenPerRequest: 'BytesWrittenPerRequest',
  /** Outputs stored in the results bucket instead of their row. */
  offloadedOutputs: 'OffloadedOutputs',
  /**
   * Requests held because the endpoint had no capacity (scaled to zero): RETRYING or
   * requeued; FAILED (ENDPOINT_NO_CAPACITY) only once held past MAX_HOLD_SECONDS.
   */
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
