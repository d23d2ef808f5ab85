/** One point of the model's own throughput curve. */
export interface CurvePoint {
  readonly batchSize: number;
  readonly calls: number;
  readonly msPerCall: number;
  readonly itemsPerSecond: number;
}

/**
 * Measures the model server directly (no pipeline): for each batch size, one untimed call
 * (a new tensor shape pays one-off kernel setup), then enough timed calls to embed at
 * least `minItems` items, and at least 5 calls, one at a time, each batch size cutting
 * `texts` into consecutive batches from its start (so every size computes the same texts).
 * Its best items/s is the physical limit the pipeline is compared with: given texts sorted
 * by length, batches pad as little as the pipeline's length-aware planner makes them.
 */
export async function measureModelCurve(
  invoke: (texts: string[]) => Promise<void>,
  texts: readonly string[],
  batchSizes: readonly number[],
  minItems: number,
): Promise<CurvePoint[]> {
  const points: CurvePoint[] = [];
  let offset = 0;
  for (const batchSize of batchSizes) {
    const calls = Math.max(5, Math.ceil(minItems / batchSize));
    const nextBatch = () =>
      Array.from({ length: batchSize }, () => texts[offset++ % texts.length]!);
    await invoke(nextBatch());
    offset = 0;
    const started = performance.now();
    for (let c = 0; c < calls; c++) {
      await invoke(nextBatch());
    }
    const ms = performance.now() - started;
    points.push({
      batchSize,
      calls,
      msPerCall: ms / calls,
      itemsPerSecond: (calls * batchSize) / (ms / 1_000),
    });
  }
  return points;
}
