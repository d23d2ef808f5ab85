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
}

/** Chunks in input order, plus the items too large to fit any chunk alone. */
export interface Chunked<T> {
  readonly chunks: T[][];
  readonly oversized: T[];
}

/**
 * Splits items, in order, into consecutive chunks that respect both an item count and a
 * byte budget. Greedy packing is optimal here: order must be kept, so a chunk can only be
 * closed, never reshuffled. Every item lands in exactly one chunk or in `oversized`.
 */
export function chunkBySize<T>(items: readonly T[], limits: ChunkLimits<T>): Chunked<T> {
  const { maxItems, maxBytes, sizeOf, overheadBytes = 0, separatorBytes = 0 } = limits;
  const chunks: T[][] = [];
  const oversized: T[] = [];
  let current: T[] = [];
  let bytes = overheadBytes;
  for (const item of items) {
    const size = sizeOf(item);
    if (overheadBytes + size > maxBytes) {
      oversized.push(item);
      continue;
    }
    const added = current.length === 0 ? size : size + separatorBytes;
    if (current.length === maxItems || bytes + added > maxBytes) {
      chunks.push(current);
      current = [item];
      bytes = overheadBytes + size;
    } else {
      current.push(item);
      bytes += added;
    }
  }
  if (current.length > 0) chunks.push(current);
  return { chunks, oversized };
}
