import { type CallCost, type CallSample, fitCallCost, maxRelativeError } from './callCost.js';
import { measuredPeaks } from './measuredPeaks.js';
import { type InvokeBatch, measureCalls, measureParallelism } from './measureEndpoint.js';
import {
  geometricGrid,
  type ParallelismPoint,
  recommendFunctionMemory,
  recommendParallelism,
  recommendShape,
  type ShapeRecommendation,
} from './recommend.js';

/** Settings of one {@link tune} run. */
export interface TuneOptions {
  /** No model call may take longer than this, ms. */
  readonly maxCallMs: number;
  readonly batchSizes: readonly number[];
  /** Estimated tokens per item to measure. */
  readonly lengths: readonly number[];
  /** Estimated tokens of each request of a representative workload (default: `lengths`). */
  readonly sampleTokens: readonly number[];
  /** Longest item the model reads, tokens. */
  readonly maxItemTokens: number;
  readonly repeats: number;
  /** Parallelisms to try at the recommended shape. */
  readonly parallelisms: readonly number[];
  /** Requests per invocation the function will get (the event source's batch size), for its memory. @default 1000 */
  readonly batchSize?: number;
  readonly onProgress?: (line: string) => void;
}

/** What {@link tune} measured, fitted and recommends. */
export interface TuneReport {
  readonly samples: readonly CallSample[];
  readonly cost: CallCost;
  /** Largest relative error of the fit over the samples. */
  readonly fitError: number;
  readonly shape: ShapeRecommendation;
  readonly parallelismPoints: readonly ParallelismPoint[];
  readonly parallelism: number;
  /** The batcher's memory for this endpoint, and what each size would do. */
  readonly memory: ReturnType<typeof recommendFunctionMemory> & { readonly batchSize: number };
}

/**
 * Measures an endpoint (call latency across batch sizes and lengths), fits the cost of a
 * call, and recommends `modelBatchMaxItems`, `modelBatchMaxTokens` (items/s on the sample
 * within the latency bound) and `modelParallelism` (measured at that shape).
 *
 * @throws Error when even one item alone is expected to exceed `maxCallMs`.
 */
export async function tune(invoke: InvokeBatch, options: TuneOptions): Promise<TuneReport> {
  const say = options.onProgress ?? (() => {});
  const samples = await measureCalls(invoke, {
    batchSizes: options.batchSizes,
    lengths: options.lengths,
    repeats: options.repeats,
    giveUpMs: 2 * options.maxCallMs,
    onSample: (s) => say(`${s.items} x ${s.tokens} tokens: ${s.ms.toFixed(1)} ms`),
  });
  const cost = fitCallCost(samples);
  // A workload, not a handful of requests: the sample repeated to a few thousand items, so
  // the planner can fill calls of any candidate size from it.
  const workload: number[] = [];
  while (workload.length < 2_048) workload.push(...options.sampleTokens);
  // Recommend only within what was measured, and never past a measured optimum: the fit has
  // no term for throughput falling with larger calls (CPU caches), so it is not trusted there.
  const largest = Math.max(...samples.map((s) => s.items));
  const shape = recommendShape({
    cost,
    sampleTokens: workload,
    maxCallMs: options.maxCallMs,
    maxItemTokens: options.maxItemTokens,
    itemCandidates: geometricGrid(1, largest),
    tokenCandidates: geometricGrid(16, largest * options.maxItemTokens),
    peaks: measuredPeaks(samples),
  });
  if (shape === undefined) {
    throw new Error(
      `one item of ${options.maxItemTokens} tokens alone is expected to take longer than ${options.maxCallMs} ms; raise --max-call-ms`,
    );
  }
  // Parallelism is measured on calls as the planner would cut them for a typical request.
  const sorted = [...options.sampleTokens].sort((a, b) => a - b);
  const tokens = Math.min(options.maxItemTokens, sorted[Math.floor(sorted.length / 2)]!);
  const items = Math.max(1, Math.min(shape.maxItems, Math.floor(shape.maxTokens / tokens)));
  say(`parallelism at ${items} x ${tokens} tokens`);
  const parallelismPoints = await measureParallelism(
    invoke,
    { items, tokens },
    options.parallelisms,
    Math.max(4, 2 * options.repeats),
  );
  const chosen = recommendParallelism(parallelismPoints, options.maxCallMs);
  const parallelism = chosen?.parallelism ?? 1;
  // The function waits for the endpoint at the throughput measured at that parallelism.
  const batchSize = options.batchSize ?? 1_000;
  const memory = {
    ...recommendFunctionMemory({
      itemsPerSecond:
        chosen?.itemsPerSecond ?? Math.min(...parallelismPoints.map((p) => p.itemsPerSecond)),
      batchSize,
    }),
    batchSize,
  };
  return {
    samples,
    cost,
    fitError: maxRelativeError(cost, samples),
    shape,
    parallelismPoints,
    parallelism,
    memory,
  };
}

