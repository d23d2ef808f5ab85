import {
  brotliCompressSync,
  brotliDecompressSync,
  constants,
  gunzipSync,
  gzipSync,
} from 'node:zlib';
import { storedForm } from '../lib/contract/compactRow.js';
import { itemSizeBytes, storageBytes, writeUnits } from '../lib/contract/itemSize.js';
import {
  decodeOutput,
  encodeOutput,
  type ResultEncoding,
  resultEncodings,
} from '../lib/contract/resultEncoding.js';
import type { ResultRow } from '../lib/contract/resultRow.js';
import { batcherSettings } from '../lib/contract/settings.js';

/** The encoding a pipeline gets when it sets none (RESULT_ENCODING's default). */
export const defaultEncoding: ResultEncoding = batcherSettings.resultEncoding.default;

/** What rows weigh, and what they keep of the model's numbers, under one result encoding. */
export interface EncodingMeasure {
  readonly encoding: ResultEncoding;
  readonly rows: number;
  /** Mean row size by DynamoDB's item size rules, bytes (every attribute, not just the output). */
  readonly rowBytes: number;
  readonly maxRowBytes: number;
  /** Mean write units per row as stored (1 per KB of the whole row, rounded up per row; compact where that saves a unit). */
  readonly writeUnitsPerRow: number;
  /** The same, were every row kept in the documented form (no compact rows). */
  readonly writeUnitsPerRowDocumented: number;
  /** Rows stored in the compact form (lib/contract/compactRow.ts). */
  readonly compactRows: number;
  /** Mean storage bytes per row (the row + DynamoDB's 100 bytes of overhead). */
  readonly storageBytesPerRow: number;
  /** How many rows ended in each stored encoding (fallbacks show here). */
  readonly storedAs: Record<string, number>;
  /** Mean time to encode one output in this process, µs. */
  readonly encodeMicros: number;
  /** Decoded vs the model's full-precision output. */
  readonly minCosine: number;
  readonly maxAbsDiff: number;
  /** Rows whose every decoded number is bit-identical to the model's. */
  readonly bitIdentical: number;
}

/** One compressor measured on the same outputs (the choice of gzip for `compressed`). */
export interface CompressorMeasure {
  readonly name: string;
  /** Mean compressed bytes / mean JSON bytes. */
  readonly share: number;
  readonly meanBytes: number;
  readonly compressMicros: number;
  readonly decompressMicros: number;
}

/** Write units of one reference output's row under one encoding, in both row forms. */
export interface ReferenceRow {
  readonly output: string;
  readonly encoding: ResultEncoding;
  readonly storedAs: string;
  /** Row bytes in the documented form, and as stored (compact where that saves a unit). */
  readonly documentedBytes: number;
  readonly storedBytes: number;
  readonly documentedUnits: number;
  readonly storedUnits: number;
}

/** The encodings measured on one run's real rows. */
export interface EncodingsResult {
  /** The encoding a pipeline gets by default. */
  readonly defaultEncoding: ResultEncoding;
  /** Reference outputs (a float16-sized embedding, classifier outputs) under every encoding. */
  readonly reference: ReferenceRow[];
  readonly rows: number;
  /** Mean JSON text bytes of an output. */
  readonly outputJsonBytes: number;
  readonly encodings: EncodingMeasure[];
  readonly compressors: CompressorMeasure[];
}

const numbers = (value: unknown): number[] =>
  Array.isArray(value) ? value.flatMap(numbers) : typeof value === 'number' ? [value] : [];

const timed = <T>(f: () => T): [T, number] => {
  const t = performance.now();
  const result = f();
  return [result, (performance.now() - t) * 1_000];
};

/**
 * Re-encodes every SUCCEEDED row of a run under each result encoding (the row's other
 * attributes unchanged) and measures its size, write units, fallbacks and what the
 * decoded output keeps of the model's numbers.
 */
