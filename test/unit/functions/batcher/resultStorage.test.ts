import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../../../functions/batcher/handler.js';
import { SagebatchClient } from '../../../../lib/client/SagebatchClient.js';
import { itemSizeBytes } from '../../../../lib/contract/itemSize.js';
import { parseOutputLocation } from '../../../../lib/contract/outputLocation.js';
import { type ResultEncoding, resultEncodings } from '../../../../lib/contract/resultEncoding.js';
import {
  buildDependencies,
  lambdaContext,
  offline,
  queueUrl,
  sqsEvent,
  sqsRecord,
  tableName,
  testConfig,
} from '../../../helpers/factories.js';
import { fakeBucket, fakeModel, fakeQueue, fakeTable } from '../../../helpers/fakes.js';

let model: ReturnType<typeof fakeModel>;
let table: ReturnType<typeof fakeTable>;
let dlq: ReturnType<typeof fakeQueue>;
let bucket: ReturnType<typeof fakeBucket>;

/** A model that answers each item with the item itself, so tests know every output exactly. */
function setup(options: { bucket?: Parameters<typeof fakeBucket>[0] } = {}) {
  model = fakeModel();
  model.mock.callsFake((input) => ({
    Body: new TextEncoder().encode(String(input.Body).replace('{"instances":', '{"predictions":')),
  }));
  table = fakeTable();
  dlq = fakeQueue();
  bucket = fakeBucket(options.bucket);
}

afterEach(() => {
  model.mock.restore();
  table.mock.restore();
  dlq.mock.restore();
  bucket.mock.restore();
});

const resultsBucket = 'sagebatch-results-test';

/** Reads results as users do: SagebatchClient over the same (mocked) table and bucket. */
const reader = () =>
  new SagebatchClient({
    sqs: new SQSClient(offline),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(offline)),
    queueUrl,
    tableName,
    s3: new S3Client(offline),
    resultsBucket,
  });

/** A 384-float embedding whose values are float32, as a float32 model writes them. */
const embedding = Array.from({ length: 384 }, (_, i) => Math.fround(Math.sin(i + 1) / 7));
/** Random text: gzip cannot shrink it much, so its size is what it is. */
const incompressible = (bytes: number) =>
  randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64');

async function run(
  environment: Record<string, string>,
  inputs: Record<string, unknown>,
  options: { onMetric?: (name: string, value: number) => void } = {},
) {
  const deps = buildDependencies(testConfig({ MAX_INPUT_BYTES: '1000000', ...environment }));
  if (options.onMetric) {
    const real = deps.metrics.addMetric.bind(deps.metrics);
    deps.metrics.addMetric = (name, unit, value) => {
      options.onMetric!(name, value);
      return real(name, unit, value);
    };
  }
  const records = Object.entries(inputs).map(([id, input]) => sqsRecord({ id, input }));
  return createHandler(() => deps)(sqsEvent(records), lambdaContext());
}

describe('result encodings, written by the batcher and read by the client', () => {
  it.each(resultEncodings)(
    '%s: every output reads back as the model wrote it',
    async (encoding) => {
      setup();
      const inputs = { vector: embedding, object: { label: 'positive', score: 0.25 }, small: 1 };
      const response = await run({ RESULT_ENCODING: encoding }, inputs);
      expect(response.batchItemFailures).toEqual([]);
      const stored: Record<ResultEncoding, string | undefined> = {
        json: undefined,
        compressed: 'json-gzip',
        lossless: 'f32le',
        float32: 'f32le',
        float16: 'f16le',
        int8: 'i8',
      };
      expect(table.rows.get('vector')?.outputEncoding).toBe(stored[encoding]);
      // What is not an array of numbers, or is too small to gain, stays JSON text.
      expect(table.rows.get('small')).toMatchObject({ output: '1' });
      expect(table.rows.get('small')?.outputEncoding).toBeUndefined();
      const results = await reader().getResults(Object.keys(inputs));
      expect(results.get('object')?.output).toEqual(inputs.object);
      expect(results.get('small')?.output).toBe(1);
      const vector = results.get('vector')?.output as number[];
      expect(vector).toHaveLength(384);
      if (['json', 'compressed', 'lossless', 'float32'].includes(encoding)) {
        // Exact: the same doubles, bit for bit.
        expect(vector.every((v, i) => Object.is(v, embedding[i]))).toBe(true);
      } else {
        const max = Math.max(...embedding.map(Math.abs));
        const bound = encoding === 'float16' ? max * 2 ** -11 : max / 254;
        for (const [i, v] of vector.entries())
          expect(Math.abs(v - embedding[i]!)).toBeLessThanOrEqual(bound);
      }
    },
  );

  it('writes binary encodings as Binary attributes the row is sized by', async () => {
    setup();
    await run({ RESULT_ENCODING: 'float32' }, { vector: embedding });
    const row = table.rows.get('vector')!;
    expect(row.output).toBeInstanceOf(Uint8Array);
    expect((row.output as Uint8Array).byteLength).toBe(384 * 4);
    expect(itemSizeBytes(row)).toBeLessThan(2_048);
  });
});

