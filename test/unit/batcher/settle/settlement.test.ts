import { describe, expect, it } from 'vitest';
import type { ItemOutcome } from '../../../../lib/batcher/invoke/modelInvoker.js';
import { settle } from '../../../../lib/batcher/settle/settlement.js';
import type { EnvelopeResult } from '../../../../lib/contract/envelope.js';
import { redeliveryDelaySeconds } from '../../../../lib/contract/redeliveryBackoff.js';
import { deliveredRecord } from '../../../helpers/factories.js';

const record = (receiveCount = 1, messageId = 'm-1') =>
  deliveredRecord({ receiveCount, messageId });
const valid = (deadline?: number): EnvelopeResult => ({
  ok: true,
  request: { id: 'a', inputJson: '1', inputBytes: 1, deadline },
});
const ok: ItemOutcome = { status: 'ok', outputJson: '{"y":1}', latencyMs: 12.4, batchItems: 8 };
const unavailable: ItemOutcome = {
  status: 'retry',
  reason: 'unavailable',
  message: 'ServiceUnavailable: busy',
};
const poison: ItemOutcome = { status: 'retry', reason: 'model-error', message: 'ModelError: 500' };
const systemic: ItemOutcome = {
  status: 'retry',
  reason: 'systemic',
  message: 'ValidationError: Endpoint x not found',
};
const context = (outcome?: ItemOutcome, succeeded: string[] = [], now = 1_000) => ({
  succeeded: new Set(succeeded),
  outcomes: new Map(outcome ? [['a', outcome]] : []),
  maxReceiveCount: 3,
  primaryOf: [0],
  now,
  maxHoldSeconds: 3_600,
});
const delay = (count: number) => redeliveryDelaySeconds(count);

