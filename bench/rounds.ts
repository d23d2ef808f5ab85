import { type ResultEncoding, resultEncodings } from '../lib/contract/resultEncoding.js';
import { type CostPerMillion, costPerMillion, directCostPerMillion, type RowCost } from './cost.js';
import type { EncodingsResult } from './encodings.js';
import type { CurvePoint } from './modelCurve.js';
import type { PipelineRunResult } from './pipelineRun.js';
import { type Spread, spread } from './spread.js';
import {
  type ProfileCost,
  priceProfile,
  profiles,
  type ServingMode,
  type TrafficProfile,
} from './trafficProfile.js';

/** What one interleaved round ran: the model curve, one message per call, sagebatch. */
export interface RoundRuns {
  readonly curve: CurvePoint[];
  readonly baseline: PipelineRunResult;
  readonly batched: PipelineRunResult;
}

/** The figures of one round. */
export interface RoundSummary {
  readonly curveBest: number;
  readonly baselineItemsPerSecond: number;
  readonly batchedItemsPerSecond: number;
  readonly efficiency: number;
  readonly inferenceRatio: number;
  /** Total cost, sagebatch with each encoding / one message per call with json rows (today's). */
  readonly totalRatio: Record<ResultEncoding, number>;
}

/** Costs of both modes under one encoding. */
export interface ModeCosts {
  readonly baseline: CostPerMillion;
  readonly sagebatch: CostPerMillion;
}

/** Every ratio over the rounds, the median round's costs, and the traffic profiles. */
export interface RoundsSummary {
  readonly rounds: RoundSummary[];
  /** The round whose inference ratio is the median: its dollar figures are the ones reported. */
  readonly medianRound: number;
  readonly ratios: {
    readonly inference: Spread;
    readonly efficiency: Spread;
    readonly total: Record<ResultEncoding, Spread>;
    /** Sagebatch / one message per call, both writing rows with the same encoding: what batching alone buys. */
    readonly totalSameEncoding: Record<ResultEncoding, Spread>;
  };
  /** Whether efficiency is a meaningful figure for this run (not with the simulated model, nor above 100%). */
  readonly efficiencyMeaningful: boolean;
  readonly costsByEncoding: Record<ResultEncoding, ModeCosts>;
  /** Direct InvokeEndpoint, no pipeline: endpoint busy time per 1M requests. */
  readonly direct: { readonly onePerCall: number; readonly batchesOf64: number };
  readonly profiles: { readonly profile: TrafficProfile; readonly costs: ProfileCost[] }[];
}

const encodingsList: readonly ResultEncoding[] = resultEncodings;
const path = (c: CostPerMillion) => c.sagemaker + c.lambda + c.sqs;

