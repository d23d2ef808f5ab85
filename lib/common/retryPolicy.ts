import { setTimeout as delay } from 'node:timers/promises';

/**
 * How sagebatch tries again a call that failed for a passing reason (throttling, a busy
 * endpoint, items DynamoDB or SQS left unprocessed): the one policy the model invoker, the
 * result store, the dead-letter publisher and the request queue share. The batcher builds
 * it once from `RETRY_BASE_MS` / `RETRY_MAX_MS` ({@link retryPolicyOf});
 * between deliveries, SQS's redelivery backoff takes over (lib/contract/redeliveryBackoff.ts).
 */
export interface RetryPolicy {
  /**
   * Tries after the first, at most. Callers with a time budget stop earlier when it runs
   * out; the model invoker is bounded by the invocation's budget alone.
   */
  readonly retries: number;
  /** Ceiling of the first delay, ms. */
  readonly baseMs: number;
  /** Largest delay, ms. */
  readonly maxMs: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  readonly random?: () => number;
  /** How to wait; tests inject a virtual clock's. @default {@link sleep} */
  readonly wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The policy when none is given: the defaults of `RETRY_BASE_MS` and `RETRY_MAX_MS`, 5 retries. */
export const defaultRetryPolicy: RetryPolicy = { retries: 5, baseMs: 100, maxMs: 5_000 };

/**
 * The one retry policy of a function instance, from its `RETRY_BASE_MS` and `RETRY_MAX_MS`
 * settings: everything that retries in it waits by this object. Tests may inject the
 * jitter's randomness.
 */
export function retryPolicyOf(
  settings: { readonly retryBaseMs: number; readonly retryMaxMs: number },
  inject: Pick<RetryPolicy, 'random' | 'wait'> = {},
): RetryPolicy {
  return {
    retries: defaultRetryPolicy.retries,
    baseMs: settings.retryBaseMs,
    maxMs: settings.retryMaxMs,
    ...inject,
  };
}

/**
 * "Full jitter" delay before retry number `retry` (0-based): uniform in
 * [0, min(maxMs, baseMs * 2^retry)). Jitter keeps many throttled functions from retrying
 * in lockstep against the same endpoint or table.
 */
export function retryDelay(policy: RetryPolicy, retry: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** retry);
  return Math.floor((policy.random ?? Math.random)() * ceiling);
}

/** Waits before retry number `retry` (0-based) as `policy` says; rejects as soon as `signal` aborts. */
export function pause(policy: RetryPolicy, retry: number, signal?: AbortSignal): Promise<void> {
  return (policy.wait ?? sleep)(retryDelay(policy, retry), signal);
}

/** Waits `ms`, or rejects with an AbortError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : undefined);
}
