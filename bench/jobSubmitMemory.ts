/**
 * `npm run bench:job-memory`: `job submit` streams its file in constant memory.
 *
 * A job file of 1,000,000 small lines goes through the real `SagebatchJobs.submit` (check
 * pass, then send pass with checkpoints) over in-process fakes of SQS and DynamoDB. The heap
 * is measured after a forced GC at every checkpoint; its growth over the run must stay under
 * a bound. Negative control, in the same run: the same submit fed from the file read whole
 * into memory first (what a non-streaming reader does) must break that bound, or the bound
 * proves nothing. Exits 1 when either expectation fails.
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type LineSource, SagebatchJobs } from '../lib/client/index.js';

const lines = Number(process.env.JOB_MEMORY_LINES ?? 1_000_000);
/** Heap growth allowed over the run, MB: a checkpoint window is ~1,000 small messages. */
const boundMb = 16;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/** SQS accepting every entry at once. */
const sqs = {
  send: async (command: { input: { Entries?: { Id?: string }[] } }) => ({
    Successful: (command.input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: 'm' })),
    Failed: [],
  }),
} as unknown as Pick<SQSClient, 'send'>;

/** The job item in a Map: the calls `submit` makes (Get, conditional Put, Update). */
function dynamo(): Pick<DynamoDBDocumentClient, 'send'> {
  const items = new Map<string, Record<string, unknown>>();
  return {
    send: (async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const input = command.input as {
        Key?: { id: string };
        Item?: Record<string, unknown>;
        ExpressionAttributeNames?: Record<string, string>;
        ExpressionAttributeValues?: Record<string, unknown>;
        UpdateExpression?: string;
      };
      switch (command.constructor.name) {
        case 'PutCommand':
          items.set(String(input.Item!.id), { ...input.Item });
          return {};
        case 'GetCommand':
          return { Item: items.get(input.Key!.id) };
        case 'UpdateCommand': {
          const item = items.get(input.Key!.id)!;
          for (const assignment of input.UpdateExpression!.replace(/^SET /, '').split(',')) {
            const [name, value] = assignment.split('=').map((s) => s.trim());
            item[input.ExpressionAttributeNames![name!]!] =
              input.ExpressionAttributeValues![value!];
          }
          return {};
        }
        default:
          throw new Error(`unexpected ${command.constructor.name}`);
      }
    }) as never,
  };
}

async function measure(source: LineSource, label: string) {
  const jobs = new SagebatchJobs({
    sqs,
    dynamo: dynamo(),
    queueUrl: 'q',
    tableName: 't',
    results: { getResultTexts: async () => new Map() },
  });
  gc!();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  let peakRss = before.rss;
  const started = performance.now();
  const report = await jobs.submit(source, {
    jobId: label,
    fileSha256: 'sha',
    onProgress: (sent) => {
      // A forced GC every 20 checkpoints (20,000 lines): what is left is what is held.
      if (sent % 20_000 !== 0) return;
      gc!();
      const now = process.memoryUsage();
      peakHeap = Math.max(peakHeap, now.heapUsed);
      peakRss = Math.max(peakRss, now.rss);
    },
  });
  const seconds = (performance.now() - started) / 1_000;
  const growthMb = (peakHeap - before.heapUsed) / 2 ** 20;
  console.log(
    `${label.padEnd(14)} ${report.sent} requests in ${seconds.toFixed(1)} s; heap growth ${growthMb.toFixed(1)} MB (peak ${(peakHeap / 2 ** 20).toFixed(1)} MB), RSS peak ${(peakRss / 2 ** 20).toFixed(0)} MB`,
  );
  return growthMb;
}

const dir = mkdtempSync(join(tmpdir(), 'sagebatch-job-memory-'));
const file = join(dir, 'requests.jsonl');
try {
  writeFileSync(
    file,
    Array.from({ length: lines }, (_, i) => `{"input":"document ${i}"}`).join('\n'),
  );
  console.log(
    `${lines} lines, ${(readFileSync(file).byteLength / 2 ** 20).toFixed(1)} MB, bound ${boundMb} MB (${new Date().toISOString()})`,
  );
  const streamed = await measure(
    () => createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY }),
    'streaming',
  );
  // The negative control: the file read whole into memory when the submit opens it, as a
  // naive reader would hold it (read inside the measurement, like the stream).
  const inMemory = await measure(async function* () {
    yield* readFileSync(file, 'utf8').split('\n');
  }, 'whole-file');
  const ok = streamed < boundMb && inMemory >= boundMb;
  console.log(
    ok
      ? `ok: streaming stays under ${boundMb} MB; the whole-file variant breaks it (ratio ${(inMemory / Math.max(streamed, 0.1)).toFixed(0)}x)`
      : `FAILED: streaming ${streamed.toFixed(1)} MB, whole-file ${inMemory.toFixed(1)} MB against ${boundMb} MB`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
