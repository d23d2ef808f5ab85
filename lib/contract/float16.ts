/**
 * IEEE 754 binary16 ("half precision") conversion, for the `float16` result encoding.
 *
 * Node 20 has no `Float16Array` nor `Math.f16round`, so the conversion is done here, from
 * the double directly (never through float32, which would round twice), rounding to the
 * nearest half and to even on a tie, as IEEE 754 prescribes.
 *
 * What rounding costs: for a normal half (|x| >= 2^-14, about 6.1e-5) the error is at most
 * half a unit in the last place, |x| x 2^-11 (about 0.049%); below that (subnormal halves)
 * at most 2^-25 (about 3e-8) in absolute terms. The largest finite half is 65504; anything
 * from 65520 up rounds to infinity, so {@link fitsFloat16} tells callers to keep another
 * encoding for such values.
 */

/** Largest magnitude that rounds to a finite half (65520 is the tie between 65504 and infinity, and rounds to even: infinity). */
const OVERFLOW = 65_520;
const MIN_NORMAL = 2 ** -14;
const SUBNORMAL_STEP = 2 ** -24;

/** Rounds a non-negative double to an integer, ties to even. */
function roundHalfEven(v: number): number {
  const floor = Math.floor(v);
  const rest = v - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Whether `x` is finite and rounds to a finite half. */
export function fitsFloat16(x: number): boolean {
  return Number.isFinite(x) && Math.abs(x) < OVERFLOW;
}

/**
 * The 16 bits of the half nearest to `x` (ties to even). `x` beyond the half range gives
 * infinity's bits; NaN gives a quiet NaN. Check {@link fitsFloat16} first where that matters.
 */
export function toFloat16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= OVERFLOW) return sign | 0x7c00;
  if (a < MIN_NORMAL) {
    // Subnormal: a multiple of 2^-24. Scaling by a power of two is exact, so is the rounding.
    // A result of 1024 is the smallest normal half, whose bits are exactly 0x0400.
    return sign | roundHalfEven(a / SUBNORMAL_STEP);
  }
  let exponent = Math.floor(Math.log2(a));
  // Math.log2 may be off by one next to a power of two: correct it exactly.
  if (2 ** exponent > a) exponent--;
  else if (2 ** (exponent + 1) <= a) exponent++;
  let mantissa = roundHalfEven((a / 2 ** exponent - 1) * 1024);
  if (mantissa === 1024) {
    mantissa = 0;
    exponent++;
  }
  if (exponent > 15) return sign | 0x7c00;
  return sign | ((exponent + 15) << 10) | mantissa;
}

/** The double holding exactly the half whose 16 bits are `bits`. */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * SUBNORMAL_STEP;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
