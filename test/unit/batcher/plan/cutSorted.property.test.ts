import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutSorted } from '../../../../lib/batcher/plan/cutSorted.js';
import { chunkBySize } from '../../../../lib/common/chunk.js';

interface Item {
  readonly tokens: number;
  readonly bytes: number;
}

/** Prepare: a few items sorted by tokens, and limits tight enough to force several calls. */
const caseArb = fc
  .tuple(
    fc.array(
      fc.record({
        tokens: fc.integer({ min: 1, max: 60 }),
        bytes: fc.integer({ min: 1, max: 40 }),
      }),
      { minLength: 1, maxLength: 9 },
    ),
    fc.record({
      maxItems: fc.integer({ min: 1, max: 5 }),
      maxBytes: fc.integer({ min: 50, max: 150 }),
      maxPaddedTokens: fc.integer({ min: 30, max: 200 }),
      overheadBytes: fc.integer({ min: 0, max: 8 }),
      separatorBytes: fc.integer({ min: 0, max: 2 }),
    }),
  )
  .map(([items, limits]) => ({
    items: [...items].sort((a, b) => a.tokens - b.tokens),
    limits: {
      ...limits,
      sizeOf: (item: Item) => item.bytes,
      tokensOf: (item: Item) => item.tokens,
    },
  }));

type Limits = Parameters<typeof cutSorted<Item>>[1];
const padded = (chunks: readonly (readonly Item[])[]) =>
  chunks.reduce((sum, c) => sum + c.length * c.at(-1)!.tokens, 0);

function fits(chunk: readonly Item[], l: Limits): boolean {
  const bytes = chunk.reduce((sum, item) => sum + item.bytes, 0);
  return (
    chunk.length <= l.maxItems &&
    l.overheadBytes + bytes + (chunk.length - 1) * l.separatorBytes <= l.maxBytes &&
    (chunk.length === 1 || chunk.length * chunk.at(-1)!.tokens <= l.maxPaddedTokens)
  );
}

/** The least padding of any partition within the limits making at most `calls` calls, by enumeration. */
function leastPadding(items: readonly Item[], l: Limits, calls: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let mask = 0; mask < 2 ** (items.length - 1); mask++) {
    const chunks: Item[][] = [[items[0]!]];
    for (let i = 1; i < items.length; i++) {
      if (mask & (1 << (i - 1))) chunks.push([items[i]!]);
      else chunks.at(-1)!.push(items[i]!);
    }
    if (chunks.length <= calls && chunks.every((c) => fits(c, l)))
      best = Math.min(best, padded(chunks));
  }
  return best;
}

type Cutter = (items: readonly Item[], limits: Limits) => Item[][];

function optimal(cut: Cutter): void {
  fc.assert(
    fc.property(caseArb, ({ items, limits }) => {
      // Every item must fit a call alone (the planner refuses larger ones first).
      fc.pre(items.every((item) => fits([item], limits)));
      const greedy = chunkBySize(items, limits).chunks;
      const chunks = cut(items, limits);
      expect(chunks.flat()).toEqual(items);
      expect(chunks.every((c) => fits(c, limits))).toBe(true);
      expect(chunks.length).toBeLessThanOrEqual(greedy.length);
      expect(padded(chunks)).toBe(leastPadding(items, limits, greedy.length));
    }),
    { numRuns: 3_000 },
  );
}

describe('cutSorted: one dynamic program at a price above any padding saving', () => {
  it('pads least of every partition within the limits making no more calls than greedy', () => {
    optimal((items, limits) => cutSorted(items, limits));
  });

  it('negative control: greedy cutting itself is not optimal and is caught', () => {
    expect(() => optimal((items, limits) => chunkBySize(items, limits).chunks)).toThrow();
  });
});
