import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDeadLetters } from '../../lib/client/index.js';
import { accountFor, type SentRequest } from '../helpers/accounting.js';
import { intakeQueueUrl, waitUntilDrained } from './drain.js';
import { type LocalStack, startLocalStack } from './localStack.js';

/**
 * A surge of 10,000 requests sent at once through the deployed local stack, with the
 * settings a user would deploy (batch size 1,000, window 2 s, model calls of up to 64):
 * every request must end SUCCEEDED (exact accounting), and the run prints latency
 * (enqueue -> row written), records per invocation and items per model call. Figures only:
 * no timed assertion (the machine's load decides them).
 */
const run = Date.now().toString(36);
const stackName = `SagebatchSurge${run}`;
const context = {
  batchSize: '1000',
  batchingWindowSeconds: '2',
  timeoutSeconds: '60',
  maxReceiveCount: '3',
  modelBatchMaxItems: '64',
  codec: 'json-instances',
};
const REQUESTS = 10_000;

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack(stackName, context);
}, 600_000);

afterAll(async () => {
  await stack?.teardown();
}, 300_000);

/** The q-quantile (nearest rank) of sorted values. */
const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `min ${sorted[0]}, p50 ${quantile(sorted, 0.5)}, p95 ${quantile(sorted, 0.95)}, p99 ${quantile(sorted, 0.99)}, max ${sorted.at(-1)}`;
};

describe('a surge through the deployed pipeline', () => {
  it(`ends all ${REQUESTS} requests SUCCEEDED and reports latency, records per invocation and items per call`, async () => {
    stack.endpoint.reset();
    const requests = Array.from({ length: REQUESTS }, (_, i) => ({
      id: `surge-${run}-${i}`,
      input: { text: `surge request ${i}` },
    }));
    const started = Date.now();
    const ids = await stack.client.submit(requests);
    const sentIn = Date.now() - started;
    const { results, pending } = await stack.client.waitForResults(ids, {
      timeoutMs: 600_000,
      intervalMs: 2_000,
    });
    const doneIn = Date.now() - started;
    expect(pending).toEqual([]);
    const intake = await intakeQueueUrl(stack.sqs, stackName);
    await waitUntilDrained(stack.sqs, [stack.outputs.queueUrl, intake], 120_000);
    const letters = await readDeadLetters(stack.sqs, stack.outputs.dlqUrl, { max: 100 });
    const sent: SentRequest[] = ids.map((key) => ({ key, allowed: [{ status: 'SUCCEEDED' }] }));
    const report = accountFor(sent, results, letters);

    const rows = [...results.values()];
    const latencies = rows.map((r) => Number(r.completedAt) - Number(r.enqueuedAt));
    const perInvocation = new Map<string, number>();
    for (const row of rows)
      perInvocation.set(
        String(row.invocationId),
        (perInvocation.get(String(row.invocationId)) ?? 0) + 1,
      );
    // A row's batchItems is the size of the call that served it: k rows of size k are one call.
    const rowsBySize = new Map<number, number>();
    for (const row of rows)
      rowsBySize.set(row.batchItems ?? 0, (rowsBySize.get(row.batchItems ?? 0) ?? 0) + 1);
    const callSizes = [...rowsBySize].flatMap(([size, n]) =>
      Array.from({ length: size > 0 ? Math.round(n / size) : 0 }, () => size),
    );
    const endpoint = stack.endpoint.stats();
    console.log(
      [
        `surge: ${REQUESTS} requests sent in ${sentIn} ms, all final after ${doneIn} ms`,
        `  outcome: ${report.succeeded} SUCCEEDED, ${report.failed} FAILED, ${report.deadLetters} DLQ messages`,
        `  latency enqueue -> row (ms): ${summary(latencies)}`,
        `  records per invocation (${perInvocation.size} invocations): ${summary([...perInvocation.values()])}`,
        `  items per model call (${callSizes.length} calls from rows): ${summary(callSizes)}`,
        `  endpoint emulator: ${endpoint.calls} calls, ${endpoint.items} items, ${(endpoint.items / endpoint.calls).toFixed(1)} items per call`,
        ...report.problems.slice(0, 20).map((p) => `  PROBLEM ${p}`),
      ].join('\n'),
    );
    expect(report.problems).toEqual([]);
    expect(report.succeeded).toBe(REQUESTS);
  }, 900_000);
});
