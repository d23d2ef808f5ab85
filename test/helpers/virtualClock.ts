import type { Clock } from '../../lib/batcher/clock.js';

/**
 * A clock whose `sleep` advances time at once: backoffs and budgets play out the same
 * way on every run, so a property test's seed replays exactly.
 */
export function virtualClock(start = 1_800_000_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
    async sleep(ms, signal) {
      if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      now += ms;
    },
  };
}
