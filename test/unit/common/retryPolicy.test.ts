import { describe, expect, it } from 'vitest';
import { defaultRetryPolicy, retryDelay, retryPolicyOf } from '../../../lib/common/retryPolicy.js';
import { settingDefault } from '../../../lib/contract/settings.js';

describe('retryPolicy: one policy for every retry inside an invocation', () => {
  it('defaults to what RETRY_BASE_MS and RETRY_MAX_MS default to', () => {
    expect(defaultRetryPolicy).toMatchObject({
      baseMs: settingDefault('retryBaseMs'),
      maxMs: settingDefault('retryMaxMs'),
    });
    expect(retryPolicyOf({ retryBaseMs: 7, retryMaxMs: 70 })).toEqual({
      retries: defaultRetryPolicy.retries,
      baseMs: 7,
      maxMs: 70,
    });
  });

  it('waits a full-jitter delay below min(max, base x 2^retry)', () => {
    const top = { retries: 5, baseMs: 100, maxMs: 1_000, random: () => 0.999_999 };
    expect([0, 1, 2, 3, 4, 5].map((n) => retryDelay(top, n))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(retryDelay({ ...top, random: () => 0 }, 3)).toBe(0);
  });
});
