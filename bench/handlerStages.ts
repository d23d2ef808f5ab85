/**
 * The handler's CPU by stage, for `npm run bench:handler`: each stage of the batcher
 * (functions/batcher/handler.ts) run alone, in the handler's order, on the data the stage
 * before it produced, with the same fakes as the whole-handler measurement. What the
 * stages do not cover (middy, logging, metrics, the garbage the stages leave for later
 * collections) is the whole handler's time less their sum.
 */
import type { SQSEvent } from 'aws-lambda';
import { type Codec, getCodec } from '../lib/batcher/codecs/index.js';
import type { BatcherDependencies } from '../lib/batcher/dependencies.js';
import type { ItemOutcome } from '../lib/batcher/invoke/modelInvoker.js';
import { placeOutput } from '../lib/batcher/persist/outputPlacement.js';
import { persistOutcomes } from '../lib/batcher/persist/persistOutcomes.js';
import { planBatches } from '../lib/batcher/plan/planner.js';
import { deliveredRecord, readRecords } from '../lib/batcher/records/readRecords.js';
import { outcomesById, settle } from '../lib/batcher/settle/settlement.js';
import { sharedSignal } from '../lib/batcher/timeBudget.js';
import { ResultStatus } from '../lib/contract/resultRow.js';

/** The stages, in the handler's order; `settle` is the verdicts between split and encode. */
export const stageNames = [
  'read',
  'pre-check',
  'plan',
  'serialize',
  'split',
  'settle',
  'encode',
  'persist',
] as const;

/** One of {@link stageNames}. */
export type Stage = (typeof stageNames)[number];

/** What a stage run needs from the bench: the handler's dependencies and the fakes' clock. */
export interface StageBench {
  readonly deps: Pick<BatcherDependencies, 'config' | 'store' | 'deadLetters' | 'requestQueue'>;
  /** The fake endpoint's answer to one request body (its time is the model's, not measured). */
  readonly answer: (body: string) => string;
  /** CPU ms the fakes spent since the last reset; reset by `resetFakes`. */
  readonly fakeMs: () => number;
  readonly resetFakes: () => void;
}

const cpuMs = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1_000;
};

/**
 * Runs every stage once over `event` and returns each one's CPU milliseconds (the fakes'
 * own time subtracted). `persist` excludes the output encoding, measured as `encode`.
 */
export async function measureStages(
  event: SQSEvent,
  bench: StageBench,
): Promise<Record<Stage, number>> {
  const { config, store, deadLetters, requestQueue } = bench.deps;
  const codec: Codec = getCodec(config.codec);
  const ms = {} as Record<Stage, number>;
  const time = <T>(stage: Stage, fn: () => T): T => {
    bench.resetFakes();
    const start = process.cpuUsage();
    const result = fn();
    ms[stage] = cpuMs(start) - bench.fakeMs();
    return result;
  };
  const timeAsync = async <T>(stage: Stage, fn: () => Promise<T>): Promise<T> => {
    bench.resetFakes();
    const start = process.cpuUsage();
    const result = await fn();
    ms[stage] = cpuMs(start) - bench.fakeMs();
    return result;
  };

  const now = Date.now();
  const { records, read } = time('read', () => {
    const records = event.Records.map((record) => deliveredRecord(record, now));
    const read = readRecords(
      records,
      { maxInputBytes: config.maxInputBytes, modelBatchMaxBytes: config.modelBatchMaxBytes, codec },
      now,
    );
    return { records, read };
  });
  const { succeeded, unread } = await timeAsync('pre-check', () =>
    store.findSucceeded(read.requests.map((r) => r.id)),
  );
  const plan = time('plan', () =>
    planBatches(
      read.requests.filter((r) => !succeeded.has(r.id)),
      {
        maxItems: config.modelBatchMaxItems,
        maxBytes: config.modelBatchMaxBytes,
        maxTokens: config.modelBatchMaxTokens,
        packing: config.modelBatchPacking,
        codec,
      },
    ),
  );
  const bodies = time('serialize', () =>
    plan.batches.map((batch) => codec.encode(batch.map((r) => r.inputJson))),
  );
  const answers = bodies.map(bench.answer);
  const outputs = time('split', () =>
    answers.map((answer, b) => codec.decode(answer, plan.batches[b]!.length)),
  );
  const settlements = time('settle', () => {
    const outcomes = outputs.map((batch) =>
      batch.map(
        (outputJson): ItemOutcome => ({
          status: 'ok',
          outputJson,
          latencyMs: 100,
          batchItems: batch.length,
        }),
      ),
    );
    const byId = outcomesById(plan, outcomes);
    return records.map((record, i) =>
      settle(i, record, read.envelopes[i]!, {
        succeeded,
        outcomes: byId,
        maxReceiveCount: config.maxReceiveCount,
        maxHoldSeconds: config.maxHoldSeconds,
        primaryOf: read.primaryOf,
        now,
      }),
    );
  });
  // Encoding each output and sizing its row, as the persist step does before writing.
  const policy = { encoding: config.resultEncoding, offloadBytes: config.resultOffloadBytes };
  time('encode', () => {
    for (const { id, record, verdict } of settlements) {
      if (verdict.kind !== 'succeeded') continue;
      placeOutput(
        verdict.outputJson,
        {
          id,
          status: ResultStatus.SUCCEEDED,
          attempts: record.receiveCount,
          messageId: record.messageId,
          invocationId: 'bench',
          enqueuedAt: record.enqueuedAt,
          completedAt: now,
          modelLatencyMs: 100,
          batchItems: verdict.batchItems,
          expiresAt: Math.floor(now / 1_000) + config.resultTtlSeconds,
        },
        policy,
        'bench',
      );
    }
  });
  await timeAsync('persist', () =>
    persistOutcomes(settlements, {
      store,
      outputs: { encoding: config.resultEncoding, offloadBytes: config.resultOffloadBytes },
      deadLetters,
      requestQueue,
      resultTtlSeconds: config.resultTtlSeconds,
      now,
      invocationId: 'bench',
      unread,
      signal: sharedSignal(new AbortController().signal),
    }),
  );
  ms.persist = Math.max(0, ms.persist - ms.encode);
  return ms;
}
