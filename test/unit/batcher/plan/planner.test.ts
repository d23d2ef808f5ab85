import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codecs } from '../../../../lib/batcher/codecs/index.js';
import { planBatches } from '../../../../lib/batcher/plan/planner.js';
import { chunkBySize } from '../../../../lib/common/chunk.js';

const request = (id: number, inputBytes: number, deadline?: number) => ({
  id: String(id),
  inputBytes,
  deadline,
});
const ids = (batches: { id: string }[][]) => batches.map((b) => b.map((r) => r.id));

describe('planBatches', () => {
  it('packs by item count', () => {
    const requests = Array.from({ length: 10 }, (_, i) => request(i, 1));
    const plan = planBatches(requests, {
      maxItems: 4,
      maxBytes: 1_000,
      codec: codecs['json-instances'],
    });
    expect(plan.batches.map((b) => b.length)).toEqual([4, 4, 2]);
  });

  it('packs by encoded bytes, counting the wrapper and separators', () => {
    const codec = codecs['json-instances']; // 16 bytes of wrapper, 1 byte between items
    const requests = [request(0, 10), request(1, 10), request(2, 10)];
    // 16 + 10 + 1 + 10 = 37 fits; a third item would need 48.
    const plan = planBatches(requests, { maxItems: 100, maxBytes: 37, codec, packing: 'fifo' });
    expect(plan.batches.map((b) => b.map((r) => r.id))).toEqual([['0', '1'], ['2']]);
    const encoded = codec.encode(['x'.repeat(10), 'y'.repeat(10)]);
    expect(Buffer.byteLength(encoded)).toBe(37);
  });

  it('refuses to leave out a request too large to be sent alone (reading refuses those first)', () => {
    for (const packing of ['fifo', 'length'] as const) {
      const plan = () =>
        planBatches([request(0, 5), request(1, 50), request(2, 5)], {
          maxItems: 10,
          maxBytes: 40,
          codec: codecs['hf-inputs'],
          packing,
        });
      expect(plan).toThrow(/cannot fit one model call of 40 bytes/);
    }
  });

  it('orders requests by estimated length, so a call holds items of similar length', () => {
    // Estimated tokens: ceil(bytes / 4). Arrival order alternates short and long.
    const requests = [request(0, 8), request(1, 800), request(2, 12), request(3, 640)];
    const limits = { maxItems: 2, maxBytes: 10_000, codec: codecs['hf-inputs'] };
    expect(ids(planBatches(requests, limits).batches)).toEqual([
      ['0', '2'],
      ['3', '1'],
    ]);
    expect(ids(planBatches(requests, { ...limits, packing: 'fifo' }).batches)).toEqual([
      ['0', '1'],
      ['2', '3'],
    ]);
  });

  it('does not pad short items to long ones where a call can split between the two groups', () => {
    // 7 short (1 token), 4 long (100 tokens), 4 a call: filling each call to the brim would
    // send [s s s s] [s s s L] [L L L], padding three short items to 100 tokens. Three calls
    // either way; splitting at the group boundary pads nothing.
    const requests = [
      ...Array.from({ length: 7 }, (_, i) => request(i, 4)),
      ...Array.from({ length: 4 }, (_, i) => request(7 + i, 400)),
    ];
    const plan = planBatches(requests, {
      maxItems: 4,
      maxBytes: 10_000,
      codec: codecs['hf-inputs'],
    });
    expect(plan.batches).toHaveLength(3);
    expect(plan.batches.map((b) => b.map((r) => r.inputBytes))).toContainEqual([
      400, 400, 400, 400,
    ]);
    for (const batch of plan.batches) expect(new Set(batch.map((r) => r.inputBytes)).size).toBe(1);
  });

  it('cuts a call when items x its longest item would pass the token budget', () => {
    // 100 bytes = 25 tokens each; 4 x 25 = 100 fits, a fifth would make 125.
    const requests = Array.from({ length: 6 }, (_, i) => request(i, 100));
    const plan = planBatches(requests, {
      maxItems: 64,
      maxBytes: 10_000,
      maxTokens: 100,
      codec: codecs['hf-inputs'],
    });
    expect(plan.batches.map((b) => b.length)).toEqual([4, 2]);
  });

  it('charges the longest item, not the sum: one long item shrinks its call', () => {
    // FIFO: 3 short (1 token) then one of 50 tokens: 4 x 50 = 200 > 120, so the long one waits.
    const requests = [request(0, 4), request(1, 4), request(2, 4), request(3, 200)];
    const plan = planBatches(requests, {
      maxItems: 64,
      maxBytes: 10_000,
      maxTokens: 120,
      codec: codecs['hf-inputs'],
      packing: 'fifo',
    });
    expect(ids(plan.batches)).toEqual([['0', '1', '2'], ['3']]);
  });

  it('sends an item estimated above the token budget alone rather than failing it', () => {
    const plan = planBatches([request(0, 4), request(1, 4_000)], {
      maxItems: 64,
      maxBytes: 10_000,
      maxTokens: 100,
      codec: codecs['hf-inputs'],
    });
    expect(ids(plan.batches)).toEqual([['0'], ['1']]);
  });

  it('sends the batch holding the earliest deadline first', () => {
    const requests = [request(0, 4), request(1, 4), request(2, 400, 5_000), request(3, 400)];
    const plan = planBatches(requests, {
      maxItems: 2,
      maxBytes: 10_000,
      codec: codecs['hf-inputs'],
    });
    expect(ids(plan.batches)).toEqual([
      ['2', '3'],
      ['0', '1'],
    ]);
  });

  it('property (fifo): every request that fits a call alone in exactly one batch, in order, within both limits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 16, max: 2_000 }),
        fc.constantFrom(...Object.values(codecs)),
        (sizes, maxItems, maxBytes, codec) => {
          const requests = sizes
            .map((size, i) => request(i, size))
            .filter((r) => codec.overheadBytes + r.inputBytes <= maxBytes);
          const plan = planBatches(requests, { maxItems, maxBytes, codec, packing: 'fifo' });
          expect(plan.batches.flat().map((r) => r.id)).toEqual(requests.map((r) => r.id));
          for (const batch of plan.batches) {
            expect(batch.length).toBeGreaterThan(0);
            expect(batch.length).toBeLessThanOrEqual(maxItems);
            const encoded = codec.encode(batch.map((r) => 'x'.repeat(r.inputBytes)));
            expect(Buffer.byteLength(encoded)).toBeLessThanOrEqual(maxBytes);
          }
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
