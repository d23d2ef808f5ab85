import { type CostPerMillion, costPerMillion } from './cost.js';
import type { TokenStats } from './paddingModel.js';
import { type PipelineRunOptions, runPipeline } from './pipelineRun.js';
import { compareOutputs } from './quality.js';

/** One run of the pipeline with one packing. */
export interface PackingRun {
  readonly packing: 'fifo' | 'length';
  readonly itemsPerSecond: number;
  readonly modelCalls: number;
  readonly endpointBusySeconds: number;
  readonly realTokens: number;
  readonly paddedTokens: number;
  readonly cost: CostPerMillion;
  readonly minCosine: number;
  readonly failedRecords: number;
}

/** A ratio over interleaved rounds: its median, and the smallest and largest round. */
export interface RoundRatio {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** FIFO vs length-aware packing on one corpus, measured side by side. */
export interface PackingComparison {
  readonly corpus: string;
  readonly requests: number;
  /** Bytes of the inputs' JSON texts, summed (what the planner's token estimate reads). */
  readonly inputBytes: number;
  readonly eventSize: number;
  readonly modelBatchMaxItems: number;
  readonly rounds: { readonly fifo: PackingRun; readonly length: PackingRun }[];
  /** length items/s / FIFO items/s, per round. */
  readonly speedup: RoundRatio;
}

/** What {@link comparePacking} needs. */
export interface PackingComparisonOptions
  extends Pick<PipelineRunOptions, 'endpoint' | 'concurrency' | 'memoryMb' | 'eventSize'> {
  readonly corpus: string;
  readonly texts: readonly string[];
  readonly modelBatchMaxItems: number;
  readonly rounds: number;
  /** Each text's output computed alone (one call per text), for the quality check. */
  readonly singles: readonly unknown[];
  /** The model server's counters (`GET /stats`, `POST /stats/reset`). */
  readonly modelUrl: string;
}

/** Median, min and max of some ratios. */
export function roundRatio(values: readonly number[]): RoundRatio {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

/** Zeroes the model server's token counters, runs `work`, and returns them. */
async function countingTokens<T>(modelUrl: string, work: () => Promise<T>) {
  await fetch(new URL('/stats/reset', modelUrl), { method: 'POST' });
  const result = await work();
  const stats = (await (await fetch(new URL('/stats', modelUrl))).json()) as TokenStats;
  return { result, stats };
}

/**
 * Runs the real handler over the same texts with `MODEL_BATCH_PACKING=fifo` and `=length`
 * in interleaved rounds (FIFO, length, FIFO, length, ...), same `modelBatchMaxItems`, same
 * model server: the machine's drift hits both alike, and each round gives one ratio.
 */
export async function comparePacking(
  options: PackingComparisonOptions,
): Promise<PackingComparison> {
  const rounds: PackingComparison['rounds'][number][] = [];
  const one = async (packing: 'fifo' | 'length', round: number): Promise<PackingRun> => {
    const { result: run, stats } = await countingTokens(options.modelUrl, () =>
      runPipeline({
        name: `${options.corpus}-${packing}-${round}`,
        texts: options.texts,
        eventSize: options.eventSize,
        modelBatchItems: options.modelBatchMaxItems,
        concurrency: options.concurrency,
        memoryMb: options.memoryMb,
        endpoint: options.endpoint,
        environment: { MODEL_BATCH_PACKING: packing },
      }),
    );
    return {
      packing,
      itemsPerSecond: run.itemsPerSecond,
      modelCalls: run.modelCalls,
      endpointBusySeconds: run.endpointBusySeconds,
      realTokens: stats.real_tokens,
      paddedTokens: stats.padded_tokens,
      cost: costPerMillion(run),
      minCosine: compareOutputs(run.outputs, options.singles).minCosine,
      failedRecords: run.failedRecords,
    };
  };
  for (let round = 0; round < options.rounds; round++) {
    const fifo = await one('fifo', round);
    const length = await one('length', round);
    rounds.push({ fifo, length });
  }
  return {
    corpus: options.corpus,
    requests: options.texts.length,
    inputBytes: options.texts.reduce((n, t) => n + Buffer.byteLength(JSON.stringify(t)), 0),
    eventSize: options.eventSize,
    modelBatchMaxItems: options.modelBatchMaxItems,
    rounds,
    speedup: roundRatio(rounds.map((r) => r.length.itemsPerSecond / r.fifo.itemsPerSecond)),
  };
}
