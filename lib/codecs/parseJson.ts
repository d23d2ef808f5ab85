import { DecodeError } from '../errors.js';

/** Parses a model response as JSON, turning a syntax error into a {@link DecodeError}. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DecodeError(`${what} is not valid JSON`);
  }
}

/** Checks that a decoded value is an array holding exactly `count` outputs. */
export function expectOutputs(value: unknown, count: number, what: string): unknown[] {
  if (!Array.isArray(value)) throw new DecodeError(`${what} is not a JSON array`);
  if (value.length !== count) {
    throw new DecodeError(`${what} holds ${value.length} outputs for ${count} items`);
  }
  return value;
}
