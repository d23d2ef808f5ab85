/**
 * Deterministic models served by the local endpoint emulator. Each output depends on its
 * own input only (never on its batch neighbours), so batched and one-at-a-time calls give
 * identical results, and tests can compute every expected output independently.
 */

/** FNV-1a, 32 bits, over the UTF-16 code units of `text`: tiny, stable, easy to recompute. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** A model: one output per input. */
export type BuiltinModel = (input: unknown) => unknown;

/** The built-in models, by name. */
export const builtinModels = {
  /** Returns the input unchanged. */
  echo: (input) => input,
  /** `{ chars, checksum }` of the input's JSON text: a stand-in for a classifier's features. */
  'text-stats': (input) => {
    const text = JSON.stringify(input);
    return { chars: text.length, checksum: fnv1a32(text) };
  },
} as const satisfies Record<string, BuiltinModel>;

/** Name of a built-in model. */
export type BuiltinModelName = keyof typeof builtinModels;
