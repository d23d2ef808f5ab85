import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResultRow } from '../../lib/contract/compactRow.js';
import { itemSizeBytes, writeUnits } from '../../lib/contract/itemSize.js';
import { parseOutputLocation } from '../../lib/contract/outputLocation.js';
import { localClientConfig } from '../../lib/dev/localAws.js';
import { type LocalStack, startLocalStack } from './localStack.js';

/**
 * Result encodings and the S3 offload end to end: the deployed function writes the rows
 * (and objects), the client and the CLI (as a process) read them back, through AWS APIs
 * only. The endpoint emulator's `echo` model answers each item with the item itself, so
 * every expected output is the input sent.
 */
const run = Date.now().toString(36);
let stack: LocalStack;
const execute = promisify(execFile);

beforeAll(async () => {
  stack = await startLocalStack(`SagebatchEnc${run}`, undefined, { model: 'echo' });
}, 600_000);

afterAll(async () => {
  await stack?.teardown();
}, 300_000);

/** `length` float32 values (as a float32 model writes them), different for each `seed`. */
const vector = (seed: number, length: number) =>
  Array.from({ length }, (_, i) => Math.fround(Math.sin(seed * 1_000 + i + 1) / 3));
/** Random text gzip cannot shrink much: it keeps its size whatever the encoding. */
const incompressible = (bytes: number) =>
  randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64');

const sameBits = (a: unknown, b: readonly number[]) =>
  Array.isArray(a) && a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** The stored row, read with DynamoDB's own API. */
async function row(id: string) {
  const { Item } = await stack.dynamo.send(
    new GetCommand({ TableName: stack.outputs.tableName, Key: { id }, ConsistentRead: true }),
  );
  return Item as Record<string, unknown>;
}

/** `sagebatch results --format jsonl` as a user runs it; the outputs by id. */
async function cliResults(ids: string[]): Promise<Map<string, unknown>> {
  const file = join(mkdtempSync(join(tmpdir(), 'sagebatch-ids-')), 'ids.txt');
  writeFileSync(file, `${ids.join('\n')}\n`);
  const { stdout } = await execute(
    process.execPath,
    ['bin/sagebatch.mjs', 'results', '--stack', `SagebatchEnc${run}`, '--format', 'jsonl', file],
    { env: { ...process.env, ...localAwsVariables() }, maxBuffer: 64 * 1024 * 1024 },
  );
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return new Map(lines.map((line) => [String(line.id), line.output]));
}

function localAwsVariables(): Record<string, string> {
  const config = localClientConfig();
  return {
    AWS_ENDPOINT_URL: config.endpoint ?? '',
    AWS_REGION: config.region ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
  };
}

async function sendAndWait(inputs: Map<string, unknown>) {
  const ids = await stack.client.submit([...inputs].map(([id, input]) => ({ id, input })));
  const { results, pending } = await stack.client.waitForResults(ids, {
    timeoutMs: 120_000,
    intervalMs: 500,
  });
  expect(pending).toEqual([]);
  return { ids, results };
}

