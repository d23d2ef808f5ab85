/**
 * How long a record left for redelivery stays invisible before SQS delivers it again.
 *
 * Without this, a record the function hands back in `batchItemFailures` reappears only when
 * the queue's whole visibility timeout (6 x the function timeout + the window) has passed,
 * however brief the outage was. The batcher sets each such record's visibility with
 * ChangeMessageVisibility to an exponential delay by receive count instead, and the
 * infrastructure derives the oldest-request-age alarm from the same numbers.
 */
export const RedeliveryBackoff = {
  /** Delay after the first delivery, seconds. */
  baseSeconds: 5,
  /** Longest delay, seconds (SQS allows up to 12 hours). */
  maxSeconds: 900,
} as const;

/** Settings of {@link redeliveryDelaySeconds}. */
export interface RedeliveryBackoffPolicy {
  readonly baseSeconds: number;
  readonly maxSeconds: number;
}

/**
 * Seconds until the next delivery of a record delivered `receiveCount` times so far:
 * `base x 2^(receiveCount - 1)`, capped at `maxSeconds`.
 */
export function redeliveryDelaySeconds(
  receiveCount: number,
  policy: RedeliveryBackoffPolicy = RedeliveryBackoff,
): number {
  const exponent = Math.max(0, Math.min(30, Math.floor(receiveCount) - 1));
  return Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** exponent);
}

/**
 * Most seconds a request spends waiting between deliveries before its last one, when
 * every delivery but the last hands it back: the sum of the delays after deliveries
 * 1 .. maxReceiveCount - 1.
 */
export function totalRedeliveryDelaySeconds(
  maxReceiveCount: number,
  policy: RedeliveryBackoffPolicy = RedeliveryBackoff,
): number {
  let total = 0;
  for (let count = 1; count < maxReceiveCount; count++) {
    total += redeliveryDelaySeconds(count, policy);
  }
  return total;
}
