import { chunkBySize } from './chunk.js';
import type { Codec } from './codecs/index.js';
import type { InferenceRequest } from './envelope.js';

/** Limits of one model call. */
export interface PlanLimits {
  /** Most items in one InvokeEndpoint call. */
  readonly maxItems: number;
  /** Most bytes in one InvokeEndpoint request body, codec wrapper included. */
  readonly maxBytes: number;
  /** The codec whose wrapper and separators count against `maxBytes`. */
  readonly codec: Pick<Codec, 'overheadBytes' | 'separatorBytes'>;
}

/** Model batches in request order, and requests too large to be sent even alone. */
export interface Plan<T extends Pick<InferenceRequest, 'inputBytes'>> {
  readonly batches: T[][];
  readonly oversized: T[];
}

/**
 * Splits valid requests into model batches bounded by items AND encoded bytes. Order is
 * kept and every request is in exactly one batch, or in `oversized` when its encoded body
 * alone exceeds `maxBytes` (the caller fails those as INVALID_REQUEST).
 */
export function planBatches<T extends Pick<InferenceRequest, 'inputBytes'>>(
  requests: readonly T[],
  limits: PlanLimits,
): Plan<T> {
  const { chunks, oversized } = chunkBySize(requests, {
    maxItems: limits.maxItems,
    maxBytes: limits.maxBytes,
    sizeOf: (request) => request.inputBytes,
    overheadBytes: limits.codec.overheadBytes,
    separatorBytes: limits.codec.separatorBytes,
  });
  return { batches: chunks, oversized };
}