/** Median, min and max of every ratio over the rounds; costs and profiles from the median round. */
export function summarizeRounds(
  rounds: readonly RoundRuns[],
  encodings: EncodingsResult,
  simulatedModel: boolean,
): RoundsSummary {
  // The runs wrote json rows: other encodings cost their extra encoding CPU on top.
  const jsonMicros = encodings.encodings.find((e) => e.encoding === 'json')?.encodeMicros ?? 0;
  const rowCost = Object.fromEntries(
    encodings.encodings.map((e) => [
      e.encoding,
      {
        writeUnitsPerRow: e.writeUnitsPerRow,
        storageBytesPerRow: e.storageBytesPerRow,
        extraEncodeMicrosPerRow: Math.max(0, e.encodeMicros - jsonMicros),
      },
    ]),
  ) as Record<ResultEncoding, RowCost>;
  const costsOf = (run: RoundRuns) =>
    Object.fromEntries(
      encodingsList.map((enc) => [
        enc,
        {
          baseline: costPerMillion(run.baseline, rowCost[enc]),
          sagebatch: costPerMillion(run.batched, rowCost[enc]),
        },
      ]),
    ) as Record<ResultEncoding, ModeCosts>;
  const perRound = rounds.map((run) => {
    const costs = costsOf(run);
    const curveBest = Math.max(...run.curve.map((p) => p.itemsPerSecond));
    const summary: RoundSummary = {
      curveBest,
      baselineItemsPerSecond: run.baseline.itemsPerSecond,
      batchedItemsPerSecond: run.batched.itemsPerSecond,
      efficiency: run.batched.itemsPerSecond / curveBest,
      inferenceRatio: path(costs.json.sagebatch) / path(costs.json.baseline),
      totalRatio: Object.fromEntries(
        encodingsList.map((enc) => [enc, costs[enc].sagebatch.total / costs.json.baseline.total]),
      ) as Record<ResultEncoding, number>,
    };
    return { summary, costs };
  });
  const byInference = perRound
    .map((r, i) => ({ i, ratio: r.summary.inferenceRatio }))
    .sort((a, b) => a.ratio - b.ratio);
  const medianRound = byInference[Math.floor((byInference.length - 1) / 2)]!.i;
  const median = rounds[medianRound]!;
  const per = <T>(f: (r: (typeof perRound)[number]) => T) => perRound.map(f);
  const byEncoding = (f: (r: (typeof perRound)[number], enc: ResultEncoding) => number) =>
    Object.fromEntries(encodingsList.map((enc) => [enc, spread(per((r) => f(r, enc)))])) as Record<
      ResultEncoding,
      Spread
    >;
  const efficiency = spread(per((r) => r.summary.efficiency));
  const overhead = (run: PipelineRunResult) =>
    Math.max(0, run.handlerSeconds - run.endpointBusySeconds) / run.requests;
  const modes = (profile: TrafficProfile): ServingMode[] => [
    {
      name: 'one message per call (json rows)',
      recordsPerInvocation: () => 1,
      maxItemsPerCall: 1,
      overheadSecondsPerRecord: overhead(median.baseline),
      row: rowCost.json,
      memoryMb: median.baseline.memoryMb,
    },
    {
      name: 'direct InvokeEndpoint, one item a call, no pipeline',
      recordsPerInvocation: null,
      maxItemsPerCall: 1,
      overheadSecondsPerRecord: 0,
      row: null,
    },
    {
      name: 'direct InvokeEndpoint, full calls of 64, no pipeline',
      recordsPerInvocation: null,
      maxItemsPerCall: 64,
      overheadSecondsPerRecord: 0,
      row: null,
    },
    ...(['json', 'lossless', 'compressed', 'float32', 'float16'] as const).map(
      (enc): ServingMode => ({
        name: `sagebatch, ${enc} rows`,
        recordsPerInvocation: (rate) =>
          Math.min(profile.batchSize, Math.max(1, rate * profile.windowSeconds)),
        maxItemsPerCall: profile.modelBatchMaxItems,
        overheadSecondsPerRecord: overhead(median.batched),
        row: rowCost[enc],
        memoryMb: median.batched.memoryMb,
      }),
    ),
  ];
  return {
    rounds: per((r) => r.summary),
    medianRound,
    ratios: {
      inference: spread(per((r) => r.summary.inferenceRatio)),
      efficiency,
      total: byEncoding((r, enc) => r.summary.totalRatio[enc]),
      totalSameEncoding: byEncoding(
        (r, enc) => r.costs[enc].sagebatch.total / r.costs[enc].baseline.total,
      ),
    },
    efficiencyMeaningful: !simulatedModel && efficiency.max <= 1,
    costsByEncoding: perRound[medianRound]!.costs,
    direct: {
      onePerCall: directCostPerMillion(median.curve, 1),
      batchesOf64: directCostPerMillion(median.curve, 64),
    },
    profiles: profiles.map((profile) => ({
      profile,
      costs: modes(profile).map((mode) => priceProfile(profile, median.curve, mode)),
    })),
  };
}
