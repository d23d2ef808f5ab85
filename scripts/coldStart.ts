/**
 * `npm run bench:cold-start`: the init duration of each function's bundle. Bundles both
 * functions as CDK does (scripts/bundleFunction.ts), then imports each bundle in a fresh
 * Node process, several runs, and prints the median time to import it (what Lambda's INIT
 * phase spends on the module, at this machine's one core; Lambda's own runtime start and
 * the code download come on top) and the process's memory after the import. `--runs N`
 * (default 15); `--profile` also writes a CPU profile of one import to bench/out/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleFile, bundleFunction, functionEntries } from './bundleFunction.js';

const { values } = parseArgs({
  options: { runs: { type: 'string' }, profile: { type: 'boolean' } },
});
const runs = Number(values.runs ?? 15);
const outRoot = mkdtempSync(join(tmpdir(), 'sagebatch-cold-'));

/** Child script: the import timed from inside the fresh process, and its memory after. */
const probe = `
const started = performance.now();
await import(process.argv[1]);
const ms = performance.now() - started;
const { rss, heapUsed } = process.memoryUsage();
console.log(JSON.stringify({ ms, rss, heapUsed, processMs: performance.now() }));
`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

// What a function's environment sets before its module loads (a Lambda sets these too).
const env = {
  ...process.env,
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'cold-start',
  POWERTOOLS_METRICS_DISABLED: 'true',
};
for (const [name, entry] of Object.entries(functionEntries)) {
  const outdir = join(outRoot, name);
  await bundleFunction(entry, outdir);
  const file = join(outdir, bundleFile);
  const samples: { ms: number; rss: number; heapUsed: number; processMs: number }[] = [];
  for (let run = 0; run < runs; run++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe, file], {
      env,
      encoding: 'utf8',
    });
    samples.push(JSON.parse(out.trim().split('\n').at(-1)!));
  }
  console.log(
    `${name}: import ${median(samples.map((s) => s.ms)).toFixed(1)} ms median of ${runs} fresh processes (min ${Math.min(...samples.map((s) => s.ms)).toFixed(1)}, max ${Math.max(...samples.map((s) => s.ms)).toFixed(1)}); process start to loaded ${median(samples.map((s) => s.processMs)).toFixed(1)} ms; RSS after ${mib(median(samples.map((s) => s.rss)))} MiB, heap ${mib(median(samples.map((s) => s.heapUsed)))} MiB`,
  );
  if (values.profile) {
    const dir = resolve('bench/out');
    mkdirSync(dir, { recursive: true });
    execFileSync(
      process.execPath,
      [
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
        `--cpu-prof-name=cold-start-${name}.cpuprofile`,
        '--input-type=module',
        '-e',
        probe,
        file,
      ],
      { env, encoding: 'utf8' },
    );
    console.log(`  profile: bench/out/cold-start-${name}.cpuprofile`);
  }
}
