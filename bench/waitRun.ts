/**
 * `wait` by completion events against `wait` by polling, side by side in one run on the
 * local stack: both waits watch the same requests at the same time, each with its own
 * DynamoDB client whose BatchGetItem calls and keys are counted.
 *
 *   AWS_ENDPOINT_URL=http://127.0.0.1:4573 SAGEBATCH_ENDPOINT_PORT=8573 npx tsx bench/waitRun.ts [requests] [per second]
 *
 * Prints, per mode: when each result reached the waiter after its row was written
 * (`completedAt`, same machine clock: the local functions run here), p50 / p95 / max; how
 * long after the last row the wait returned; BatchGetItem calls and keys read per 1,000
 * requests; and the cost of each per 1M requests from bench/prices.ts.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  openCompletionSubscription,
  type RequestResult,
  SagebatchClient,
  type WaitMode,
} from '../lib/client/index.js';
import { deployLocal, destroyLocal } from '../lib/dev/cdkLocal.js';
import { EndpointEmulator } from '../lib/dev/endpointEmulator/EndpointEmulator.js';
import { localClientConfig, localEndpointHosts } from '../lib/dev/localAws.js';
import { prices } from './prices.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** A DynamoDB document client that counts the reads `wait` makes. */
function countingDynamo() {
  const counts = { batchGets: 0, keys: 0 };
  const base = new DynamoDBClient(localClientConfig());
  base.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'BatchGetItemCommand') {
        counts.batchGets++;
        const items = (args.input as { RequestItems?: Record<string, { Keys?: unknown[] }> })
          .RequestItems;
        for (const request of Object.values(items ?? {})) counts.keys += request.Keys?.length ?? 0;
      }
      return next(args);
    },
    { step: 'initialize', name: 'countReads' },
  );
  return { dynamo: DynamoDBDocumentClient.from(base), counts };
}

interface ModeResult {
  readonly mode: WaitMode;
  readonly latencies: number[];
  readonly returnedAfterLastRowMs: number;
  readonly batchGets: number;
  readonly keys: number;
  readonly pending: number;
}

