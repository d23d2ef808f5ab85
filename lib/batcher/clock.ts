import { sleep } from '../common/retryPolicy.js';

/**
 * Time as the pipeline reads it. Production uses the wall clock; tests inject a virtual
 * clock whose `sleep` advances time at once, so a property test's seed replays exactly,
 * backoffs and time budgets included.
 */
export interface Clock {
  /** Current time, epoch ms. */
  now(): number;
  /** Waits `ms`, or rejects as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now(), sleep };
