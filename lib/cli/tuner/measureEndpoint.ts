import type { CallSample } from './callCost.js';
import type { ParallelismPoint } from './recommend.js';
import { textOfTokens } from './syntheticText.js';

/** Sends one batched call of these input texts and resolves when it is answered. */
export type InvokeBatch = (inputs: string[]) => Promise<void>;

/** What {@link measureCalls} measures. */
export interface MeasurePlan {
  readonly batchSizes: readonly number[];
  /** Estimated tokens per item (see lib/batcher/plan/tokenEstimate.ts). */
  readonly lengths: readonly number[];
  /** Timed calls per shape, after one untimed warm-up call. */
  readonly repeats: number;
  /** Larger batches of a length are skipped once a call (not of the first size) takes longer than this, ms. */
  readonly giveUpMs: number;
  /** Called after each shape (progress). */
  readonly onSample?: (sample: CallSample) => void;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};

let seed = 0;
const batchOf = (items: number, tokens: number) =>
  Array.from({ length: items }, () => textOfTokens(tokens, seed++));

/**
 * Measures an endpoint's latency per call across batch sizes and lengths, one call at a
 * time: for each length and batch size, one warm-up call (a new tensor shape pays one-off
 * setup), then `repeats` timed calls; the sample is their median.
 */
export async function measureCalls(invoke: InvokeBatch, plan: MeasurePlan): Promise<CallSample[]> {
  const samples: CallSample[] = [];
  for (const tokens of plan.lengths) {
    for (const items of plan.batchSizes) {
      await invoke(batchOf(items, tokens));
      const times: number[] = [];
      for (let r = 0; r < plan.repeats; r++) {
        const started = performance.now();
        await invoke(batchOf(items, tokens));
        times.push(performance.now() - started);
      }
      const sample = { items, tokens, ms: median(times) };
      samples.push(sample);
      plan.onSample?.(sample);
      // At least two sizes per length, so the fit can tell fixed from per-item cost.
      if (sample.ms > plan.giveUpMs && items !== plan.batchSizes[0]) break;
    }
  }
  return samples;
}

/**
 * Items/s and p95 call latency with `parallelism` calls of one shape in flight at once,
 * `callsPerStream` calls each, for each parallelism given.
 */
export async function measureParallelism(
  invoke: InvokeBatch,
  shape: { readonly items: number; readonly tokens: number },
  parallelisms: readonly number[],
  callsPerStream: number,
): Promise<ParallelismPoint[]> {
  const points: ParallelismPoint[] = [];
  await invoke(batchOf(shape.items, shape.tokens)); // warm-up: a new shape pays one-off setup
  for (const parallelism of parallelisms) {
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: parallelism }, async () => {
        for (let c = 0; c < callsPerStream; c++) {
          const t = performance.now();
          await invoke(batchOf(shape.items, shape.tokens));
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1_000;
    latencies.sort((a, b) => a - b);
    points.push({
      parallelism,
      itemsPerSecond: (parallelism * callsPerStream * shape.items) / seconds,
      p95CallMs: latencies[Math.min(latencies.length - 1, Math.ceil(0.95 * latencies.length) - 1)]!,
    });
  }
  return points;
}
