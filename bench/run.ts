/**
 * `npm run bench`: measured cost, throughput, quality and latency of batching.
 *
 *   npm run bench             real model (all-MiniLM-L6-v2 on CPU, bench virtualenv) -> bench/REPORT.md
 *   npm run bench -- --quick  built-in deterministic model, small counts -> bench/out/quick/REPORT.md
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { EndpointEmulator } from '../lib/localEndpoint/EndpointEmulator.js';
import { costChart, curveChart } from './charts.js';
import { costPerMillion } from './cost.js';
import { runLatency } from './latencyRun.js';
import { measureModelCurve } from './modelCurve.js';
import { runPipeline } from './pipelineRun.js';
import { compareOutputs } from './quality.js';
import { type BenchResults, renderReport } from './report.js';
import { sentences } from './sentences.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const options = new Command('bench')
  .option('--quick', 'built-in deterministic model, small counts (CI smoke test)')
  .option('--sentences <n>', 'requests per run', (v) => Number.parseInt(v, 10))
  .option('--out <dir>', 'where REPORT.md, the charts and results.json go')
  .option('--skip-latency', 'skip the run through the deployed local stack')
  .option('--model-port <port>', 'port of the model server', (v) => Number.parseInt(v, 10), 8081)
  .parse()
  .opts<{
    quick?: boolean;
    sentences?: number;
    out?: string;
    skipLatency?: boolean;
    modelPort: number;
  }>();

const quick = options.quick ?? false;
const outDir = options.out ?? (quick ? join(root, 'bench/out/quick') : join(root, 'bench'));
const log = (message: string) => console.error(`» ${message}`);

async function startModelServer(): Promise<{ url: string; process: ChildProcess }> {
  log('preparing the bench virtualenv (torch CPU, all-MiniLM-L6-v2)');
  const bin = execFileSync('bash', [join(root, 'scripts/python-venv.sh'), 'bench'], {
    encoding: 'utf8',
  }).trim();
  const url = `http://127.0.0.1:${options.modelPort}`;
  const child = spawn(
    join(bin, 'python'),
    [join(root, 'bench/model_server.py'), '--port', String(options.modelPort)],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, HF_HUB_OFFLINE: '1' },
    },
  );
  for (let i = 0; i < 600; i++) {
    if (
      await fetch(`${url}/ping`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, process: child };
    if (child.exitCode !== null) throw new Error('the model server exited while starting');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the model server did not answer /ping within 120 s');
}

async function main(): Promise<void> {
  const count = options.sentences ?? (quick ? 600 : 5_000);
  const texts = sentences(count);
  const model = quick ? null : await startModelServer();
  // Quick mode: the built-in model with a GPU-like cost (fixed per call, small per item).
  const endpoint = new EndpointEmulator(
    model
      ? { port: 0, proxyUrl: model.url }
      : { port: 0, model: 'text-stats', faults: { latencyBaseMs: 4, latencyPerItemMs: 0.05 } },
  );
  await endpoint.start();
  try {
    const direct = model
      ? `${model.url}/invocations`
      : `${endpoint.url}/endpoints/bench/invocations`;
    log('measuring the model curve');
    const curve = await measureModelCurve(
      async (batch) => {
        const response = await fetch(direct, {
          method: 'POST',
          body: JSON.stringify({ inputs: batch }),
          headers: { 'content-type': 'application/json' },
        });
        if (!response.ok) throw new Error(`model call failed: ${response.status}`);
        await response.arrayBuffer();
      },
      sentences(512, 7),
      quick ? [1, 2, 4, 8, 16, 32] : [1, 2, 4, 8, 16, 32, 64, 128],
      quick ? 64 : 512,
    );
    const common = { texts, concurrency: 2, memoryMb: 1_024, endpoint };
    log(`one message per call: ${count} requests`);
    const baseline = await runPipeline({
      ...common,
      name: 'baseline',
      eventSize: 1,
      modelBatchItems: 1,
    });
    log(`sagebatch: ${count} requests`);
    const batched = await runPipeline({
      ...common,
      name: 'sagebatch',
      eventSize: quick ? 200 : 1_000,
      modelBatchItems: 64,
    });
    const quality = compareOutputs(batched.outputs, baseline.outputs);
    let latency: BenchResults['latency'];
    if (!options.skipLatency) {
      log('latency through the deployed local stack');
      latency = await runLatency({
        sageMakerRuntimeUrl: endpoint.url,
        texts,
        rate: 20,
        seconds: quick ? 3 : 30,
        windowSeconds: 1,
      });
    }
    const costs = { baseline: costPerMillion(baseline), sagebatch: costPerMillion(batched) };
    const { outputs: _b, ...baselineRun } = baseline;
    const { outputs: _s, ...sagebatchRun } = batched;
    const results: BenchResults = {
      mode: quick ? 'quick' : 'full',
      model: quick
        ? 'built-in text-stats (deterministic, simulated 4 ms + 0.05 ms/item)'
        : 'sentence-transformers/all-MiniLM-L6-v2 on CPU (torch 2.13.0), batched, mean-pooled, normalized',
      machine: `${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      date: new Date().toISOString().slice(0, 10),
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
        cwd: root,
        encoding: 'utf8',
      }).trim(),
      curve,
      baseline: baselineRun,
      sagebatch: sagebatchRun,
      costs,
      costRatio: costs.sagebatch.total / costs.baseline.total,
      efficiency: batched.itemsPerSecond / Math.max(...curve.map((p) => p.itemsPerSecond)),
      quality,
      latency,
    };
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'curve.svg'), await curveChart(curve, batched.itemsPerSecond));
    writeFileSync(
      join(outDir, 'cost.svg'),
      await costChart({ 'one per call': costs.baseline, sagebatch: costs.sagebatch }),
    );
    writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(outDir, 'REPORT.md'), renderReport(results));
    log(`report written to ${join(outDir, 'REPORT.md')}`);
    console.log(
      `cost ratio ${(results.costRatio * 100).toFixed(1)}%, efficiency ${(results.efficiency * 100).toFixed(1)}%, min cosine ${quality.minCosine.toFixed(7)}`,
    );
  } finally {
    await endpoint.stop();
    model?.process.kill();
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
