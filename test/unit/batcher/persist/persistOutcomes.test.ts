import { describe, expect, it } from 'vitest';
import type { WriteOutcome } from '../../../../lib/aws/resultStore.js';
import {
  type PersistReport,
  persistOutcomes,
} from '../../../../lib/batcher/persist/persistOutcomes.js';
import type { Settlement } from '../../../../lib/batcher/settle/settlement.js';
import type { ErrorCode } from '../../../../lib/contract/errorCodes.js';
import { redeliveryDelaySeconds } from '../../../../lib/contract/redeliveryBackoff.js';
import { deliveredRecord } from '../../../helpers/factories.js';

const delay = (count: number) => redeliveryDelaySeconds(count);
const record = (receiveCount = 1, messageId = 'm-1') =>
  deliveredRecord({ receiveCount, messageId });

describe('persistOutcomes', () => {
  const sinks = (
    writes: Record<string, WriteOutcome> = {},
    unpublished: string[] = [],
    options: { unrequeued?: string[]; signal?: AbortSignal } = {},
  ) => {
    const calls: string[] = [];
    const rows: { id: string; status: string }[] = [];
    const durable = new Set<string>();
    const latest = new Map<string, { id: string; status: string }>();
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
            for (const row of r) if (durable.has(row.id)) latest.set(row.id, row);
            return new Map(r.map((row) => [row.id, writes[row.id] ?? 'written'] as const));
          },
          // The re-check before a DLQ publish reads back what was written.
          getRows: async (ids: Iterable<string>) => ({
            rows: new Map(
              [...ids].flatMap((id) => (latest.has(id) ? [[id, latest.get(id)!] as const] : [])),
            ) as never,
            unread: [],
          }),
          markDeadLettered: async (marks: readonly { id: string }[]) =>
            new Map(marks.map((m) => [m.id, 'written' as const])),
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
        outputs: { encoding: 'json' as const, offloadBytes: 65_536 },
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

  it('hides a hold for no capacity for its own, longer wait (an instance start)', async () => {
    const sink = sinks();
    const hold = {
      kind: 'retry' as const,
      error: { code: 'ENDPOINT_NO_CAPACITY' as const, message: 'x' },
      delaySeconds: 120,
    };
    await persistOutcomes([s('m1', 'a', hold, 2)], sink.sinks);
    expect(sink.hidden).toEqual([expect.objectContaining({ messageId: 'm1', delaySeconds: 120 })]);
  });

  it('requeues a systemic hold on its last delivery and acknowledges it once sent', async () => {
    const requeue = {
      kind: 'requeue' as const,
      error: { code: 'ENDPOINT_MISCONFIGURED' as const, message: 'x' },
      hold: 'systemic' as const,
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
