import { join } from 'node:path';
import { SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build } from 'esbuild';
import { functionBundling as b } from '../infra/functionBundling.js';

/** The Lambda entry points, by function name. */
export const functionEntries = {
  batcher: 'functions/batcher/handler.ts',
  finalizer: 'functions/finalizer/handler.ts',
} as const;

/** CDK's `sourceMap` / `sourceMapMode` in esbuild's words (CDK's default mode is `linked`). */
function sourcemap(): boolean | 'linked' | 'inline' | 'external' | 'both' {
  if (!b.sourceMap && !b.sourceMapMode) return false;
  const mode = b.sourceMapMode ?? SourceMapMode.DEFAULT;
  return mode === SourceMapMode.DEFAULT ? 'linked' : mode;
}

/** The file name of a bundle in its output directory. */
export const bundleFile = b.format === 'esm' ? 'index.mjs' : 'index.js';

/**
 * Bundles one entry point the way `infra/functionBundling.ts` tells CDK to (the same
 * esbuild options, through esbuild's API) into `outdir`, with esbuild's metafile.
 */
export function bundleFunction(entry: string, outdir: string) {
  return build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: b.format === 'esm' ? 'esm' : 'cjs',
    target: b.target ?? 'node20',
    outfile: join(outdir, bundleFile),
    minify: b.minify ?? false,
    sourcemap: sourcemap(),
    sourcesContent: b.sourcesContent ?? true,
    external: [...(b.externalModules ?? [])],
    mainFields: [...(b.mainFields ?? [])],
    ...(b.banner ? { banner: { js: b.banner } } : {}),
    metafile: true,
    logLevel: 'warning',
  });
}
