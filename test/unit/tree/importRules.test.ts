import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const depcruise = join(root, 'node_modules/.bin/depcruise');
const config = join(root, '.dependency-cruiser.cjs');

/** Runs the same check as `npm run lint:imports` in `cwd`; resolves with its exit code and report. */
async function cruise(cwd: string, paths: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await promisify(execFile)(depcruise, ['--config', config, ...paths], {
      cwd,
    });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string };
    return { code: e.code ?? -1, out: e.stdout ?? '' };
  }
}

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/**
 * A throwaway project with the repository's package.json, tsconfig and node_modules and just
 * the files given, so each case breaks exactly one rule without touching the real tree.
 */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sagebatch-imports-'));
  scratch.push(dir);
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  cpSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const leaf = 'export const value = 1;\n';

describe('import rules (npm run lint:imports)', () => {
  it('pass on the real tree', async () => {
    const { code, out } = await cruise(root, ['infra', 'functions', 'lib', 'bench', 'scripts']);
    expect(out).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('pass on a small tree that keeps every rule (the fixture itself is sound)', async () => {
    const dir = project({
      'lib/contract/names.ts': leaf,
      'lib/batcher/stage.ts': "export { value } from '../contract/names.js';\n",
      'lib/client/index.ts': "export { value } from '../contract/names.js';\n",
      'infra/Stack.ts':
        "import 'aws-cdk-lib';\nexport { value } from '../lib/contract/names.js';\n",
    });
    const { code, out } = await cruise(dir, ['infra', 'lib']);
    expect(out).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  const cases: { rule: string; files: Record<string, string> }[] = [
    {
      rule: 'bundle-no-tooling',
      files: {
        'lib/dev/emulator.ts': leaf,
        'lib/batcher/stage.ts': "export { value } from '../dev/emulator.js';\n",
      },
    },
    {
      rule: 'bundle-no-tooling',
      files: {
        'lib/cli/main.ts': leaf,
        'functions/batcher/handler.ts': "export { value } from '../../lib/cli/main.js';\n",
      },
    },
    { rule: 'bundle-no-cdk', files: { 'lib/aws/adapter.ts': "import 'aws-cdk-lib';\n" } },
    { rule: 'bundle-no-dev-dependencies', files: { 'lib/batcher/stage.ts': "import 'vitest';\n" } },
    {
      rule: 'infra-only-contract',
      files: {
        'lib/batcher/telemetry.ts': leaf,
        'infra/Stack.ts': "export { value } from '../lib/batcher/telemetry.js';\n",
      },
    },
    {
      rule: 'client-not-batcher',
      files: {
        'lib/batcher/stage.ts': leaf,
        'lib/client/index.ts': "export { value } from '../batcher/stage.js';\n",
      },
    },
    {
      rule: 'contract-stands-alone',
      files: {
        'lib/aws/adapter.ts': leaf,
        'lib/contract/names.ts': "export { value } from '../aws/adapter.js';\n",
      },
    },
    {
      rule: 'aws-below-batcher',
      files: {
        'lib/batcher/stage.ts': leaf,
        'lib/aws/adapter.ts': "export { value } from '../batcher/stage.js';\n",
      },
    },
    {
      rule: 'no-circular',
      files: {
        'lib/batcher/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
        'lib/batcher/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      },
    },
    {
      rule: 'not-to-unresolvable',
      files: { 'lib/batcher/stage.ts': "export { value } from './missing.js';\n" },
    },
  ];

  it.each(cases)('fail a tree that breaks $rule', async ({ rule, files }) => {
    const dir = project(files);
    const { code, out } = await cruise(
      dir,
      Object.keys(files).map((f) => f.split('/')[0]!),
    );
    expect(out).toContain(`error ${rule}:`);
    expect(code).not.toBe(0);
  });
});
