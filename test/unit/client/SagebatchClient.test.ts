import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultDecodeError } from '../../../lib/client/index.js';
import { SagebatchClient, SubmitError } from '../../../lib/client/SagebatchClient.js';
import { parseEnvelope } from '../../../lib/contract/envelope.js';
import { encodeOutput } from '../../../lib/contract/resultEncoding.js';
import { offline, queueUrl, tableName } from '../../helpers/factories.js';
import { fakeBucket, fakeQueue, fakeTable } from '../../helpers/fakes.js';

let queue: ReturnType<typeof fakeQueue>;
let table: ReturnType<typeof fakeTable>;
afterEach(() => {
  queue.mock.restore();
  table.mock.restore();
});

const client = () =>
  new SagebatchClient({
    sqs: new SQSClient(offline),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(offline)),
    queueUrl,
    tableName,
  });

describe('SagebatchClient.submit', () => {
  it('sends 10 entries a call, returns ids in order, and writes bodies the batcher accepts', async () => {
    queue = fakeQueue();
    table = fakeTable();
    const ids = await client().submit([
      { id: 'first', input: { text: 'a' } },
      ...Array.from({ length: 24 }, (_, i) => ({ input: i, deadline: 4_000_000_000_000 })),
    ]);
    expect(ids).toHaveLength(25);
    expect(ids[0]).toBe('first');
    expect(new Set(ids).size).toBe(25);
    expect(queue.batches()).toBe(3);
    for (const message of queue.messages) {
      expect(parseEnvelope(message.body, 'm', { maxInputBytes: 1_000, now: Date.now() }).ok).toBe(
        true,
      );
    }
  });

  it('retries entries SQS failed on its side', async () => {
    queue = fakeQueue({ failTimes: (body) => (body.includes('"flaky"') ? 2 : 0) });
    table = fakeTable();
    await client().submit([{ id: 'flaky', input: 1 }, { input: 2 }]);
    expect(queue.messages.map((m) => JSON.parse(m.body).id)).toContain('flaky');
  });

  it('rejects a bad id or a missing input before sending anything', async () => {
    queue = fakeQueue();
    table = fakeTable();
    await expect(client().submit([{ input: 1 }, { id: 'has space', input: 1 }])).rejects.toThrow(
      /request 1: id "has space"/,
    );
    await expect(client().submit([{ input: undefined }])).rejects.toThrow(SubmitError);
    expect(queue.batches()).toBe(0);
  });

  it('rejects a request larger than an SQS message', async () => {
    queue = fakeQueue();
    table = fakeTable();
    await expect(client().submit([{ id: 'big', input: 'x'.repeat(1_048_576) }])).rejects.toThrow(
      /request big is \d+ bytes/,
    );
  });

  it('names the requests SQS kept refusing', async () => {
    queue = fakeQueue();
    table = fakeTable();
    queue.mock.on(SendMessageBatchCommand).rejects(new Error('AccessDenied'));
    const submit = client().submit([{ id: 'a', input: 1 }]);
    await expect(submit).rejects.toMatchObject({ name: 'SubmitError', failedIds: ['a'] });
  }, 30_000);
});

describe('SagebatchClient results', () => {
  it('reads rows and parses outputs back from JSON text', async () => {
    queue = fakeQueue();
    table = fakeTable();
    table.rows.set('a', { id: 'a', status: 'SUCCEEDED', output: '{"y":[1,2]}' });
    const results = await client().getResults(['a', 'missing']);
    expect(results.get('a')).toMatchObject({ status: 'SUCCEEDED', output: { y: [1, 2] } });
    expect(results.has('missing')).toBe(false);
  });

  it('waits for final rows, ignores RETRYING, reports progress, and stops at the timeout', async () => {
    queue = fakeQueue();
    table = fakeTable();
    table.rows.set('a', { id: 'a', status: 'SUCCEEDED', output: '1' });
    table.rows.set('b', { id: 'b', status: 'RETRYING' });
    const progress: number[] = [];
    setTimeout(
      () =>
        table.rows.set('b', {
          id: 'b',
          status: 'FAILED',
          error: { code: 'EXPIRED', message: 'x' },
        }),
      30,
    );
    const done = await client().waitForResults(['a', 'b'], {
      intervalMs: 10,
      timeoutMs: 5_000,
      onProgress: (p) => progress.push(p.done),
    });
    expect(done.pending).toEqual([]);
    expect(done.results.get('b')?.status).toBe('FAILED');
    expect(progress[0]).toBe(1);
    expect(progress.at(-1)).toBe(2);

    const partial = await client().waitForResults(['a', 'never'], { intervalMs: 5, timeoutMs: 20 });
    expect(partial.pending).toEqual(['never']);
    expect(partial.results.has('a')).toBe(true);
  });
});

