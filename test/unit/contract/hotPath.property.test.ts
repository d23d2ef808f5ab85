/**
 * The hot path's shortcuts give exactly what the plain code they replace gives: the
 * envelope read without zod, whitespace removed by a scan, integer and ASCII sizes by
 * arithmetic. Each property also runs against a deliberately broken shortcut it must reject.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { envelopeSchema, plainlyValid } from '../../../lib/contract/envelope.js';
import { attributeValueBytes, utf8Bytes } from '../../../lib/contract/itemSize.js';
import { compactJson } from '../../../lib/contract/jsonText.js';

/** Prepare: top-level members an envelope may or may not have, valid or not. */
const member = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(
    0,
    1,
    1.5,
    -1,
    2 ** 53,
    2 ** 53 - 1,
    Number.POSITIVE_INFINITY,
    1_764_000_000_000,
    0.1,
  ),
  fc.string({ maxLength: 4 }),
  fc.constantFrom('r-1', 'a:b.c_d-e', '', 'sp ace', 'x'.repeat(256), 'x'.repeat(257), 'é'),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);
const envelopeArb = fc
  .record(
    {
      id: member,
      input: member,
      deadline: member,
      jobId: member,
      jobLine: member,
      extra: member,
      __proto__: member,
    },
    { requiredKeys: [] },
  )
  // As JSON.parse would give it: undefined members are absent, `__proto__` an own key.
  .map((o) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>);

type Shortcut = typeof plainlyValid;

/** Whatever the shortcut accepts, the schema accepts with the same id and deadline. */
function agreesWithSchema(shortcut: Shortcut): void {
  fc.assert(
    fc.property(envelopeArb, (json) => {
      const fast = shortcut(json);
      if (fast === undefined) return;
      const parsed = envelopeSchema.safeParse(json);
      expect(parsed.success).toBe(true);
      const jobId = parsed.data?.jobId;
      const jobLine = parsed.data?.jobLine;
      // parseEnvelope refuses one job member without the other after the schema.
      expect(jobId === undefined).toBe(jobLine === undefined);
      expect({
        id: parsed.data?.id,
        deadline: parsed.data?.deadline,
        job: jobId !== undefined && jobLine !== undefined ? { jobId, jobLine } : undefined,
      }).toEqual(fast);
    }),
    { numRuns: 2_000 },
  );
}

describe('plainlyValid: an envelope read without the schema', () => {
  it('accepts only what the schema accepts, reading the same members', () => {
    agreesWithSchema(plainlyValid);
  });

  it('takes the common envelopes (otherwise it would save nothing)', () => {
    expect(plainlyValid({ input: { text: 'hi' } })).toEqual({
      id: undefined,
      deadline: undefined,
      job: undefined,
    });
    expect(plainlyValid({ id: 'r-1', input: 1, deadline: 1_764_000_000_000 })).toEqual({
      id: 'r-1',
      deadline: 1_764_000_000_000,
      job: undefined,
    });
    expect(plainlyValid({ id: 'j:1', input: 1, jobId: 'j', jobLine: 1 })).toEqual({
      id: 'j:1',
      deadline: undefined,
      job: { jobId: 'j', jobLine: 1 },
    });
  });

  it('negative control: a shortcut that lets a zero deadline through is caught', () => {
    const broken: Shortcut = (json) =>
      json.input !== undefined && (json.deadline === undefined || typeof json.deadline === 'number')
        ? {
            id: json.id as string | undefined,
            deadline: json.deadline as number | undefined,
            job: undefined,
          }
        : undefined;
    expect(() => agreesWithSchema(broken)).toThrow();
  });

  it('negative control: a shortcut that takes any jobId string is caught', () => {
    const broken: Shortcut = (json) => {
      const fast = plainlyValid({ ...json, jobId: undefined, jobLine: undefined });
      if (fast === undefined || json.jobId === undefined) return fast;
      return typeof json.jobId === 'string' && typeof json.jobLine === 'number'
        ? { ...fast, job: { jobId: json.jobId, jobLine: json.jobLine } }
        : undefined;
    };
    expect(() => agreesWithSchema(broken)).toThrow();
  });
});

/** The regular expression compactJson used before the scan. */
const byRegex = (text: string) =>
  text.replace(/("(?:[^"\\]|\\.)*")|[ \t\n\r]+/g, (_m, literal: string | undefined) =>
    literal === undefined ? '' : literal,
  );

// Any JSON value, spelled compact or indented with spaces, tabs or newlines between tokens.
const spaced = fc
  .tuple(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(0, 1, 2, '\t', '\r\n '))
  .map(([value, indent]) => JSON.stringify(value, null, indent) ?? 'null');

function compactsLikeTheRegex(compact: (text: string) => string): void {
  fc.assert(
    fc.property(fc.oneof(spaced, fc.json()), (text) => {
      expect(compact(text)).toBe(byRegex(text));
      expect(JSON.parse(compact(text))).toEqual(JSON.parse(text));
    }),
    { numRuns: 2_000 },
  );
}

describe('compactJson: whitespace between tokens removed by a scan', () => {
  it('gives what the regular expression gave, for any JSON spaced any way', () => {
    compactsLikeTheRegex(compactJson);
    expect(compactJson('{ "a b" : [ 1 , "c\\" d" ] }')).toBe('{"a b":[1,"c\\" d"]}');
  });

  it('negative control: removing spaces inside strings too is caught', () => {
    expect(() => compactsLikeTheRegex((t) => t.replace(/\s+/g, ''))).toThrow();
  });
});

/** Significant digits as the text path counts them (toExponential, edge zeros trimmed). */
const digitsByText = (n: number) =>
  Math.max(
    1,
    Math.abs(n)
      .toExponential()
      .replace(/e.*$/, '')
      .replace('.', '')
      .replace(/^0+/, '')
      .replace(/0+$/, '').length,
  );

function sizesIntegersLikeText(size: (n: number) => number): void {
  const integers = fc.oneof(
    fc.integer(),
    fc.maxSafeInteger(),
    fc.integer({ min: 0, max: 9 }).map((d) => d * 10 ** 12),
    fc.constantFrom(0, -0, 10, 100, 1_764_000_000_000, Number.MAX_SAFE_INTEGER),
  );
  fc.assert(
    fc.property(integers, (n) => {
      expect(size(n)).toBe(Math.ceil(digitsByText(n) / 2) + 1);
    }),
    { numRuns: 5_000 },
  );
}

describe('DynamoDB sizes by arithmetic', () => {
  it('sizes every safe integer as its significant digits say', () => {
    sizesIntegersLikeText(attributeValueBytes);
  });

  it('negative control: counting trailing zeros as digits is caught', () => {
    expect(() =>
      sizesIntegersLikeText((n) => Math.ceil(String(Math.abs(n)).length / 2) + 1),
    ).toThrow();
  });

  it('counts UTF-8 bytes as Buffer does, short ASCII or not', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })),
        (s) => {
          expect(utf8Bytes(s)).toBe(Buffer.byteLength(s, 'utf8'));
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
