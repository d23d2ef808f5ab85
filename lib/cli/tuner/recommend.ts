import { codecs } from '../../batcher/codecs/index.js';
import { planBatches } from '../../batcher/plan/planner.js';
import { bytesPerToken } from '../../batcher/plan/tokenEstimate.js';
import {
  batcherCpuMicrosPerRequest,
  batcherMinMemoryMb,
  type InvocationProfile,
  type MemoryOption,
  memoryOptions,
  recommendMemory,
} from '../../contract/functionMemory.js';
import { type CallCost, predictMs } from './callCost.js';
import { type MeasuredPeak, withinMeasuredPeaks } from './measuredPeaks.js';

/** What {@link recommendShape} optimises for. */
export interface ShapeGoal {
  /** The fitted cost of one call. */
  readonly cost: CallCost;
  /** Estimated tokens of each request of a representative workload. */
  readonly sampleTokens: readonly number[];
  /** No call may be expected to take longer than this, ms. */
  readonly maxCallMs: number;
  /** Longest item the model reads, tokens (it truncates the rest). */
  readonly maxItemTokens: number;
  /** Candidate `modelBatchMaxItems`. @default 1..1024, 4 steps per doubling */
  readonly itemCandidates?: readonly number[];
  /** Candidate `modelBatchMaxTokens`. @default 16..1,048,576, 4 steps per doubling */
  readonly tokenCandidates?: readonly number[];
  /**
   * Per measured length, the batch size that gave the most items/s (see
   * {@link measuredPeaks}). A setting under which the sample would be cut into a call larger
   * than these is not recommended: the fit is not trusted past a measured optimum.
   * @default none (every call the fit costs is trusted)
   */
  readonly peaks?: readonly MeasuredPeak[];
}

/** The call shape {@link recommendShape} found best. */
export interface ShapeRecommendation {
  readonly maxItems: number;
  readonly maxTokens: number;
  /** Items/s on the sample with length-aware packing, one call at a time, as the fit predicts. */
  readonly itemsPerSecond: number;
  /** The slowest call any workload can produce under these limits, as the fit predicts, ms. */
  readonly worstCallMs: number;
}

/** `perDoubling` values per doubling from `from` to `to`, integers, ascending. */
export function geometricGrid(from: number, to: number, perDoubling = 4): number[] {
  const values = new Set<number>();
  for (let v = from; v <= to; v *= 2 ** (1 / perDoubling)) values.add(Math.round(v));
  values.add(to);
  return [...values].sort((a, b) => a - b);
}

/**
 * The slowest call the planner can build under `maxItems` and `maxTokens` for ANY mix of
 * lengths: every call it builds has n <= maxItems items whose longest has
 * t <= min(maxItemTokens, maxTokens / n) tokens (or is one item alone).
 */
export function worstCallMs(
  cost: CallCost,
  maxItems: number,
  maxTokens: number,
  maxItemTokens: number,
): number {
  let worst = predictMs(cost, 1, maxItemTokens);
  for (let n = 2; n <= maxItems; n++) {
    const t = Math.min(maxItemTokens, Math.floor(maxTokens / n));
    if (t < 1) break;
    worst = Math.max(worst, predictMs(cost, n, t));
  }
  return worst;
}

/** The calls the real length-aware planner cuts from the sample: items, and longest item's tokens. */
export function plannedCalls(
  sampleTokens: readonly number[],
  maxItems: number,
  maxTokens: number,
  maxItemTokens: number,
): { readonly items: number; readonly tokens: number }[] {
  const requests = sampleTokens.map((tokens) => ({
    inputBytes: tokens * bytesPerToken,
    deadline: undefined,
  }));
  const { batches } = planBatches(requests, {
    maxItems,
    maxBytes: Number.MAX_SAFE_INTEGER,
    maxTokens,
    packing: 'length',
    codec: codecs['hf-inputs'],
  });
  return batches.map((batch) => ({
    items: batch.length,
    tokens: Math.min(
      maxItemTokens,
      batch.reduce((t, r) => Math.max(t, r.inputBytes / bytesPerToken), 0),
    ),
  }));
}

/** Items/s the fit predicts for these calls, one call at a time. */
function itemsPerSecondOf(
  cost: CallCost,
  calls: readonly { readonly items: number; readonly tokens: number }[],
): number {
  let ms = 0;
  let items = 0;
  for (const call of calls) {
    ms += predictMs(cost, call.items, call.tokens);
    items += call.items;
  }
  return (items * 1_000) / ms;
}

