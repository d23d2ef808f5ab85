import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How sagebatch's functions are bundled: locally by the project's esbuild (no Docker),
 * ESM, Node 20 syntax (runs on every newer runtime), with the AWS SDK versions the tests
 * ran against rather than the runtime's.
 */
export const functionBundling: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node20',
  minify: true,
  sourceMap: true,
  externalModules: [],
  mainFields: ['module', 'main'],
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
};
