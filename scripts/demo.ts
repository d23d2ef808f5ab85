/**
 * `npm run demo`: the main job on the embedded default. Starts the AWS emulator (or uses
 * the one at `AWS_ENDPOINT_URL`, default :4566) and the local endpoint emulator
 * (`SAGEBATCH_ENDPOINT_PORT`, default 8080), deploys the real CDK app in local mode, sends
 * 1,000 requests (and a few invalid ones), waits for every result and prints what batching
 * did. The stack is left up unless `--down`; `npm run demo:stop` takes it down.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Command } from 'commander';
import { progressBar } from '../lib/cli/progress.js';
import { resolveResources } from '../lib/cli/resources.js';
import { SagebatchClient } from '../lib/client/index.js';
import { deployLocal, destroyLocal } from '../lib/dev/cdkLocal.js';
import type { EndpointStats } from '../lib/dev/endpointEmulator/EndpointEmulator.js';
import { localEndpointHosts, localEndpointPort, localEnvPrefix } from '../lib/dev/localAws.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const state = `${root}.sagebatch`;
// What a production deployment would use: the event source gathers up to 1,000 requests
// over 2 s and each invocation packs them into model calls of 64.
const context = {
  batchSize: '1000',
  batchingWindowSeconds: '2',
  timeoutSeconds: '30',
  // A 30 s function fits one call of 20 s plus the save reserve (checked at synth).
  modelCallTimeoutMs: '20000',
  modelBatchMaxItems: '64',
  codec: 'json-instances',
};

const options = new Command('demo')
  .option('--requests <n>', 'valid requests to send', (v) => Number.parseInt(v, 10), 1_000)
  .option('--stack <name>', 'stack name', 'SagebatchDemo')
  .option(
    '--endpoint-port <port>',
    'port of the local endpoint emulator (default: SAGEBATCH_ENDPOINT_PORT or 8080)',
    (v) => Number.parseInt(v, 10),
    localEndpointPort(),
  )
  .option('--down', 'tear everything down after the summary')
  .option('--stop', 'only tear down a demo left running')
  .parse()
  .opts<{
    requests: number;
    stack: string;
    endpointPort: number;
    down?: boolean;
    stop?: boolean;
  }>();

const log = (message: string) => console.error(`» ${message}`);
const endpointUrl = `http://127.0.0.1:${options.endpointPort}`;
const endpointPidFile = `${state}/endpoint-${options.endpointPort}.pid`;

async function endpointUp(): Promise<boolean> {
  return fetch(`${endpointUrl}/ping`).then(
    (r) => r.ok,
    () => false,
  );
}

/** Runs the endpoint emulator as a background process so a stack left up keeps working. */
async function startEndpoint(): Promise<void> {
  if (await endpointUp()) {
    await fetch(`${endpointUrl}/_emulator/reset`, { method: 'POST' });
    log(`local endpoint already running on ${endpointUrl} (counters reset)`);
    return;
  }
  mkdirSync(state, { recursive: true });
  const out = openSync(`${state}/endpoint.log`, 'a');
  const { bind } = localEndpointHosts();
  // A GPU-like cost model: a fixed 20 ms per call plus 0.5 ms per item.
  const child = spawn(
    process.execPath,
    [
      `${root}bin/sagebatch.mjs`,
      'endpoint',
      '--port',
      String(options.endpointPort),
      '--host',
      bind,
      '--latency-base-ms',
      '20',
      '--latency-per-item-ms',
      '0.5',
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  writeFileSync(endpointPidFile, String(child.pid));
  for (let i = 0; i < 100 && !(await endpointUp()); i++)
    await new Promise((r) => setTimeout(r, 200));
  if (!(await endpointUp()))
    throw new Error(`the local endpoint did not start; see ${state}/endpoint.log`);
  log(`local endpoint started on ${endpointUrl}`);
}

async function tearDown(): Promise<void> {
  log(`destroying stack ${options.stack}`);
  await destroyLocal(options.stack, context).catch((e: Error) =>
    log(`destroy: ${e.message.split('\n')[0]}`),
  );
  try {
    process.kill(-Number(readFileSync(endpointPidFile, 'utf8')), 'SIGTERM');
    log('local endpoint stopped');
  } catch {
    // not running, or not started by the demo
  }
  rmSync(endpointPidFile, { force: true });
  log(
    `AWS emulator: ${execFileSync('bash', [`${root}scripts/aws-emulator.sh`, 'stop'], { encoding: 'utf8' }).trim()}`,
  );
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function main(): Promise<void> {
  if (options.stop) return tearDown();
  log(
    `AWS emulator: ${execFileSync('bash', [`${root}scripts/aws-emulator.sh`, 'start'], { encoding: 'utf8' }).trim()}`,
  );
  await startEndpoint();
  log(`deploying stack ${options.stack} with the CDK CLI (local mode)`);
  const { host } = localEndpointHosts();
  const outputs = await deployLocal({
    stackName: options.stack,
    sageMakerRuntimeUrl: `http://${host}:${options.endpointPort}`,
    context,
  });
  const resources = await resolveResources({ stack: options.stack, local: true });
  const client = new SagebatchClient({
    sqs: resources.sqs,
    dynamo: resources.dynamo,
    queueUrl: outputs.queueUrl,
    tableName: outputs.tableName,
  });

  const run = Date.now().toString(36);
  const topics = [
    'the battery lasts all day',
    'shipping was slow',
    'great value for money',
    'the screen cracked',
    'works as described',
  ];
  const requests = Array.from({ length: options.requests }, (_, i) => ({
    id: `demo-${run}-${i}`,
    input: { text: `${topics[i % topics.length]} (#${i})` },
  }));
  const invalid = [
    'this is not JSON',
    '{"id":"demo-' + run + '-no-input"}',
    JSON.stringify({
      id: `demo-${run}-late`,
      input: { text: 'too late' },
      deadline: Date.now() - 1,
    }),
  ];
  const sendBar = progressBar('send', requests.length + invalid.length);
  const ids: string[] = [];
  for (let i = 0; i < requests.length; i += 100) {
    ids.push(...(await client.submit(requests.slice(i, i + 100))));
    sendBar.update(ids.length);
  }
  const sent = await resources.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: outputs.queueUrl,
      Entries: invalid.map((body, i) => ({ Id: String(i), MessageBody: body })),
    }),
  );
  const invalidKeys = [
    sent.Successful?.find((s) => s.Id === '0')?.MessageId ?? '',
    `demo-${run}-no-input`,
    `demo-${run}-late`,
  ];
  ids.push(...invalidKeys);
  sendBar.update(ids.length);
  sendBar.stop();

  const waitBar = progressBar('results', ids.length);
  const { results, pending } = await client.waitForResults(ids, {
    timeoutMs: 300_000,
    intervalMs: 500,
    onProgress: (p) => waitBar.update(p.done),
  });
  waitBar.stop();

  const rows = [...results.values()];
  const stats = (await (await fetch(`${endpointUrl}/_emulator/stats`)).json()) as EndpointStats;
  const { Attributes: dlq = {} } = await resources.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: outputs.dlqUrl,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  const latencies = rows.map((r) => r.completedAt - r.enqueuedAt).sort((a, b) => a - b);
  const count = (status: string) => rows.filter((r) => r.status === status).length;
  const line = (label: string, value: string | number) =>
    console.log(`  ${label.padEnd(34)} ${value}`);
  console.log('\nsagebatch demo');
  line(
    'requests sent',
    `${ids.length} (${requests.length} valid, ${invalid.length} invalid or expired)`,
  );
  const perInvocation = new Map<string, number>();
  for (const r of rows)
    perInvocation.set(r.invocationId, (perInvocation.get(r.invocationId) ?? 0) + 1);
  const invocationSizes = [...perInvocation.values()].sort((a, b) => b - a);
  const callSizes = Object.entries(stats.batchSizes)
    .map(([items, calls]) => [Number(items), calls] as const)
    .sort((a, b) => b[0] - a[0]);
  line('Lambda invocations', perInvocation.size);
  line('records per invocation', invocationSizes.join(', '));
  line('model calls', stats.calls);
  line('items per model call', callSizes.map(([items, calls]) => `${items} x ${calls}`).join(', '));
  line('mean items per model call', (stats.items / Math.max(1, stats.succeeded)).toFixed(1));
  line('SUCCEEDED / FAILED rows', `${count('SUCCEEDED')} / ${count('FAILED')}`);
  line('DLQ messages', dlq.ApproximateNumberOfMessages ?? '?');
  line('no final result yet', pending.length);
  line(
    'enqueue -> result p50 / p95',
    `${percentile(latencies, 50)} ms / ${percentile(latencies, 95)} ms (window ${context.batchingWindowSeconds} s)`,
  );
  line('model busy time', `${(stats.busyMs / 1000).toFixed(2)} s for ${stats.items} items`);

  if (options.down) {
    await tearDown();
  } else {
    // Printed so they work as is: the same emulators, ports and stack as this run.
    const env = localEnvPrefix({
      ...process.env,
      SAGEBATCH_ENDPOINT_PORT: String(options.endpointPort),
    });
    const cli = `${env}npm run --silent sagebatch --`;
    const flags = `--local --stack ${options.stack}`;
    const stopFlags = options.stack === 'SagebatchDemo' ? '' : ` -- --stack ${options.stack}`;
    console.log(`
The stack ${options.stack} is still up in the local emulator, served by the local endpoint on ${endpointUrl}.
  echo '{"input":{"text":"hello"}}' | ${cli} send ${flags} > ids.txt
  ${cli} wait ${flags} ids.txt
  ${cli} dlq list ${flags}
  ${cli} stats ${flags}
Stop everything with: ${env}npm run demo:stop${stopFlags}`);
  }
  if (pending.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