/** Items/s the fit predicts for the sample planned by the real planner, one call at a time. */
export function predictItemsPerSecond(
  cost: CallCost,
  sampleTokens: readonly number[],
  maxItems: number,
  maxTokens: number,
  maxItemTokens: number,
): number {
  return itemsPerSecondOf(cost, plannedCalls(sampleTokens, maxItems, maxTokens, maxItemTokens));
}

/**
 * The `modelBatchMaxItems` and `modelBatchMaxTokens` that maximise items/s on the sample
 * (planned by the real length-aware planner, costed by the fit) while no call, for any
 * workload, is expected to exceed `maxCallMs`, and (given `peaks`) no call cut from the
 * sample is larger than the measured optimum for its length. Ties go to the smaller setting
 * (less waste when the mix shifts). Undefined when even one item alone is expected to exceed
 * the bound.
 */
export function recommendShape(goal: ShapeGoal): ShapeRecommendation | undefined {
  const { cost, sampleTokens, maxCallMs, maxItemTokens } = goal;
  if (sampleTokens.length === 0) throw new Error('the sample holds no requests');
  const items = goal.itemCandidates ?? geometricGrid(1, 1_024);
  const tokens = goal.tokenCandidates ?? geometricGrid(16, 1_048_576);
  let best: ShapeRecommendation | undefined;
  for (const maxItems of items) {
    for (const maxTokens of tokens) {
      const worst = worstCallMs(cost, maxItems, maxTokens, maxItemTokens);
      if (worst > maxCallMs) break; // larger token budgets only get slower
      const calls = plannedCalls(sampleTokens, maxItems, maxTokens, maxItemTokens);
      const peaks = goal.peaks ?? [];
      if (!calls.every((c) => withinMeasuredPeaks(peaks, c.items, c.tokens))) continue;
      const itemsPerSecond = itemsPerSecondOf(cost, calls);
      if (best === undefined || itemsPerSecond > best.itemsPerSecond * (1 + 1e-9)) {
        best = { maxItems, maxTokens, itemsPerSecond, worstCallMs: worst };
      }
    }
  }
  return best;
}

/** Throughput measured with `parallelism` calls in flight at once. */
export interface ParallelismPoint {
  readonly parallelism: number;
  readonly itemsPerSecond: number;
  /** 95th percentile of one call's latency at this parallelism, ms. */
  readonly p95CallMs: number;
}

/**
 * The smallest parallelism reaching 97% of the best items/s among those whose p95 call
 * latency stays within `maxCallMs` (more calls in flight than the endpoint can serve only
 * queue, adding latency, not throughput). Undefined when none stays within the bound.
 */
export function recommendParallelism(
  points: readonly ParallelismPoint[],
  maxCallMs: number,
): ParallelismPoint | undefined {
  const within = points.filter((p) => p.p95CallMs <= maxCallMs);
  const best = Math.max(...within.map((p) => p.itemsPerSecond));
  return within
    .filter((p) => p.itemsPerSecond >= 0.97 * best)
    .sort((a, b) => a.parallelism - b.parallelism)[0];
}

/** What {@link recommendFunctionMemory} needs to know of the pipeline. */
export interface FunctionWorkload {
  /** Items/s the endpoint answered at the recommended shape and parallelism. */
  readonly itemsPerSecond: number;
  /** Requests per invocation (the event source's batch size). */
  readonly batchSize: number;
  /** The batcher's CPU per request at one full vCPU, µs. @default batcherCpuMicrosPerRequest */
  readonly cpuMicrosPerRequest?: number;
}

/**
 * The batcher's memory for this endpoint: an invocation of `batchSize` requests waits
 * `batchSize / itemsPerSecond` for the model, and spends the handler's CPU per request on
 * top; {@link recommendMemory} picks the cheapest size that keeps it within 25% of its
 * duration at one full vCPU, never below what the batcher's memory use needs. A slow model
 * (the wait dominates) gets the smallest size; a fast GPU endpoint, where the CPU is a
 * larger part of the duration, a larger one.
 */
export function recommendFunctionMemory(workload: FunctionWorkload): {
  readonly recommended: MemoryOption;
  readonly profile: InvocationProfile;
  readonly options: MemoryOption[];
} {
  const cpuMicros = workload.cpuMicrosPerRequest ?? batcherCpuMicrosPerRequest;
  const profile = {
    cpuMs: (workload.batchSize * cpuMicros) / 1_000,
    waitMs: (workload.batchSize / workload.itemsPerSecond) * 1_000,
  };
  return {
    recommended: recommendMemory(profile, { minMemoryMb: batcherMinMemoryMb }),
    profile,
    options: memoryOptions(profile).filter((o) => o.memoryMb >= batcherMinMemoryMb),
  };
}