describe('SagebatchClient reading encoded and offloaded outputs', () => {
  let bucket: ReturnType<typeof fakeBucket>;
  afterEach(() => bucket.mock.restore());
  const reader = (options: { s3?: boolean; resultsBucket?: string; nowMs?: number } = {}) =>
    new SagebatchClient({
      sqs: new SQSClient(offline),
      dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(offline)),
      queueUrl,
      tableName,
      ...(options.s3 === false ? {} : { s3: new S3Client(offline) }),
      resultsBucket: options.resultsBucket ?? 'b',
      ...(options.nowMs === undefined ? {} : { now: () => options.nowMs! }),
    });
  const vector = Array.from({ length: 64 }, (_, i) => Math.fround(Math.sin(i) / 3));

  function prepare() {
    queue = fakeQueue();
    table = fakeTable();
    bucket = fakeBucket();
    const f32 = encodeOutput(JSON.stringify(vector), 'float32');
    table.rows.set('packed', { id: 'packed', status: 'SUCCEEDED', ...f32.attributes });
    const { output, ...pointer } = f32.attributes;
    bucket.objects.set('b/results/far/inv', output as Uint8Array);
    table.rows.set('far', {
      id: 'far',
      status: 'SUCCEEDED',
      ...pointer,
      outputLocation: 's3://b/results/far/inv',
    });
    bucket.objects.set('b/results/text/inv', new TextEncoder().encode('{"big":true}'));
    table.rows.set('text', {
      id: 'text',
      status: 'SUCCEEDED',
      outputLocation: 's3://b/results/text/inv',
    });
  }

  it('decodes rows and fetches offloaded outputs, whatever their encoding', async () => {
    prepare();
    const results = await reader({ resultsBucket: 'b' }).getResults(['packed', 'far', 'text']);
    expect(results.get('packed')?.output).toEqual(vector);
    expect(results.get('far')?.output).toEqual(vector);
    expect(results.get('far')).toMatchObject({
      outputEncoding: 'f32le',
      outputLocation: 's3://b/results/far/inv',
    });
    expect(results.get('text')?.output).toEqual({ big: true });
  });

  it('refuses an s3 client without the results bucket it may read from', () => {
    expect(
      () =>
        new SagebatchClient({
          sqs: new SQSClient(offline),
          dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(offline)),
          queueUrl,
          tableName,
          s3: new S3Client(offline),
        }),
    ).toThrow(/give resultsBucket/);
  });

  it('reads a row past its expiresAt as no row, without fetching its object', async () => {
    prepare();
    table.rows.set('stale', {
      id: 'stale',
      status: 'SUCCEEDED',
      expiresAt: 100,
      outputLocation: 's3://b/results/stale/gone', // expired by the lifecycle rule
    });
    table.rows.set('fresh', { id: 'fresh', status: 'SUCCEEDED', expiresAt: 200, output: '1' });
    const results = await reader({ nowMs: 150_000 }).getResults(['stale', 'fresh']);
    expect([...results.keys()]).toEqual(['fresh']);
  });

  it.each([
    [
      'no s3 client',
      { s3: false },
      'far',
      /result far: its output is in s3:\/\/b\/results\/far\/inv: give SagebatchClient an s3 client/,
    ],
    [
      'another bucket',
      { resultsBucket: 'mine' },
      'far',
      /result far: its output is in bucket b, not this pipeline's results bucket mine/,
    ],
    [
      'a missing object',
      {},
      'gone',
      /result gone: cannot read its output at s3:\/\/b\/results\/gone\/x \(NoSuchKey/,
    ],
    ['a damaged row', {}, 'bad', /result bad: output \(f32le\) holds 3 bytes/],
    [
      'a location outside results/',
      {},
      'odd',
      /result odd: outputLocation must be s3:\/\/<bucket>\/results\//,
    ],
  ])('says which result it cannot read, and why: %s', async (_, options, id, message) => {
    prepare();
    table.rows.set('gone', {
      id: 'gone',
      status: 'SUCCEEDED',
      outputLocation: 's3://b/results/gone/x',
    });
    table.rows.set('bad', {
      id: 'bad',
      status: 'SUCCEEDED',
      output: new Uint8Array(3),
      outputEncoding: 'f32le',
    });
    table.rows.set('odd', { id: 'odd', status: 'SUCCEEDED', outputLocation: 's3://b/elsewhere/x' });
    const read = reader(options).getResults(['packed', id]);
    await expect(read).rejects.toThrow(ResultDecodeError);
    await expect(reader(options).getResults([id])).rejects.toThrow(message);
  });
});
