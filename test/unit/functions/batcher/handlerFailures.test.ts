import { ValidationError } from '@aws-sdk/client-sagemaker-runtime';
import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandler, handler as entryPoint } from '../../../../functions/batcher/handler.js';
import { decodeOutput, decodeOutputText } from '../../../../lib/contract/resultEncoding.js';
import {
  buildDependencies,
  buildHandler,
  lambdaContext,
  sqsEvent,
  sqsRecord,
  testConfig,
} from '../../../helpers/factories.js';
import { fakeModel, fakeQueue, fakeTable, modelOutput } from '../../../helpers/fakes.js';
import { virtualClock } from '../../../helpers/virtualClock.js';

// Each case here is a way the README's promise (one visible end state per request,
// nothing acknowledged before it is durable) broke on real AWS semantics.

let model: ReturnType<typeof fakeModel>;
let table: ReturnType<typeof fakeTable>;
let queue: ReturnType<typeof fakeQueue>;

function setup(
  options: {
    model?: Parameters<typeof fakeModel>[0];
    table?: Parameters<typeof fakeTable>[0];
  } = {},
) {
  model = fakeModel(options.model);
  table = fakeTable(options.table);
  queue = fakeQueue();
}

afterEach(() => {
  model.mock.restore();
  table.mock.restore();
  queue.mock.restore();
});

const failedIds = (response: SQSBatchResponse) =>
  response.batchItemFailures.map((f) => f.itemIdentifier);
const requests = (n: number, receiveCount = 1) =>
  Array.from({ length: n }, (_, i) => sqsRecord({ id: `r-${i}`, input: i }, { receiveCount }));
const statuses = () => [...table.rows.values()].map((row) => row.status);
const notFound = () =>
  new ValidationError({
    message: 'Endpoint test-endpoint of account 000000000000 not found.',
    $metadata: { httpStatusCode: 400 },
  });

