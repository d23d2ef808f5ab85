/**
 * `npm run bench`: measured cost, throughput, quality and latency of batching.
 *
 *   npm run bench             real model (all-MiniLM-L6-v2 on CPU, bench virtualenv) -> bench/REPORT.md
 *   npm run bench -- --quick  built-in deterministic model, small counts -> bench/out/quick/REPORT.md
 *   npm run bench -- --only packing   only FIFO vs length-aware packing and the tuner check
 *   npm run bench -- --only tuner     only the tuner check (keeps packing.json's comparisons)
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { defaultBatcherMemoryMb } from '../lib/contract/functionMemory.js';
import { EndpointEmulator } from '../lib/dev/endpointEmulator/EndpointEmulator.js';
import { costChart, curveChart } from './charts.js';
import { corpus } from './corpus.js';
import { baselineMemoryMb } from './cost.js';
import { measureEncodings } from './encodings.js';
import { runLatency } from './latencyRun.js';
import { measureModelCurve } from './modelCurve.js';
import { type PackingResults, renderPackingSection } from './packingReport.js';
import { comparePacking } from './packingRun.js';
import { startPaddingModel } from './paddingModel.js';
import { type PipelineRunResult, runPipeline } from './pipelineRun.js';
import { compareOutputs } from './quality.js';
import { type BenchResults, renderReport } from './report.js';
import { type RoundRuns, summarizeRounds } from './rounds.js';
import { sentences } from './sentences.js';
import { checkTuner } from './tunerCheck.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const options = new Command('bench')
  .option('--quick', 'built-in deterministic model, small counts (CI smoke test)')
  .option('--sentences <n>', 'requests per run', (v) => Number.parseInt(v, 10))
  .option('--out <dir>', 'where REPORT.md, the charts and results.json go')
  .option('--skip-latency', 'skip the run through the deployed local stack')
  .option('--model-port <port>', 'port of the model server', (v) => Number.parseInt(v, 10), 8081)
  .addOption(
    new Option(
      '--only <part>',
      'run only this part: packing (with the tuner check), or tuner',
    ).choices(['packing', 'tuner']),
  )
  .option('--skip-packing', 'skip FIFO vs length-aware packing and the tuner check')
  .option('--rounds <n>', 'interleaved rounds (batching: at least 3 by default; packing)', (v) =>
    Number.parseInt(v, 10),
  )
  .parse()
  .opts<{
    quick?: boolean;
    sentences?: number;
    out?: string;
    skipLatency?: boolean;
    modelPort: number;
    only?: 'packing' | 'tuner';
    skipPacking?: boolean;
    rounds?: number;
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

const machine = () =>
  `${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const commit = () =>
  execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();

/** One message per call vs sagebatch in interleaved rounds, the model curve, encodings, quality and latency -> results.json. */
async function batchingBench(model: { url: string } | null): Promise<void> {
  const count = options.sentences ?? (quick ? 600 : 2_000);
  const roundCount = options.rounds ?? 3;
  const texts = sentences(count);
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
    const measureCurve = () =>
      measureModelCurve(
        async (batch) => {
          const response = await fetch(direct, {
            method: 'POST',
            body: JSON.stringify({ inputs: batch }),
            headers: { 'content-type': 'application/json' },
          });
          if (!response.ok) throw new Error(`model call failed: ${response.status}`);
          await response.arrayBuffer();
        },
        // Sorted by the planner's length estimate (JSON bytes): the curve's calls pad as
        // little as sagebatch's length-aware calls, so efficiency compares like with like.
        sentences(512, 7).sort(
          (a, b) => Buffer.byteLength(JSON.stringify(a)) - Buffer.byteLength(JSON.stringify(b)),
        ),
        quick ? [1, 2, 4, 8, 16, 32] : [1, 2, 4, 8, 16, 32, 64, 128],
        quick ? 64 : 512,
      );
    const common = { texts, concurrency: 2, endpoint };
    // A B C, A B C, ...: the model curve, one message per call and sagebatch measured side by
    // side in every round, so a machine slowing down mid-run moves all three alike.
    const rounds: RoundRuns[] = [];
    for (let r = 1; r <= roundCount; r++) {
      log(`round ${r}/${roundCount}: the model curve`);
      const curve = await measureCurve();
      log(`round ${r}/${roundCount}: one message per call, ${count} requests`);
      const baseline = await runPipeline({
        ...common,
        name: 'baseline',
        eventSize: 1,
        modelBatchItems: 1,
        // The reference the ratios have always been taken against: today's function, as sized
        // before issue 21 (the report also prices it at sagebatch's size).
        memoryMb: baselineMemoryMb,
      });
      log(`round ${r}/${roundCount}: sagebatch, ${count} requests`);
      const batched = await runPipeline({
        ...common,
        name: 'sagebatch',
        eventSize: quick ? 200 : 1_000,
        modelBatchItems: 64,
        // What the construct deploys by default.
        memoryMb: defaultBatcherMemoryMb,
      });
      rounds.push({ curve, baseline, batched });
    }
    log('result encodings on the real outputs');
    const encodings = measureEncodings(rounds.at(-1)!.batched.rows);
    const summary = summarizeRounds(rounds, encodings, quick);
    const median = rounds[summary.medianRound]!;
    const quality = compareOutputs(median.batched.outputs, median.baseline.outputs);
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
    const strip = ({ outputs: _o, rows: _r, ...run }: PipelineRunResult) => run;
    const results: BenchResults = {
      mode: quick ? 'quick' : 'full',
      model: quick
        ? 'built-in text-stats (deterministic, simulated 4 ms + 0.05 ms/item)'
        : 'sentence-transformers/all-MiniLM-L6-v2 on CPU (torch 2.13.0), batched, mean-pooled, normalized',
      machine: machine(),
      date: new Date().toISOString().slice(0, 10),
      commit: commit(),
      curve: median.curve,
      baseline: strip(median.baseline),
      sagebatch: strip(median.batched),
      costs: summary.costsByEncoding.json,
      costRatio:
        summary.costsByEncoding.json.sagebatch.total / summary.costsByEncoding.json.baseline.total,
      efficiency: summary.rounds[summary.medianRound]!.efficiency,
      quality,
      latency,
      ...summary,
      encodings,
    };
    mkdirSync(outDir, { recursive: true });
    writeFileSync(
      join(outDir, 'curve.svg'),
      await curveChart(median.curve, median.batched.itemsPerSecond),
    );
    writeFileSync(
      join(outDir, 'cost.svg'),
      await costChart({
        'one per call': summary.costsByEncoding.json.baseline,
        'sagebatch, json': summary.costsByEncoding.json.sagebatch,
        'sagebatch, lossless (default)': summary.costsByEncoding.lossless.sagebatch,
        'sagebatch, compressed': summary.costsByEncoding.compressed.sagebatch,
        'sagebatch, float16': summary.costsByEncoding.float16.sagebatch,
      }),
    );
    writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(
      `inference path ${(summary.ratios.inference.median * 100).toFixed(1)}%, total (json) ${(summary.ratios.total.json.median * 100).toFixed(1)}%, total (lossless, the default) ${(summary.ratios.total.lossless.median * 100).toFixed(1)}%, total (float16) ${(summary.ratios.total.float16.median * 100).toFixed(1)}%, min cosine ${quality.minCosine.toFixed(7)}`,
    );
  } finally {
    await endpoint.stop();
  }
}

