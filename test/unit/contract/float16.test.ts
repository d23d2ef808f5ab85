import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitsFloat16, fromFloat16Bits, toFloat16Bits } from '../../../lib/contract/float16.js';

describe('float16 conversion', () => {
  it('converts known values, rounding ties to even', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [2 ** -24, 0x0001],
      [2 ** -14, 0x0400],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [1 + 2 ** -11, 0x3c00], // a tie between 0x3c00 and 0x3c01: even wins
      [1 + 3 * 2 ** -11, 0x3c02], // a tie between 0x3c01 and 0x3c02: even wins
      [65519.99, 0x7bff],
      [65520, 0x7c00],
      [0, 0x0000],
      [-0, 0x8000],
    ];
    for (const [x, bits] of cases) expect(toFloat16Bits(x), String(x)).toBe(bits);
    expect(fitsFloat16(65519)).toBe(true);
    expect(fitsFloat16(65520)).toBe(false);
    expect(fitsFloat16(Number.NaN)).toBe(false);
  });

  it('every one of the 65,536 halves converts back to its own bits', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const x = fromFloat16Bits(bits);
      if (Number.isNaN(x)) continue;
      expect(toFloat16Bits(x)).toBe(bits);
    }
  });

  it('rounds to the nearest half: no half lies closer to x than the one chosen', () => {
    fc.assert(
      fc.property(fc.double({ min: -65504, max: 65504, noNaN: true }), (x) => {
        const bits = toFloat16Bits(x);
        const error = Math.abs(fromFloat16Bits(bits) - x);
        // The neighbours of the chosen half (same sign side) are never strictly closer.
        for (const neighbour of [bits - 1, bits + 1]) {
          if ((neighbour & 0x7fff) > 0x7bff || neighbour < 0 || neighbour > 0xffff) continue;
          if ((neighbour & 0x8000) !== (bits & 0x8000)) continue;
          expect(Math.abs(fromFloat16Bits(neighbour) - x)).toBeGreaterThanOrEqual(error);
        }
      }),
      { numRuns: 5_000 },
    );
  });
});
