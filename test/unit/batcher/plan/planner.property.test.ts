import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Codec, codecs } from '../../../../lib/batcher/codecs/index.js';
import type { ItemOutcome } from '../../../../lib/batcher/invoke/modelInvoker.js';
import { type Plan, type PlanLimits, planBatches } from '../../../../lib/batcher/plan/planner.js';
import { estimateTokens } from '../../../../lib/batcher/plan/tokenEstimate.js';
import { outcomesById } from '../../../../lib/batcher/settle/settlement.js';
import { chunkBySize } from '../../../../lib/common/chunk.js';

interface Req {
  readonly id: string;
  readonly inputJson: string;
  readonly inputBytes: number;
  readonly deadline: number | undefined;
}

type Planner = (requests: readonly Req[], limits: PlanLimits) => Plan<Req>;

const req = (i: number, length: number, deadline?: number): Req => {
  const inputJson = JSON.stringify(`${i}:${'w'.repeat(length)}`);
  return { id: `r${i}`, inputJson, inputBytes: Buffer.byteLength(inputJson), deadline };
};

/** Any mix of lengths: mostly short, some long, some huge (a query/passage-like mix). */
const length = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }) },
  { weight: 3, arbitrary: fc.integer({ min: 200, max: 900 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3_000 }) },
);
const deadlines = fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined, freq: 2 });
const requestRowsArb = fc.array(fc.tuple(length, deadlines), { maxLength: 250 });
const limitsArb = fc.record({
  maxItems: fc.integer({ min: 1, max: 64 }),
  maxBytes: fc.integer({ min: 64, max: 20_000 }),
  maxTokens: fc.option(fc.integer({ min: 1, max: 5_000 }), { nil: undefined }),
  packing: fc.constantFrom('length', 'fifo') as fc.Arbitrary<'length' | 'fifo'>,
  codec: fc.constantFrom(...Object.values(codecs)) as fc.Arbitrary<Codec>,
});

/**
 * Requests and limits, the requests as the read stage hands them on: every input small
 * enough for one model call alone (larger ones are INVALID_REQUEST when read).
 */
const caseArb = fc.tuple(requestRowsArb, limitsArb).map(([rows, limits]) => {
  const requests = rows
    .map(([length, deadline], i) => req(i, length, deadline))
    .filter((r) => r.inputBytes <= limits.maxBytes - limits.codec.overheadBytes);
  return [requests, limits] as const;
});

const byId = (requests: readonly Req[]) => requests.map((r) => r.id).sort();

function exactlyOnce(planner: Planner): void {
  fc.assert(
    fc.property(caseArb, ([requests, limits]) => {
      const plan = planner(requests, limits);
      expect(byId(plan.batches.flat())).toEqual(byId(requests));
    }),
  );
}

function withinLimits(planner: Planner): void {
  fc.assert(
    fc.property(caseArb, ([requests, limits]) => {
      for (const batch of planner(requests, limits).batches) {
        expect(batch.length).toBeGreaterThan(0);
        expect(batch.length).toBeLessThanOrEqual(limits.maxItems);
        const body = limits.codec.encode(batch.map((r) => JSON.parse(r.inputJson)));
        expect(Buffer.byteLength(body)).toBeLessThanOrEqual(limits.maxBytes);
        const longest = Math.max(...batch.map((r) => estimateTokens(r.inputBytes)));
        // One item above the token budget is sent alone; more must fit it.
        if (batch.length > 1 && limits.maxTokens !== undefined)
          expect(batch.length * longest).toBeLessThanOrEqual(limits.maxTokens);
      }
    }),
  );
}

/** A deterministic stand-in model: each output names the input it was computed from. */
const modelOf = (inputJson: string) => JSON.stringify({ from: inputJson });

function mapsBack(
  planner: Planner,
  map: typeof outcomesById<Req> = (plan, outcomes) => outcomesById(plan, outcomes),
): void {
  fc.assert(
    fc.property(caseArb, ([requests, limits]) => {
      const plan = planner(requests, limits);
      const outcomes: ItemOutcome[][] = plan.batches.map((batch) =>
        batch.map((r) => ({
          status: 'ok',
          outputJson: modelOf(r.inputJson),
          latencyMs: 1,
          batchItems: batch.length,
        })),
      );
      const outcomes_ = map(plan, outcomes);
      for (const r of requests) {
        expect(outcomes_.get(r.id)).toMatchObject({
          status: 'ok',
          outputJson: modelOf(r.inputJson),
        });
      }
    }),
  );
}

/** Batches leave earliest deadline first: the request due soonest is always in the next call. */
function deadlineFirst(planner: Planner): void {
  fc.assert(
    fc.property(caseArb, ([requests, limits]) => {
      const { batches } = planner(requests, limits);
      const due = (r: Req) => r.deadline ?? Number.POSITIVE_INFINITY;
      for (let b = 0; b < batches.length; b++) {
        const next = Math.min(...batches[b]!.map(due));
        const later = batches
          .slice(b + 1)
          .flat()
          .map(due);
        for (const d of later) expect(next).toBeLessThanOrEqual(d);
      }
    }),
  );
}

const plan: Planner = (requests, limits) => planBatches(requests, limits);

/** Negative controls: planners each broken in one way the properties must catch. */
const broken = {
  dropsOne: ((requests, limits) => {
    const p = planBatches(requests, limits);
    return { ...p, batches: p.batches.map((b, i) => (i === 0 && b.length > 1 ? b.slice(1) : b)) };
  }) as Planner,
  ignoresTokens: ((requests, limits) => {
    const { chunks } = chunkBySize(
      [...requests].sort((a, b) => a.inputBytes - b.inputBytes),
      {
        maxItems: limits.maxItems,
        maxBytes: limits.maxBytes,
        sizeOf: (r) => r.inputBytes,
        overheadBytes: limits.codec.overheadBytes,
        separatorBytes: limits.codec.separatorBytes,
      },
    );
    return { batches: chunks };
  }) as Planner,
  ignoresDeadlines: ((requests, limits) => {
    const original = new Map(requests.map((r) => [r.id, r]));
    const p = planBatches(
      requests.map((r) => ({ ...r, deadline: undefined })),
      limits,
    );
    const back = (r: Req) => original.get(r.id)!;
    return { batches: p.batches.map((b) => b.map(back)) };
  }) as Planner,
};

/** Maps outputs back by arrival position instead of by request: wrong once reordered. */
const mapByPosition: typeof outcomesById<Req> = (p, outcomes) => {
  const flat = outcomes.flat();
  const requests = [...p.batches.flat()].sort(
    (a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)),
  );
  return new Map<string, ItemOutcome>(requests.map((r, i) => [r.id, flat[i]!]));
};

describe('planBatches properties (length-aware and FIFO packing)', () => {
  it('every request is in exactly one batch', () => {
    exactlyOnce(plan);
    expect(() => exactlyOnce(broken.dropsOne)).toThrow();
  });

  it('every batch respects items, encoded bytes and padded tokens', () => {
    withinLimits(plan);
    expect(() => withinLimits(broken.ignoresTokens)).toThrow();
  });

  it('outputs map back to the right ids whatever the order', () => {
    mapsBack(plan);
    expect(() => mapsBack(plan, mapByPosition)).toThrow();
  });

  it('batches are sent earliest deadline first', () => {
    deadlineFirst(plan);
    expect(() => deadlineFirst(broken.ignoresDeadlines)).toThrow();
  });
});
