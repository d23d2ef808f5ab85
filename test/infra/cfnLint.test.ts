import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synth, variants } from './synth.js';

let cfnLint: string;

beforeAll(() => {
  // Installs the pinned cfn-lint into .venv/tools on first use (scripts/python-venv.sh tools).
  const bin = execFileSync('bash', ['scripts/python-venv.sh', 'tools'], {
    encoding: 'utf8',
  }).trim();
  cfnLint = join(bin, 'cfn-lint');
});

describe('cfn-lint', () => {
  it.each(variants)(
    'passes the synthesized template of a pipeline with %s',
    (_, pipeline, stackProps) => {
      const outdir = mkdtempSync(join(tmpdir(), 'sagebatch-cfn-'));
      const { stack } = synth(pipeline, { outdir, stack: stackProps });
      const templateFile = join(outdir, stack.templateFile);
      const run = () =>
        execFileSync(cfnLint, ['--format', 'parseable', templateFile], { encoding: 'utf8' });
      expect(run).not.toThrow();
    },
  );

  it('fails a template with an error (cfn-lint really checks)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'sagebatch-cfn-'));
    const { stack, assembly } = synth({ endpointName: 'sentiment' }, { outdir });
    const broken = join(outdir, 'broken.template.json');
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const table = Object.values(template.Resources).find((r) => r.Type === 'AWS::DynamoDB::Table')!;
    table.Properties.BillingMode = 'FREE';
    execFileSync('bash', ['-c', `cat > '${broken}'`], { input: JSON.stringify(template) });
    expect(() => execFileSync(cfnLint, [broken], { encoding: 'utf8' })).toThrow();
  });
});
