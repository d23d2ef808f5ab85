/** How far batched outputs are from the same inputs computed one at a time. */
export interface Quality {
  readonly compared: number;
  readonly maxAbsDiff: number;
  readonly minCosine: number;
  readonly identical: number;
}

const numbers = (value: unknown): number[] =>
  typeof value === 'number'
    ? [value]
    : Array.isArray(value)
      ? value.flatMap(numbers)
      : value && typeof value === 'object'
        ? Object.values(value).flatMap(numbers)
        : [];

/** Compares each batched output with its single-call twin, as vectors of their numbers. */
export function compareOutputs(batched: readonly unknown[], single: readonly unknown[]): Quality {
  let maxAbsDiff = 0;
  let minCosine = 1;
  let identical = 0;
  let compared = 0;
  for (let i = 0; i < batched.length; i++) {
    const a = numbers(batched[i]);
    const b = numbers(single[i]);
    if (a.length === 0 || a.length !== b.length)
      throw new Error(`output ${i} has no comparable twin`);
    compared++;
    if (JSON.stringify(batched[i]) === JSON.stringify(single[i])) identical++;
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let k = 0; k < a.length; k++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[k]! - b[k]!));
      dot += a[k]! * b[k]!;
      na += a[k]! * a[k]!;
      nb += b[k]! * b[k]!;
    }
    minCosine = Math.min(
      minCosine,
      na === 0 || nb === 0 ? (na === nb ? 1 : 0) : dot / Math.sqrt(na * nb),
    );
  }
  return { compared, maxAbsDiff, minCosine, identical };
}
