import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestResult } from '../../lib/client/index.js';
import { type LocalStack, startLocalStack } from './localStack.js';

/**
 * The event source mapping's batching as AWS documents it: Lambda gathers records until the
 * batching window expires, `BatchSize` records are gathered, or the payload would exceed the
 * 6 MB synchronous invocation limit, whichever comes first. Checked through AWS APIs only:
 * rows sharing an `invocationId` were served by one invocation.
 */
const context = {
  batchSize: '1000',
  batchingWindowSeconds: '2',
  timeoutSeconds: '30',
  // A 30 s function fits one call of 20 s plus the save reserve (checked at synth).
  modelCallTimeoutMs: '20000',
  maxReceiveCount: '2',
  modelBatchMaxItems: '64',
  codec: 'json-instances',
};
const windowMs = Number(context.batchingWindowSeconds) * 1_000;
/** AWS Lambda's synchronous invocation payload limit, bytes. */
const invokePayloadLimit = 6 * 1024 * 1024;

const run = Date.now().toString(36);
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack(`SagebatchBatching${run}`, context);
}, 600_000);

afterAll(async () => {
  await stack?.teardown();
}, 300_000);

/** Rows grouped by the invocation that wrote them, largest first. */
function byInvocation(rows: Iterable<RequestResult>): RequestResult[][] {
  const groups = new Map<string, RequestResult[]>();
  for (const row of rows)
    groups.set(row.invocationId, [...(groups.get(row.invocationId) ?? []), row]);
  return [...groups.values()].sort((a, b) => b.length - a.length);
}

describe('the local event source mapping batches like AWS Lambda', () => {
  it('serves 2,000 requests sent at once with a handful of invocations of hundreds of records, in model calls of modelBatchMaxItems', async () => {
    stack.endpoint.reset();
    const ids = await stack.client.submit(
      Array.from({ length: 2_000 }, (_, i) => ({ id: `many-${run}-${i}`, input: `request ${i}` })),
    );
    const { results, pending } = await stack.client.waitForResults(ids, {
      timeoutMs: 240_000,
      intervalMs: 500,
    });
    expect(pending).toEqual([]);
    const rows = [...results.values()];
    expect(rows.filter((r) => r.status === 'SUCCEEDED')).toHaveLength(2_000);

    const invocations = byInvocation(rows);
    const sizes = invocations.map((group) => group.length);
    console.info(`records per invocation: ${sizes.join(', ')}`);
    // MiniStack alone delivers at most 10 a call: 200 invocations or more.
    expect(invocations.length).toBeLessThanOrEqual(12);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(Number(context.batchSize));
    const inLargeInvocations = sizes.filter((n) => n >= 100).reduce((a, b) => a + b, 0);
    expect(inLargeInvocations).toBeGreaterThanOrEqual(0.8 * 2_000);

    const maxItems = Number(context.modelBatchMaxItems);
    const stats = stack.endpoint.stats();
    console.info(`model calls by items: ${JSON.stringify(stats.batchSizes)}`);
    expect(stats.items).toBe(2_000);
    expect(Math.max(...Object.keys(stats.batchSizes).map(Number))).toBe(maxItems);
    // Only each invocation's last call may be short.
    const fullCalls = stats.batchSizes[maxItems] ?? 0;
    expect(stats.calls - fullCalls).toBeLessThanOrEqual(invocations.length);
    const servedByFullCalls = rows.filter((r) => r.batchItems === maxItems).length;
    expect(servedByFullCalls).toBe(fullCalls * maxItems);
    expect(servedByFullCalls).toBeGreaterThanOrEqual(0.8 * 2_000);
  }, 300_000);

  it('holds a lone request for the batching window and not much longer', async () => {
    // Every earlier request has its final row: the window, not a full batch, ends this one.
    const [id] = await stack.client.submit([{ id: `lone-${run}`, input: 'alone' }]);
    const { results, pending } = await stack.client.waitForResults([id!], {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    expect(pending).toEqual([]);
    const row = results.get(id!)!;
    const latency = row.completedAt - row.enqueuedAt;
    console.info(`lone request: enqueue -> result ${latency} ms (window ${windowMs} ms)`);
    expect(row.status).toBe('SUCCEEDED');
    // Loose on purpose: the window's lower bound is the rule; the upper bound only says
    // "not a second window or a poll interval more".
    expect(latency).toBeGreaterThanOrEqual(windowMs - 100);
    expect(latency).toBeLessThan(windowMs + 4_000);
  }, 120_000);

  it('splits bodies whose total exceeds 6 MB into more invocations, none over the limit', async () => {
    // 70 bodies of ~200 KB (under the 256 KiB input limit): ~14 MB, far under 1,000 records,
    // so only the payload limit splits them.
    const text = 'x'.repeat(200_000);
    const requests = Array.from({ length: 70 }, (_, i) => ({
      id: `big-${run}-${i}`,
      input: { n: i, text },
    }));
    const bodyBytes = new Map(
      requests.map((r) => [r.id, Buffer.byteLength(JSON.stringify(r))] as const),
    );
    const ids = await stack.client.submit(requests);
    const { results, pending } = await stack.client.waitForResults(ids, {
      timeoutMs: 180_000,
      intervalMs: 500,
    });
    expect(pending).toEqual([]);
    for (const id of ids) expect(results.get(id)?.status).toBe('SUCCEEDED');

    const invocations = byInvocation(results.values());
    const payloads = invocations.map((group) =>
      group.reduce((n, row) => n + (bodyBytes.get(row.id) ?? 0), 0),
    );
    console.info(`bytes of bodies per invocation: ${payloads.join(', ')}`);
    const total = [...bodyBytes.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(2 * invokePayloadLimit);
    expect(invocations.length).toBeGreaterThanOrEqual(Math.ceil(total / invokePayloadLimit));
    for (const bytes of payloads) expect(bytes).toBeLessThan(invokePayloadLimit);
    // Gathering stopped at the limit, not earlier: each full invocation is close to it.
    expect(Math.max(...payloads)).toBeGreaterThan(invokePayloadLimit - 2 * 210_000);
  }, 240_000);
});
