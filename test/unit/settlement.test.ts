import { describe, expect, it } from 'vitest';
import type { EnvelopeResult } from '../../lib/envelope.js';
import type { ItemOutcome } from '../../lib/modelInvoker.js';
import { persistOutcomes } from '../../lib/persistOutcomes.js';
import {
  type DeliveredRecord,
  maxOutputBytes,
  type Settlement,
  settle,
} from '../../lib/settlement.js';

const record = (receiveCount = 1, messageId = 'm-1'): DeliveredRecord => ({
  messageId,
  body: '{}',
  receiveCount,
  enqueuedAt: 1,
});
const valid: EnvelopeResult = {
  ok: true,
  request: { id: 'a', inputJson: '1', inputBytes: 1, deadline: undefined },
};
const ok: ItemOutcome = { status: 'ok', output: { y: 1 }, latencyMs: 12.4, batchItems: 8 };
const transient: ItemOutcome = { status: 'transient', message: 'ServiceUnavailable: busy' };
const context = (outcome?: ItemOutcome, succeeded: string[] = []) => ({
  succeeded: new Set(succeeded),
  outcomes: new Map(outcome ? [['a', outcome]] : []),
  maxReceiveCount: 3,
});

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
      'deadline passed -> failed EXPIRED',
      { ok: false, id: 'a', error: { code: 'EXPIRED', message: 'late' } },
      context(),
      1,
      { kind: 'failed', error: { code: 'EXPIRED', message: 'late' } },
    ],
    [
      'id already SUCCEEDED -> duplicate',
      valid,
      context(undefined, ['a']),
      1,
      { kind: 'duplicate' },
    ],
    [
      'model ok -> succeeded',
      valid,
      context(ok),
      1,
      { kind: 'succeeded', outputJson: '{"y":1}', latencyMs: 12.4, batchItems: 8 },
    ],
    [
      'isolated 4xx -> failed MODEL_REJECTED',
      valid,
      context({ status: 'failed', error: { code: 'MODEL_REJECTED', message: 'no' } }),
      1,
      { kind: 'failed', error: { code: 'MODEL_REJECTED', message: 'no' } },
    ],
    [
      'isolated bad response -> failed MODEL_BAD_RESPONSE',
      valid,
      context({ status: 'failed', error: { code: 'MODEL_BAD_RESPONSE', message: 'count' } }),
      1,
      { kind: 'failed', error: { code: 'MODEL_BAD_RESPONSE', message: 'count' } },
    ],
    [
      'transient before the last delivery -> retry',
      valid,
      context(transient),
      2,
      { kind: 'retry', error: { code: 'MODEL_UNAVAILABLE', message: 'ServiceUnavailable: busy' } },
    ],
    [
      'transient on the last delivery -> failed RETRIES_EXHAUSTED',
      valid,
      context(transient),
      3,
      {
        kind: 'failed',
        error: {
          code: 'RETRIES_EXHAUSTED',
          message: 'still failing after 3 deliveries: ServiceUnavailable: busy',
        },
      },
    ],
    [
      'output too large -> failed OUTPUT_TOO_LARGE',
      valid,
      context({ ...ok, output: 'x'.repeat(maxOutputBytes) }),
      1,
      {
        kind: 'failed',
        error: { code: 'OUTPUT_TOO_LARGE', message: expect.stringContaining('bytes') },
      },
    ],
  ])('%s', (_, envelope, ctx, receiveCount, verdict) => {
    expect(settle(record(receiveCount), envelope, ctx).verdict).toEqual(verdict);
  });
});

describe('persistOutcomes', () => {
  const sinks = (
    writes: Record<string, 'written' | 'already-succeeded' | 'error'> = {},
    unpublished: string[] = [],
  ) => {
    const rows: unknown[] = [];
    const letters: unknown[] = [];
    return {
      rows,
      letters,
      sinks: {
        store: {
          write: async (r: readonly { id: string }[]) => {
            rows.push(...r);
            return new Map(r.map((row) => [row.id, writes[row.id] ?? 'written'] as const));
          },
        },
        deadLetters: {
          publish: async (l: readonly unknown[]) => {
            letters.push(...l);
            return new Set(unpublished);
          },
        },
        resultTtlSeconds: 60,
        now: 10_000,
        invocationId: 'inv-1',
      },
    };
  };
  const s = (messageId: string, id: string, verdict: Settlement['verdict']): Settlement => ({
    record: record(1, messageId),
    id,
    verdict,
  });

  it('writes one row per id, keeping the best state, and one DLQ message per failed record', async () => {
    const { rows, letters, sinks: sink } = sinks();
    const report = await persistOutcomes(
      [
        s('m1', 'a', { kind: 'failed', error: { code: 'INVALID_REQUEST', message: 'x' } }),
        s('m2', 'a', { kind: 'succeeded', outputJson: '1', latencyMs: 1, batchItems: 2 }),
      ],
      sink,
    );
    expect(rows).toEqual([
      expect.objectContaining({ id: 'a', status: 'SUCCEEDED', messageId: 'm2', expiresAt: 70 }),
    ]);
    expect(letters).toEqual([expect.objectContaining({ sourceMessageId: 'm1', requestId: 'a' })]);
    expect(report).toMatchObject({ succeeded: 1, failed: 1, retried: 0, duplicates: 0 });
    expect(report.retry.size).toBe(0);
  });

  it('retries a failure whose DLQ message was not sent, and acknowledges one whose id already SUCCEEDED', async () => {
    const { sinks: sink } = sinks({ b: 'already-succeeded' }, ['m1']);
    const report = await persistOutcomes(
      [
        s('m1', 'a', { kind: 'failed', error: { code: 'EXPIRED', message: 'x' } }),
        s('m2', 'b', { kind: 'retry', error: { code: 'MODEL_UNAVAILABLE', message: 'x' } }),
      ],
      sink,
    );
    expect([...report.retry]).toEqual(['m1']);
    expect(report.duplicates).toBe(1);
  });
});
