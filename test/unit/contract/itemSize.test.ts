import { describe, expect, it } from 'vitest';
import {
  attributeValueBytes,
  itemSizeBytes,
  readUnits,
  storageBytes,
  writeUnits,
} from '../../../lib/contract/itemSize.js';

describe('DynamoDB item size (the developer guide rules)', () => {
  it('counts strings and binaries by bytes, numbers by significant digits', () => {
    expect(attributeValueBytes('héllo')).toBe(6); // UTF-8
    expect(attributeValueBytes(new Uint8Array(1536))).toBe(1536); // raw bytes, not base64
    expect(attributeValueBytes(7)).toBe(2); // 1 digit: ceil(1/2) + 1
    expect(attributeValueBytes(123)).toBe(3);
    expect(attributeValueBytes(1_700_000_000_000)).toBe(2); // "17" after trailing zeros are trimmed
    expect(attributeValueBytes(-0.000123)).toBe(3); // leading zeros trimmed too
    expect(attributeValueBytes(0.1 + 0.2)).toBe(10); // 0.30000000000000004: 17 digits
    expect(attributeValueBytes(true)).toBe(1);
    expect(attributeValueBytes(null)).toBe(1);
  });

  it('adds 3 bytes per list or map and 1 per element', () => {
    expect(attributeValueBytes([])).toBe(3);
    expect(attributeValueBytes([2, 384])).toBe(3 + (1 + 2) + (1 + 3));
    expect(attributeValueBytes({ code: 'X' })).toBe(3 + 1 + 4 + 1);
  });

  it('sums names and values over an item, skipping undefined attributes', () => {
    expect(itemSizeBytes({ id: 'r1', status: 'SUCCEEDED', output: undefined })).toBe(2 + 2 + 6 + 9);
  });

  it('bills 1 write unit per KB rounded up, reads per 4 KB, storage with 100 bytes more', () => {
    expect([0, 1, 1024, 1025, 9000].map(writeUnits)).toEqual([1, 1, 1, 2, 9]);
    expect(readUnits(100, true)).toBe(1);
    expect(readUnits(100, false)).toBe(0.5);
    expect(readUnits(4097, true)).toBe(2);
    expect(storageBytes(900)).toBe(1000);
  });

  it('rejects what DynamoDB cannot store', () => {
    expect(() => attributeValueBytes(Number.POSITIVE_INFINITY)).toThrow(/cannot store/);
  });
});
