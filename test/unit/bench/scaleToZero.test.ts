import { describe, expect, it } from 'vitest';
import type { CurvePoint } from '../../../bench/modelCurve.js';
import { prices } from '../../../bench/prices.js';
import {
  coldStartSeconds,
  minimumBilledSecondsPerWake,
  priceScaleToZero,
} from '../../../bench/scaleToZero.js';

// A flat curve: 10 ms per item at any call size, so busy time is easy to write down.
const curve: CurvePoint[] = [
  { batchSize: 1, calls: 1, msPerCall: 10, itemsPerSecond: 100 },
  { batchSize: 64, calls: 1, msPerCall: 640, itemsPerSecond: 100 },
];
const mode = { name: 'm', itemsPerCall: 32, rest: { lambda: 0, sqs: 0, dynamodb: 0 } };
const direct = { ...mode, rest: null };

describe('priceScaleToZero', () => {
  it('bills a scaled-to-zero burst its busy time plus start, idle and stop per wake-up', () => {
    // 22 bursts of 10 h, 1M requests: 10,000 s busy a month, well within one instance.
    const workload = { name: 'w', requestsPerMonth: 1e6, wakesPerMonth: 22, activeHours: 10 };
    const c = priceScaleToZero(workload, curve, direct, 'scale to zero');
    expect(minimumBilledSecondsPerWake).toBe(31 * 60);
    expect(c.instanceHours).toBeCloseTo((22 * (10 * 3_600 + 31 * 60)) / 3_600, 6);
    expect(c.totalM5).toBeCloseTo(c.instanceHours * prices.sagemakerInstance.perHour, 6);
    expect(priceScaleToZero(workload, curve, direct, 'always-on').instanceHours).toBe(720);
  });

  it('runs a bulk job on every allowed instance and holds every request during the start', () => {
    const job = { name: 'j', requestsPerMonth: 60e6, wakesPerMonth: 30, activeHours: 0 };
    const c = priceScaleToZero(job, curve, mode, 'scale to zero', 8);
    // 2M x 10 ms = 20,000 s a night on 8 instances: 2,500 s each, plus 31 minutes.
    expect(c.instanceHours).toBeCloseTo((30 * 8 * (2_500 + 31 * 60)) / 3_600, 6);
    // Held: 2M a night, delivered once, then every 2 minutes through the 8-minute start.
    expect(c.holds).toBeCloseTo(((30 * 2e6 * 5 * 0.625) / 1e6) * (1e6 / 60e6), 6);
  });

  it('states a cold start of alarm + instance start + one hold backoff', () => {
    expect(coldStartSeconds).toBe(120 + 360 + 120);
  });
});
