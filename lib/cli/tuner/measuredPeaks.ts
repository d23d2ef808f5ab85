import type { CallSample } from './callCost.js';

/** At one measured length, the batch size whose calls gave the most items/s. */
export interface MeasuredPeak {
  /** Estimated tokens per item of the measured calls. */
  readonly tokens: number;
  /** The measured batch size with the most items/s at this length. */
  readonly items: number;
}

/**
 * The batch size with the most measured items/s at each measured length, by length. Past
 * it, larger calls lost throughput (on a CPU, activations outgrow the caches) or were not
 * measured at all; the fitted cost has no term for that loss, so it must not be trusted there.
 */
export function measuredPeaks(samples: readonly CallSample[]): MeasuredPeak[] {
  const best = new Map<number, CallSample>();
  for (const s of samples) {
    const current = best.get(s.tokens);
    const rate = s.items / s.ms;
    // Ties go to the smaller batch: the same throughput for less latency.
    if (
      current === undefined ||
      rate > current.items / current.ms ||
      (rate === current.items / current.ms && s.items < current.items)
    )
      best.set(s.tokens, s);
  }
  return [...best.values()]
    .map((s) => ({ tokens: s.tokens, items: s.items }))
    .sort((a, b) => a.tokens - b.tokens);
}

/**
 * Whether a call of `items` items padded to `tokens` tokens stays within what was measured
 * to pay off: no larger than the peak at the shortest measured length that is at least
 * `tokens` long (longer items never peak at larger batches), or at the longest measured
 * length for longer items. One item alone is always allowed. With no peaks, every call is.
 */
export function withinMeasuredPeaks(
  peaks: readonly MeasuredPeak[],
  items: number,
  tokens: number,
): boolean {
  if (items <= 1 || peaks.length === 0) return true;
  const peak = peaks.find((p) => p.tokens >= tokens) ?? peaks.at(-1)!;
  return items <= peak.items;
}
