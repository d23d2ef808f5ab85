import { describe, expect, it } from 'vitest';
import { oldestHeldAgeSeconds } from '../../../../lib/batcher/settle/heldAge.js';
import type { Settlement } from '../../../../lib/batcher/settle/settlement.js';
import { deliveredRecord } from '../../../helpers/factories.js';

const error = { code: 'MODEL_UNAVAILABLE' as const, message: 'busy' };
const settlement = (enqueuedAt: number, verdict: Settlement['verdict']): Settlement => ({
  record: { ...deliveredRecord(), enqueuedAt },
  id: 'a',
  verdict,
});

describe('oldestHeldAgeSeconds (HeldRequestAge)', () => {
  it('is the age since the first enqueue of the oldest held request, requeued or retried', () => {
    const now = 10_000_000;
    expect(
      oldestHeldAgeSeconds(
        [
          settlement(now - 500_000, { kind: 'requeue', error, delaySeconds: 80, hold: 'systemic' }),
          settlement(now - 9_000_000, { kind: 'retry', error, delaySeconds: 5 }), // a poison pill: not held
          settlement(now - 700_500, { kind: 'retry', error, delaySeconds: 5, hold: 'busy' }),
          settlement(now - 9_000_000, { kind: 'failed', error }),
        ],
        now,
      ),
    ).toBe(700);
  });

  it('is 0 when nothing is held, so the alarm can return to OK', () => {
    expect(oldestHeldAgeSeconds([settlement(0, { kind: 'failed', error })], 5_000_000)).toBe(0);
  });
});
