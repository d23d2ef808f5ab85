import type { Codec } from './codec.js';
import { checkJson, expectOutputs } from './parseJson.js';

const head = '{"inputs":[';
const tail = ']}';

/**
 * The Hugging Face inference containers' shape: `{"inputs":[...]}` in, a JSON array with
 * one output per input out.
 */
export const hfInputs: Codec = {
  name: 'hf-inputs',
  contentType: 'application/json',
  accept: 'application/json',
  overheadBytes: head.length + tail.length,
  separatorBytes: 1,
  encode: (items) => `${head}${items.join(',')}${tail}`,
  decode(body, count) {
    checkJson(body, 'hf-inputs response');
    return expectOutputs(body, count, 'hf-inputs response');
  },
};
