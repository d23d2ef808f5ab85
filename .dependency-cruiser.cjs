/**
 * Import rules of sagebatch, checked by `npm run lint` (dependency-cruiser). They keep the
 * tree honest about what ships where:
 * - the Lambda bundle (functions/, lib/batcher, lib/events, lib/aws, lib/contract, lib/common) carries
 *   no CLI, dev or client code and no CDK;
 * - infra/ reads only lib/contract from lib/, so a synth loads no runtime code (Powertools,
 *   SDK clients) and the function and the stack agree on one contract;
 * - the client users import never pulls in the batcher;
 * - lower layers never import higher ones, and nothing imports in a cycle.
 * test/unit/tree/importRules.test.ts proves each rule fails a tree that breaks it.
 */
const bundle = '^(functions|lib/(batcher|events|aws|contract|common))/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle hides which module decides; break it by moving the shared part down.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'bundle-no-tooling',
      severity: 'error',
      comment: 'The Lambda bundle must not carry the CLI, dev tools, the client, infra or tests.',
      from: { path: bundle },
      to: { path: '^(lib/(cli|dev|client)|infra|test|bench|scripts)/' },
    },
    {
      name: 'bundle-no-cdk',
      severity: 'error',
      comment: 'CDK is a synth-time tool: it must never be bundled into a function.',
      from: { path: bundle },
      to: {
        path: '(^|/)node_modules/(aws-cdk-lib|aws-cdk|constructs|cdk-nag)/|^(aws-cdk-lib|constructs|cdk-nag)(/|$)',
      },
    },
    {
      name: 'bundle-no-dev-dependencies',
      severity: 'error',
      comment:
        'A devDependency is not installed for the bundle: runtime code uses dependencies only.',
      from: { path: bundle },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'infra-only-contract',
      severity: 'error',
      comment:
        'infra/ reads lib/contract only: a synth must not load runtime code such as Powertools.',
      from: { path: '^infra/' },
      to: { path: '^(lib/(?!contract/)|functions/)' },
    },
    {
      name: 'client-not-batcher',
      severity: 'error',
      comment: 'The client users import must not pull in the batcher (or dev and CLI tooling).',
      from: { path: '^lib/client/' },
      to: { path: '^lib/(batcher|events|cli|dev)/' },
    },
    {
      name: 'contract-stands-alone',
      severity: 'error',
      comment: 'The contract is the bottom layer: it imports nothing else from lib/.',
      from: { path: '^lib/contract/' },
      to: { path: '^lib/(?!contract/)' },
    },
    {
      name: 'common-stands-alone',
      severity: 'error',
      comment: 'lib/common holds plain helpers: no contract, no adapters, no pipeline.',
      from: { path: '^lib/common/' },
      to: { path: '^lib/(?!common/)' },
    },
    {
      name: 'aws-below-batcher',
      severity: 'error',
      comment: 'Adapters serve the pipeline and the client; they know neither.',
      from: { path: '^lib/aws/' },
      to: { path: '^lib/(batcher|events|client|cli|dev)/' },
    },
    {
      name: 'lib-not-entry-points',
      severity: 'error',
      comment: 'lib/ never imports infra/, functions/ or the test, bench and script trees.',
      from: { path: '^lib/' },
      to: { path: '^(infra|functions|test|bench|scripts)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that cannot be resolved would fail at runtime or at bundling.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
