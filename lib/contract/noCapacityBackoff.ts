/**
 * How long a request held because the endpoint has no capacity (an inference component
 * scaled to zero) waits before its next delivery: long enough for an instance to start.
 *
 * AWS: after scale-in to zero the endpoint answers no request "until it provisions at least
 * one instance", and "the provisioning process takes several minutes"
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html).
 * Retrying every few seconds, as for a busy endpoint, would only spend deliveries (each one
 * rewrites the request's RETRYING row); an exponential wait would find the copy long after
 * it is up (1, 2, 4, 8 minutes: a copy ready at 7.5 minutes serves at 15). So: 1 minute
 * after the first delivery (the scale-out alarm's own period), then every 2 minutes, which
 * keeps the first-request latency within 2 minutes of the copy being ready and about four
 * deliveries per instance start.
 */
export const NoCapacityBackoff = {
  /** Delay after the first delivery, seconds. */
  firstSeconds: 60,
  /** Delay after every later delivery, seconds (SendMessage DelaySeconds allows at most 900). */
  laterSeconds: 120,
} as const;

/** Seconds until the next delivery of a request held for no capacity, delivered `receiveCount` times. */
export function noCapacityDelaySeconds(receiveCount: number): number {
  return receiveCount <= 1 ? NoCapacityBackoff.firstSeconds : NoCapacityBackoff.laterSeconds;
}
