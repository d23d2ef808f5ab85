/**
 * `npm run bench:handler`: the batcher handler's own CPU per record, against the floor.
 *
 * 10,000 SQS records of ~1 KB go through the real handler with the real invoker, result
 * store and DLQ publisher; only the SDK clients are in-process fakes (their own time is
 * measured and subtracted). The floor is what any batcher must do: parse every body once
 * and serialize every model payload once. Both, and each stage of the handler run alone
 * (bench/handlerStages.ts), are measured alternately in one run; then a CPU profile of
 * the handler alone is written to bench/out/ (open it in Chrome DevTools or VS Code).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { createHandler } from '../functions/batcher/handler.js';
import { DeadLetterPublisher } from '../lib/aws/deadLetterPublisher.js';
import { RequestQueue } from '../lib/aws/requestQueue.js';
import { ResultStore } from '../lib/aws/resultStore.js';
import { loadConfig } from '../lib/batcher/config.js';
import { createModelInvoker } from '../lib/batcher/dependencies.js';
import { measureStages, type Stage, stageNames } from './handlerStages.js';

const recordCount = 10_000;
const rounds = 7;

/** ~1 KB realistic request bodies: a review text to classify. */
function makeEvent(round: number): SQSEvent {
  const words =
    'the quick brown fox jumps over a lazy dog while batching saves money on inference'.split(' ');
  return {
    Records: Array.from({ length: recordCount }, (_, i) => {
      const text = Array.from(
        { length: 170 },
        (_, w) => words[(i * 7 + w * 3) % words.length],
      ).join(' ');
      return {
        messageId: `m-${round}-${i}`,
        receiptHandle: 'rh',
        body: JSON.stringify({ id: `r-${round}-${i}`, input: { text: text.slice(0, 1_000) } }),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'bench',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:requests',
        awsRegion: 'us-east-1',
      };
    }),
  };
}

let fakeMs = 0;
/** Runs `fn` and books its time as the fakes' (not the handler's). */
function inFake<T>(fn: () => T): T {
  const started = performance.now();
  try {
    return fn();
  } finally {
    fakeMs += performance.now() - started;
  }
}

const answers = new Map<number, Uint8Array>();
/** The model's work is not the handler's: a cached response for the batch size. */
function answer(body: string): Uint8Array {
  let items = 0;
  for (let at = body.indexOf('{"text"'); at !== -1; at = body.indexOf('{"text"', at + 7)) items++;
  let answer = answers.get(items);
  if (!answer) {
    const predictions = Array.from({ length: items }, (_, i) => ({
      label: i % 2 ? 'POSITIVE' : 'NEGATIVE',
      score: 0.987,
    }));
    answer = new TextEncoder().encode(JSON.stringify({ predictions }));
    answers.set(items, answer);
  }
  return answer;
}
const fakeSageMaker = {
  send: async (command: { input: { Body: string } }) =>
    inFake(() => ({ Body: answer(command.input.Body) })),
} as unknown as SageMakerRuntimeClient;

const fakeDynamo = {
  send: async (command: {
    constructor: { name: string };
    input: { RequestItems?: Record<string, unknown> };
  }) =>
    inFake(() =>
      command.constructor.name === 'BatchGetCommand' ? { Responses: {}, UnprocessedKeys: {} } : {},
    ),
} as unknown as DynamoDBDocumentClient;

const fakeSqs = {
  send: async () => inFake(() => ({ Successful: [], Failed: [] })),
} as unknown as SQSClient;

const config = loadConfig({
  RESULTS_TABLE_NAME: 'results',
  DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/dlq',
  REQUEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/requests',
  ENDPOINT_NAME: 'bench',
  MODEL_BATCH_MAX_ITEMS: '64',
  // Length-aware (the default) or fifo, to see what planning costs.
  MODEL_BATCH_PACKING: process.env.MODEL_BATCH_PACKING,
});
const deps = {
  config,
  invoker: createModelInvoker(config, fakeSageMaker),
  store: new ResultStore({ client: fakeDynamo, tableName: config.resultsTableName }),
  deadLetters: new DeadLetterPublisher({ client: fakeSqs, queueUrl: config.dlqUrl }),
  requestQueue: new RequestQueue({ client: fakeSqs, queueUrl: config.requestQueueUrl }),
  logger: new Logger({ serviceName: 'bench', logLevel: 'SILENT' }),
  metrics: new Metrics({ namespace: 'Bench', serviceName: 'bench' }),
};
const handler = createHandler(() => deps);
const stageBench = {
  deps,
  answer: (body: string) => new TextDecoder().decode(answer(body)),
  fakeMs: () => fakeMs,
  resetFakes: () => {
    fakeMs = 0;
  },
};
const context = {
  getRemainingTimeInMillis: () => 900_000,
  functionName: 'bench',
  awsRequestId: 'b',
} as Context;

