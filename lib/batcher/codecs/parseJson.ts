import { DecodeError } from '../../contract/errors.js';
import { rawElements, rawMember } from '../../contract/jsonText.js';

/** Checks that `text` is JSON, turning a syntax error into a {@link DecodeError}. */
export function checkJson(text: string, what: string): void {
  try {
    JSON.parse(text); // iterative in V8: a deeply nested answer cannot overflow the stack
  } catch {
    throw new DecodeError(`${what} is not valid JSON`);
  }
}

/**
 * The raw texts of the array `json` (already checked), which must hold exactly `count`
 * outputs.
 */
export function expectOutputs(json: string | undefined, count: number, what: string): string[] {
  const outputs = json === undefined ? undefined : rawElements(json);
  if (outputs === undefined) throw new DecodeError(`${what} is not a JSON array`);
  if (outputs.length !== count) {
    throw new DecodeError(`${what} holds ${outputs.length} outputs for ${count} items`);
  }
  return outputs;
}

/** The raw text of the member `key` of the JSON object `json` (already checked). */
export const memberOf = (json: string, key: string): string | undefined => rawMember(json, key);