describe('a 5xx ModelError poison pill', () => {
  it('is split out: its 99 neighbours succeed at once, it alone waits for another delivery', async () => {
    setup({ model: { serverError: (input) => input === 64 } });
    const records = requests(100);
    const response = await buildHandler(testConfig({ MODEL_BATCH_MAX_ITEMS: '100' }))(
      sqsEvent(records),
      lambdaContext(),
    );
    expect(failedIds(response)).toEqual([records[64]!.messageId]);
    expect(statuses().filter((s) => s === 'SUCCEEDED')).toHaveLength(99);
    expect(table.rows.get('r-64')).toMatchObject({
      status: 'RETRYING',
      error: { code: 'MODEL_UNAVAILABLE' },
    });
    expect(queue.messages).toEqual([]);
  });

  it('ends FAILED / MODEL_ERROR with a DLQ message on the last delivery, neighbours SUCCEEDED', async () => {
    setup({ model: { serverError: (input) => input === 3 } });
    const response = await buildHandler()(sqsEvent(requests(8, 5)), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(table.rows.get('r-3')).toMatchObject({
      status: 'FAILED',
      error: { code: 'MODEL_ERROR' },
    });
    expect(statuses().filter((s) => s === 'SUCCEEDED')).toHaveLength(7);
    expect(queue.messages.map((m) => m.attributes['sagebatch.errorCode'])).toEqual(['MODEL_ERROR']);
  });
});

describe('a misconfigured endpoint (ValidationError: endpoint not found)', () => {
  it('opens the circuit: a few calls at most, no FAILED row, no DLQ message, every record redelivered', async () => {
    setup({ model: { refuse: notFound } });
    const records = requests(100);
    const response = await buildHandler(testConfig({ MODEL_BATCH_MAX_ITEMS: '10' }))(
      sqsEvent(records),
      lambdaContext(),
    );
    expect(failedIds(response)).toEqual(records.map((r) => r.messageId));
    expect(model.calls.length).toBeLessThanOrEqual(4); // the calls already in flight (parallelism 4)
    expect(new Set(statuses())).toEqual(new Set(['RETRYING']));
    expect(table.rows.get('r-0')).toMatchObject({
      error: { code: 'ENDPOINT_MISCONFIGURED', message: expect.stringContaining('not found') },
    });
    expect(queue.messages).toEqual([]);
  });

  it('never drains the backlog into the DLQ: on the last delivery each request goes back to the queue', async () => {
    setup({ model: { refuse: notFound } });
    const idless = sqsRecord({ input: 'no id' }, { receiveCount: 5 });
    const records = [...requests(3, 5), idless];
    const response = await buildHandler()(sqsEvent(records), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(queue.messages).toEqual([]);
    expect(queue.requeued.map((m) => m.body)).toEqual(records.map((r) => r.body));
    // A body without an id keeps the id its row was filed under.
    expect(queue.requeued[3]!.attributes['sagebatch.requestId']).toBe(idless.messageId);
    expect(queue.requeued[0]!.delaySeconds).toBeGreaterThan(0);
  });

  it('serves a requeued copy under its original id', async () => {
    setup();
    const copy = sqsRecord({ input: 7 });
    copy.messageAttributes = {
      'sagebatch.requestId': { stringValue: 'original-message-id', dataType: 'String' },
      'sagebatch.enqueuedAt': { stringValue: '1700000000000', dataType: 'Number' },
    };
    await buildHandler()(sqsEvent([copy]), lambdaContext());
    expect(table.rows.get('original-message-id')).toMatchObject({
      status: 'SUCCEEDED',
      enqueuedAt: 1_700_000_000_000,
    });
  });
});

describe('the save phase', () => {
  it('never sends a DLQ message for an id whose row is already SUCCEEDED', async () => {
    setup();
    table.rows.set('done', { id: 'done', status: 'SUCCEEDED', output: '"first"' });
    const response = await buildHandler()(
      sqsEvent([sqsRecord({ id: 'done', inputs: 'typo' })]),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(table.rows.get('done')).toMatchObject({ status: 'SUCCEEDED', output: '"first"' });
    expect(queue.messages).toEqual([]);
  });

  it('hides records left for redelivery for a backoff by receive count, not a whole visibility timeout', async () => {
    setup({ model: { unavailableCalls: () => true } });
    const records = [
      sqsRecord({ id: 'a', input: 1 }, { receiveCount: 1 }),
      sqsRecord({ id: 'b', input: 2 }, { receiveCount: 3 }),
    ];
    await buildHandler()(sqsEvent(records), lambdaContext(1_200));
    expect(queue.visibility).toEqual([
      { receiptHandle: records[0]!.receiptHandle, seconds: 5 },
      { receiptHandle: records[1]!.receiptHandle, seconds: 20 },
    ]);
  });

  it('stops writing when time runs out: what is durable is acknowledged, the rest redelivered, nothing thrown', async () => {
    setup();
    // BatchWriteItem never answers (a throttled table past every retry).
    table.mock.on(BatchWriteCommand).callsFake(() => new Promise(() => undefined));
    const records = [sqsRecord('not json'), ...requests(3)];
    const response = await buildHandler()(sqsEvent(records), lambdaContext(1_700));
    expect(failedIds(response)).toEqual(records.slice(1).map((r) => r.messageId));
    expect(queue.messages.map((m) => m.body)).toEqual(['not json']);
  });
});

describe('first success wins', () => {
  it('survives a pre-check it cannot read: no batch failure, and an existing success is not overwritten', async () => {
    setup();
    table.rows.set('done', { id: 'done', status: 'SUCCEEDED', output: '"first"' });
    table.mock.on(BatchGetCommand).rejects(
      Object.assign(new Error('Throughput exceeded'), {
        name: 'ProvisionedThroughputExceededException',
      }),
    );
    const response = await buildHandler()(
      sqsEvent([sqsRecord({ id: 'done', input: 'again' }), sqsRecord({ id: 'fresh', input: 1 })]),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(table.rows.get('done')?.output).toBe('"first"');
    expect(decodeOutput(table.rows.get('fresh')!)).toEqual(modelOutput(1));
  });
});

describe('an id repeated in one delivery', () => {
  it('is decided once: the valid record is computed, the invalid copy shares its fate (no DLQ message)', async () => {
    setup();
    const response = await buildHandler()(
      sqsEvent([sqsRecord({ id: 'x', inputs: 'typo' }), sqsRecord({ id: 'x', input: 5 })]),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(table.rows.get('x')).toMatchObject({ status: 'SUCCEEDED' });
    expect(queue.messages).toEqual([]);
  });

  it('with different inputs, computes only the first valid one', async () => {
    setup();
    await buildHandler()(
      sqsEvent([sqsRecord({ id: 'y', input: 1 }), sqsRecord({ id: 'y', input: 2 })]),
      lambdaContext(),
    );
    expect(model.calls.flat()).toEqual([1]);
    expect(decodeOutput(table.rows.get('y')!)).toEqual(modelOutput(1));
  });
});

describe('deadlines', () => {
  it('a request whose deadline passes while the endpoint is unavailable ends EXPIRED, not RETRYING', async () => {
    setup({ model: { unavailableCalls: () => true } });
    const clock = virtualClock(Date.now());
    const config = testConfig({ RETRY_BASE_MS: '100', RETRY_MAX_MS: '1000' });
    const deps = buildDependencies(config, { clock });
    const records = [sqsRecord({ id: 'soon', input: 1, deadline: clock.now() + 2_000 })];
    const response = await createHandler(() => deps)(sqsEvent(records), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(table.rows.get('soon')).toMatchObject({ status: 'FAILED', error: { code: 'EXPIRED' } });
    expect(queue.messages.map((m) => m.attributes['sagebatch.errorCode'])).toEqual(['EXPIRED']);
  });
});

describe('the input reaches the model exactly as sent', () => {
  it('keeps numbers beyond double precision and answers them exactly', async () => {
    setup();
    model.mock.callsFake((input) => ({
      // An echo model that answers with the very text it received.
      Body: new TextEncoder().encode(
        String(input.Body).replace('{"instances":', '{"predictions":'),
      ),
    }));
    const body = '{"id":"big","input":[1e400,12345678901234567890,0.10000000000000000001]}';
    await buildHandler()(sqsEvent([sqsRecord(body)]), lambdaContext());
    expect(model.mock.calls()[0]!.args[0].input.Body).toBe(
      '{"instances":[[1e400,12345678901234567890,0.10000000000000000001]]}',
    );
    expect(decodeOutputText(table.rows.get('big')!)).toBe(
      '[1e400,12345678901234567890,0.10000000000000000001]',
    );
  });

  it('serves a body nested 100,000 levels deep like any other, and its neighbours too', async () => {
    setup();
    model.mock.callsFake((input) => ({
      Body: new TextEncoder().encode(
        String(input.Body).replace('{"instances":', '{"predictions":'),
      ),
    }));
    const nested = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const response = await buildHandler(testConfig({ MAX_INPUT_BYTES: '300000' }))(
      sqsEvent([sqsRecord(`{"id":"deep","input":${nested}}`), sqsRecord({ id: 'next', input: 1 })]),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    // 200,000 brackets gzip to a few hundred bytes: the default (lossless, which cannot pack
    // them: too deep for a numeric array) stores them so, as compressed does.
    expect(table.rows.get('deep')).toMatchObject({
      status: 'SUCCEEDED',
      outputEncoding: 'json-gzip',
    });
    expect(decodeOutputText(table.rows.get('deep')!)).toBe(nested);
    expect(table.rows.get('next')).toMatchObject({ status: 'SUCCEEDED', output: '1' });
  });
});

describe('causes are never silent', () => {
  it('counts only model calls really sent, and one metric per error kind', async () => {
    setup({ model: { refuse: notFound } });
    const deps = buildDependencies(testConfig({ MODEL_PARALLELISM: '1' }));
    const added: [string, number][] = [];
    const real = deps.metrics.addMetric.bind(deps.metrics);
    deps.metrics.addMetric = (name, unit, value) => {
      added.push([name, value]);
      return real(name, unit, value);
    };
    await createHandler(() => deps)(sqsEvent(requests(40)), lambdaContext());
    const sum = (name: string) => added.filter(([n]) => n === name).reduce((a, [, v]) => a + v, 0);
    expect(sum('ModelInvocations')).toBe(1);
    expect(sum('SystemicErrors')).toBe(1);
    expect(sum('ModelErrors')).toBe(1);
    expect(added.some(([n]) => n === 'ItemsPerInvocation')).toBe(false);
  });

  it('keeps Node from warning about abort listeners, however many writes are in flight', async () => {
    setup();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      // 40 FAILED rows: 25 conditional writes in flight, each listening to the save signal.
      const records = Array.from({ length: 40 }, (_, i) =>
        sqsRecord({ id: `bad-${i}`, inputs: i }),
      );
      await buildHandler()(sqsEvent(records), lambdaContext());
      await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      process.off('warning', onWarning);
    }
    expect(table.rows.size).toBe(40);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('fails loudly on an event that is not from SQS instead of answering an empty success', async () => {
    setup();
    const run = buildHandler()(
      { source: 'aws.events', detail: {} } as unknown as SQSEvent,
      lambdaContext(),
    );
    await expect(run).rejects.toThrow(/expects an SQS event/);
  });

  it('reports every record failed, naming nothing it cannot, when a setting is invalid', async () => {
    setup();
    const saved = process.env.RESULTS_TABLE_NAME;
    delete process.env.RESULTS_TABLE_NAME;
    try {
      const records = requests(3);
      const response = await entryPoint(sqsEvent(records), lambdaContext());
      expect(failedIds(response)).toEqual(records.map((r) => r.messageId));
      expect(model.calls).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.RESULTS_TABLE_NAME = saved;
    }
  });
});