/**
 * FIFO vs length-aware packing on two mixed-length corpora, and the tuner's recommendation
 * against a sweep -> packing.json. Quick mode: a TypeScript model with the same padding cost
 * shape and counters (no Python), small counts.
 */
async function packingBench(model: { url: string } | null): Promise<void> {
  const padding = model ? null : await startPaddingModel({ baseMs: 5, perPaddedTokenMs: 0.01 });
  const modelUrl = model?.url ?? padding!.url;
  const endpoint = new EndpointEmulator({ port: 0, proxyUrl: modelUrl });
  await endpoint.start();
  try {
    const count = options.sentences ?? (quick ? 400 : 1_000);
    const comparisons: PackingResults['comparisons'] = [];
    const today = { date: new Date().toISOString().slice(0, 10), commit: commit() };
    // The run the comparisons come from: this one, or with --only tuner the last full one.
    let comparisonsRun = today;
    if (options.only === 'tuner') {
      const last = join(outDir, 'packing.json');
      if (!existsSync(last)) throw new Error(`--only tuner needs an earlier run's ${last}`);
      const earlier = JSON.parse(readFileSync(last, 'utf8')) as PackingResults;
      comparisons.push(...earlier.comparisons);
      comparisonsRun = { date: earlier.date, commit: earlier.commit };
    }
    for (const name of options.only === 'tuner' ? [] : (['query-passage', 'lognormal'] as const)) {
      const texts = corpus(name, count);
      log(`${name}: ${count} requests, each alone (quality reference)`);
      const singles: unknown[] = [];
      for (const text of texts) {
        const response = await fetch(`${modelUrl}/invocations`, {
          method: 'POST',
          body: JSON.stringify({ inputs: [text] }),
          headers: { 'content-type': 'application/json' },
        });
        if (!response.ok) throw new Error(`model call failed: ${response.status}`);
        singles.push(((await response.json()) as unknown[])[0]);
      }
      log(`${name}: FIFO vs length-aware packing, interleaved rounds`);
      comparisons.push(
        await comparePacking({
          corpus: name,
          texts,
          singles,
          modelUrl,
          endpoint,
          // One invocation of every request, as the construct's default batchSize (1,000)
          // gathers them: length-aware packing sorts within one invocation only.
          eventSize: count,
          concurrency: 1,
          memoryMb: defaultBatcherMemoryMb,
          modelBatchMaxItems: 64,
          rounds: options.rounds ?? (quick ? 2 : 3),
        }),
      );
      const c = comparisons.at(-1)!;
      log(`${name}: length-aware / FIFO items/s ${c.speedup.median.toFixed(2)}x`);
    }
    const results = (tuner: PackingResults['tuner']): PackingResults => ({
      mode: quick ? 'quick' : 'full',
      model: model
        ? 'sentence-transformers/all-MiniLM-L6-v2 on CPU (torch 2.13.0), tokenizer padding to the longest item'
        : 'simulated padding model (5 ms + 10 µs per padded token a call, words + 2 tokens an item)',
      machine: machine(),
      ...comparisonsRun,
      tunerRun: today,
      comparisons,
      tuner,
    });
    const save = (r: PackingResults) => {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, 'packing.json'), `${JSON.stringify(r, null, 2)}\n`);
    };
    save(results(undefined)); // the comparisons stand even if the tuner check fails
    log('tuner: measure, fit, recommend; then a sweep through the handler');
    const tuner = await checkTuner({
      endpoint,
      texts: corpus('query-passage', quick ? 300 : 600, 23),
      maxCallMs: quick ? 200 : 1_500,
      batchSizes: quick ? [1, 4, 16, 64, 256] : [1, 4, 16, 64, 128, 256],
      lengths: [16, 64, 256],
      maxItemTokens: 256,
      sweepItems: quick ? [16, 64, 256] : [16, 32, 64, 128, 256],
      sweepTokens: quick ? [4_096, 16_384] : [4_096, 8_192, 16_384],
      rounds: 2,
      log,
    });
    save(results(tuner));
  } finally {
    await endpoint.stop();
    await padding?.stop();
  }
}

async function main(): Promise<void> {
  const model = quick ? null : await startModelServer();
  try {
    if (options.only === undefined) await batchingBench(model);
    if (!options.skipPacking) await packingBench(model);
  } finally {
    model?.process.kill();
  }
  // The report: every part from its last run's file (a part run alone keeps the others).
  const read = <T>(file: string) =>
    existsSync(join(outDir, file))
      ? (JSON.parse(readFileSync(join(outDir, file), 'utf8')) as T)
      : undefined;
  const batching = read<BenchResults>('results.json');
  const packing = read<PackingResults>('packing.json');
  const parts = [batching && renderReport(batching), packing && renderPackingSection(packing)];
  writeFileSync(join(outDir, 'REPORT.md'), parts.filter(Boolean).join('\n'));
  log(`report written to ${join(outDir, 'REPORT.md')}`);
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