describe('settle: the error-routing table', () => {
  it.each<[string, EnvelopeResult, ReturnType<typeof context>, number, unknown]>([
    [
      'invalid envelope -> failed INVALID_REQUEST',
      { ok: false, id: 'm-1', error: { code: 'INVALID_REQUEST', message: 'input is required' } },
      context(),
      1,
      { kind: 'failed', error: { code: 'INVALID_REQUEST', message: 'input is required' } },
    ],
    [
      'id already SUCCEEDED -> duplicate of an earlier delivery',
      valid(),
      context(undefined, ['a']),
      1,
      { kind: 'duplicate', of: undefined },
    ],
    [
      'model ok -> succeeded',
      valid(),
      context(ok),
      1,
      { kind: 'succeeded', outputJson: '{"y":1}', latencyMs: 12.4, batchItems: 8 },
    ],
    [
      'isolated 4xx -> failed MODEL_REJECTED',
      valid(),
      context({ status: 'failed', error: { code: 'MODEL_REJECTED', message: 'no' } }),
      1,
      { kind: 'failed', error: { code: 'MODEL_REJECTED', message: 'no' } },
    ],
    [
      'deadline passed before an attempt -> failed EXPIRED',
      valid(),
      context({ status: 'expired' }),
      1,
      { kind: 'failed', error: { code: 'EXPIRED', message: expect.stringContaining('deadline') } },
    ],
    [
      'unavailable before the last delivery -> retry MODEL_UNAVAILABLE after a backoff, held busy',
      valid(),
      context(unavailable),
      2,
      {
        kind: 'retry',
        error: { code: 'MODEL_UNAVAILABLE', message: 'ServiceUnavailable: busy' },
        delaySeconds: delay(2),
        hold: 'busy',
      },
    ],
    [
      'unavailable on the last delivery -> requeue (held busy), never FAILED',
      valid(),
      context(unavailable),
      3,
      {
        kind: 'requeue',
        error: { code: 'MODEL_UNAVAILABLE', message: 'ServiceUnavailable: busy' },
        delaySeconds: delay(3),
        hold: 'busy',
      },
    ],
    [
      'unavailable, held past MAX_HOLD_SECONDS -> failed RETRIES_EXHAUSTED',
      valid(),
      context(unavailable, [], 1 + 3_600_000),
      2,
      {
        kind: 'failed',
        error: {
          code: 'RETRIES_EXHAUSTED',
          message: expect.stringMatching(
            /^held for 3600 s .*past MAX_HOLD_SECONDS \(3600 s\).*busy$/,
          ),
        },
      },
    ],
    [
      'systemic, held past MAX_HOLD_SECONDS on the last delivery -> failed ENDPOINT_MISCONFIGURED, not requeued',
      valid(),
      context(systemic, [], 1 + 3_600_000),
      3,
      {
        kind: 'failed',
        error: {
          code: 'ENDPOINT_MISCONFIGURED',
          message: expect.stringContaining('past MAX_HOLD_SECONDS (3600 s)'),
        },
      },
    ],
    [
      'systemic, held just under MAX_HOLD_SECONDS -> still requeued',
      valid(),
      context(systemic, [], 3_599_000),
      3,
      expect.objectContaining({ kind: 'requeue', hold: 'systemic' }),
    ],
    [
      'a poison pill is never held, however old',
      valid(),
      context(poison, [], 1 + 3_600_000),
      1,
      {
        kind: 'retry',
        error: expect.objectContaining({ code: 'MODEL_UNAVAILABLE' }),
        delaySeconds: delay(1),
      },
    ],
    [
      'a 5xx poison pill alone before the last delivery -> retry',
      valid(),
      context(poison),
      1,
      {
        kind: 'retry',
        error: expect.objectContaining({ code: 'MODEL_UNAVAILABLE' }),
        delaySeconds: delay(1),
      },
    ],
    [
      'a 5xx poison pill alone on the last delivery -> failed MODEL_ERROR',
      valid(),
      context(poison),
      3,
      {
        kind: 'failed',
        error: { code: 'MODEL_ERROR', message: expect.stringContaining('ModelError: 500') },
      },
    ],
    [
      'systemic before the last delivery -> retry ENDPOINT_MISCONFIGURED, never a DLQ',
      valid(),
      context(systemic),
      1,
      {
        kind: 'retry',
        error: { code: 'ENDPOINT_MISCONFIGURED', message: systemic.message },
        delaySeconds: delay(1),
        hold: 'systemic',
      },
    ],
    [
      'systemic on the last delivery -> requeue, never a DLQ',
      valid(),
      context(systemic),
      3,
      {
        kind: 'requeue',
        error: { code: 'ENDPOINT_MISCONFIGURED', message: systemic.message },
        delaySeconds: delay(3),
        hold: 'systemic',
      },
    ],
    [
      'left waiting past its deadline -> failed EXPIRED, not RETRYING',
      valid(500),
      context(unavailable, [], 1_000),
      1,
      { kind: 'failed', error: expect.objectContaining({ code: 'EXPIRED' }) },
    ],
    [
      'a systemic hold past its deadline -> failed EXPIRED, not requeued',
      valid(500),
      context(systemic, [], 1_000),
      3,
      { kind: 'failed', error: expect.objectContaining({ code: 'EXPIRED' }) },
    ],
    [
      // Where an output is kept (row, bucket, or OUTPUT_TOO_LARGE) is decided by the row's
      // real size when it is built (persist/outputPlacement.ts), not here.
      'an output larger than a row -> succeeded',
      valid(),
      context({ ...ok, outputJson: `"${'x'.repeat(500_000)}"` }),
      1,
      expect.objectContaining({ kind: 'succeeded' }),
    ],
  ])('%s', (_, envelope, ctx, receiveCount, verdict) => {
    expect(settle(0, record(receiveCount), envelope, ctx).verdict).toEqual(verdict);
  });

  it('settles a repeated id as a duplicate of the record that represents it', () => {
    const ctx = { ...context(ok), primaryOf: [1, 1] };
    expect(settle(0, record(1, 'm-0'), valid(), ctx).verdict).toEqual({ kind: 'duplicate', of: 1 });
    expect(settle(1, record(1, 'm-1'), valid(), ctx).verdict.kind).toBe('succeeded');
  });
});