/** The report as text: measurements, the fit, the recommendation, and CDK context flags. */
export function formatTuneReport(report: TuneReport, maxCallMs: number): string {
  const { cost, shape, memory } = report;
  const lines = [
    'measured (fastest ms per call over interleaved rounds, one call at a time)',
    '  items  tokens/item        ms',
    ...report.samples.map(
      (s) =>
        `  ${String(s.items).padStart(5)}  ${String(s.tokens).padStart(11)}  ${s.ms.toFixed(1).padStart(8)}`,
    ),
    '',
    `fitted cost of a call: ${cost.baseMs.toFixed(2)} ms + ${cost.perItemMs.toFixed(4)} ms/item + ${(cost.perTokenMs * 1_000).toFixed(3)} µs/padded token + ${(cost.perTokenSquaredMs * 1e6).toFixed(3)} ns/(item x tokens²)`,
    `  largest relative error over the measurements: ${(report.fitError * 100).toFixed(1)}%`,
    '',
    'parallelism (calls in flight at once, at the recommended shape)',
    ...report.parallelismPoints.map(
      (p) =>
        `  ${String(p.parallelism).padStart(3)}: ${p.itemsPerSecond.toFixed(1).padStart(8)} items/s, p95 call ${p.p95CallMs.toFixed(0)} ms`,
    ),
    '',
    `recommended within ${maxCallMs} ms per call: ${shape.maxItems} items, ${shape.maxTokens} padded tokens a call, ${report.parallelism} in flight`,
    `  predicted on the sample (length-aware packing, one call at a time): ${shape.itemsPerSecond.toFixed(1)} items/s; slowest possible call ${shape.worstCallMs.toFixed(0)} ms`,
    '',
    `batcher memory for invocations of ${memory.batchSize} requests (model wait ${(memory.profile.waitMs / 1_000).toFixed(2)} s, handler CPU ${memory.profile.cpuMs.toFixed(0)} ms at one vCPU; Lambda gives one vCPU at 1769 MB, less in proportion)`,
    '  memory MB   duration s   GB-s   slower than one vCPU',
    ...memory.options.map(
      (o) =>
        `  ${String(o.memoryMb).padStart(9)}   ${(o.durationMs / 1_000).toFixed(2).padStart(10)}   ${o.gbSeconds.toFixed(2).padStart(4)}   ${(o.slowdown * 100).toFixed(0).padStart(3)}%${o.memoryMb === memory.recommended.memoryMb ? '   <- recommended: fewest GB-s within 25%' : ''}`,
    ),
    '',
    `  -c sagebatch:modelBatchMaxItems=${shape.maxItems} -c sagebatch:modelBatchMaxTokens=${shape.maxTokens} -c sagebatch:modelParallelism=${report.parallelism} -c sagebatch:memorySize=${memory.recommended.memoryMb}`,
  ];
  return lines.join('\n');
}
