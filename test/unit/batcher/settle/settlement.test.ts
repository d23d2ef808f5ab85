import { describe, expect, it } from 'vitest';
import type { WriteOutcome } from '../../../../lib/aws/resultStore.js';
import type { ItemOutcome } from '../../../../lib/batcher/invoke/modelInvoker.js';
import {
  type PersistReport,
  persistOutcomes,
} from '../../../../lib/batcher/persist/persistOutcomes.js';
import { primaryRecords } from '../../../../lib/batcher/records/duplicates.js';
import {
  type DeliveredRecord,
  maxOutputBytes,
  type Settlement,
  settle,
} from '../../../../lib/batcher/settle/settlement.js';
import type { EnvelopeResult } from '../../../../lib/contract/envelope.js';
import type { ErrorCode } from '../../../../lib/contract/errorCodes.js';
import { redeliveryDelaySeconds } from '../../../../lib/contract/redeliveryBackoff.js';

const record = (receiveCount = 1, messageId = 'm-1'): DeliveredRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body: '{}',
  receiveCount,
  enqueuedAt: 1,
  fallbackId: messageId,
});
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
      'unavailable before the last delivery -> retry MODEL_UNAVAILABLE after a backoff',
      valid(),
      context(unavailable),
      2,
      {
        kind: 'retry',
        error: { code: 'MODEL_UNAVAILABLE', message: 'ServiceUnavailable: busy' },
        delaySeconds: delay(2),
      },
    ],
    [
      'unavailable on the last delivery -> failed RETRIES_EXHAUSTED',
      valid(),
      context(unavailable),
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
      'output too large -> failed OUTPUT_TOO_LARGE',
      valid(),
      context({ ...ok, outputJson: 'x'.repeat(maxOutputBytes + 1) }),
      1,
      {
        kind: 'failed',
        error: { code: 'OUTPUT_TOO_LARGE', message: expect.stringContaining('bytes') },
      },
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

describe('persistOutcomes', () => {
  const sinks = (
    writes: Record<string, WriteOutcome> = {},
    unpublished: string[] = [],
    options: { unrequeued?: string[]; signal?: AbortSignal } = {},
  ) => {
    const calls: string[] = [];
    const rows: { id: string; status: string }[] = [];
    const durable = new Set<string>();
    const letters: { requestId: string; sourceMessageId: string }[] = [];
    const requeued: { messageId: string; requestId: string; delaySeconds: number }[] = [];
    const hidden: { messageId: string; delaySeconds: number }[] = [];
    return {
      calls,
      rows,
      letters,
      requeued,
      hidden,
      sinks: {
        store: {
          write: async (r: readonly { id: string; status: string }[]) => {
            calls.push('write');
            rows.push(...r);
            for (const row of r)
              if ((writes[row.id] ?? 'written') === 'written') durable.add(row.id);
            return new Map(r.map((row) => [row.id, writes[row.id] ?? 'written'] as const));
          },
        },
        deadLetters: {
          publish: async (l: readonly { requestId: string; sourceMessageId: string }[]) => {
            calls.push('publish');
            // The row of every letter must already be durable when its message is sent.
            for (const letter of l) expect(durable.has(letter.requestId)).toBe(true);
            letters.push(...l);
            return new Set(unpublished);
          },
        },
        requestQueue: {
          requeue: async (
            r: readonly { messageId: string; requestId: string; delaySeconds: number }[],
          ) => {
            calls.push('requeue');
            requeued.push(...r);
            return new Set(options.unrequeued ?? []);
          },
          changeVisibility: async (r: readonly { messageId: string; delaySeconds: number }[]) => {
            calls.push('visibility');
            hidden.push(...r);
            return 0;
          },
        },
        resultTtlSeconds: 60,
        now: 10_000,
        invocationId: 'inv-1',
        unread: new Set<string>(),
        signal: options.signal ?? new AbortController().signal,
      },
    };
  };
  const s = (
    messageId: string,
    id: string,
    verdict: Settlement['verdict'],
    receiveCount = 1,
  ): Settlement => ({ record: record(receiveCount, messageId), id, verdict });
  const failed = (code: ErrorCode = 'INVALID_REQUEST') => ({
    kind: 'failed' as const,
    error: { code, message: 'x' },
  });
  const succeeded = { kind: 'succeeded' as const, outputJson: '1', latencyMs: 1, batchItems: 2 };
  const counts = (report: PersistReport) => ({ ...report, retry: [...report.retry] });

  it('writes rows first, then publishes DLQ messages only for FAILED rows it wrote', async () => {
    const sink = sinks({ b: 'error' });
    const report = await persistOutcomes(
      [s('m1', 'a', failed()), s('m2', 'b', failed('EXPIRED')), s('m3', 'c', succeeded)],
      sink.sinks,
    );
    expect(sink.calls.indexOf('publish')).toBeGreaterThan(sink.calls.indexOf('write'));
    expect(sink.calls.at(-1)).toBe('visibility');
    expect(sink.letters.map((l) => l.requestId)).toEqual(['a']);
    expect(counts(report)).toMatchObject({
      succeeded: 1,
      failed: 1,
      clientFailures: 1,
      retry: ['m2'],
    });
  });

  it('never sends a DLQ message for an id whose row is already SUCCEEDED', async () => {
    const sink = sinks({ a: 'already-succeeded' });
    const report = await persistOutcomes([s('m1', 'a', failed('MODEL_REJECTED'))], sink.sinks);
    expect(sink.letters).toEqual([]);
    expect(counts(report)).toMatchObject({ duplicates: 1, failed: 0, retry: [] });
  });

  it('gives duplicates in one delivery the fate of their primary: one row, no DLQ message of their own', async () => {
    const sink = sinks();
    const report = await persistOutcomes(
      [s('m1', 'a', { kind: 'duplicate', of: 1 }), s('m2', 'a', succeeded)],
      sink.sinks,
    );
    expect(sink.rows).toEqual([
      expect.objectContaining({ id: 'a', status: 'SUCCEEDED', messageId: 'm2' }),
    ]);
    expect(sink.letters).toEqual([]);
    expect(counts(report)).toMatchObject({ succeeded: 1, duplicates: 1, retry: [] });
  });

  it('redelivers a duplicate together with its primary', async () => {
    const sink = sinks({ a: 'error' });
    const report = await persistOutcomes(
      [s('m1', 'a', succeeded), s('m2', 'a', { kind: 'duplicate', of: 0 })],
      sink.sinks,
    );
    expect(counts(report).retry).toEqual(['m1', 'm2']);
  });

  it('retries a failure whose DLQ message was not sent', async () => {
    const sink = sinks({}, ['m1']);
    const report = await persistOutcomes([s('m1', 'a', failed('EXPIRED'))], sink.sinks);
    expect(counts(report).retry).toEqual(['m1']);
  });

  it('hides every record left for redelivery for a backoff by its receive count', async () => {
    const sink = sinks({ b: 'error' });
    const retry = {
      kind: 'retry' as const,
      error: { code: 'MODEL_UNAVAILABLE' as const, message: 'x' },
      delaySeconds: 5,
    };
    await persistOutcomes([s('m1', 'a', retry, 2), s('m2', 'b', succeeded, 4)], sink.sinks);
    expect(sink.hidden).toEqual([
      expect.objectContaining({ messageId: 'm1', delaySeconds: delay(2) }),
      expect.objectContaining({ messageId: 'm2', delaySeconds: delay(4) }),
    ]);
  });

  it('requeues a systemic hold on its last delivery and acknowledges it once sent', async () => {
    const requeue = {
      kind: 'requeue' as const,
      error: { code: 'ENDPOINT_MISCONFIGURED' as const, message: 'x' },
      delaySeconds: 20,
    };
    const sink = sinks({}, [], { unrequeued: ['m2'] });
    const report = await persistOutcomes(
      [s('m1', 'a', requeue, 3), s('m2', 'b', requeue, 3)],
      sink.sinks,
    );
    expect(sink.rows.map((r) => r.status)).toEqual(['RETRYING', 'RETRYING']);
    expect(sink.requeued.map((r) => r.requestId)).toEqual(['a', 'b']);
    expect(sink.letters).toEqual([]);
    expect(counts(report)).toMatchObject({ requeued: 1, retry: ['m2'] });
  });
});
