import { describe, expect, it } from 'vitest';
import {
  RedeliveryBackoff,
  redeliveryDelaySeconds,
  totalRedeliveryDelaySeconds,
} from '../../../lib/contract/redeliveryBackoff.js';

describe('redeliveryDelaySeconds', () => {
  it('doubles from the base with each delivery and stops at the cap', () => {
    const policy = { baseSeconds: 5, maxSeconds: 60 };
    expect([1, 2, 3, 4, 5, 6].map((n) => redeliveryDelaySeconds(n, policy))).toEqual([
      5, 10, 20, 40, 60, 60,
    ]);
  });

  it('never exceeds the SQS visibility limit of 12 hours, even for huge receive counts', () => {
    expect(redeliveryDelaySeconds(10_000)).toBe(RedeliveryBackoff.maxSeconds);
    expect(RedeliveryBackoff.maxSeconds).toBeLessThanOrEqual(43_200);
  });

  it('sums the waits before the last delivery', () => {
    expect(totalRedeliveryDelaySeconds(1)).toBe(0);
    expect(totalRedeliveryDelaySeconds(4, { baseSeconds: 5, maxSeconds: 60 })).toBe(5 + 10 + 20);
  });
});
