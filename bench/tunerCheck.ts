import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { estimateTokens } from '../lib/batcher/plan/tokenEstimate.js';
import { endpointInvoker } from '../lib/cli/tuner/endpointInvoker.js';
import { type TuneReport, tune } from '../lib/cli/tuner/tune.js';
import { defaultBatcherMemoryMb } from '../lib/contract/functionMemory.js';
import type { EndpointEmulator } from '../lib/dev/endpointEmulator/EndpointEmulator.js';
import { type RoundRatio, roundRatio } from './packingRun.js';
import { runPipeline } from './pipelineRun.js';

/** One setting of the sweep, run through the real handler with length-aware packing. */
export interface SweepPoint {
  readonly maxItems: number;
  readonly maxTokens: number;
  readonly itemsPerSecond: number;
  /** Longest model call of the run, ms. */
  readonly maxCallMs: number;
  readonly withinBound: boolean;
  readonly recommended: boolean;
}

/** The tuner's recommendation against a sweep of settings on the same corpus. */
export interface TunerCheck {
  readonly maxCallMs: number;
  readonly report: TuneReport;
  readonly sweep: SweepPoint[];
  /** Recommended items/s / the sweep's best items/s within the bound, per confirmation round. */
  readonly share: RoundRatio;
  readonly best: { readonly maxItems: number; readonly maxTokens: number };
}

/** What {@link checkTuner} needs. */
export interface TunerCheckOptions {
  readonly endpoint: EndpointEmulator;
  readonly texts: readonly string[];
  readonly maxCallMs: number;
  readonly batchSizes: readonly number[];
  readonly lengths: readonly number[];
  readonly maxItemTokens: number;
  readonly sweepItems: readonly number[];
  readonly sweepTokens: readonly number[];
  /** Confirmation rounds, recommended vs the sweep's best, interleaved. */
  readonly rounds: number;
  readonly log: (line: string) => void;
}

/**
 * Runs `sagebatch tune`'s logic against the endpoint (the local emulator proxying the
 * model), then sweeps `modelBatchMaxItems` x `modelBatchMaxTokens` through the real handler
 * on the same corpus (one invocation at a time, one call in flight, so a call's latency is
 * its own), and compares the recommendation with the best setting whose calls stayed within
 * the bound: first in the sweep, then in interleaved rounds of the two.
 */
export async function checkTuner(options: TunerCheckOptions): Promise<TunerCheck> {
  const invoke = endpointInvoker(
    new SageMakerRuntimeClient({
      endpoint: options.endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      // The SDK's retries cover a kept-alive connection the server closed while the tuner
      // was computing (ECONNRESET); a retried call is rare and only adds to its own time.
      maxAttempts: 3,
    }),
    'bench',
    'hf-inputs',
  );
  const report = await tune(invoke, {
    maxCallMs: options.maxCallMs,
    batchSizes: options.batchSizes,
    lengths: options.lengths,
    sampleTokens: options.texts.map((t) => estimateTokens(Buffer.byteLength(JSON.stringify(t)))),
    maxItemTokens: options.maxItemTokens,
    repeats: 5,
    parallelisms: [1, 2],
    onProgress: (line) => options.log(`tune: ${line}`),
  });
  const run = async (maxItems: number, maxTokens: number, name: string) => {
    const result = await runPipeline({
      name,
      texts: options.texts,
      eventSize: options.texts.length,
      modelBatchItems: maxItems,
      concurrency: 1,
      memoryMb: defaultBatcherMemoryMb,
      endpoint: options.endpoint,
      modelParallelism: 1,
      environment: { MODEL_BATCH_MAX_TOKENS: String(maxTokens), MODEL_BATCH_PACKING: 'length' },
    });
    return result;
  };
  const { maxItems: recItems, maxTokens: recTokens } = report.shape;
  const grid = options.sweepItems.flatMap((i) => options.sweepTokens.map((t) => [i, t] as const));
  const settings = grid.some(([i, t]) => i === recItems && t === recTokens)
    ? grid
    : [...grid, [recItems, recTokens] as const];
  const sweep: SweepPoint[] = [];
  for (const [maxItems, maxTokens] of settings) {
    const result = await run(maxItems, maxTokens, `sweep-${maxItems}-${maxTokens}`);
    const point = {
      maxItems,
      maxTokens,
      itemsPerSecond: result.itemsPerSecond,
      maxCallMs: result.maxModelLatencyMs,
      withinBound: result.maxModelLatencyMs <= options.maxCallMs,
      recommended: maxItems === recItems && maxTokens === recTokens,
    };
    sweep.push(point);
    options.log(
      `sweep ${maxItems} items x ${maxTokens} tokens: ${point.itemsPerSecond.toFixed(1)} items/s, longest call ${point.maxCallMs.toFixed(0)} ms`,
    );
  }
  const within = sweep.filter((p) => p.withinBound && !p.recommended);
  const best = within.sort((a, b) => b.itemsPerSecond - a.itemsPerSecond)[0] ?? sweep.at(-1)!;
  const shares: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const b = await run(best.maxItems, best.maxTokens, `best-${round}`);
    const r = await run(recItems, recTokens, `recommended-${round}`);
    shares.push(r.itemsPerSecond / b.itemsPerSecond);
  }
  return {
    maxCallMs: options.maxCallMs,
    report,
    sweep,
    share: roundRatio(shares),
    best: { maxItems: best.maxItems, maxTokens: best.maxTokens },
  };
}
