import type { CodecName } from '../../contract/settings.js';
import type { Codec } from './codec.js';
import { hfInputs } from './hfInputs.js';
import { jsonInstances } from './jsonInstances.js';
import { jsonLines } from './jsonLines.js';

export { type CodecName, codecNames } from '../../contract/settings.js';
export type { Codec } from './codec.js';

/** Every built-in codec, by its configuration name. */
export const codecs = {
  'json-instances': jsonInstances,
  'hf-inputs': hfInputs,
  jsonlines: jsonLines,
} as const satisfies Record<CodecName, Codec>;

/** Returns the built-in codec called `name`. */
export function getCodec(name: CodecName): Codec {
  return codecs[name];
}
