/**
 * How long a request held because the endpoint has no capacity (an inference component
 * scaled to zero) waits before its next delivery: long enough for an instance to start.
 *
 * AWS: after scale-in to zero the endpoint answers no request "until it provisions at least
 * one instance", and "the provisioning process takes several minutes"
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html).
 * Retrying every few seconds, as for a busy endpoint, would only spend deliveries; waiting
 * 1, 2, 4, 8 then 15 minutes finds the copy soon after it is up and keeps the held request
 * within a handful of deliveries. 15 minutes is also SQS's longest DelaySeconds, which the
 * requeue on the last delivery uses.
 */
export const NoCapacityBackoff = {
  /** Delay after the first delivery, seconds. */
  baseSeconds: 60,
  /** Longest delay, seconds (SendMessage DelaySeconds allows at most 900). */
  maxSeconds: 900,
} as const;

/** Seconds until the next delivery of a request held for no capacity, delivered `receiveCount` times. */
export function noCapacityDelaySeconds(receiveCount: number): number {
  const exponent = Math.max(0, Math.min(30, Math.floor(receiveCount) - 1));
  return Math.min(NoCapacityBackoff.maxSeconds, NoCapacityBackoff.baseSeconds * 2 ** exponent);
}