export function measureEncodings(rows: readonly Record<string, unknown>[]): EncodingsResult {
  const succeeded = rows.filter((row) => typeof row.output === 'string');
  const texts = succeeded.map((row) => row.output as string);
  const encodings = resultEncodings.map((encoding): EncodingMeasure => {
    let bytes = 0;
    let maxBytes = 0;
    let units = 0;
    let documentedUnits = 0;
    let compactRows = 0;
    let storage = 0;
    let micros = 0;
    let minCosine = 1;
    let maxAbsDiff = 0;
    let bitIdentical = 0;
    const storedAs: Record<string, number> = {};
    succeeded.forEach((row, r) => {
      const [encoded, us] = timed(() => encodeOutput(texts[r]!, encoding));
      micros += us;
      const { output: _output, ...rest } = row;
      const full = { ...rest, ...encoded.attributes };
      const fullSize = itemSizeBytes(full);
      const stored = storedForm(full as unknown as ResultRow, fullSize);
      const size = stored.bytes;
      documentedUnits += writeUnits(fullSize);
      if (stored.item !== full) compactRows++;
      bytes += size;
      maxBytes = Math.max(maxBytes, size);
      units += writeUnits(size);
      storage += storageBytes(size);
      storedAs[encoded.encoding] = (storedAs[encoded.encoding] ?? 0) + 1;
      const a = numbers(JSON.parse(texts[r]!));
      const b = numbers(decodeOutput(encoded.attributes));
      let dot = 0;
      let na = 0;
      let nb = 0;
      let same = a.length === b.length;
      for (let k = 0; k < a.length; k++) {
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[k]! - b[k]!));
        if (!Object.is(a[k], b[k])) same = false;
        dot += a[k]! * b[k]!;
        na += a[k]! * a[k]!;
        nb += b[k]! * b[k]!;
      }
      if (same) bitIdentical++;
      if (na > 0 && nb > 0) minCosine = Math.min(minCosine, dot / Math.sqrt(na * nb));
    });
    const n = Math.max(1, succeeded.length);
    return {
      encoding,
      rows: succeeded.length,
      rowBytes: bytes / n,
      maxRowBytes: maxBytes,
      writeUnitsPerRow: units / n,
      writeUnitsPerRowDocumented: documentedUnits / n,
      compactRows,
      storageBytesPerRow: storage / n,
      storedAs,
      encodeMicros: micros / n,
      minCosine,
      maxAbsDiff,
      bitIdentical,
    };
  });
  const jsonBytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0) / Math.max(1, texts.length);
  const brotli = (quality: number) => (t: string) =>
    brotliCompressSync(t, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: quality,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: Buffer.byteLength(t),
      },
    });
  const sample = texts.slice(0, 500);
  const compressors = (
    [
      ['gzip (default level; the `compressed` encoding)', (t: string) => gzipSync(t), gunzipSync],
      ['brotli quality 4', brotli(4), brotliDecompressSync],
      ['brotli quality 11 (default)', brotli(11), brotliDecompressSync],
    ] as const
  ).map(([name, compress, decompress]): CompressorMeasure => {
    let bytes = 0;
    let cUs = 0;
    let dUs = 0;
    for (const t of sample) {
      const [packed, us] = timed(() => compress(t));
      cUs += us;
      bytes += packed.byteLength;
      dUs += timed(() => decompress(packed))[1];
    }
    const n = Math.max(1, sample.length);
    const sampleJson = sample.reduce((s, t) => s + Buffer.byteLength(t), 0) / n;
    return {
      name,
      meanBytes: bytes / n,
      share: bytes / n / sampleJson,
      compressMicros: cUs / n,
      decompressMicros: dUs / n,
    };
  });
  return {
    defaultEncoding,
    reference: measureReferenceRows(),
    rows: succeeded.length,
    outputJsonBytes: jsonBytes,
    encodings,
    compressors,
  };
}

/** Float32 values in (-1, 1), written as the doubles they are (as a float32 model's server does). */
const float32s = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed * 1000 + i) * 0.9));

/**
 * Outputs whose rows sit near the 1 KB write unit: an embedding of 384 values, a 200-class
 * classifier's scores (CUB-200's bird classes), a 28-label emotion classifier's label and
 * score list (GoEmotions), and a one-label answer.
 */
export const referenceOutputs: readonly { readonly name: string; readonly output: unknown }[] = [
  { name: 'embedding, 384 float32 values', output: float32s(384, 1) },
  { name: 'classifier scores, 200 classes', output: float32s(200, 2) },
  {
    name: 'classifier labels and scores, 28 labels',
    output: Array.from({ length: 28 }, (_, i) => ({
      label: `emotion_${i}`,
      score: Math.fround(Math.abs(Math.sin(i)) / 7),
    })),
  },
  { name: 'one label and score', output: { label: 'POSITIVE', score: Math.fround(0.9998) } },
];

/** A SUCCEEDED row's other attributes, shaped as on AWS: UUID ids, epoch-ms times, a 7-day TTL. */
const referenceBase = {
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
} as const;

/** Each reference output's row under each encoding: bytes and write units in both row forms. */
export function measureReferenceRows(): ReferenceRow[] {
  return referenceOutputs.flatMap(({ name, output }) =>
    resultEncodings.map((encoding): ReferenceRow => {
      const encoded = encodeOutput(JSON.stringify(output), encoding);
      const row = { ...referenceBase, ...encoded.attributes } as ResultRow;
      const documentedBytes = itemSizeBytes(row as unknown as Record<string, unknown>);
      const stored = storedForm(row, documentedBytes);
      return {
        output: name,
        encoding,
        storedAs: encoded.encoding,
        documentedBytes,
        storedBytes: stored.bytes,
        documentedUnits: writeUnits(documentedBytes),
        storedUnits: writeUnits(stored.bytes),
      };
    }),
  );
}
