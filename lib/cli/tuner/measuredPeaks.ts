import type { CallSample } from './callCost.js';

/** At one measured length, the largest batch size whose calls gave (about) the most items/s. */
export interface MeasuredPeak {
  /** Estimated tokens per item of the measured calls. */
  readonly tokens: number;
  /** The largest measured batch size within {@link peakTolerance} of the best items/s at this length. */
  readonly items: number;
}

/**
 * Items/s within this fraction of a length's best count as the best: repeated calls of one
 * shape vary by more than that on a shared machine, so a smaller batch "winning" by less is
 * noise, and the larger batch is what pays (fewer calls, less per-call overhead).
 */
export const peakTolerance = 0.05;

/**
 * At each measured length, the largest measured batch size whose items/s are within
 * {@link peakTolerance} of the best measured at that length, by length. Past it, larger
 * calls lost throughput (on a CPU, activations outgrow the caches) or were not measured at
 * all; the fitted cost has no term for that loss, so it must not be trusted there.
 */
export function measuredPeaks(samples: readonly CallSample[]): MeasuredPeak[] {
  const byLength = new Map<number, CallSample[]>();
  for (const s of samples) byLength.set(s.tokens, [...(byLength.get(s.tokens) ?? []), s]);
  return [...byLength.entries()]
    .map(([tokens, shapes]) => {
      const best = Math.max(...shapes.map((s) => s.items / s.ms));
      const items = Math.max(
        ...shapes.filter((s) => s.items / s.ms >= best * (1 - peakTolerance)).map((s) => s.items),
      );
      return { tokens, items };
    })
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
