/**
 * Rectangular arrays of finite numbers (a vector, a batch of vectors, a tensor): the outputs
 * the numeric result encodings can pack. Walked with loops, never recursion, so a hostile
 * output nested tens of thousands of levels deep is rejected in linear time.
 */

/** Most dimensions a packed output may have; deeper outputs keep a JSON encoding. */
export const MAX_DIMENSIONS = 32;

/** A rectangular array of finite numbers, flattened in row-major order, with its shape. */
export interface NumericArray {
  /** Length of each dimension, outermost first: `[384]` for a vector, `[2, 384]` for two. */
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

/**
 * `value` as a {@link NumericArray}, or undefined when it is not an array, is ragged, holds
 * anything but finite numbers (strings, null, objects, booleans), or has more than
 * {@link MAX_DIMENSIONS} dimensions.
 */
export function toNumericArray(value: unknown): NumericArray | undefined {
  if (!Array.isArray(value)) return undefined;
  // The shape is read down the first elements; every element is then checked against it.
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    if (shape.length === MAX_DIMENSIONS) return undefined;
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  if (shape.at(-1) !== 0 && typeof probe !== 'number') return undefined;
  const values: number[] = [];
  const stack: { array: unknown[]; depth: number }[] = [{ array: value, depth: 0 }];
  while (stack.length > 0) {
    const { array, depth } = stack.pop()!;
    if (array.length !== shape[depth]) return undefined;
    if (depth === shape.length - 1) {
      for (const element of array) {
        if (typeof element !== 'number' || !Number.isFinite(element)) return undefined;
        values.push(element);
      }
      continue;
    }
    // Pushed in reverse so the stack pops them in order: values stay row-major.
    for (let i = array.length - 1; i >= 0; i--) {
      const element = array[i];
      if (!Array.isArray(element)) return undefined;
      stack.push({ array: element, depth: depth + 1 });
    }
  }
  return { shape, values };
}

/** Number of values an array of `shape` holds. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Nested arrays of `shape` holding `values` in row-major order (the inverse of {@link toNumericArray}). */
export function fromNumericArray(shape: readonly number[], values: ArrayLike<number>): unknown[] {
  if (shape.length === 0) throw new RangeError('a numeric array has at least one dimension');
  // The innermost rows first, then grouped outward one dimension at a time: no recursion.
  const last = shape.at(-1)!;
  let level: unknown[] = [];
  let offset = 0;
  for (let r = shapeSize(shape.slice(0, -1)); r > 0; r--) {
    const row = new Array<number>(last);
    for (let i = 0; i < last; i++) row[i] = values[offset++]!;
    level.push(row);
  }
  for (let d = shape.length - 2; d >= 0; d--) {
    const size = shape[d]!;
    const groups = shapeSize(shape.slice(0, d));
    const grouped: unknown[] = [];
    for (let g = 0; g < groups; g++) grouped.push(level.slice(g * size, (g + 1) * size));
    level = grouped;
  }
  return level[0] as unknown[];
}
