import { constants, gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromFloat16Bits, toFloat16Bits } from '../../../lib/contract/float16.js';
import {
  decodeOutput,
  decodeOutputText,
  encodeOutput,
  type OutputAttributes,
  ResultDecodeError,
  type ResultEncoding,
  type StoredOutput,
} from '../../../lib/contract/resultEncoding.js';

/** What a row goes through: encode for a pipeline's setting, then decode what was stored. */
interface Codec {
  readonly encode: (text: string, encoding: ResultEncoding) => OutputAttributes;
  readonly decode: (row: StoredOutput) => unknown;
  readonly decodeText: (row: StoredOutput) => string;
}

const real: Codec = {
  encode: (text, encoding) => encodeOutput(text, encoding).attributes,
  decode: decodeOutput,
  decodeText: decodeOutputText,
};

/** JSON text with every spelling a model may write: 1e400, -0.0, 1.50, big integers, spaces, any Unicode. */
const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.integer().map(String),
  fc.constantFrom('1e400', '-0', '-0.0', '1.50', '1E-7', '12345678901234567890', '0.1e+2'),
);
const space = fc.constantFrom('', '', ' ', '\n  ');
const { text: jsonText } = fc.letrec<{ text: string }>((tie) => ({
  text: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText,
    fc.string({ unit: 'binary' }).map((s) => JSON.stringify(s)),
    fc.constantFrom('true', 'false', 'null'),
    fc
      .tuple(fc.array(tie('text'), { maxLength: 6 }), space)
      .map(([items, s]) => `[${s}${items.join(`${s},${s}`)}${s}]`),
    fc
      .tuple(fc.array(fc.tuple(fc.string(), tie('text')), { maxLength: 5 }), space)
      .map(
        ([members, s]) =>
          `{${members.map(([k, v]) => `${s}${JSON.stringify(k)}${s}:${s}${v}`).join(',')}}`,
      ),
  ),
}));

/** Exact round trip: the text read back is the text written, for any JSON, for json and compressed. */
function roundTripsExactly(codec: Codec): void {
  fc.assert(
    fc.property(jsonText, fc.constantFrom<ResultEncoding>('json', 'compressed'), (text, enc) => {
      const row = codec.encode(text, enc);
      expect(codec.decodeText(row)).toBe(text);
      expect(codec.decode(row)).toEqual(JSON.parse(text));
    }),
    { numRuns: 500 },
  );
}

/** Rectangular arrays (flat, or a batch of vectors) of values drawn by `value`. */
const rectangular = (value: fc.Arbitrary<number>) =>
  fc.oneof(
    fc.array(value, { minLength: 1, maxLength: 400 }),
    fc
      .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 100 }))
      .chain(([rows, cols]) =>
        fc.array(fc.array(value, { minLength: cols, maxLength: cols }), {
          minLength: rows,
          maxLength: rows,
        }),
      ),
  );
const float32s = rectangular(fc.float({ noNaN: true, noDefaultInfinity: true }));
const flat = (value: unknown): number[] =>
  Array.isArray(value) ? value.flatMap(flat) : [value as number];

/** float32 outputs come back bit for bit (Object.is: -0 too), in the same nesting. */
function float32BitIdentical(codec: Codec): void {
  fc.assert(
    fc.property(float32s, (values) => {
      // The model's text is the reference: JSON cannot spell -0 the way JSON.stringify writes it.
      const text = JSON.stringify(values);
      const back = codec.decode(codec.encode(text, 'float32'));
      expect(JSON.stringify(back)).toBe(text);
      const a = flat(back);
      const b = flat(JSON.parse(text));
      expect(a.length).toBe(b.length);
      for (let i = 0; i < b.length; i++) expect(Object.is(a[i], b[i]), `value ${i}`).toBe(true);
    }),
    { numRuns: 300 },
  );
}

/** float16: each value within half a unit in the last place (2^-11 relative, 2^-25 absolute below 2^-14). */
function float16WithinBound(codec: Codec): void {
  fc.assert(
    fc.property(rectangular(fc.double({ min: -65_000, max: 65_000, noNaN: true })), (values) => {
      const back = flat(codec.decode(codec.encode(JSON.stringify(values), 'float16')));
      const original = flat(values);
      for (let i = 0; i < original.length; i++) {
        const x = original[i]!;
        expect(Math.abs(back[i]! - x)).toBeLessThanOrEqual(
          Math.max(Math.abs(x) * 2 ** -11, 2 ** -25),
        );
      }
    }),
    { numRuns: 300 },
  );
}

/** int8: each value within max |x| of its vector / 254 (float32 scale rounding allowed for). */
function int8WithinBound(codec: Codec): void {
  fc.assert(
    fc.property(rectangular(fc.double({ min: -10, max: 10, noNaN: true })), (values) => {
      const back = codec.decode(codec.encode(JSON.stringify(values), 'int8'));
      const vectors = (v: unknown): number[][] =>
        Array.isArray(v) && Array.isArray(v[0]) ? (v as number[][]) : [v as number[]];
      const [a, b] = [vectors(back), vectors(values)];
      for (let r = 0; r < b.length; r++) {
        const max = Math.max(...b[r]!.map(Math.abs));
        for (let i = 0; i < b[r]!.length; i++)
          expect(Math.abs(a[r]![i]! - b[r]![i]!)).toBeLessThanOrEqual((max / 254) * (1 + 2 ** -20));
      }
    }),
    { numRuns: 300 },
  );
}

