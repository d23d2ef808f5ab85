import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How sagebatch's functions are bundled: locally by the project's esbuild (no Docker),
 * ESM, Node 20 syntax (runs on every newer runtime), with the AWS SDK versions the tests
 * ran against rather than the runtime's.
 *
 * No source map is deployed: the map was 80% of the asset (3.6 MB of 4.5 MB) and,
 * loaded by `--enable-source-maps`, added about a tenth to the module's load time and
 * 10 MiB to its memory on every cold start. The function logs error names and codes,
 * not stack traces; `npm run bundle:size` builds and measures the bundles.
 */
export const functionBundling: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node20',
  minify: true,
  sourceMap: false,
  externalModules: [],
  mainFields: ['module', 'main'],
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
};
