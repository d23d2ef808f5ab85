import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeOutput,
  decodeOutputText,
  type EncodedOutput,
  encodeOutput,
  StoredEncoding,
} from '../../../lib/contract/resultEncoding.js';

/** An encoder of one output for a row: the `lossless` setting, or a broken variant of it. */
type Encode = (text: string) => EncodedOutput;

const lossless: Encode = (text) => encodeOutput(text, 'lossless');

/**
 * Numbers spelt every way a model may write them: float32 values as the double they are
 * (what Python's json writes for numpy float32), as float32's own shortest text (`0.1`, a
 * double that is not a float32), with `.0`, exponents, `-0`, integers around 2^24 and 2^53,
 * doubles that are not float32 values, and text beyond double precision.
 */
const float32 = fc.float({ noNaN: true, noDefaultInfinity: true });
const numberText = fc.oneof(
  float32.map(String),
  float32.map((x) => x.toExponential()),
  float32.map((x) => (Number.isInteger(x) && Math.abs(x) < 1e21 ? `${x}.0` : String(x))),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.integer({ min: -(2 ** 25), max: 2 ** 25 }).map(String),
  fc.constantFrom(
    '-0',
    '-0.0',
    '0.0',
    '1.0',
    '1e2',
    '1E-7',
    '0.1',
    '1.50',
    '16777216',
    '16777217',
    '9007199254740993',
    '1e400',
    '3.4028235677973366e+38',
    '3.4028235677973366e+39',
    '1.401298464324817e-45',
    '1e-46',
    '12345678901234567890',
  ),
);
const space = fc.constantFrom('', '', ' ', '\n  ');
/** Rectangular numeric arrays, as text: the outputs `lossless` may pack. */
const numericArrayText = fc
  .tuple(
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 0, max: 120 }),
    fc.integer({ min: 0, max: 2 }),
    space,
  )
  .chain(([rows, cols, depth, s]) =>
    fc
      .array(fc.array(numberText, { minLength: cols, maxLength: cols }), {
        minLength: rows,
        maxLength: rows,
      })
      .map((matrix) => {
        const vectors = matrix.map((v) => `[${s}${v.join(`,${s}`)}${s}]`);
        // depth 0: one flat vector; 1: a batch of vectors; 2: a batch of one batch.
        if (depth === 0) return vectors[0]!;
        const batch = `[${vectors.join(`,${s}`)}]`;
        return depth === 1 ? batch : `[${s}${batch}${s}]`;
      }),
  );
/** Any other JSON (objects, strings, ragged or mixed arrays), leading whitespace too. */
const otherJson = fc
  .tuple(fc.json({ depthSize: 'small' }), space)
  .map(([text, s]) => `${s}${text}`);
const anyOutput = fc.oneof(numericArrayText, otherJson);

const numbers = (value: unknown): unknown[] =>
  Array.isArray(value) ? value.flatMap(numbers) : [value];

/** Deep equality with Object.is for every leaf: -0 and 0 differ. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameValue(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) =>
        sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
      )
    );
  }
  return Object.is(a, b);
}

/**
 * The promise of `lossless`: for any JSON output, decoding the row gives JSON.parse of the
 * model's text, Object.is for every number; the text read back is the model's own for a
 * JSON form and JSON.stringify of those values for a packed one; and it says it is exact.
 */
function keepsEveryValue(encode: Encode): void {
  fc.assert(
    fc.property(anyOutput, (text) => {
      const row = encode(text);
      const model = JSON.parse(text) as unknown;
      expect(sameValue(decodeOutput(row.attributes), model)).toBe(true);
      expect(decodeOutputText(row.attributes)).toBe(
        row.encoding === StoredEncoding.float32 ? JSON.stringify(model) : text,
      );
      expect(row.exact).toBe(true);
    }),
    { numRuns: 1_000 },
  );
}

/** A broken variant: packs every numeric array as f32le, doubles that are not float32 too. */
const packsAnyDouble: Encode = (text) => {
  const rounded = encodeOutput(text, 'float32');
  return rounded.encoding === StoredEncoding.float32 ? { ...rounded, exact: true } : lossless(text);
};

describe('lossless result encoding, properties', () => {
  it('gives back every value of any JSON output (Object.is), the text where it keeps text', () => {
    keepsEveryValue(lossless);
  });

  it('negative control: a variant that also packs a double that is not a float32 is rejected', () => {
    let counterexample: string | undefined;
    try {
      keepsEveryValue(packsAnyDouble);
    } catch (error) {
      counterexample = /Counterexample: (.*)/.exec(String(error))?.[1];
    }
    // Rejected for the right reason: the shrunk output holds a double that is not a float32.
    const [text] = JSON.parse(counterexample ?? '[]') as [string?];
    expect(text).toBeDefined();
    const values = numbers(JSON.parse(text!)).filter((x) => typeof x === 'number');
    expect(values.some((x) => Math.fround(x) !== x)).toBe(true);
  });

  it('packs float32 outputs as f32le whenever that is smaller than their text', () => {
    fc.assert(
      fc.property(
        fc.array(float32, { minLength: 64, maxLength: 400 }),
        fc.boolean(),
        (values, asBatch) => {
          const model = asBatch ? [values, values] : values;
          const text = JSON.stringify(model);
          // 5 characters a value or more: the text outweighs 4 bytes a value plus the
          // outputEncoding and outputShape attributes (under 40 bytes).
          fc.pre(text.length >= 5 * numbers(model).length);
          const row = encodeOutput(text, 'lossless');
          expect(row.encoding).toBe(StoredEncoding.float32);
          expect(sameValue(decodeOutput(row.attributes), JSON.parse(text))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
