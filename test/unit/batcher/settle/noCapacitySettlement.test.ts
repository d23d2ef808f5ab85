import { describe, expect, it } from 'vitest';
import type { ItemOutcome } from '../../../../lib/batcher/invoke/modelInvoker.js';
import { settle } from '../../../../lib/batcher/settle/settlement.js';
import type { EnvelopeResult } from '../../../../lib/contract/envelope.js';
import { noCapacityDelaySeconds } from '../../../../lib/contract/noCapacityBackoff.js';
import { deliveredRecord } from '../../../helpers/factories.js';

const valid = (deadline?: number): EnvelopeResult => ({
  ok: true,
  request: { id: 'a', inputJson: '1', inputBytes: 1, deadline },
});
const held: ItemOutcome = {
  status: 'retry',
  reason: 'no-capacity',
  message: 'ValidationError: Inference Component has no capacity to process this request.',
};
const maxHoldSeconds = 3_600;
const context = (now = 1_000) => ({
  succeeded: new Set<string>(),
  outcomes: new Map([['a', held]]),
  maxReceiveCount: 3,
  maxHoldSeconds,
  primaryOf: [0],
  now,
});
const verdictAt = (receiveCount: number, envelope = valid(), now = 1_000) =>
  settle(0, deliveredRecord({ receiveCount, messageId: 'm-1' }), envelope, context(now)).verdict;

describe('settle: a hold for no capacity', () => {
  it('retries with ENDPOINT_NO_CAPACITY after a backoff in minutes, never FAILED before the last delivery', () => {
    expect(verdictAt(1)).toEqual({
      kind: 'retry',
      error: { code: 'ENDPOINT_NO_CAPACITY', message: held.message },
      delaySeconds: noCapacityDelaySeconds(1),
      hold: 'no-capacity',
    });
    expect(noCapacityDelaySeconds(1)).toBeGreaterThanOrEqual(60);
  });

  it('is requeued on the last delivery, like a systemic hold: never a DLQ message', () => {
    expect(verdictAt(3)).toEqual({
      kind: 'requeue',
      error: { code: 'ENDPOINT_NO_CAPACITY', message: held.message },
      delaySeconds: noCapacityDelaySeconds(3),
      hold: 'no-capacity',
    });
  });

  it('is bounded: past MAX_HOLD_SECONDS since the first enqueue it ends FAILED, ENDPOINT_NO_CAPACITY', () => {
    // deliveredRecord's first enqueue is at 1 ms.
    const past = 1 + maxHoldSeconds * 1_000;
    for (const receiveCount of [1, 3]) {
      expect(verdictAt(receiveCount, valid(), past)).toEqual({
        kind: 'failed',
        error: {
          code: 'ENDPOINT_NO_CAPACITY',
          message: expect.stringContaining(`past MAX_HOLD_SECONDS (${maxHoldSeconds} s)`),
        },
      });
    }
    expect(verdictAt(1, valid(), past - 1_000).kind).toBe('retry');
  });

  it('still enforces the deadline: a hold past it ends EXPIRED', () => {
    expect(verdictAt(1, valid(500), 1_000)).toEqual({
      kind: 'failed',
      error: expect.objectContaining({ code: 'EXPIRED' }),
    });
  });

  it('backs off for an instance start: 1 minute, then every 2 (found within 2 minutes of the copy being up)', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => noCapacityDelaySeconds(n))).toEqual([
      60, 120, 120, 120, 120, 120,
    ]);
  });
});
