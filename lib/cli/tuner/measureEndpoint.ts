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
  /** Larger batches of a length are skipped once a warm-up call (not of the first size) takes longer than this, ms. */
  readonly giveUpMs: number;
  /** Called for each shape once all its calls are measured (progress). */
  readonly onSample?: (sample: CallSample) => void;
  /** Milliseconds from a fixed origin. @default performance.now */
  readonly now?: () => number;
}

let seed = 0;
const batchOf = (items: number, tokens: number) =>
  Array.from({ length: items }, () => textOfTokens(tokens, seed++));

/**
 * Measures an endpoint's latency per call across batch sizes and lengths, one call at a
 * time. Each shape first gets one untimed warm-up call (a new tensor shape pays one-off
 * setup; a length's larger sizes are dropped once a warm-up exceeds `giveUpMs`). Then the
 * timed calls go in rounds, each round visiting every shape once (in reverse order every
 * other round), and a shape's sample is its fastest call. Why: on a shared machine, latency
 * only ever gains from contention, in bursts; measured one shape after another, a burst
 * inflates every call of the shapes it lands on and moves the apparent throughput peak (seen
 * here: 64 items "slower" than 16 and 128). Interleaved, a burst costs each shape at most
 * one call, and the minimum keeps the call it did not touch.
 */
export async function measureCalls(invoke: InvokeBatch, plan: MeasurePlan): Promise<CallSample[]> {
  const now = plan.now ?? (() => performance.now());
  const shapes: { items: number; tokens: number; fastest: number }[] = [];
  for (const tokens of plan.lengths) {
    for (const items of plan.batchSizes) {
      const started = now();
      await invoke(batchOf(items, tokens));
      shapes.push({ items, tokens, fastest: Number.POSITIVE_INFINITY });
      // At least two sizes per length, so the fit can tell fixed from per-item cost.
      if (now() - started > plan.giveUpMs && items !== plan.batchSizes[0]) break;
    }
  }
  for (let round = 0; round < plan.repeats; round++) {
    for (const shape of round % 2 === 0 ? shapes : [...shapes].reverse()) {
      const started = now();
      await invoke(batchOf(shape.items, shape.tokens));
      shape.fastest = Math.min(shape.fastest, now() - started);
    }
  }
  return shapes.map(({ items, tokens, fastest }) => {
    const sample = { items, tokens, ms: fastest };
    plan.onSample?.(sample);
    return sample;
  });
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
