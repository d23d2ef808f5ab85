import { setTimeout as delay } from 'node:timers/promises';

/** Exponential backoff settings. */
export interface BackoffOptions {
  /** Ceiling of the first delay, in ms. */
  readonly baseMs: number;
  /** Largest delay, in ms. */
  readonly maxMs: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  readonly random?: () => number;
}

/**
 * "Full jitter" delay before retry number `attempt` (0-based): uniform in
 * [0, min(maxMs, baseMs * 2^attempt)). Jitter keeps many throttled functions from
 * retrying in lockstep against the same endpoint.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  return Math.floor((options.random ?? Math.random)() * ceiling);
}

/** Waits `ms`, or rejects with an AbortError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : undefined);
}