/** The floor: parse every body once, serialize every model payload once. */
function floor(event: SQSEvent): number {
  const inputs = event.Records.map(
    (record) => (JSON.parse(record.body) as { input: unknown }).input,
  );
  let bytes = 0;
  for (let i = 0; i < inputs.length; i += 64)
    bytes += JSON.stringify({ instances: inputs.slice(i, i + 64) }).length;
  return bytes;
}

const cpuMs = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1_000;
};

async function measureHandler(event: SQSEvent): Promise<number> {
  fakeMs = 0;
  const start = process.cpuUsage();
  const response = await handler(event, context);
  const ms = cpuMs(start) - fakeMs;
  if (response.batchItemFailures.length > 0) throw new Error('bench run failed records');
  return ms;
}

function measureFloor(event: SQSEvent): number {
  const start = process.cpuUsage();
  if (floor(event) <= 0) throw new Error('empty payload');
  return cpuMs(start);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Collects garbage left by earlier work (needs --expose-gc), so each side pays only its own. */
const collect = () => (globalThis as { gc?: () => void }).gc?.();

const bytesPerRecord = makeEvent(0).Records.reduce((n, r) => n + r.body.length, 0) / recordCount;
const handlerMs: number[] = [];
const floorMs: number[] = [];
const stageMs = new Map<Stage, number[]>(stageNames.map((stage) => [stage, []]));
// Peak memory: what the rounds add to the process's high-water mark (KiB, Linux's maxrss).
const rssBefore = process.resourceUsage().maxRSS;
// Two warm-up rounds (JIT, lazy imports), then measured rounds; every side gets the same event.
for (let round = 0; round < rounds + 2; round++) {
  const event = makeEvent(round);
  collect();
  const h = await measureHandler(event);
  collect();
  const f = measureFloor(event);
  collect();
  // The stages run on a copy with other ids (the handler's rows must not make them duplicates).
  const stages = await measureStages(makeEvent(round + 1_000), stageBench);
  if (round >= 2) {
    handlerMs.push(h);
    floorMs.push(f);
    for (const stage of stageNames) stageMs.get(stage)!.push(stages[stage]);
  }
}
const rssGrowthMiB = (process.resourceUsage().maxRSS - rssBefore) / 1_024;
const perRecord = (ms: number) => (ms * 1_000) / recordCount;
const h = perRecord(median(handlerMs));
const f = perRecord(median(floorMs));

// The profile: a few more handler runs, apart from the measured ones (sampling costs CPU).
const packing = config.modelBatchPacking;
const profilePath = `bench/out/handler-${packing}.cpuprofile`;
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
for (let round = 0; round < 3; round++) await measureHandler(makeEvent(2_000 + round));
const { profile } = await session.post('Profiler.stop');
session.disconnect();
mkdirSync('bench/out', { recursive: true });
writeFileSync(profilePath, JSON.stringify(profile));
console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
console.log(
  `records: ${recordCount} of ~${Math.round(bytesPerRecord)} B, model batches of ${config.modelBatchMaxItems}, median of ${rounds} rounds`,
);
console.log(`handler: ${h.toFixed(2)} µs/record (CPU, fakes' own time excluded)`);
console.log(`floor:   ${f.toFixed(2)} µs/record (parse every body + serialize every payload once)`);
console.log(`ratio:   ${(h / f).toFixed(2)}x the floor (target <= 2x)`);
console.log(`packing: ${packing}, rows: ${config.resultEncoding}`);
console.log('by stage, each run alone (median µs/record, x the floor):');
let staged = 0;
for (const stage of stageNames) {
  const us = perRecord(median(stageMs.get(stage)!));
  staged += us;
  console.log(`  ${stage.padEnd(10)} ${us.toFixed(2).padStart(7)}  ${(us / f).toFixed(2)}x`);
}
const rest = h - staged;
console.log(
  `  ${'other'.padEnd(10)} ${rest.toFixed(2).padStart(7)}  ${(rest / f).toFixed(2)}x  (handler less the stages: middy, logs, metrics, garbage collection)`,
);
console.log(
  `memory:  peak RSS grew ${rssGrowthMiB.toFixed(0)} MiB over the rounds (events of ${((bytesPerRecord * recordCount) / 2 ** 20).toFixed(1)} MiB; the process held ${(rssBefore / 1_024).toFixed(0)} MiB before)`,
);
console.log(`profile: ${profilePath} (3 handler runs, 100 µs sampling)`);