/** Any output that is not a rectangular array of numbers keeps an exact JSON encoding under every numeric setting. */
function fallsBackExactly(codec: Codec): void {
  const notNumeric = jsonText.filter((text) => {
    const v = JSON.parse(text) as unknown;
    return !Array.isArray(v) || flat(v).some((x) => typeof x !== 'number' || !Number.isFinite(x));
  });
  fc.assert(
    fc.property(
      notNumeric,
      fc.constantFrom<ResultEncoding>('float32', 'float16', 'int8'),
      (text, enc) => {
        expect(codec.decodeText(codec.encode(text, enc))).toBe(text);
      },
    ),
    { numRuns: 500 },
  );
}

/** Damaged stored bytes never decode to a wrong value: they throw ResultDecodeError. */
function rejectsDamage(codec: Codec): void {
  const compressible = jsonText.map((t) => `[${t},${t},${t},"${'x'.repeat(300)}"]`);
  fc.assert(
    fc.property(
      compressible,
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      fc.boolean(),
      (text, at, flip, cut) => {
        const row = codec.encode(text, 'compressed');
        const bytes = row.output as Uint8Array;
        expect(bytes).toBeInstanceOf(Uint8Array);
        const damaged = cut
          ? bytes.slice(0, at % bytes.length)
          : bytes.map((b, i) => (i === at % bytes.length ? b ^ flip : b));
        let decoded: string | undefined;
        try {
          decoded = codec.decodeText({ ...row, output: damaged });
        } catch (error) {
          expect(error).toBeInstanceOf(ResultDecodeError);
          return;
        }
        // A flip in gzip's header flags or timestamp may leave the content intact: that is fine.
        expect(decoded).toBe(text);
      },
    ),
    { numRuns: 500 },
  );
}

/** Negative controls: codecs broken in one way each, which the properties above must reject. */
const broken = {
  /** Re-serializes the JSON before compressing: loses 1e400, -0.0, 1.50 and the spacing. */
  reserializes: {
    ...real,
    encode: (text, enc) => real.encode(JSON.stringify(JSON.parse(text)) ?? text, enc),
  } as Codec,
  /** Reads float32 big-endian. */
  bigEndian: {
    ...real,
    decode: (row) => {
      if (row.outputEncoding !== 'f32le') return real.decode(row);
      const bytes = row.output as Uint8Array;
      const swapped = bytes.map((_, i) => bytes[i - (i % 4) + 3 - (i % 4)]!);
      return real.decode({ ...row, output: swapped });
    },
  } as Codec,
  /** Truncates to float16 instead of rounding to nearest. */
  truncatesHalves: {
    ...real,
    encode: (text, enc) => {
      if (enc !== 'float16') return real.encode(text, enc);
      const truncate = (x: number) => {
        const bits = toFloat16Bits(x);
        return Math.abs(fromFloat16Bits(bits)) > Math.abs(x)
          ? fromFloat16Bits(bits - 1)
          : fromFloat16Bits(bits);
      };
      const values = JSON.parse(text) as unknown;
      const mapped = JSON.stringify(values, (_k, v) => (typeof v === 'number' ? truncate(v) : v));
      return real.encode(mapped, enc);
    },
  } as Codec,
  /** Treats arrays holding null as numeric (null becomes 0). */
  nullAsZero: {
    ...real,
    encode: (text, enc) =>
      real.encode(
        enc === 'json' || enc === 'compressed' ? text : text.replace(/\bnull\b/g, '0'),
        enc,
      ),
  } as Codec,
  /** Decompresses without checking gzip's CRC and length trailer. */
  uncheckedGzip: {
    ...real,
    decodeText: (row) =>
      row.outputEncoding === 'json-gzip'
        ? (() => {
            try {
              return gunzipSync(row.output as Uint8Array, {
                finishFlush: constants.Z_SYNC_FLUSH,
              }).toString();
            } catch (error) {
              throw new ResultDecodeError(String(error));
            }
          })()
        : real.decodeText(row),
  } as Codec,
};

describe('result encodings, properties', () => {
  it('json and compressed round-trip any JSON text exactly', () => {
    roundTripsExactly(real);
    expect(() => roundTripsExactly(broken.reserializes)).toThrow();
  });

  it('float32 gives back float32 outputs bit for bit, in their nesting', () => {
    float32BitIdentical(real);
    expect(() => float32BitIdentical(broken.bigEndian)).toThrow();
  });

  it('float16 keeps every value within half a unit in the last place', () => {
    float16WithinBound(real);
    expect(() => float16WithinBound(broken.truncatesHalves)).toThrow();
  });

  it('int8 keeps every value within max |x| / 254 of its vector', () => {
    int8WithinBound(real);
  });

  it('numeric settings keep anything else exact', () => {
    fallsBackExactly(real);
    expect(() => fallsBackExactly(broken.nullAsZero)).toThrow();
  });

  it('damaged compressed bytes are rejected, never decoded to other text', () => {
    rejectsDamage(real);
    expect(() => rejectsDamage(broken.uncheckedGzip)).toThrow();
  });
});
