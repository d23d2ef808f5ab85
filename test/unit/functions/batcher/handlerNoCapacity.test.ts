import type { SQSBatchResponse } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../../../functions/batcher/handler.js';
import { noCapacityError } from '../../../helpers/awsRules/sagemakerRuntime.js';
import {
  buildDependencies,
  lambdaContext,
  sqsEvent,
  sqsRecord,
  testConfig,
} from '../../../helpers/factories.js';
import { fakeModel, fakeQueue, fakeTable } from '../../../helpers/fakes.js';

let model: ReturnType<typeof fakeModel>;
let table: ReturnType<typeof fakeTable>;
let queue: ReturnType<typeof fakeQueue>;

afterEach(() => {
  model.mock.restore();
  table.mock.restore();
  queue.mock.restore();
});

const requests = (n: number, receiveCount = 1) =>
  Array.from({ length: n }, (_, i) => sqsRecord({ id: `r-${i}`, input: i }, { receiveCount }));
const failedIds = (response: SQSBatchResponse) =>
  response.batchItemFailures.map((f) => f.itemIdentifier);

function run(records: ReturnType<typeof requests>) {
  model = fakeModel({ refuse: noCapacityError });
  table = fakeTable();
  queue = fakeQueue();
  const deps = buildDependencies(
    testConfig({ MODEL_BATCH_MAX_ITEMS: '10', MODEL_PARALLELISM: '1' }),
  );
  const added: [string, number][] = [];
  const real = deps.metrics.addMetric.bind(deps.metrics);
  deps.metrics.addMetric = (name, unit, value) => {
    added.push([name, value]);
    return real(name, unit, value);
  };
  const warn = vi.spyOn(deps.logger, 'warn');
  const error = vi.spyOn(deps.logger, 'error');
  const sum = (name: string) => added.filter(([n]) => n === name).reduce((a, [, v]) => a + v, 0);
  return {
    response: createHandler(() => deps)(sqsEvent(records), lambdaContext()),
    sum,
    warn,
    error,
  };
}

describe('the batcher against an endpoint scaled to zero', () => {
  it('holds every request: one call, RETRYING rows, no DLQ, redelivered after minutes', async () => {
    const records = requests(50);
    const { response, sum, warn, error } = run(records);
    expect(failedIds(await response)).toEqual(records.map((r) => r.messageId));
    expect(model.calls).toHaveLength(1);
    expect(new Set([...table.rows.values()].map((row) => row.status))).toEqual(
      new Set(['RETRYING']),
    );
    expect(table.rows.get('r-0')).toMatchObject({ error: { code: 'ENDPOINT_NO_CAPACITY' } });
    expect(queue.messages).toEqual([]);
    expect(new Set(queue.visibility.map((v) => v.seconds))).toEqual(new Set([60]));
    expect(sum('NoCapacityHolds')).toBe(50);
    expect(sum('SystemicErrors')).toBe(0);
    expect(sum('ModelErrors')).toBe(0);
    const holdLines = warn.mock.calls.filter(([message]) =>
      String(message).includes('no capacity'),
    );
    expect(holdLines).toHaveLength(1);
    expect(error.mock.calls.filter(([m]) => String(m).includes('configuration'))).toEqual([]);
  });

  it('requeues on the last delivery instead of failing: nothing in the DLQ', async () => {
    const records = requests(3, 5);
    const { response } = run(records);
    expect((await response).batchItemFailures).toEqual([]);
    expect(queue.messages).toEqual([]);
    expect(queue.requeued.map((m) => m.body)).toEqual(records.map((r) => r.body));
    expect(queue.requeued[0]!.delaySeconds).toBe(120);
  });
});
