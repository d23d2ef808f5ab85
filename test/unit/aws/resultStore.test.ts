import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { HttpResponse } from '@smithy/core/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultStore } from '../../../lib/aws/resultStore.js';
import { storedForm } from '../../../lib/contract/compactRow.js';
import { deadLetterIdOf } from '../../../lib/contract/deadLetterId.js';
import {
  decodeOutput,
  decodeOutputText,
  encodeOutput,
  resultEncodings,
} from '../../../lib/contract/resultEncoding.js';
import type { ResultRow } from '../../../lib/contract/resultRow.js';
import { fastRetry, offline } from '../../helpers/factories.js';
import { fakeTable } from '../../helpers/fakes.js';

const store = () =>
  new ResultStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient(offline)),
    tableName: 't',
    retry: fastRetry,
    now: () => 0, // the rows below expire at second 3
  });

const row = (id: string, status: ResultRow['status']): ResultRow & Record<string, unknown> => ({
  id,
  status,
  attempts: 1,
  messageId: `m-${id}`,
  invocationId: 'inv-1',
  enqueuedAt: 1,
  completedAt: 2,
  expiresAt: 3,
  ...(status === 'SUCCEEDED'
    ? { output: '"ok"' }
    : { error: { code: 'EXPIRED', message: 'late' } }),
});