async function main() {
  const requests = Number(process.argv[2] ?? 1_000);
  const perSecond = Number(process.argv[3] ?? 100);
  const emulator = execFileSync('bash', [`${root}scripts/aws-emulator.sh`, 'start'], {
    encoding: 'utf8',
  }).trim();
  const hosts = localEndpointHosts();
  const endpoint = new EndpointEmulator({ port: 0, host: hosts.bind });
  const url = new URL(await endpoint.start());
  url.hostname = hosts.host;
  const stackName = `SagebatchWaitBench${Date.now().toString(36)}`;
  const context = {
    batchSize: '1000',
    batchingWindowSeconds: '1',
    timeoutSeconds: '10',
    modelCallTimeoutMs: '5000',
    modelBatchMaxItems: '64',
    codec: 'json-instances',
  };
  try {
    const outputs = await deployLocal({ stackName, sageMakerRuntimeUrl: url.origin, context });
    if (!outputs.completionTopicArn) throw new Error('the stack has no CompletionTopicArn');
    const config = localClientConfig();
    const sqs = new SQSClient(config);
    const clientFor = (dynamo: DynamoDBDocumentClient, events: boolean) =>
      new SagebatchClient({
        sqs,
        dynamo,
        queueUrl: outputs.queueUrl,
        tableName: outputs.tableName,
        ...(events
          ? { sns: new SNSClient(config), completionTopicArn: outputs.completionTopicArn }
          : {}),
      });
    const run = Date.now().toString(36);
    const ids = Array.from({ length: requests }, (_, i) => `wait-${run}-${i}`);
    const watch = async (mode: 'events' | 'poll'): Promise<ModeResult> => {
      const { dynamo, counts } = countingDynamo();
      const latencies: number[] = [];
      const onResult = (result: RequestResult) => latencies.push(Date.now() - result.completedAt);
      const { results, pending } = await clientFor(dynamo, mode === 'events').waitForResults(ids, {
        mode,
        timeoutMs: 600_000,
        onResult,
      });
      const returned = Date.now();
      const lastRow = Math.max(...[...results.values()].map((r) => r.completedAt));
      return {
        mode,
        latencies: latencies.sort((a, b) => a - b),
        returnedAfterLastRowMs: returned - lastRow,
        batchGets: counts.batchGets,
        keys: counts.keys,
        pending: pending.length,
      };
    };
    // Where event time goes: a plain subscriber notes when each event reaches its queue.
    const subscriber = await openCompletionSubscription(
      { sqs, sns: new SNSClient(config) },
      outputs.completionTopicArn,
      { ids },
    );
    const arrivals: number[] = [];
    let watching = true;
    const observed = (async () => {
      const seen = new Set<string>();
      while (watching && seen.size < ids.length)
        for (const event of await subscriber.receive(2)) {
          if (seen.has(event.id)) continue;
          seen.add(event.id);
          arrivals.push(Date.now() - event.completedAt);
        }
    })();
    // Both waits start before the first request is sent, and watch the same requests.
    const waits = Promise.all([watch('events'), watch('poll')]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const producer = clientFor(DynamoDBDocumentClient.from(new DynamoDBClient(config)), false);
    const tick = 100;
    const perTick = Math.max(1, Math.round((perSecond * tick) / 1_000));
    const started = Date.now();
    for (let sent = 0, t = 0; sent < requests; t++) {
      const batch = ids
        .slice(sent, sent + perTick)
        .map((id, i) => ({ id, input: `text ${sent + i}` }));
      await producer.submit(batch);
      sent += batch.length;
      const pause = started + (t + 1) * tick - Date.now();
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
    const results = await waits;
    watching = false;
    await observed;
    await subscriber.close();
    arrivals.sort((a, b) => a - b);
    console.log(
      `event reaches a subscriber's queue after its row: p50 ${percentile(arrivals, 50)} ms, p95 ${percentile(arrivals, 95)} ms, max ${arrivals.at(-1)} ms (${arrivals.length} events)`,
    );
    report(requests, perSecond, results);
  } finally {
    await destroyLocal(stackName, context).catch(() => undefined);
    await endpoint.stop();
    if (emulator === 'started') execFileSync('bash', [`${root}scripts/aws-emulator.sh`, 'stop']);
  }
}

function report(requests: number, perSecond: number, results: ModeResult[]) {
  const per1k = (n: number) => ((n * 1_000) / requests).toFixed(1);
  console.log(
    `wait for ${requests} requests sent at ${perSecond}/s, events and polling (1 s interval) side by side, ${new Date().toISOString()}`,
  );
  console.log(
    'mode     row -> wait has it p50 / p95 / max (ms)   returned after last row (ms)   BatchGetItem calls / 1k   keys read / 1k   pending',
  );
  for (const r of results) {
    const l = r.latencies;
    console.log(
      `${r.mode.padEnd(8)} ${`${percentile(l, 50)} / ${percentile(l, 95)} / ${l.at(-1) ?? 0}`.padEnd(40)} ${String(r.returnedAfterLastRowMs).padEnd(30)} ${per1k(r.batchGets).padEnd(25)} ${per1k(r.keys).padEnd(16)} ${r.pending}`,
    );
  }
  const [events, poll] = results as [ModeResult, ModeResult];
  console.log(
    `ratio events / poll: keys read ${(events.keys / Math.max(1, poll.keys)).toFixed(3)}, p95 latency ${(percentile(events.latencies, 95) / Math.max(1, percentile(poll.latencies, 95))).toFixed(2)}`,
  );
  // Cost per 1M requests waited on. Reads: one read unit per key (rows under 4 KB,
  // strongly consistent; a key with no row yet still costs the minimum read).
  const readCost = (keys: number) =>
    ((keys / requests) * 1e6 * prices.dynamodbOnDemand.perMillionReadUnits) / 1e6;
  const publishes = prices.sns.perMillionPublishes; // one message per request (< 64 KB)
  const receives = (1e6 / 10) * (prices.sqs.perMillionRequests / 1e6); // 10 events a receive at best
  // The publisher: 256 MB; at full load 100 records an invocation, at worst 1 (a trickle).
  const invocation = (records: number) => {
    const count = 1e6 / records;
    return (
      count * (prices.lambdaArm.perMillionRequests / 1e6) +
      count * 0.25 * 0.1 * prices.lambdaArm.perGbSecond
    );
  };
  console.log('cost per 1M requests waited on (us-east-1, bench/prices.ts):');
  console.log(`  polling: DynamoDB reads $${readCost(poll.keys).toFixed(3)}`);
  console.log(
    `  events:  DynamoDB reads $${readCost(events.keys).toFixed(3)} + SNS publishes $${publishes.toFixed(3)} + deliveries to SQS $0 + temporary queue receives $${receives.toFixed(3)} + publisher Lambda $${invocation(100).toFixed(3)} (100 records an invocation) to $${invocation(1).toFixed(3)} (1 record) + stream reads by Lambda $0`,
  );
}

await main();
