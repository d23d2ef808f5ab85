/** Limits of {@link chunkBySize}. */
export interface ChunkLimits<T> {
  /** Most items in one chunk. */
  readonly maxItems: number;
  /** Most bytes in one chunk, wrapper and separators included. */
  readonly maxBytes: number;
  /** Bytes one item takes. */
  readonly sizeOf: (item: T) => number;
  /** Bytes every chunk takes besides its items. */
  readonly overheadBytes?: number;
  /** Bytes between two items of a chunk. */
  readonly separatorBytes?: number;
  /**
   * Most padded tokens in one chunk: items x the longest item's tokens, what a model that
   * pads to the longest item computes. A single item above it still gets a chunk of its own
   * (its tokens are an estimate, and the model truncates). @default Infinity
   */
  readonly maxPaddedTokens?: number;
  /** Tokens one item takes; needed with `maxPaddedTokens`. @default () => 0 */
  readonly tokensOf?: (item: T) => number;
}

/** Chunks in input order, plus the items too large to fit any chunk alone. */
export interface Chunked<T> {
  readonly chunks: T[][];
  readonly oversized: T[];
}

/**
 * Splits items, in order, into consecutive chunks that respect an item count, a byte budget
 * and a padded-token budget. Greedy packing is optimal here: order must be kept, so a chunk
 * can only be closed, never reshuffled. Every item lands in exactly one chunk or in
 * `oversized` (bytes only: too large to be sent even alone).
 */
export function chunkBySize<T>(items: readonly T[], limits: ChunkLimits<T>): Chunked<T> {
  const {
    maxItems,
    maxBytes,
    sizeOf,
    overheadBytes = 0,
    separatorBytes = 0,
    maxPaddedTokens = Number.POSITIVE_INFINITY,
    tokensOf = () => 0,
  } = limits;
  const chunks: T[][] = [];
  const oversized: T[] = [];
  let current: T[] = [];
  let bytes = overheadBytes;
  let longest = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (overheadBytes + size > maxBytes) {
      oversized.push(item);
      continue;
    }
    const tokens = tokensOf(item);
    const added = current.length === 0 ? size : size + separatorBytes;
    const padded = (current.length + 1) * Math.max(longest, tokens);
    if (
      current.length > 0 &&
      (current.length === maxItems || bytes + added > maxBytes || padded > maxPaddedTokens)
    ) {
      chunks.push(current);
      current = [item];
      bytes = overheadBytes + size;
      longest = tokens;
    } else {
      current.push(item);
      bytes += added;
      longest = Math.max(longest, tokens);
    }
  }
  if (current.length > 0) chunks.push(current);
  return { chunks, oversized };
}
