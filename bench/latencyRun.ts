import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolveResources } from '../lib/cli/resources.js';
import { SagebatchClient } from '../lib/client/index.js';
import { deployLocal, destroyLocal } from '../lib/dev/cdkLocal.js';

/**
 * Enqueue-to-result latency of requests sent at a steady rate through the deployed stack,
 * against the bound the batching window sets (the local emulator honours the window: see
 * scripts/ministack_launcher.py).
 */
export interface LatencyResult {
  readonly rate: number;
  readonly seconds: number;
  readonly sent: number;
  readonly completed: number;
  readonly windowSeconds: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly meanItemsPerModelCall: number;
  /** The slowest model call that served a request, ms. */
  readonly maxModelLatencyMs: number;
  /**
   * What the batching window promises: a request waits at most the window for its batch to
   * close, then its invocation's model time (window + slowest model call, ms). Lambda,
   * SQS and DynamoDB overhead come on top.
   */
  readonly boundMs: number;
  /** Share of requests whose enqueue-to-result latency was within {@link boundMs}. */
  readonly withinBound: number;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/**
 * Deploys the CDK app to the local AWS emulator (its function calling `sageMakerRuntimeUrl`),
 * offers `rate` requests per second for `seconds`, waits for every result, and tears down.
 */
export async function runLatency(options: {
  sageMakerRuntimeUrl: string;
  texts: readonly string[];
  rate: number;
  seconds: number;
  windowSeconds: number;
}): Promise<LatencyResult> {
  const emulator = execFileSync('bash', [`${root}scripts/aws-emulator.sh`, 'start'], {
    encoding: 'utf8',
  }).trim();
  const stackName = 'SagebatchBench';
  const context = {
    batchSize: '1000',
    batchingWindowSeconds: String(options.windowSeconds),
    timeoutSeconds: '60',
    // A 60 s function fits one call of 50 s plus the save reserve (checked at synth).
    modelCallTimeoutMs: '50000',
    codec: 'hf-inputs',
    modelBatchMaxItems: '64',
  };
  try {
    await deployLocal({ stackName, sageMakerRuntimeUrl: options.sageMakerRuntimeUrl, context });
    const resources = await resolveResources({ stack: stackName, local: true });
    const client = new SagebatchClient({
      sqs: resources.sqs,
      dynamo: resources.dynamo,
      queueUrl: resources.queueUrl,
      tableName: resources.tableName,
    });
    const ids: string[] = [];
    const tick = 100;
    const perTick = Math.max(1, Math.round((options.rate * tick) / 1_000));
    const started = Date.now();
    let next = 0;
    for (let t = 0; t < (options.seconds * 1_000) / tick; t++) {
      const batch = Array.from({ length: perTick }, () => ({
        input: options.texts[next++ % options.texts.length]!,
      }));
      ids.push(...(await client.submit(batch)));
      const wait = started + (t + 1) * tick - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const { results } = await client.waitForResults(ids, { timeoutMs: 300_000, intervalMs: 500 });
    const rows = [...results.values()];
    const latencies = rows.map((r) => r.completedAt - r.enqueuedAt).sort((a, b) => a - b);
    const maxModelLatencyMs = Math.max(0, ...rows.map((r) => r.modelLatencyMs ?? 0));
    const boundMs = options.windowSeconds * 1_000 + maxModelLatencyMs;
    return {
      rate: options.rate,
      seconds: options.seconds,
      sent: ids.length,
      completed: rows.filter((r) => r.status === 'SUCCEEDED').length,
      windowSeconds: options.windowSeconds,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      meanItemsPerModelCall:
        rows.reduce((n, r) => n + (r.batchItems ?? 0), 0) / Math.max(1, rows.length),
      maxModelLatencyMs,
      boundMs,
      withinBound: latencies.filter((ms) => ms <= boundMs).length / Math.max(1, latencies.length),
    };
  } finally {
    await destroyLocal(stackName, context).catch(() => undefined);
    if (emulator === 'started') execFileSync('bash', [`${root}scripts/aws-emulator.sh`, 'stop']);
  }
}