describe('outputs too large for a row', () => {
  it('go to the results bucket above RESULT_OFFLOAD_BYTES: object first, row pointing at it', async () => {
    setup();
    const response = await run(
      {
        RESULT_ENCODING: 'float32',
        RESULTS_BUCKET_NAME: resultsBucket,
        RESULT_OFFLOAD_BYTES: '1024',
      },
      { 'emb.1:a': embedding, small: 2 },
    );
    expect(response.batchItemFailures).toEqual([]);
    const row = table.rows.get('emb.1:a')!;
    expect(row).toMatchObject({ status: 'SUCCEEDED', outputEncoding: 'f32le' });
    expect(row.output).toBeUndefined();
    const location = parseOutputLocation(row.outputLocation);
    expect(location.bucket).toBe(resultsBucket);
    // The id's `.` and `:` are escaped: no dot segment, nothing a URL would reinterpret.
    expect(location.key).toMatch(/^results\/emb%2E1%3Aa\/[A-Za-z0-9_%-]+$/);
    expect(bucket.objects.get(`${resultsBucket}/${location.key}`)?.byteLength).toBe(384 * 4);
    expect(bucket.puts[0]!.ContentEncoding).toBeUndefined();
    expect(table.rows.get('small')).toMatchObject({ output: '2' });
    const results = await reader().getResults(['emb.1:a', 'small']);
    const vector = results.get('emb.1:a')?.output as number[];
    expect(vector.every((v, i) => Object.is(v, embedding[i]))).toBe(true);
    expect(results.get('emb.1:a')?.outputLocation).toBe(row.outputLocation);
  });

  it('go to the bucket whenever the row would pass 400 KB, whatever the threshold', async () => {
    setup();
    const text = incompressible(600_000);
    const response = await run(
      { RESULTS_BUCKET_NAME: resultsBucket, RESULT_OFFLOAD_BYTES: '307200' },
      { huge: text },
    );
    expect(response.batchItemFailures).toEqual([]);
    const row = table.rows.get('huge')!;
    expect(row.status).toBe('SUCCEEDED');
    expect(row.outputLocation).toMatch(/^s3:\/\/sagebatch-results-test\/results\/huge\//);
    expect(itemSizeBytes(row)).toBeLessThan(1_024);
    const results = await reader().getResults(['huge']);
    expect(results.get('huge')?.output).toBe(text);
    expect(dlq.messages).toEqual([]);
  });

  it('fail OUTPUT_TOO_LARGE (FAILED row + DLQ message) when the pipeline has no bucket', async () => {
    setup();
    const response = await run({}, { huge: incompressible(600_000) });
    expect(response.batchItemFailures).toEqual([]);
    expect(table.rows.get('huge')).toMatchObject({
      status: 'FAILED',
      error: { code: 'OUTPUT_TOO_LARGE', message: expect.stringContaining('no results bucket') },
    });
    expect(dlq.messages).toHaveLength(1);
    expect(bucket.puts).toEqual([]);
  });

  it('leave their record for another delivery, and write no row, when the object cannot be stored', async () => {
    setup({ bucket: { failPut: () => true } });
    const records = [
      sqsRecord({ id: 'big', input: embedding }),
      sqsRecord({ id: 'small', input: 3 }),
    ];
    const deps = buildDependencies(
      testConfig({
        RESULT_ENCODING: 'float32',
        RESULTS_BUCKET_NAME: resultsBucket,
        RESULT_OFFLOAD_BYTES: '1024',
      }),
    );
    const response = await createHandler(() => deps)(sqsEvent(records), lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0]!.messageId }]);
    expect(table.rows.has('big')).toBe(false);
    expect(table.rows.get('small')).toMatchObject({ status: 'SUCCEEDED', output: '3' });
    expect(dlq.messages).toEqual([]);
  });
});

describe('the cost line in the metrics', () => {
  it('reports endpoint time and bytes written per request, and offloaded outputs', async () => {
    setup();
    const added = new Map<string, number>();
    await run(
      {
        RESULT_ENCODING: 'float32',
        RESULTS_BUCKET_NAME: resultsBucket,
        RESULT_OFFLOAD_BYTES: '1024',
      },
      { a: embedding, b: 1, c: 2, d: 3 },
      { onMetric: (name, value) => added.set(name, (added.get(name) ?? 0) + value) },
    );
    const rows = ['a', 'b', 'c', 'd'].map((id) => itemSizeBytes(table.rows.get(id)!));
    const written = rows.reduce((a, b) => a + b, 0) + 384 * 4;
    expect(added.get('BytesWrittenPerRequest')).toBeCloseTo(written / 4, 6);
    expect(added.get('OffloadedOutputs')).toBe(1);
    expect(added.get('EndpointMsPerRequest')).toBeCloseTo(added.get('ModelLatency')! / 4, 6);
  });
});
