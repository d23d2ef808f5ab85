import type { Codec } from './codec.js';
import { hfInputs } from './hfInputs.js';
import { jsonInstances } from './jsonInstances.js';
import { jsonLines } from './jsonLines.js';

export type { Codec } from './codec.js';

/** Every built-in codec, by its configuration name. */
export const codecs = {
  'json-instances': jsonInstances,
  'hf-inputs': hfInputs,
  jsonlines: jsonLines,
} as const satisfies Record<string, Codec>;

/** Name of a built-in codec. */
export type CodecName = keyof typeof codecs;

/** The names accepted by the `CODEC` setting. */
export const codecNames = Object.keys(codecs) as [CodecName, ...CodecName[]];

/** Returns the built-in codec called `name`. */
export function getCodec(name: CodecName): Codec {
  return codecs[name];
}