describe('result encodings through the deployed stack', () => {
  it('lossless (the default): float32 outputs packed, compact rows where they save a unit, text gzip, a large output in S3; client and CLI read all exactly', async () => {
    const inputs = new Map<string, unknown>([
      ...[0, 1, 2].map((i): [string, unknown] => [`ll-${run}-${i}`, vector(i, 384)]),
      // Classifier-sized score vectors around the 1 KB line: those whose documented row
      // is just over one write unit are stored compact (lib/contract/compactRow.ts).
      ...Array.from({ length: 24 }, (_, k): [string, unknown] => [
        `ll-${run}-cls-${180 + k}`,
        vector(100 + k, 180 + k),
      ]),
      [`ll-${run}-object`, { label: 'positive', score: 0.25, note: 'héllo ✓' }],
      // About 120 KB of JSON, about 90 KB gzipped: above the 64 KiB default threshold.
      [`ll-${run}.big:1`, incompressible(120_000)],
    ]);
    const { ids, results } = await sendAndWait(inputs);
    for (const id of ids) expect(results.get(id)?.status, id).toBe('SUCCEEDED');

    const embedding = await row(`ll-${run}-0`);
    expect(embedding.outputEncoding).toBe('f32le');
    expect((embedding.output as Uint8Array).byteLength).toBe(384 * 4);
    let compact = 0;
    for (let k = 0; k < 24; k++) {
      const item = await row(`ll-${run}-cls-${180 + k}`);
      const documented = readResultRow(item);
      expect(documented.outputEncoding).toBe('f32le');
      const size = itemSizeBytes(item);
      if (item.v === 2) {
        compact++;
        // Compact only where it saves a whole write unit.
        expect(writeUnits(size)).toBe(1);
        expect(writeUnits(itemSizeBytes(documented as unknown as Record<string, unknown>))).toBe(2);
      } else expect(item.outputEncoding).toBe('f32le');
    }
    expect(compact).toBeGreaterThan(0);
    expect(compact).toBeLessThan(24);
    const object = await row(`ll-${run}-object`);
    expect(object.output).toBe(JSON.stringify(inputs.get(`ll-${run}-object`)));
    const big = await row(`ll-${run}.big:1`);
    expect(big.output).toBeUndefined();
    expect(big.outputEncoding).toBe('json-gzip');
    const location = parseOutputLocation(big.outputLocation);
    expect(location.bucket).toBe(stack.outputs.resultsBucket);
    const head = await stack.s3.send(
      new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }),
    );
    expect(head.ContentLength).toBeGreaterThan(65_536);
    expect(head.ContentLength).toBeLessThan(120_000);

    const cli = await cliResults(ids);
    for (const [id, input] of inputs) {
      const fromClient = results.get(id)?.output;
      const fromCli = cli.get(id);
      if (Array.isArray(input)) {
        expect(sameBits(fromClient, input), `${id} (client)`).toBe(true);
        expect(sameBits(fromCli, input), `${id} (CLI)`).toBe(true);
      } else {
        expect(fromClient, `${id} (client)`).toEqual(input);
        expect(fromCli, `${id} (CLI)`).toEqual(input);
      }
    }
  }, 300_000);

  it('float32: packed rows and packed objects, bit-identical to the model output for client and CLI', async () => {
    const lambda = new LambdaClient(localClientConfig());
    const FunctionName = stack.outputs.functionName;
    const { Environment } = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName }),
    );
    const deployed = Environment?.Variables ?? {};
    const update = async (Variables: Record<string, string>) => {
      await lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName, Environment: { Variables } }),
      );
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60 }, { FunctionName });
    };
    // 128 floats pack to 512 bytes (kept in the row), 384 to 1,536 (past 1 KiB: to S3).
    await update({ ...deployed, RESULT_ENCODING: 'float32', RESULT_OFFLOAD_BYTES: '1024' });
    try {
      const inputs = new Map<string, number[]>([
        ...[0, 1].map((i): [string, number[]] => [`f32-${run}-row-${i}`, vector(10 + i, 128)]),
        ...[0, 1].map((i): [string, number[]] => [`f32-${run}-s3-${i}`, vector(20 + i, 384)]),
      ]);
      const { ids, results } = await sendAndWait(inputs);
      for (const id of ids) expect(results.get(id)?.status, id).toBe('SUCCEEDED');

      const packed = await row(`f32-${run}-row-0`);
      expect(packed.outputEncoding).toBe('f32le');
      expect((packed.output as Uint8Array).byteLength).toBe(128 * 4);
      const offloaded = await row(`f32-${run}-s3-0`);
      expect(offloaded).toMatchObject({ outputEncoding: 'f32le' });
      expect(offloaded.output).toBeUndefined();
      const location = parseOutputLocation(offloaded.outputLocation);
      const head = await stack.s3.send(
        new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }),
      );
      expect(head.ContentLength).toBe(384 * 4);

      const cli = await cliResults(ids);
      for (const [id, input] of inputs) {
        expect(sameBits(results.get(id)?.output, input), `${id} (client)`).toBe(true);
        expect(sameBits(cli.get(id), input), `${id} (CLI)`).toBe(true);
      }
    } finally {
      await update(deployed);
    }
  }, 300_000);
});
