import { afterEach, describe, expect, it } from 'vitest';
import { measuredCallLatencyMs, SaveCalls } from '../../../../lib/contract/saveReserve.js';
import { buildHandler, lambdaContext, sqsEvent, sqsRecord } from '../../../helpers/factories.js';
import { fakeModel, fakeQueue, fakeTable } from '../../../helpers/fakes.js';

let model: ReturnType<typeof fakeModel>;
let table: ReturnType<typeof fakeTable>;
let queue: ReturnType<typeof fakeQueue>;

afterEach(() => {
  model.mock.restore();
  table.mock.restore();
  queue.mock.restore();
});

const records = (n: number) =>
  Array.from({ length: n }, (_, i) => sqsRecord({ id: `r-${i}`, input: i }));

/**
 * 100 records, 2 s left, TIME_RESERVE_MS 1 s (the test config). At the assumed 50 ms a call
 * the save reserve is 1,150 ms (one wave of rows, DLQ messages and visibility changes), so
 * model calls have 850 ms. When this invocation's own DynamoDB calls answer in 300 ms, the
 * save phase's three waves need 900 ms beside the base: the reserve is 1.9 s, and starting
 * model calls would leave their outcomes no time to be recorded.
 */
describe('the save reserve follows the latency this invocation measures', () => {
  it('starts no model call when slow DynamoDB answers leave the save phase no room', async () => {
    // Prepare
    model = fakeModel();
    table = fakeTable({ readLatencyMs: 300 });
    queue = fakeQueue();
    // Act
    const response = await buildHandler()(sqsEvent(records(100)), lambdaContext(2_000));
    // Assess: every record goes round again with its row written, none computed unsaved.
    expect(model.calls).toEqual([]);
    expect(response.batchItemFailures).toHaveLength(100);
    expect([...table.rows.values()].every((row) => row.status === 'RETRYING')).toBe(true);
  });

  it('serves the same records when DynamoDB answers at once (the control)', async () => {
    model = fakeModel();
    table = fakeTable();
    queue = fakeQueue();
    const response = await buildHandler()(sqsEvent(records(100)), lambdaContext(2_000));
    expect(model.calls.length).toBeGreaterThan(0);
    expect(response.batchItemFailures).toEqual([]);
  });

  it('assumes the documented latency as a floor, and the measured one above it', () => {
    expect(measuredCallLatencyMs(0, 100)).toBe(SaveCalls.latencyMs);
    expect(measuredCallLatencyMs(300, 100)).toBe(300);
    // 1,000 keys are ten BatchGetItem calls one after another.
    expect(measuredCallLatencyMs(3_000, 1_000)).toBe(300);
  });
});
