import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkBySize } from '../../lib/chunk.js';
import { codecs } from '../../lib/codecs/index.js';
import { planBatches } from '../../lib/planner.js';

const request = (id: number, inputBytes: number) => ({ id: String(id), inputBytes });

describe('planBatches', () => {
  it('packs by item count', () => {
    const requests = Array.from({ length: 10 }, (_, i) => request(i, 1));
    const plan = planBatches(requests, {
      maxItems: 4,
      maxBytes: 1_000,
      codec: codecs['json-instances'],
    });
    expect(plan.batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(plan.oversized).toEqual([]);
  });

  it('packs by encoded bytes, counting the wrapper and separators', () => {
    const codec = codecs['json-instances']; // 16 bytes of wrapper, 1 byte between items
    const requests = [request(0, 10), request(1, 10), request(2, 10)];
    // 16 + 10 + 1 + 10 = 37 fits; a third item would need 48.
    const plan = planBatches(requests, { maxItems: 100, maxBytes: 37, codec });
    expect(plan.batches.map((b) => b.map((r) => r.id))).toEqual([['0', '1'], ['2']]);
    const encoded = codec.encode(['x'.repeat(10), 'y'.repeat(10)]);
    expect(Buffer.byteLength(encoded)).toBe(37);
  });

  it('sets aside a request too large to be sent alone instead of throwing', () => {
    const plan = planBatches([request(0, 5), request(1, 50), request(2, 5)], {
      maxItems: 10,
      maxBytes: 40,
      codec: codecs['hf-inputs'],
    });
    expect(plan.oversized.map((r) => r.id)).toEqual(['1']);
    expect(plan.batches.flat().map((r) => r.id)).toEqual(['0', '2']);
  });

  it('property: every request in exactly one batch or oversized, in order, within both limits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 16, max: 2_000 }),
        fc.constantFrom(...Object.values(codecs)),
        (sizes, maxItems, maxBytes, codec) => {
          const requests = sizes.map((size, i) => request(i, size));
          const plan = planBatches(requests, { maxItems, maxBytes, codec });
          const placed = [...plan.batches.flat(), ...plan.oversized].map((r) => Number(r.id));
          expect(placed.sort((a, b) => a - b)).toEqual(requests.map((_, i) => i));
          expect(plan.batches.flat().map((r) => Number(r.id))).toEqual(
            requests.filter((r) => !plan.oversized.includes(r)).map((r) => Number(r.id)),
          );
          for (const batch of plan.batches) {
            expect(batch.length).toBeGreaterThan(0);
            expect(batch.length).toBeLessThanOrEqual(maxItems);
            const encoded = codec.encode(batch.map((r) => 'x'.repeat(r.inputBytes)));
            expect(Buffer.byteLength(encoded)).toBeLessThanOrEqual(maxBytes);
          }
          for (const r of plan.oversized)
            expect(codec.overheadBytes + r.inputBytes).toBeGreaterThan(maxBytes);
        },
      ),
    );
  });
});

describe('chunkBySize', () => {
  it('closes a chunk when the next item would cross the byte budget', () => {
    const { chunks } = chunkBySize([3, 3, 3, 3], { maxItems: 10, maxBytes: 7, sizeOf: (n) => n });
    expect(chunks).toEqual([
      [3, 3],
      [3, 3],
    ]);
  });

  it('returns nothing for nothing', () => {
    expect(chunkBySize([], { maxItems: 1, maxBytes: 1, sizeOf: () => 1 })).toEqual({
      chunks: [],
      oversized: [],
    });
  });
});