describe('ResultStore', () => {
  let table: ReturnType<typeof fakeTable>;
  afterEach(() => table.mock.restore());

  it('finds SUCCEEDED ids in chunks of 100 and ignores other statuses', async () => {
    table = fakeTable();
    for (let i = 0; i < 250; i++)
      table.rows.set(`id-${i}`, row(`id-${i}`, i % 2 === 0 ? 'SUCCEEDED' : 'RETRYING'));
    const ids = Array.from({ length: 260 }, (_, i) => `id-${i}`);
    const { succeeded, unread } = await store().findSucceeded([...ids, 'id-0']);
    expect(succeeded.size).toBe(125);
    expect(unread.size).toBe(0);
    expect(table.batchGets()).toBe(3);
    const request = table.mock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems!.t!;
    expect(request.ProjectionExpression).toBe('#a0,#a1,#a2');
  });

  it('counts a SUCCEEDED row past its expiresAt as no row (TTL deletes it days later)', async () => {
    table = fakeTable();
    table.rows.set('old', row('old', 'SUCCEEDED')); // expires at second 3
    table.rows.set('live', { ...row('live', 'SUCCEEDED'), expiresAt: 10 });
    const at = (seconds: number) =>
      new ResultStore({
        client: DynamoDBDocumentClient.from(new DynamoDBClient(offline)),
        tableName: 't',
        retry: fastRetry,
        now: () => seconds * 1_000,
      });
    const { succeeded } = await at(5).findSucceeded(['old', 'live']);
    expect([...succeeded]).toEqual(['live']);
    // Nor does it block a FAILED row: the request would otherwise end with no row at all.
    const outcomes = await at(5).write([row('old', 'FAILED'), row('live', 'FAILED')]);
    expect(Object.fromEntries(outcomes)).toEqual({ old: 'written', live: 'kept' });
    expect(table.rows.get('old')?.status).toBe('FAILED');
  });

  it('reads with strongly consistent reads, so a success written a moment ago is seen', async () => {
    table = fakeTable();
    await store().findSucceeded(['a']);
    const request = table.mock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems!.t!;
    expect(request.ConsistentRead).toBe(true);
  });

  it('reports the keys of a BatchGet that keeps failing as unread instead of throwing', async () => {
    table = fakeTable();
    table.mock.on(BatchGetCommand).rejects(
      Object.assign(new Error('Throughput exceeded'), {
        name: 'ProvisionedThroughputExceededException',
      }),
    );
    const errors: unknown[] = [];
    const { succeeded, unread } = await store().findSucceeded(['a', 'b'], {
      onError: (e) => errors.push(e),
    });
    expect(succeeded.size).toBe(0);
    expect([...unread]).toEqual(['a', 'b']);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('writes a success for an id the pre-check could not read conditionally: it never overwrites a success', async () => {
    table = fakeTable();
    table.rows.set('first', { ...row('first', 'SUCCEEDED'), output: '"first"' });
    const outcomes = await store().write(
      [{ ...row('first', 'SUCCEEDED'), output: '"second"' }, row('other', 'SUCCEEDED')],
      { conditional: new Set(['first']) },
    );
    expect(Object.fromEntries(outcomes)).toEqual({
      first: 'already-succeeded',
      other: 'written',
    });
    expect(table.rows.get('first')?.output).toBe('"first"');
  });

  it('issues no request once its signal has aborted, and reports those rows unwritten', async () => {
    table = fakeTable();
    const controller = new AbortController();
    controller.abort();
    const outcomes = await store().write([row('a', 'SUCCEEDED'), row('b', 'FAILED')], {
      signal: controller.signal,
    });
    expect(Object.fromEntries(outcomes)).toEqual({ a: 'error', b: 'error' });
    expect(table.puts() + table.batchWrites()).toBe(0);
  });

  it('retries UnprocessedKeys until every key is read', async () => {
    table = fakeTable({ unprocessedKeysOnce: 7 });
    for (let i = 0; i < 20; i++) table.rows.set(`id-${i}`, row(`id-${i}`, 'SUCCEEDED'));
    const { succeeded } = await store().findSucceeded(
      Array.from({ length: 20 }, (_, i) => `id-${i}`),
    );
    expect(succeeded.size).toBe(20);
    expect(table.batchGets()).toBe(2);
  });

  it('writes FAILED and RETRYING rows with a condition that never overwrites a SUCCEEDED row', async () => {
    table = fakeTable();
    table.rows.set('done', row('done', 'SUCCEEDED'));
    table.rows.set('retrying', row('retrying', 'RETRYING'));
    const outcomes = await store().write([
      row('done', 'FAILED'),
      row('retrying', 'FAILED'),
      row('new', 'RETRYING'),
    ]);
    // `kept`: the caller reads the row to tell a success from its own attempt's FAILED row.
    expect(Object.fromEntries(outcomes)).toEqual({
      done: 'kept',
      retrying: 'written',
      new: 'written',
    });
    expect(table.rows.get('done')?.status).toBe('SUCCEEDED');
    expect(table.rows.get('retrying')?.status).toBe('FAILED');
    expect(table.mock.commandCalls(PutCommand)[0]!.args[0].input).toMatchObject({
      ConditionExpression:
        'attribute_not_exists(#id) OR #expiresAt <= :now OR (#status <> :succeeded AND (attribute_not_exists(#deadLetterId) OR #deadLetterId <> :deadLetterId))',
      ExpressionAttributeValues: { ':succeeded': 'SUCCEEDED', ':now': 0 },
    });
  });

  it('never overwrites the FAILED row of the same attempt, with a FAILED or a RETRYING row', async () => {
    table = fakeTable();
    const failed = { ...row('a', 'FAILED'), deadLetterId: deadLetterIdOf('a', 'm-a') };
    table.rows.set('a', { ...failed, messageId: 'm-a', error: { code: 'MODEL_REJECTED' } });
    const outcomes = await store().write([{ ...row('a', 'RETRYING'), messageId: 'm-a' }]);
    expect(Object.fromEntries(outcomes)).toEqual({ a: 'kept' });
    // Another attempt (a redriven copy: a new message id) replaces it.
    const again = await store().write([
      { ...row('a', 'FAILED'), messageId: 'm-b', deadLetterId: deadLetterIdOf('a', 'm-b') },
    ]);
    expect(Object.fromEntries(again)).toEqual({ a: 'written' });
  });

  it('records a confirmed DLQ message on its FAILED row only while the row is that attempt', async () => {
    table = fakeTable();
    const id = deadLetterIdOf('a', 'm-a');
    table.rows.set('a', { ...row('a', 'FAILED'), deadLetterId: id });
    table.rows.set('b', row('b', 'SUCCEEDED'));
    const marks = await store().markDeadLettered(
      [
        { id: 'a', deadLetterId: id },
        { id: 'b', deadLetterId: deadLetterIdOf('b', 'm-b') },
      ],
      42,
    );
    expect(Object.fromEntries(marks)).toEqual({ a: 'written', b: 'kept' });
    expect(table.rows.get('a')?.deadLetteredAt).toBe(42);
    expect(table.rows.get('b')?.deadLetteredAt).toBeUndefined();
  });

  it('writes SUCCEEDED rows with BatchWriteItem, 25 a call, over earlier RETRYING rows', async () => {
    table = fakeTable();
    table.rows.set('id-3', row('id-3', 'RETRYING'));
    const outcomes = await store().write(
      Array.from({ length: 60 }, (_, i) => row(`id-${i}`, 'SUCCEEDED')),
    );
    expect([...outcomes.values()].every((o) => o === 'written')).toBe(true);
    expect(table.batchWrites()).toBe(3);
    expect(table.puts()).toBe(0);
    expect(table.rows.get('id-3')?.status).toBe('SUCCEEDED');
  });

  it('retries BatchWriteItem UnprocessedItems until every row is written', async () => {
    table = fakeTable({ unprocessedItemsOnce: 10 });
    const outcomes = await store().write(
      Array.from({ length: 25 }, (_, i) => row(`id-${i}`, 'SUCCEEDED')),
    );
    expect([...outcomes.values()].every((o) => o === 'written')).toBe(true);
    expect(table.rows.size).toBe(25);
    expect(table.batchWrites()).toBe(2);
  });

  it('reports SUCCEEDED rows still unprocessed after the retries as errors', async () => {
    table = fakeTable({ failPut: (id) => id === 'id-1' });
    const outcomes = await store().write([row('id-0', 'SUCCEEDED'), row('id-1', 'SUCCEEDED')]);
    expect(Object.fromEntries(outcomes)).toEqual({ 'id-0': 'written', 'id-1': 'error' });
  });

  it('reports a write that still fails as an error instead of throwing', async () => {
    table = fakeTable({ failPut: (id) => id === 'bad' });
    const outcomes = await store().write([row('bad', 'FAILED'), row('good', 'FAILED')]);
    expect(Object.fromEntries(outcomes)).toEqual({ bad: 'error', good: 'written' });
  });
});

describe('ResultStore with encoded outputs, as DynamoDB sees them', () => {
  /**
   * A DynamoDB that answers over the SDK's HTTP handler: the Document Client's marshalling
   * and the JSON wire format run for real, and the item is kept as it travelled.
   */
  function wireTable() {
    const wire: { item?: Record<string, Record<string, unknown>> } = {};
    const requestHandler = {
      handle: async (request: { headers: Record<string, string>; body?: unknown }) => {
        const target = request.headers['x-amz-target'] ?? '';
        const input = JSON.parse(String(request.body)) as {
          RequestItems: Record<
            string,
            { PutRequest: { Item: Record<string, Record<string, unknown>> } }[]
          >;
        };
        let answer: unknown = {};
        if (target.endsWith('.BatchWriteItem')) {
          wire.item = input.RequestItems.t![0]!.PutRequest.Item;
          answer = { UnprocessedItems: {} };
        } else if (target.endsWith('.BatchGetItem')) {
          answer = { Responses: { t: [wire.item] }, UnprocessedKeys: {} };
        }
        return {
          response: new HttpResponse({
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from(JSON.stringify(answer))]),
          }),
        };
      },
    };
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ ...offline, requestHandler }), {
      marshallOptions: { removeUndefinedValues: true },
    });
    return { wire, store: new ResultStore({ client, tableName: 't', retry: fastRetry }) };
  }

  it.each(resultEncodings)(
    '%s: writes the attributes DynamoDB stores and reads them back to the same output',
    async (encoding) => {
      const json = JSON.stringify([
        Array.from({ length: 96 }, (_, i) => Math.fround(Math.cos(i) / 3)),
        Array.from({ length: 96 }, (_, i) => Math.fround(Math.sin(i) / 5)),
      ]);
      const encoded = encodeOutput(json, encoding);
      const { wire, store } = wireTable();
      const outcomes = await store.write([{ ...row('r', 'SUCCEEDED'), ...encoded.attributes }]);
      expect(outcomes.get('r')).toBe('written');
      const item = wire.item!;
      if (encoding === 'json') expect(item.output).toEqual({ S: json });
      else {
        // Binary travels as base64 and is billed (and sized) as its raw bytes.
        const bytes = encoded.attributes.output as Uint8Array;
        expect(item.output).toEqual({ B: Buffer.from(bytes).toString('base64') });
        expect(item.outputEncoding).toEqual({ S: encoded.encoding });
      }
      if (encoded.attributes.outputShape)
        expect(item.outputShape).toEqual({ L: [{ N: '2' }, { N: '96' }] });
      const { rows } = await store.getRows(['r']);
      const back = rows.get('r')!;
      expect(decodeOutput(back)).toEqual(decodeOutput(encoded.attributes));
      if (encoded.exact) expect(decodeOutputText(back)).toBe(json);
    },
  );

  it('writes a compact row as stored and reads it back in the documented form, projections too', async () => {
    const full: ResultRow = {
      ...row('r', 'SUCCEEDED'),
      ...encodeOutput(
        JSON.stringify(Array.from({ length: 200 }, (_, i) => Math.fround(i / 7))),
        'lossless',
      ).attributes,
      modelLatencyMs: 12,
      batchItems: 3,
    };
    const { item } = storedForm(full, 1_030); // a 2-unit row that compacts to 1 unit
    const { wire, store } = wireTable();
    expect((await store.write([item])).get('r')).toBe('written');
    expect(Object.keys(wire.item!).sort()).toEqual(
      ['a', 'b', 'c', 'e', 'expiresAt', 'i', 'id', 'l', 'm', 'o', 'q', 'status', 'v'].sort(),
    );
    const { rows } = await store.getRows(['r']);
    expect(rows.get('r')).toEqual(full);
    expect(decodeOutput(rows.get('r')!)).toEqual(
      Array.from({ length: 200 }, (_, i) => Math.fround(i / 7)),
    );

    const fake = fakeTable();
    await new ResultStore({
      client: DynamoDBDocumentClient.from(new DynamoDBClient(offline)),
      tableName: 't',
    }).getRows(['r'], ['id', 'status', 'attempts']);
    const request = fake.mock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems!.t!;
    fake.mock.restore();
    expect(Object.values(request.ExpressionAttributeNames!)).toEqual([
      'id',
      'status',
      'attempts',
      'a',
      'v',
    ]);
  });
});
