import { describe, expect, it } from 'vitest';
import { placeOutput } from '../../../lib/batcher/persist/outputPlacement.js';
import {
  COMPACT_ROW_FORMAT,
  compactSavings,
  projectedNames,
  readResultRow,
  storedForm,
} from '../../../lib/contract/compactRow.js';
import { itemSizeBytes, writeUnits } from '../../../lib/contract/itemSize.js';
import { decodeOutput, type ResultEncoding } from '../../../lib/contract/resultEncoding.js';
import type { ResultRow } from '../../../lib/contract/resultRow.js';

/**
 * A SUCCEEDED row as the batcher builds it: the request id defaulting to the SQS message id
 * (a UUID), a Lambda request id (a UUID), epoch-ms times, a 7-day TTL.
 */
const base: ResultRow = {
  id: '059f36b4-87a3-44ab-83d2-661975830a7d',
  status: 'SUCCEEDED',
  attempts: 1,
  messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
  invocationId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  enqueuedAt: 1_795_000_000_123,
  completedAt: 1_795_000_001_234,
  modelLatencyMs: 187,
  batchItems: 64,
  expiresAt: 1_795_604_801,
};

/** Float32 values in (-1, 1) spelt as the doubles they are, as a float32 model writes them. */
const float32s = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed * 1000 + i) * 0.9));

/** The item the batcher writes for `output` under `encoding`, and its write units as DynamoDB bills them. */
function written(output: unknown, encoding: ResultEncoding) {
  const placed = placeOutput(
    JSON.stringify(output),
    base,
    { encoding, offloadBytes: 65_536 },
    base.invocationId,
  );
  if (placed.kind !== 'row') throw new Error(`expected a row, got ${placed.kind}`);
  // Sized by the developer guide's rules (lib/contract/itemSize.ts cites the page), from the item itself.
  const bytes = itemSizeBytes(placed.row as unknown as Record<string, unknown>);
  expect(placed.rowBytes).toBe(bytes);
  return {
    item: placed.row as unknown as Record<string, unknown>,
    bytes,
    units: writeUnits(bytes),
  };
}

describe('compact SUCCEEDED rows: one write unit where the names were the difference', () => {
  it('a 384-value float16 embedding costs one write unit (1,030 bytes in the documented form)', () => {
    const embedding = float32s(384, 1);
    const { item, bytes, units } = written(embedding, 'float16');
    expect(units).toBe(1);
    expect(bytes).toBe(948);
    expect(item.v).toBe(COMPACT_ROW_FORMAT);
    // Readers get the documented form back, the output decoding as before.
    const row = readResultRow(item);
    expect(row).toMatchObject({ ...base, outputEncoding: 'f16le' });
    expect(itemSizeBytes(row as unknown as Record<string, unknown>)).toBe(1_030);
    expect((decodeOutput(row) as number[]).length).toBe(384);
  });

  it("a small classifier's scores (200 classes, the default lossless) cost one write unit", () => {
    const scores = float32s(200, 2);
    const { item, units } = written(scores, 'lossless');
    expect(units).toBe(1);
    const row = readResultRow(item);
    expect(row.outputEncoding).toBe('f32le');
    expect(decodeOutput(row)).toEqual(scores);
  });

  it('keeps the documented names wherever renaming would not save a write unit', () => {
    for (const [output, encoding] of [
      [{ label: 'POSITIVE', score: 0.9998 }, 'lossless'],
      [float32s(384, 3), 'lossless'], // 1,798 bytes: two units in either form
      [float32s(384, 4), 'int8'], // 647 bytes: one unit already
    ] as const) {
      const { item } = written(output, encoding);
      expect(item.v).toBeUndefined();
      expect(item).toMatchObject({ messageId: base.messageId, attempts: 1 });
      expect(readResultRow(item)).toBe(item);
    }
  });

  it('never compacts a FAILED or RETRYING row: conditions and the DLQ mark read its names', () => {
    const failed: ResultRow = {
      ...base,
      status: 'FAILED',
      error: { code: 'MODEL_REJECTED', message: 'x'.repeat(900) },
      deadLetterId: '0123456789abcdef0123456789abcdef',
    };
    const bytes = itemSizeBytes(failed as unknown as Record<string, unknown>);
    expect(writeUnits(bytes)).toBe(2);
    expect(storedForm(failed, bytes)).toEqual({ item: failed, bytes });
  });

  it('saves the renamed names less the 3 bytes of `v`, and keeps id, status and expiresAt', () => {
    const row: ResultRow = { ...base, output: new Uint8Array(800), outputEncoding: 'f32le' };
    const bytes = itemSizeBytes(row as unknown as Record<string, unknown>);
    const { item, bytes: compactBytes } = storedForm(row, bytes);
    expect(compactBytes).toBe(itemSizeBytes(item as unknown as Record<string, unknown>));
    expect(bytes - compactBytes).toBe(compactSavings(row));
    expect(Object.keys(item).sort()).toEqual(
      ['a', 'b', 'c', 'e', 'expiresAt', 'i', 'id', 'l', 'm', 'o', 'q', 'status', 'v'].sort(),
    );
    expect(readResultRow(item as unknown as Record<string, unknown>)).toEqual(row);
  });

  it('compacts exactly the rows whose write units it lowers, at every size from 200 to 4,200 bytes', () => {
    for (const shaped of [false, true]) {
      for (let n = 0; n <= 4_000; n++) {
        const row: ResultRow = {
          ...base,
          output: new Uint8Array(n),
          outputEncoding: 'f32le',
          // Sizing only: a constant shape keeps every row size from 200 to 4,200 reachable.
          ...(shaped ? { outputShape: [2, 384] } : {}),
        };
        const bytes = itemSizeBytes(row as unknown as Record<string, unknown>);
        const { item, bytes: stored } = storedForm(row, bytes);
        const saves = writeUnits(bytes - compactSavings(row)) < writeUnits(bytes);
        expect(item !== row, `${n} bytes of output`).toBe(saves);
        expect(stored).toBe(itemSizeBytes(item as unknown as Record<string, unknown>));
      }
    }
  });

  it('projects the compact names beside the documented ones, and `v` only when needed', () => {
    expect(projectedNames(['id', 'status', 'expiresAt'])).toEqual(['id', 'status', 'expiresAt']);
    expect(projectedNames(['id', 'status', 'attempts'])).toEqual([
      'id',
      'status',
      'attempts',
      'a',
      'v',
    ]);
  });
});
