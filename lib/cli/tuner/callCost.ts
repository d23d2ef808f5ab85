/** One measured model call: items of `tokens` estimated tokens each, and how long it took. */
export interface CallSample {
  readonly items: number;
  /** Estimated tokens of each item (every item of a measured call has the same length). */
  readonly tokens: number;
  readonly ms: number;
}

/**
 * Cost of one call of `items` items padded to `tokens` tokens:
 * `baseMs + perItemMs x items + perTokenMs x items x tokens + perTokenSquaredMs x items x tokens²`
 * (fixed overhead, per-item work such as pooling and JSON, the layers' linear work, and
 * attention). Every coefficient is at least 0.
 */
export interface CallCost {
  readonly baseMs: number;
  readonly perItemMs: number;
  readonly perTokenMs: number;
  readonly perTokenSquaredMs: number;
}

/** Milliseconds a call of `items` items padded to `tokens` tokens is expected to take. */
export function predictMs(cost: CallCost, items: number, tokens: number): number {
  return (
    cost.baseMs +
    items * (cost.perItemMs + tokens * cost.perTokenMs + tokens * tokens * cost.perTokenSquaredMs)
  );
}

const features = (s: Pick<CallSample, 'items' | 'tokens'>) => [
  1,
  s.items,
  s.items * s.tokens,
  s.items * s.tokens * s.tokens,
];

/** Solves the square system `a x = b` by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    const p = m[c]![c]!;
    if (Math.abs(p) < 1e-9 * Math.max(1, ...m.map((row) => Math.abs(row[c]!))))
      throw new Error('the samples do not determine the cost: vary items and tokens');
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / p;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/**
 * Fits {@link CallCost} to measured calls by least squares on relative error (each sample
 * weighted by 1 / its time, so a 20 ms call counts as much as a 2 s one), keeping every
 * coefficient non-negative: a coefficient the unconstrained fit makes negative is dropped
 * and the rest refitted, until none is. With too few distinct lengths to separate the
 * terms, the highest-order one is dropped.
 */
export function fitCallCost(samples: readonly CallSample[]): CallCost {
  if (new Set(samples.map((s) => s.items)).size < 2)
    throw new Error('measure at least two batch sizes to fit the cost of a call');
  const rows = samples.map(features);
  const scale = [0, 1, 2, 3].map((k) => Math.max(...rows.map((r) => r[k]!)) || 1);
  let active = [0, 1, 2, 3];
  for (;;) {
    const k = active.length;
    const ata = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    const atb = new Array<number>(k).fill(0);
    samples.forEach((s, i) => {
      const w = 1 / Math.max(s.ms, 1e-6) ** 2;
      const x = active.map((f) => rows[i]![f]! / scale[f]!);
      for (let p = 0; p < k; p++) {
        atb[p]! += w * x[p]! * s.ms;
        for (let q = 0; q < k; q++) ata[p]![q]! += w * x[p]! * x[q]!;
      }
    });
    let raw: number[];
    try {
      raw = solve(ata, atb);
    } catch (error) {
      // Too few distinct lengths to tell the terms apart: drop the highest-order one.
      if (active.length === 1) throw error;
      active = active.slice(0, -1);
      continue;
    }
    const solution = raw.map((v, i) => v / scale[active[i]!]!);
    const worst = solution.reduce((w, v, i) => (v < (solution[w] ?? 0) ? i : w), -1);
    if (worst === -1 || solution[worst]! >= 0) {
      const coefficient = (f: number) => {
        const i = active.indexOf(f);
        return i === -1 ? 0 : solution[i]!;
      };
      return {
        baseMs: coefficient(0),
        perItemMs: coefficient(1),
        perTokenMs: coefficient(2),
        perTokenSquaredMs: coefficient(3),
      };
    }
    active = active.filter((_, i) => i !== worst);
    if (active.length === 0) throw new Error('no non-negative cost fits the samples');
  }
}

/** Largest relative error of `cost` over `samples` (how well the fit describes the endpoint). */
export function maxRelativeError(cost: CallCost, samples: readonly CallSample[]): number {
  return Math.max(
    ...samples.map((s) => Math.abs(predictMs(cost, s.items, s.tokens) - s.ms) / s.ms),
  );
}
