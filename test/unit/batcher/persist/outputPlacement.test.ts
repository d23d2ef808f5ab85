import { describe, expect, it } from 'vitest';
import { maxRowBytes, placeOutput } from '../../../../lib/batcher/persist/outputPlacement.js';
import { AwsLimits } from '../../../../lib/contract/awsLimits.js';
import { readResultRow } from '../../../../lib/contract/compactRow.js';
import { itemSizeBytes } from '../../../../lib/contract/itemSize.js';
import { decodeOutputText } from '../../../../lib/contract/resultEncoding.js';
import type { ResultRow } from '../../../../lib/contract/resultRow.js';

const base: ResultRow = {
  id: 'r-1',
  status: 'SUCCEEDED',
  attempts: 1,
  messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
  invocationId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  enqueuedAt: 1_795_000_000_000,
  completedAt: 1_795_000_001_234,
  modelLatencyMs: 87,
  batchItems: 64,
  expiresAt: 1_795_604_801,
};
const baseBytes = itemSizeBytes(base as unknown as Record<string, unknown>);
const writer = base.invocationId;
/** A JSON string output whose `output` attribute (name + text) is exactly `bytes` in the row. */
const outputOf = (bytes: number) => `"${'a'.repeat(bytes - 'output'.length - 2)}"`;

describe('placeOutput', () => {
  it('keeps an output in its row while it is within the threshold and the row fits', () => {
    const placed = placeOutput(
      '[1,2]',
      base,
      { encoding: 'compressed', offloadBytes: 1024 },
      writer,
    );
    expect(placed).toMatchObject({ kind: 'row', row: { ...base, output: '[1,2]' } });
    expect(placed.kind === 'row' && placed.rowBytes).toBe(
      itemSizeBytes({ ...base, output: '[1,2]' }),
    );
  });

  it('sends an output above the threshold to the bucket, the row pointing at it', () => {
    const json = outputOf(2_000);
    const placed = placeOutput(
      json,
      base,
      { encoding: 'json', offloadBytes: 1_999, bucket: 'b' },
      writer,
    );
    if (placed.kind !== 'object') throw new Error(`expected an object, got ${placed.kind}`);
    expect(placed.row.output).toBeUndefined();
    expect(placed.row.outputLocation).toBe(`s3://b/${placed.object.key}`);
    expect(placed.object.key).toBe(`results/r-1/${writer}`);
    expect(new TextDecoder().decode(placed.object.body)).toBe(json);
    expect(placed.rowBytes).toBe(itemSizeBytes(placed.row as unknown as Record<string, unknown>));
    // At the threshold it stays.
    expect(
      placeOutput(json, base, { encoding: 'json', offloadBytes: 2_000, bucket: 'b' }, writer).kind,
    ).toBe('row');
  });

  it('keeps the encoding and shape on the row of an offloaded numeric output', () => {
    const vectors = [0, 1].map((v) =>
      Array.from({ length: 64 }, (_, i) => Math.fround(Math.sin(v * 64 + i + 1) / 7)),
    );
    const json = JSON.stringify(vectors);
    const placed = placeOutput(
      json,
      base,
      { encoding: 'float32', offloadBytes: 1, bucket: 'b' },
      writer,
    );
    expect(placed).toMatchObject({
      kind: 'object',
      row: { outputEncoding: 'f32le', outputShape: [2, 64] },
    });
    expect(placed.kind === 'object' && placed.object.body.byteLength).toBe(2 * 64 * 4);
  });

  it('offloads a row that would pass the item limit even below the threshold', () => {
    // The output alone is under the threshold; with the row's other attributes it is not.
    const json = outputOf(maxRowBytes - baseBytes + 1);
    const policy = {
      encoding: 'json' as const,
      offloadBytes: AwsLimits.dynamoMaxItemBytes,
      bucket: 'b',
    };
    expect(placeOutput(json, base, policy, writer).kind).toBe('object');
    // One byte less and the row is exactly the largest the function writes: it stays.
    const fits = placeOutput(outputOf(maxRowBytes - baseBytes), base, policy, writer);
    expect(fits).toMatchObject({ kind: 'row', rowBytes: maxRowBytes });
    // 1 KiB under DynamoDB's own limit: a Number's size is only approximately documented.
    expect(maxRowBytes).toBe(AwsLimits.dynamoMaxItemBytes - 1_024);
  });

  it('fails OUTPUT_TOO_LARGE past the item limit when there is no bucket, and only then', () => {
    const json = outputOf(maxRowBytes - baseBytes + 1);
    const placed = placeOutput(json, base, { encoding: 'json', offloadBytes: 10 }, writer);
    expect(placed).toMatchObject({
      kind: 'too-large',
      error: { code: 'OUTPUT_TOO_LARGE', message: expect.stringContaining('no results bucket') },
    });
    // Without a bucket the threshold does not apply: a large row that fits is kept.
    expect(
      placeOutput(outputOf(5_000), base, { encoding: 'json', offloadBytes: 10 }, writer).kind,
    ).toBe('row');
  });

  it('measures the encoded output, so a compressible output stays in its row', () => {
    const json = JSON.stringify('x'.repeat(500_000));
    const placed = placeOutput(
      json,
      base,
      { encoding: 'compressed', offloadBytes: 65_536 },
      writer,
    );
    expect(placed).toMatchObject({ kind: 'row', row: { outputEncoding: 'json-gzip' } });
    expect(placed.kind === 'row' && decodeOutputText(readResultRow(placed.row))).toBe(json);
  });
});
