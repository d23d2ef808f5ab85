/**
 * Bundles each Lambda entry point the way `infra/functionBundling.ts` tells CDK to (the
 * same esbuild options, run through esbuild's API) and prints the size of what would be
 * deployed plus the largest inputs from esbuild's metafile. Run: `npm run bundle:size`
 * (`-- --out DIR` keeps the bundles and metafiles for a closer look, e.g. esbuild's
 * analyzer or `node --enable-source-maps -e "await import('DIR/batcher/index.mjs')"`).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { bundleFunction, functionEntries as entries } from './bundleFunction.js';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const outRoot = resolve(values.out ?? mkdtempSync(join(tmpdir(), 'sagebatch-bundle-')));

/** Sums input bytes per top-level group (lib/<folder>, node_modules/<package>). */
function groups(metafile: Metafile, output: string): [string, number][] {
  const inputs = metafile.outputs[output]?.inputs ?? {};
  const sums = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const parts = path.split('/');
    const at = parts.lastIndexOf('node_modules');
    const key =
      at >= 0
        ? parts.slice(at + 1, at + (parts[at + 1]?.startsWith('@') ? 3 : 2)).join('/')
        : parts.slice(0, parts[0] === 'lib' && parts.length > 2 ? 2 : 1).join('/');
    sums.set(key, (sums.get(key) ?? 0) + bytesInOutput);
  }
  return [...sums].sort((x, y) => y[1] - x[1]);
}

for (const [name, entry] of Object.entries(entries)) {
  const outdir = join(outRoot, name);
  const result = await bundleFunction(entry, outdir);
  writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  const files = readdirSync(outdir).filter((f) => f !== 'meta.json');
  // The asset is uploaded as a zip: deflated bytes are what a cold start downloads.
  const sizes = files.map((f) => {
    const bytes = readFileSync(join(outdir, f));
    return { f, raw: bytes.length, zipped: deflateRawSync(bytes, { level: 9 }).length };
  });
  const sum = (k: 'raw' | 'zipped') => sizes.reduce((total, s) => total + s[k], 0);
  const each = sizes.map((s) => `${s.f} ${s.raw} / ${s.zipped}`).join(', ');
  console.log(`${name}: ${sum('raw')} bytes, ${sum('zipped')} deflated (${each})`);
  const code = Object.keys(result.metafile.outputs).find((o) => !o.endsWith('.map'))!;
  for (const [group, bytes] of groups(result.metafile, code).slice(0, 12)) {
    console.log(`  ${String(bytes).padStart(8)}  ${group}`);
  }
}
console.log(`bundles and metafiles: ${outRoot}`);
