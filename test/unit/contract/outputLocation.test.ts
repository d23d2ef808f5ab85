import { describe, expect, it } from 'vitest';
import {
  formatOutputLocation,
  offloadedOutput,
  parseOutputLocation,
  resultObjectKey,
} from '../../../lib/contract/outputLocation.js';
import { ResultDecodeError } from '../../../lib/contract/resultEncoding.js';

describe('results object keys', () => {
  it.each([
    ['order-42', 'results/order-42/w'],
    ['a.b:c_d', 'results/a%2Eb%3Ac_d/w'],
    // Dot segments would be normalized away by HTTP stacks (results/.. is the bucket root).
    ['.', 'results/%2E/w'],
    ['..', 'results/%2E%2E/w'],
  ])('keeps request id %j inside results/ as one segment', (id, key) => {
    expect(resultObjectKey(id, 'w')).toBe(key);
  });

  it('gives each write its own key, so a later delivery never replaces an object a row points to', () => {
    expect(resultObjectKey('r', 'invocation-1')).not.toBe(resultObjectKey('r', 'invocation-2'));
  });

  it('round-trips a location and refuses anything outside results/', () => {
    const location = { bucket: 'my-bucket', key: resultObjectKey('r', 'w') };
    expect(parseOutputLocation(formatOutputLocation(location))).toEqual(location);
    for (const bad of ['s3://b/other/r', 'https://b/results/r', 's3://b', 42, undefined])
      expect(() => parseOutputLocation(bad)).toThrow(ResultDecodeError);
  });

  it('reads a json row object as UTF-8 text and refuses bytes that are not', () => {
    expect(offloadedOutput({}, new TextEncoder().encode('[1]'))).toEqual({ output: '[1]' });
    expect(() => offloadedOutput({}, new Uint8Array([0xff, 0xfe]))).toThrow(/not UTF-8/);
    const bytes = new Uint8Array(8);
    expect(offloadedOutput({ outputEncoding: 'f32le', outputShape: [1, 2] }, bytes)).toEqual({
      output: bytes,
      outputEncoding: 'f32le',
      outputShape: [1, 2],
    });
  });
});
