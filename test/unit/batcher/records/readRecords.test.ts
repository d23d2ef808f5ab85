import { describe, expect, it } from 'vitest';
import { codecs } from '../../../../lib/batcher/codecs/index.js';
import { primaryRecords } from '../../../../lib/batcher/records/duplicates.js';
import { readRecords } from '../../../../lib/batcher/records/readRecords.js';
import type { EnvelopeResult } from '../../../../lib/contract/envelope.js';
import { deliveredRecord } from '../../../helpers/factories.js';

describe('readRecords: input size decided once, when a request is read', () => {
  const codec = codecs['json-instances']; // 16 bytes of wrapper
  const limits = { maxInputBytes: 100, modelBatchMaxBytes: 100, codec };
  const body = (id: string, inputBytes: number) =>
    JSON.stringify({ id, input: 'x'.repeat(inputBytes - 2) }); // a JSON string: 2 quotes
  const read = (...bodies: string[]) =>
    readRecords(
      bodies.map((b, i) => deliveredRecord({ body: b, messageId: `m-${i}` })),
      limits,
      1_000,
    );

  it('refuses an input within MAX_INPUT_BYTES that no model call can carry with the wrapper', () => {
    const { envelopes, requests } = read(body('fits', 84), body('too-big', 85));
    expect(requests.map((r) => r.id)).toEqual(['fits']);
    expect(envelopes[1]).toEqual({
      ok: false,
      id: 'too-big',
      error: {
        code: 'INVALID_REQUEST',
        message: 'input of 85 bytes does not fit one model call (MODEL_BATCH_MAX_BYTES=100)',
      },
    });
  });

  it('refuses an input above MAX_INPUT_BYTES, naming the setting', () => {
    const { envelopes } = readRecords(
      [deliveredRecord({ body: body('a', 51) })],
      { ...limits, maxInputBytes: 50 },
      1_000,
    );
    expect(envelopes[0]).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(!envelopes[0]!.ok && envelopes[0]!.error.message).toContain('MAX_INPUT_BYTES');
  });

  it('hands on one request per id: the first valid record of a repeated id', () => {
    const { primaryOf, requests } = read('not json', body('a', 3), body('a', 4), body('b', 3));
    expect(primaryOf).toEqual([0, 1, 1, 3]);
    expect(requests.map((r) => [r.id, r.inputBytes])).toEqual([
      ['a', 3],
      ['b', 3],
    ]);
  });
});

describe('primaryRecords: one decision for ids repeated in a delivery', () => {
  const bad = (id: string): EnvelopeResult => ({
    ok: false,
    id,
    error: { code: 'INVALID_REQUEST', message: 'x' },
  });
  const good = (id: string): EnvelopeResult => ({
    ok: true,
    request: { id, inputJson: '1', inputBytes: 1, deadline: undefined },
  });

  it('picks the first valid record of each id, else the first record', () => {
    expect(primaryRecords([bad('a'), good('a'), good('a'), good('b'), bad('c'), bad('c')])).toEqual(
      [1, 1, 1, 3, 4, 4],
    );
  });
});
