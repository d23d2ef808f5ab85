import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeOutput,
  decodeOutputText,
  encodeOutput,
  isResultEncoding,
  minCompressChars,
  ResultDecodeError,
  StoredEncoding,
} from '../../../lib/contract/resultEncoding.js';

/** A 384-float embedding as the benchmark's model writes it: float32 values, shortest double text. */
const embedding = (seed: number) =>
  Array.from({ length: 384 }, (_, i) => Math.fround(Math.sin(seed * 1000 + i) / 20));

describe('encodeOutput', () => {
  it('keeps a short output as text under compressed: gzip would save a few bytes for ~10 µs', () => {
    const short = JSON.stringify('a'.repeat(minCompressChars - 3)); // 255 characters
    expect(encodeOutput(short, 'compressed').attributes).toEqual({ output: short });
    const long = JSON.stringify('a'.repeat(minCompressChars));
    expect(encodeOutput(long, 'compressed').attributes.outputEncoding).toBe('json-gzip');
  });

  it('json: the exact text, no encoding attribute (the rows sagebatch always wrote)', () => {
    const text = '{"label":"POSITIVE","score":1e400,"n":12345678901234567890}';
    const encoded = encodeOutput(text, 'json');
    expect(encoded.attributes).toEqual({ output: text });
    expect(encoded.encoding).toBe('json');
    expect(encoded.bytes).toBe('output'.length + text.length);
    expect(decodeOutputText(encoded.attributes)).toBe(text);
  });

  it('compressed: gzip for an embedding, plain JSON when gzip would be larger', () => {
    const text = JSON.stringify(embedding(1));
    const big = encodeOutput(text, 'compressed');
    expect(big.encoding).toBe(StoredEncoding.jsonGzip);
    expect(big.attributes.output).toBeInstanceOf(Uint8Array);
    expect(big.bytes).toBeLessThan(text.length * 0.6);
    expect(decodeOutputText(big.attributes)).toBe(text);
    const small = encodeOutput('{"a":1}', 'compressed');
    expect(small.attributes).toEqual({ output: '{"a":1}' });
  });

  it('float32: 4 bytes a value, bit-identical for float32 outputs, no shape for a flat array', () => {
    const values = embedding(2);
    const encoded = encodeOutput(JSON.stringify(values), 'float32');
    expect(encoded.encoding).toBe(StoredEncoding.float32);
    expect((encoded.attributes.output as Uint8Array).byteLength).toBe(384 * 4);
    expect(encoded.attributes.outputShape).toBeUndefined();
    expect(encoded.exact).toBe(true);
    expect(decodeOutput(encoded.attributes)).toEqual(values);
  });

  it('records the shape of a batch of vectors, so [[...]] and [...] stay apart', () => {
    const batch = [embedding(3), embedding(4)];
    const encoded = encodeOutput(JSON.stringify(batch), 'float16');
    expect(encoded.attributes.outputShape).toEqual([2, 384]);
    expect((decodeOutput(encoded.attributes) as number[][]).map((v) => v.length)).toEqual([
      384, 384,
    ]);
    const one = encodeOutput(JSON.stringify([embedding(5)]), 'float32');
    expect(one.attributes.outputShape).toEqual([1, 384]);
    expect(decodeOutput(one.attributes)).toEqual([embedding(5)]);
  });

  it('float32 of doubles that are not float32 rounds them and says so', () => {
    const values = Array.from({ length: 50 }, (_, i) => Math.sin(i + 0.5) / 3);
    const encoded = encodeOutput(JSON.stringify(values), 'float32');
    expect(encoded.encoding).toBe(StoredEncoding.float32);
    expect(encoded.exact).toBe(false);
    expect(decodeOutput(encoded.attributes)).toEqual(values.map(Math.fround));
  });

  it('lossless: f32le for a float32 output, exact; what a reader gets back as text', () => {
    const values = embedding(6);
    const text = JSON.stringify(values);
    const encoded = encodeOutput(text, 'lossless');
    expect(encoded.encoding).toBe(StoredEncoding.float32);
    expect(encoded.exact).toBe(true);
    expect(decodeOutputText(encoded.attributes)).toBe(text);
    // Spelling is not kept, values are: 1.0 reads back as 1, 1.52587890625e-05 (2^-16) as
    // 0.0000152587890625, -0.0 as 0 in text and as -0 in decodeOutput.
    const spelt = `[1.0, 1.52587890625e-05, -0.0, 0.5, ${text.slice(1, -1)}]`;
    const row = encodeOutput(spelt, 'lossless');
    expect(row.encoding).toBe(StoredEncoding.float32);
    expect(decodeOutputText(row.attributes)).toMatch(/^\[1,0\.0000152587890625,0,0\.5,/);
    expect(Object.is((decodeOutput(row.attributes) as number[])[2], -0)).toBe(true);
  });

  it('lossless: anything a float32 cannot hold keeps the exact text (gzip when smaller)', () => {
    const doubles = JSON.stringify(Array.from({ length: 50 }, (_, i) => Math.sin(i + 0.5) / 3));
    expect(encodeOutput(doubles, 'lossless').encoding).toBe(StoredEncoding.jsonGzip);
    for (const text of [
      `[0.1,${'0.5,'.repeat(100)}0.5]`, // 0.1 is float32's shortest text, not a float32
      `[16777217,${'1,'.repeat(100)}1]`, // 2^24 + 1
      `[1e39,${'1,'.repeat(100)}1]`, // beyond float32's range
      `[[1,2],[3]]`, // ragged
      '{"label":"POSITIVE","score":0.5}', // not an array: never parsed
    ]) {
      const encoded = encodeOutput(text, 'lossless');
      expect(encoded.encoding).not.toBe(StoredEncoding.float32);
      expect(decodeOutputText(encoded.attributes)).toBe(text);
    }
  });

  it('lossless: gzip beside f32le only for short text per value, where it can win', () => {
    const zeros = JSON.stringify(new Array(400).fill(0.5));
    expect(encodeOutput(zeros, 'lossless').encoding).toBe(StoredEncoding.jsonGzip);
    const tiny = '[0.5,0.25]';
    expect(encodeOutput(tiny, 'lossless').attributes).toEqual({ output: tiny });
  });

  it('int8: one float32 scale then one byte a value, error within max / 254', () => {
    const values = embedding(6);
    const encoded = encodeOutput(JSON.stringify(values), 'int8');
    expect(encoded.encoding).toBe(StoredEncoding.int8);
    expect((encoded.attributes.output as Uint8Array).byteLength).toBe(4 + 384);
    const back = decodeOutput(encoded.attributes) as number[];
    const max = Math.max(...values.map(Math.abs));
    for (let i = 0; i < values.length; i++)
      expect(Math.abs(back[i]! - values[i]!)).toBeLessThanOrEqual((max / 254) * (1 + 1e-6));
  });

  it('numeric encodings fall back for outputs that are not arrays of finite numbers', () => {
    const cases = [
      '{"embedding":[0.1,0.2]}',
      '"text"',
      '0.5',
      '[[1,2],[3]]',
      '[1,null,3]',
      '[1e400,1]',
      `[${'7,'.repeat(3000)}7]`, // compresses far better than 2 bytes a value: gzip wins
    ];
    for (const text of cases) {
      for (const encoding of ['float32', 'float16', 'int8'] as const) {
        const encoded = encodeOutput(text, encoding);
        expect([StoredEncoding.json, StoredEncoding.jsonGzip], text).toContain(encoded.encoding);
        expect(decodeOutputText(encoded.attributes)).toBe(text);
      }
    }
    // Beyond the half range: float16 cannot hold it, float32 can.
    const large = JSON.stringify(Array.from({ length: 64 }, (_, i) => 70_000 + Math.sin(i) * 999));
    expect(encodeOutput(large, 'float16').encoding).not.toBe(StoredEncoding.float16);
    expect(encodeOutput(large, 'float32').encoding).toBe(StoredEncoding.float32);
  });

  it('names the encodings a pipeline may choose', () => {
    expect(isResultEncoding('float16')).toBe(true);
    expect(isResultEncoding('f16le')).toBe(false);
  });
});

describe('decodeOutput rejects malformed rows with a clear error', () => {
  const gzipped = new Uint8Array(gzipSync('[1,2,3]'));
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['no output', { outputEncoding: 'f32le' }, /no output attribute/],
    ['unknown encoding', { output: 'x', outputEncoding: 'zstd' }, /unknown outputEncoding "zstd"/],
    ['json row holding a Binary', { output: gzipped }, /must be a String attribute/],
    ['json that is not JSON', { output: '{"a":' }, /not valid JSON/],
    ['gzip row holding a String', { output: 'H4sI', outputEncoding: 'json-gzip' }, /not a Binary/],
    [
      'not gzip at all',
      { output: new Uint8Array([1, 2, 3, 4]), outputEncoding: 'json-gzip' },
      /does not decompress/,
    ],
    [
      'a gzip bomb (40 MiB of spaces in ~40 KB)',
      {
        output: new Uint8Array(gzipSync(Buffer.alloc(40 * 1024 * 1024, 32))),
        outputEncoding: 'json-gzip',
      },
      /decompresses to more than 33554432 bytes/,
    ],
    [
      'a shape of millions of empty arrays in no bytes',
      { output: new Uint8Array(0), outputEncoding: 'f32le', outputShape: [3_000_000, 0] },
      /describes 3000000 arrays for 0 bytes/,
    ],
    [
      'gzip cut short (no CRC and length trailer)',
      { output: gzipped.slice(0, -8), outputEncoding: 'json-gzip' },
      /does not decompress/,
    ],
    [
      'gzip with a damaged CRC',
      {
        output: gzipped.map((b, i) => (i === gzipped.length - 6 ? b ^ 0xff : b)),
        outputEncoding: 'json-gzip',
      },
      /does not decompress/,
    ],
    [
      'float32 bytes not a multiple of 4',
      { output: new Uint8Array(7), outputEncoding: 'f32le' },
      /7 bytes, which is not a multiple of 4/,
    ],
    [
      'shape that does not match the bytes',
      { output: new Uint8Array(16), outputEncoding: 'f32le', outputShape: [3, 2] },
      /shape \[3, 2\] needs 24/,
    ],
    [
      'shape that is not a list of integers',
      { output: new Uint8Array(16), outputEncoding: 'f16le', outputShape: [2.5] },
      /outputShape must be a list/,
    ],
    [
      'int8 without its scale',
      { output: new Uint8Array(3), outputEncoding: 'i8' },
      /4 \+ a multiple/,
    ],
  ];
  for (const [name, row, message] of cases) {
    it(name, () => {
      expect(() => decodeOutput(row)).toThrow(ResultDecodeError);
      expect(() => decodeOutput(row)).toThrow(message);
    });
  }
});
