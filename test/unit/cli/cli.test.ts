import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointEmulator } from '../../../lib/dev/endpointEmulator/EndpointEmulator.js';

const run = promisify(execFile);

/** Runs the CLI as a user would; resolves with its exit code and output. */
async function sagebatch(args: string[], input?: string) {
  const child = run(process.execPath, ['bin/sagebatch.mjs', ...args], {
    // An endpoint nothing listens on: commands that need AWS fail fast and say so.
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
    },
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const errorLines = (stderr: string) =>
  stderr.split('\n').filter((line) => line.startsWith('sagebatch:'));

describe('sagebatch CLI', () => {
  it('lists its commands', async () => {
    const { code, stdout } = await sagebatch(['--help']);
    expect(code).toBe(0);
    for (const command of ['endpoint', 'send', 'wait', 'results', 'dlq', 'stats', 'tune', 'job'])
      expect(stdout).toContain(command);
  });

  it('fails with one clear line and exit code 1 when the stack cannot be read', async () => {
    const { code, stderr } = await sagebatch(['results', '--stack', 'Missing', '-'], 'some-id\n');
    expect(code).toBe(1);
    expect(errorLines(stderr)).toHaveLength(1);
    expect(errorLines(stderr)[0]).toMatch(
      /^sagebatch: cannot read the outputs of stack Missing .*--queue-url, --dlq-url and --table$/,
    );
  });

  describe('tune', () => {
    // A local endpoint whose calls take at least 2 ms + 0.05 ms per item.
    const endpoint = new EndpointEmulator({
      port: 0,
      faults: { latencyBaseMs: 2, latencyPerItemMs: 0.05 },
    });
    beforeAll(() => endpoint.start());
    afterAll(() => endpoint.stop());
    const tune = (maxCallMs: number) =>
      sagebatch([
        'tune',
        '--endpoint-name',
        'bench',
        '--endpoint-url',
        endpoint.url,
        '--max-call-ms',
        String(maxCallMs),
        '--batch-sizes',
        '1,4,16',
        '--lengths',
        '8,32',
        '--repeats',
        '1',
        '--parallelism',
        '1,2',
      ]);

    it('measures a real endpoint and prints the settings as CDK context flags', async () => {
      const { code, stdout } = await tune(10_000);
      expect(code).toBe(0);
      expect(stdout).toMatch(/fitted cost of a call: /);
      expect(stdout).toMatch(
        /^ {2}-c sagebatch:modelBatchMaxItems=\d+ -c sagebatch:modelBatchMaxTokens=\d+ -c sagebatch:modelParallelism=\d+ -c sagebatch:memorySize=\d+$/m,
      );
    });

    it('says what to change when one item alone cannot meet the bound', async () => {
      const { code, stderr } = await tune(0.5);
      expect(code).toBe(1);
      expect(errorLines(stderr)[0]).toMatch(/longer than 0.5 ms; raise --max-call-ms$/);
    });
  });

  it('names the bad line of a JSON Lines file before sending anything', async () => {
    const { code, stderr } = await sagebatch(
      ['send', '--queue-url', 'http://q', '--dlq-url', 'http://d', '--table', 't'],
      '{"input":1}\n{"nope":2}\n',
    );
    expect(code).toBe(1);
    expect(errorLines(stderr)).toEqual([
      'sagebatch: line 2 has no "input"; each line must be {"input": ...}',
    ]);
  });

  it('job submit: reports every bad line by number and sends nothing, before connecting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sagebatch-cli-'));
    const file = join(dir, 'requests.jsonl');
    writeFileSync(file, '{"input":1}\n\n{"inputs":2}\nnot json\n{"input":5}\n');
    const { code, stderr } = await sagebatch(['job', 'submit', file]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      'sagebatch: 2 of 4 lines are invalid; nothing was sent. Fix them, or pass --skip-invalid to send the rest:\n  line 3: input is required; Unrecognized key: "inputs"\n  line 4: not JSON; each line must be {"input": ...}',
    );
    expect(stderr).not.toMatch(/cannot read the outputs of stack/);
  });
}, 60_000);
