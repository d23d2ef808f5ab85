/**
 * Raw-text access to JSON documents that are already known to be valid.
 *
 * sagebatch passes a request's `input` to the model and the model's outputs to the result
 * rows as the exact JSON text it received, never as parsed-and-reserialized values: a
 * number beyond double precision (`1e400`, `12345678901234567890`) survives unchanged,
 * nothing is serialized twice, and nothing recurses, so a value nested tens of thousands
 * of levels deep costs a linear scan instead of a stack overflow.
 *
 * Every function here assumes its argument parsed with `JSON.parse` (V8's parser is
 * iterative); they only find where values start and end.
 */

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the string literal whose opening quote is at `start`. */
function skipString(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return text.length;
    let backslashes = 0;
    for (let b = quote - 1; text.charCodeAt(b) === BACKSLASH; b--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Index just past the value starting at `start` (strings, numbers, literals, containers). */
function skipValue(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = skipString(text, i);
      if (depth === 0) return i;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 0) return i;
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (c === COMMA || isSpace(c))) return i;
    i++;
  }
  return i;
}

/**
 * Removes the whitespace between tokens (never inside strings). The result is the same JSON
 * value, with every number and string spelled exactly as sent, on one line.
 *
 * A scan that jumps over string literals with `indexOf` (one pass, no regular expression
 * backtracking per character) and copies nothing when no whitespace lies between tokens:
 * this runs on every request's input, and most inputs are compact text full of spaces
 * inside their strings.
 */
export function compactJson(text: string): string {
  // Fast path: no whitespace at all (a native scan).
  if (!/[ \t\n\r]/.test(text)) return text;
  let out: string | undefined;
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = skipString(text, i);
    } else if (isSpace(c)) {
      let end = i + 1;
      while (end < text.length && isSpace(text.charCodeAt(end))) end++;
      out = (out ?? '') + text.slice(copied, i);
      copied = end;
      i = end;
    } else i++;
  }
  return out === undefined ? text : out + text.slice(copied);
}

/**
 * The raw text of the member `key` of the top-level object in `json` (the last one, as
 * `JSON.parse` keeps the last of duplicate keys), compacted; undefined when absent or when
 * `json` is not an object. Keys are compared after unescaping (`"\u0069nput"` is `input`).
 */
export function rawMember(json: string, key: string): string | undefined {
  let i = skipSpace(json, 0);
  if (json.charCodeAt(i) !== OPEN_BRACE) return undefined;
  let found: string | undefined;
  i = skipSpace(json, i + 1);
  while (i < json.length && json.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(json, i);
    const rawKey = json.slice(i, keyEnd);
    i = skipSpace(json, keyEnd);
    if (json.charCodeAt(i) !== COLON) return found;
    const valueStart = skipSpace(json, i + 1);
    const valueEnd = skipValue(json, valueStart);
    const name = rawKey.includes('\\') ? (JSON.parse(rawKey) as string) : rawKey.slice(1, -1);
    if (name === key) found = compactJson(json.slice(valueStart, valueEnd));
    i = skipSpace(json, valueEnd);
    if (json.charCodeAt(i) !== COMMA) break;
    i = skipSpace(json, i + 1);
  }
  return found;
}

/**
 * The raw texts of the elements of the top-level array in `json`, compacted; undefined
 * when `json` is not an array.
 */
export function rawElements(json: string): string[] | undefined {
  let i = skipSpace(json, 0);
  if (json.charCodeAt(i) !== OPEN_BRACKET) return undefined;
  const elements: string[] = [];
  i = skipSpace(json, i + 1);
  if (json.charCodeAt(i) === CLOSE_BRACKET) return elements;
  while (i < json.length) {
    const end = skipValue(json, i);
    elements.push(compactJson(json.slice(i, end)));
    i = skipSpace(json, end);
    if (json.charCodeAt(i) !== COMMA) break;
    i = skipSpace(json, i + 1);
  }
  return elements;
}
