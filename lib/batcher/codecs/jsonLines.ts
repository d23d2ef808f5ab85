import { DecodeError } from '../../contract/errors.js';
import { compactJson } from '../../contract/jsonText.js';
import type { Codec } from './codec.js';
import { checkJson } from './parseJson.js';

/**
 * JSON Lines (the SageMaker batch-transform shape): one JSON value per line in, one per
 * line out. A JSON text never contains a raw newline, so lines split items exactly.
 */
export const jsonLines: Codec = {
  name: 'jsonlines',
  contentType: 'application/jsonlines',
  accept: 'application/jsonlines',
  overheadBytes: 0,
  separatorBytes: 1,
  encode: (items) => items.join('\n'),
  decode(body, count) {
    const lines = body.split('\n');
    // A trailing newline (or CRLF endings) is common and harmless.
    while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
    if (lines.length !== count) {
      throw new DecodeError(`jsonlines response holds ${lines.length} lines for ${count} items`);
    }
    return lines.map((line, i) => {
      checkJson(line, `jsonlines response line ${i + 1}`);
      return compactJson(line.trim());
    });
  },
};
