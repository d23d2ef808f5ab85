import type { ChunkLimits } from '../../common/chunk.js';
import { chunkBySize } from '../../common/chunk.js';

type Limits<T> = Required<ChunkLimits<T>>;

/** One cost-optimal partition for a price per call: its cuts, calls and padded tokens. */
interface Partition {
  readonly ends: number[];
  readonly calls: number;
  readonly padded: number;
}

/**
 * Cheapest partition of `tokens` (ascending) into consecutive chunks, each call costing
 * `callPrice` + items x its last (longest) item's tokens, by dynamic programming over chunk
 * ends. `first[j]` is the first index a chunk ending at j may start at (the limits).
 */
function cheapest(
  tokens: readonly number[],
  first: ArrayLike<number>,
  callPrice: number,
): Partition {
  const n = tokens.length;
  const cost = new Float64Array(n + 1);
  const calls = new Int32Array(n + 1);
  const from = new Int32Array(n + 1);
  for (let j = 1; j <= n; j++) {
    const longest = tokens[j - 1]!;
    let best = Number.POSITIVE_INFINITY;
    for (let i = j - 1; i >= first[j - 1]!; i--) {
      const c = cost[i]! + callPrice + (j - i) * longest;
      // Ties go to fewer calls, then to longer chunks.
      if (c < best || (c === best && calls[i]! + 1 < calls[j]!)) {
        best = c;
        calls[j] = calls[i]! + 1;
        from[j] = i;
      }
    }
    cost[j] = best;
  }
  const ends: number[] = [];
  let padded = 0;
  for (let j = n; j > 0; j = from[j]!) {
    ends.push(j);
    padded += (j - from[j]!) * tokens[j - 1]!;
  }
  return { ends: ends.reverse(), calls: calls[n]!, padded };
}

/** Steps of the search for the lowest price per call that keeps the greedy call count. */
const searchSteps = 12;

/**
 * Cuts items already sorted by ascending tokens into chunks within the limits, padding as
 * little as possible without making more calls than greedy cutting would: greedy fills each
 * call to the brim, so a call straddling two length groups (say the last queries and the
 * first passages) pads every short item to the long ones. Among partitions with at most the
 * greedy number of calls, this one minimises padded tokens (a Lagrangian search over a price
 * per call, each step an O(items x maxItems) dynamic program). Every item must fit a chunk
 * alone (the caller sets aside oversized ones first).
 */
export function cutSorted<T>(sorted: readonly T[], limits: Limits<T>): T[][] {
  const n = sorted.length;
  if (n === 0) return [];
  const greedy = chunkBySize(sorted, limits).chunks;
  if (greedy.length === 1 || greedy.length === n) return greedy;
  const tokens = sorted.map(limits.tokensOf);
  const sizes = sorted.map(limits.sizeOf);
  // first[j]: the earliest start of a chunk ending at item j (inclusive) within every limit.
  const first = new Int32Array(n);
  let start = 0;
  let bytes = 0;
  for (let j = 0; j < n; j++) {
    bytes += sizes[j]!;
    const fits = () => {
      const items = j - start + 1;
      return (
        items <= limits.maxItems &&
        limits.overheadBytes + bytes + (items - 1) * limits.separatorBytes <= limits.maxBytes &&
        (items === 1 || items * tokens[j]! <= limits.maxPaddedTokens)
      );
    };
    while (!fits()) bytes -= sizes[start++]!;
    first[j] = start;
  }
  const target = greedy.length;
  let low = 0;
  let high = n * Math.max(...tokens) + 1; // above any padding saving: fewest calls first
  let best = cheapest(tokens, first, high);
  if (best.calls > target) return greedy;
  for (let step = 0; step < searchSteps && high - low > 1e-6; step++) {
    const price = (low + high) / 2;
    const candidate = cheapest(tokens, first, price);
    if (candidate.calls <= target) {
      high = price;
      if (candidate.padded <= best.padded) best = candidate;
    } else low = price;
  }
  const chunks: T[][] = [];
  let begin = 0;
  for (const end of best.ends) {
    chunks.push(sorted.slice(begin, end));
    begin = end;
  }
  return chunks;
}
