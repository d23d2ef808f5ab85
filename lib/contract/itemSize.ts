/**
 * The size of a DynamoDB item and the capacity units it costs, by DynamoDB's documented
 * rules (Amazon DynamoDB Developer Guide, "DynamoDB item sizes and formats",
 * docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 *
 * - an item is the sum of its attribute names' UTF-8 bytes and its values' sizes;
 * - a string is its UTF-8 bytes; a binary value its raw bytes (not its base64 text);
 * - a number is about 1 byte per two significant digits, plus 1 byte (leading and trailing
 *   zeros trimmed; the guide calls this approximate);
 * - null and booleans are 1 byte;
 * - a list or map is 3 bytes plus its elements, each element 1 byte more (a map's elements
 *   also count their names); sets count their elements.
 *
 * One write unit (on-demand write request unit, or provisioned WCU) writes up to 1 KB,
 * rounded up per item; one strongly consistent read unit reads up to 4 KB, an eventually
 * consistent read costs half. Storage bills each item's size plus 100 bytes of indexing
 * overhead. The benchmark and the result store both price rows with these functions, so
 * there is one rule.
 *
 * Values are those the DynamoDB Document Client takes: strings, numbers, bigints,
 * booleans, null, Uint8Array (binary), arrays (lists), Sets, plain objects (maps).
 */

/** Storage overhead DynamoDB adds to every item for indexing, bytes. */
export const ITEM_STORAGE_OVERHEAD_BYTES = 100;

/**
 * UTF-8 bytes of `text`. Short ASCII strings (ids, statuses: several per row) are counted
 * in JavaScript, cheaper than a call into Buffer; anything else by Buffer.
 */
export function utf8Bytes(text: string): number {
  if (text.length > 64) return Buffer.byteLength(text, 'utf8');
  for (let i = 0; i < text.length; i++)
    if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text, 'utf8');
  return text.length;
}

/** Significant decimal digits of a number as DynamoDB stores it (sign, point, exponent and edge zeros dropped). */
function significantDigits(n: number | bigint): number {
  // Integers (row timestamps, counts) by arithmetic: every row has several, and the text
  // path below costs a toExponential and four regular expressions each.
  if (typeof n === 'number' && Number.isSafeInteger(n)) {
    let m = Math.abs(n);
    if (m === 0) return 1;
    while (m % 10 === 0) m /= 10;
    let digits = 1;
    while (m >= 10) {
      m = Math.floor(m / 10);
      digits++;
    }
    return digits;
  }
  let text = typeof n === 'bigint' ? n.toString() : Math.abs(n).toExponential();
  // toExponential gives "d.ddde+x": the digits before "e" are exactly the shortest round-trip digits.
  text = text.replace(/^-/, '').replace(/e.*$/, '').replace('.', '');
  const trimmed = text.replace(/^0+/, '').replace(/0+$/, '');
  return Math.max(1, trimmed.length);
}

/** Size of one attribute value in bytes (without its name). */
export function attributeValueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new TypeError(`DynamoDB cannot store the number ${value}`);
    return Math.ceil(significantDigits(value) / 2) + 1;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) {
    let bytes = 0;
    for (const element of value) bytes += attributeValueBytes(element);
    return bytes;
  }
  if (Array.isArray(value)) {
    let bytes = 3;
    for (const element of value) bytes += 1 + attributeValueBytes(element);
    return bytes;
  }
  if (typeof value === 'object') {
    let bytes = 3;
    for (const name of Object.keys(value)) {
      const element = (value as Record<string, unknown>)[name];
      if (element === undefined) continue;
      bytes += 1 + utf8Bytes(name) + attributeValueBytes(element);
    }
    return bytes;
  }
  throw new TypeError(`not a DynamoDB attribute value: ${typeof value}`);
}

/** Size of an item in bytes: attribute names plus values. Attributes set to `undefined` are not stored. */
export function itemSizeBytes(item: Readonly<Record<string, unknown>>): number {
  let bytes = 0;
  for (const name of Object.keys(item)) {
    const value = item[name];
    if (value === undefined) continue;
    bytes += utf8Bytes(name) + attributeValueBytes(value);
  }
  return bytes;
}

/** Write units of writing an item of `bytes` (1 per KB, rounded up; at least 1). */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

/** Read units of reading an item of `bytes` (1 per 4 KB rounded up, at least 1; half when eventually consistent). */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return consistent ? units : units / 2;
}

/** Bytes an item is billed for in storage: its size plus the 100-byte indexing overhead. */
export function storageBytes(bytes: number): number {
  return bytes + ITEM_STORAGE_OVERHEAD_BYTES;
}
