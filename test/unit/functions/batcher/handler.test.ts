import type { SQSBatchResponse } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeOutput } from '../../../../lib/contract/resultEncoding.js';
import {
  buildHandler,
  lambdaContext,
  sqsEvent,
  sqsRecord,
  testConfig,
} from '../../../helpers/factories.js';
import { fakeModel, fakeQueue, fakeTable, modelOutput } from '../../../helpers/fakes.js';

let model: ReturnType<typeof fakeModel>;
let table: ReturnType<typeof fakeTable>;
let dlq: ReturnType<typeof fakeQueue>;

function setup(
  options: {
    model?: Parameters<typeof fakeModel>[0];
    table?: Parameters<typeof fakeTable>[0];
    dlq?: Parameters<typeof fakeQueue>[0];
  } = {},
) {
  model = fakeModel(options.model);
  table = fakeTable(options.table);
  dlq = fakeQueue(options.dlq);
}

afterEach(() => {
  model.mock.restore();
  table.mock.restore();
  dlq.mock.restore();
});

const failedIds = (response: SQSBatchResponse) =>
  response.batchItemFailures.map((f) => f.itemIdentifier);
const requests = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => sqsRecord({ id: `r-${from + i}`, input: from + i }));

describe('batcher handler', () => {
  it('answers every request with fewer model calls than records', async () => {
    // Prepare
    setup();
    const records = requests(100);
    // Act
    const response = await buildHandler()(sqsEvent(records), lambdaContext());
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(model.calls.map((c) => c.length)).toEqual([32, 32, 32, 4]);
    for (let i = 0; i < 100; i++) {
      const row = table.rows.get(`r-${i}`)!;
      expect(row).toMatchObject({ status: 'SUCCEEDED', attempts: 1, batchItems: i < 96 ? 32 : 4 });
      expect(decodeOutput(row)).toEqual(modelOutput(i));
      expect(row.expiresAt).toBeGreaterThan(Date.now() / 1000);
    }
    expect(dlq.messages).toEqual([]);
  });

  it('fails invalid bodies with a FAILED row and a DLQ message, without a model call', async () => {
    setup();
    const bad = [
      sqsRecord('not json'),
      sqsRecord({ id: 'no-input' }),
      sqsRecord({ id: 'x y', input: 1 }),
    ];
    const response = await buildHandler()(sqsEvent(bad), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(model.calls).toEqual([]);
    expect(table.rows.get('no-input')).toMatchObject({
      status: 'FAILED',
      error: { code: 'INVALID_REQUEST', message: 'input is required' },
    });
    expect(table.rows.get(bad[0]!.messageId)).toMatchObject({
      status: 'FAILED',
      error: { code: 'INVALID_REQUEST' },
    });
    expect(dlq.messages.map((m) => m.body)).toEqual(bad.map((r) => r.body));
    expect(dlq.messages[2]!.attributes).toMatchObject({
      'sagebatch.errorCode': 'INVALID_REQUEST',
      'sagebatch.requestId': bad[2]!.messageId,
      'sagebatch.sourceMessageId': bad[2]!.messageId,
      'sagebatch.attempts': '1',
    });
  });

  it('fails a request past its deadline as EXPIRED and still serves the others', async () => {
    setup();
    const records = [
      sqsRecord({ id: 'late', input: 1, deadline: Date.now() - 1 }),
      sqsRecord({ id: 'fine', input: 2 }),
    ];
    const response = await buildHandler()(sqsEvent(records), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(model.calls).toEqual([[2]]);
    expect(table.rows.get('late')).toMatchObject({ status: 'FAILED', error: { code: 'EXPIRED' } });
    expect(dlq.messages[0]!.attributes['sagebatch.errorCode']).toBe('EXPIRED');
  });

  it('retries an unavailable endpoint within the invocation and then succeeds', async () => {
    setup({ model: { unavailableCalls: (n) => n === 1 } });
    const response = await buildHandler()(sqsEvent(requests(5)), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(model.calls).toHaveLength(2);
    expect([...table.rows.values()].every((row) => row.status === 'SUCCEEDED')).toBe(true);
  });

  it('reports unavailable-endpoint failures past the time budget in batchItemFailures with RETRYING rows', async () => {
    setup({ model: { unavailableCalls: () => true } });
    const records = requests(3);
    const response = await buildHandler()(sqsEvent(records), lambdaContext(1_050));
    expect(failedIds(response)).toEqual(records.map((r) => r.messageId));
    expect(table.rows.get('r-0')).toMatchObject({
      status: 'RETRYING',
      attempts: 1,
      error: { code: 'MODEL_UNAVAILABLE' },
    });
    expect(dlq.messages).toEqual([]);
  });

  it('holds unavailable-endpoint failures on the last delivery: requeued RETRYING, never FAILED, acknowledged', async () => {
    setup({ model: { unavailableCalls: () => true } });
    const last = sqsRecord({ id: 'last', input: 1 }, { receiveCount: 5 });
    const earlier = sqsRecord({ id: 'earlier', input: 2 }, { receiveCount: 4 });
    const response = await buildHandler()(sqsEvent([last, earlier]), lambdaContext(1_050));
    expect(failedIds(response)).toEqual([earlier.messageId]);
    expect(table.rows.get('last')).toMatchObject({
      status: 'RETRYING',
      attempts: 5,
      error: { code: 'MODEL_UNAVAILABLE' },
    });
    expect(dlq.requeued.map((m) => m.attributes['sagebatch.requestId'])).toEqual(['last']);
    expect(dlq.messages).toEqual([]);
  });

  it('isolates one poison item among 100 with at most 2*ceil(log2 100)+1 extra calls', async () => {
    setup({ model: { poison: (input) => input === 64 } });
    const response = await buildHandler(testConfig({ MODEL_BATCH_MAX_ITEMS: '100' }))(
      sqsEvent(requests(100)),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(model.calls.length - 1).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(100)) + 1);
    expect(table.rows.get('r-64')).toMatchObject({
      status: 'FAILED',
      error: { code: 'MODEL_REJECTED' },
    });
    expect([...table.rows.values()].filter((row) => row.status === 'SUCCEEDED')).toHaveLength(99);
    expect(dlq.messages.map((m) => m.attributes['sagebatch.requestId'])).toEqual(['r-64']);
  });

  it('bisects a response with the wrong item count down to MODEL_BAD_RESPONSE', async () => {
    setup({ model: { shortAnswer: (input) => input === 3 } });
    const response = await buildHandler()(sqsEvent(requests(8)), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(table.rows.get('r-3')).toMatchObject({
      status: 'FAILED',
      error: { code: 'MODEL_BAD_RESPONSE' },
    });
    expect([...table.rows.values()].filter((row) => row.status === 'SUCCEEDED')).toHaveLength(7);
  });

  it('retries DynamoDB UnprocessedKeys so duplicates are still found', async () => {
    setup({ table: { unprocessedKeysOnce: 3 } });
    for (let i = 0; i < 5; i++)
      table.rows.set(`r-${i}`, { id: `r-${i}`, status: 'SUCCEEDED', output: '1' });
    const response = await buildHandler()(sqsEvent(requests(5)), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(table.batchGets()).toBe(2);
    expect(model.calls).toEqual([]);
  });

  it('retries DynamoDB UnprocessedItems of the result writes', async () => {
    setup({ table: { unprocessedItemsOnce: 5 } });
    const response = await buildHandler()(sqsEvent(requests(30)), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(table.rows.size).toBe(30);
    expect(table.batchWrites()).toBeGreaterThan(2); // 2 chunks of 25 + 5, plus the retries
  });

  it('never acknowledges a record whose row could not be written', async () => {
    setup({ table: { failPut: (id) => id === 'r-1' } });
    const records = requests(3);
    const response = await buildHandler()(sqsEvent(records), lambdaContext());
    expect(failedIds(response)).toEqual([records[1]!.messageId]);
    expect(table.rows.has('r-1')).toBe(false);
  });

  it('retries DLQ entries SQS failed, and reports the ones that keep failing', async () => {
    setup({
      dlq: {
        failTimes: (body) => (body.includes('keeps-failing') ? 99 : body.includes('flaky') ? 2 : 0),
      },
    });
    const flaky = sqsRecord('{"id":"flaky","oops":1}');
    const stuck = sqsRecord('{"id":"keeps-failing"}');
    const response = await buildHandler()(sqsEvent([flaky, stuck]), lambdaContext());
    expect(failedIds(response)).toEqual([stuck.messageId]);
    expect(dlq.messages.map((m) => m.body)).toEqual([flaky.body]);
    expect(dlq.batches()).toBeGreaterThanOrEqual(3);
  });

  it('acknowledges a duplicate of a SUCCEEDED id without a model call or a write', async () => {
    setup();
    table.rows.set('done', { id: 'done', status: 'SUCCEEDED', output: '"first"' });
    const response = await buildHandler()(
      sqsEvent([sqsRecord({ id: 'done', input: 'again' })]),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(model.calls).toEqual([]);
    expect(table.puts()).toBe(0);
    expect(table.rows.get('done')?.output).toBe('"first"');
  });

  it('computes an id delivered twice in one batch once', async () => {
    setup();
    const response = await buildHandler()(
      sqsEvent([sqsRecord({ id: 'twice', input: 7 }), sqsRecord({ id: 'twice', input: 7 })]),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(model.items()).toBe(1);
    expect(table.batchWrites()).toBe(1);
    expect(table.rows.size).toBe(1);
  });

  it('fails an input larger than one model call as INVALID_REQUEST', async () => {
    setup();
    const config = testConfig({ MODEL_BATCH_MAX_BYTES: '2000', MAX_INPUT_BYTES: '2000' });
    const response = await buildHandler(config)(
      sqsEvent([sqsRecord({ id: 'wide', input: 'x'.repeat(1_990) })]),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(model.calls).toEqual([]);
    expect(table.rows.get('wide')).toMatchObject({
      status: 'FAILED',
      error: { code: 'INVALID_REQUEST' },
    });
  });

  it('reports every record failed, instead of throwing, when something unexpected escapes', async () => {
    setup();
    table.mock.rejects(new Error('DynamoDB is down'));
    const records = requests(4);
    const response = await buildHandler()(sqsEvent(records), lambdaContext());
    expect(failedIds(response)).toEqual(records.map((r) => r.messageId));
  });
});
