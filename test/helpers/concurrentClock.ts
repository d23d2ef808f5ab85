/**
 * A virtual clock for code that waits on several things at once: `sleep` parks the caller
 * until virtual time reaches its end, and {@link ConcurrentClock.run} moves time to the next
 * timer only once every task is parked. Ten calls of 10 ms in parallel take 10 virtual ms,
 * in sequence 100 (test/helpers/virtualClock.ts adds every sleep to one line of time).
 */
export interface ConcurrentClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Calls `fn` at virtual time `at`. */
  at(at: number, fn: () => void): void;
  /** Drives virtual time until `work` settles; returns its value. */
  run<T>(work: Promise<T>): Promise<T>;
}

/** A {@link ConcurrentClock} starting at 0. */
export function concurrentClock(): ConcurrentClock {
  let now = 0;
  let order = 0;
  const timers: { at: number; order: number; fire: () => void }[] = [];
  const idle = () => new Promise<void>((resolve) => setImmediate(resolve));
  const clock: ConcurrentClock = {
    now: () => now,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        timers.push({ at: now + ms, order: order++, fire: resolve });
      }),
    at(at, fn) {
      timers.push({ at, order: order++, fire: fn });
    },
    async run(work) {
      let settled = false;
      const done = work.finally(() => {
        settled = true;
      });
      while (!settled) {
        await idle();
        if (settled || timers.length === 0) continue;
        timers.sort((a, b) => a.at - b.at || a.order - b.order);
        const next = timers[0]!.at;
        now = Math.max(now, next);
        while (timers.length > 0 && timers[0]!.at <= now) timers.shift()!.fire();
      }
      return done;
    },
  };
  return clock;
}
