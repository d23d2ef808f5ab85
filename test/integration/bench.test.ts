import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PackingResults } from '../../bench/packingReport.js';
import type { BenchResults } from '../../bench/report.js';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'sagebatch-bench-'));
let results: BenchResults;
let packing: PackingResults;
let report: string;

beforeAll(async () => {
  // The harness end to end on the built-in model: counts and structure, never timings.
  await run('npx', ['tsx', 'bench/run.ts', '--quick', '--sentences', '300', '--out', out], {
    env: { ...process.env, POWERTOOLS_METRICS_DISABLED: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchResults;
  packing = JSON.parse(readFileSync(join(out, 'packing.json'), 'utf8')) as PackingResults;
  report = readFileSync(join(out, 'REPORT.md'), 'utf8');
}, 600_000);

describe('npm run bench -- --quick', () => {
  it('writes the report with every section and both charts', () => {
    for (const heading of [
      '## Headline',
      "## The model's own curve",
      '## One message per call vs sagebatch',
      '## Cost per 1M requests',
      '## Quality',
      '## Latency',
      '## Method',
      '## Packing: FIFO vs length-aware',
      '### The tuner against a sweep',
    ]) {
      expect(report).toContain(heading);
    }
    for (const chart of ['curve.svg', 'cost.svg'])
      expect(readFileSync(join(out, chart), 'utf8')).toMatch(/^<svg/);
    expect(report).toMatch(/commit [0-9a-f]{7}/);
  });

  it('measures the model curve at every batch size', () => {
    expect(results.curve.map((p) => p.batchSize)).toEqual([1, 2, 4, 8, 16, 32]);
    for (const p of results.curve) expect(p.calls).toBeGreaterThanOrEqual(3);
  });

  it('serves every request in both runs, with counts that add up', () => {
    const { baseline, sagebatch } = results;
    for (const r of [baseline, sagebatch]) {
      expect(r.requests).toBe(300);
      expect(r.failedRecords).toBe(0);
      expect(r.aws.dynamoWriteUnits).toBeGreaterThanOrEqual(300);
    }
    expect(baseline.modelCalls).toBe(300);
    expect(baseline.lambdaInvocations).toBe(300);
    expect(sagebatch.lambdaInvocations).toBe(Math.ceil(300 / sagebatch.eventSize));
    // One model call per 64 records of each event; the last event may be short.
    const eventSizes = Array.from({ length: sagebatch.lambdaInvocations }, (_, i) =>
      Math.min(sagebatch.eventSize, 300 - i * sagebatch.eventSize),
    );
    expect(sagebatch.modelCalls).toBe(eventSizes.reduce((n, size) => n + Math.ceil(size / 64), 0));
    // Send + receive (10 a call) + deletes (10 a call per invocation).
    expect(baseline.sqsRequests).toBe(30 + 30 + 300);
    expect(sagebatch.sqsRequests).toBe(30 + 30 + 30);
  });

  it('prices both runs and finds batched outputs equal to single ones', () => {
    const { baseline, sagebatch } = results.costs;
    for (const c of [baseline, sagebatch]) {
      expect(c.total).toBeCloseTo(c.sagemaker + c.lambda + c.sqs + c.dynamodb, 10);
    }
    expect(results.costRatio).toBeCloseTo(sagebatch.total / baseline.total, 10);
    expect(results.quality).toMatchObject({
      compared: 300,
      identical: 300,
      maxAbsDiff: 0,
      minCosine: 1,
    });
  });

  it('measures in interleaved rounds and reports each ratio as median with its range', () => {
    expect(results.rounds).toHaveLength(3);
    for (const s of [
      results.ratios.inference,
      results.ratios.efficiency,
      results.ratios.total.float16,
    ]) {
      expect(s.rounds).toHaveLength(3);
      expect(s.min).toBeLessThanOrEqual(s.median);
      expect(s.median).toBeLessThanOrEqual(s.max);
    }
    // The quick run's efficiency is never printed as a figure to believe (it can exceed 100%).
    expect(results.efficiencyMeaningful).toBe(false);
    expect(report).toContain('not meaningful here');
    expect(report.split('## Packing')[0]).not.toMatch(/\| (met|\*\*missed\*\*) \|/);
  });

  it('weighs every row under every result encoding and prices the traffic profiles', () => {
    expect(results.encodings.encodings.map((e) => e.encoding)).toEqual([
      'json',
      'compressed',
      'lossless',
      'float32',
      'float16',
      'int8',
    ]);
    // The default is named, priced beside the others, and marked in the report.
    expect(results.encodings.defaultEncoding).toBe('lossless');
    expect(results.ratios.total.lossless.rounds).toHaveLength(3);
    expect(report).toContain('`lossless` (float32 when exact, else gzip) (**default**)');
    // Write units per row in both row forms, for the reference outputs too.
    const f16 = results.encodings.reference.find(
      (r) => r.output === 'embedding, 384 float32 values' && r.encoding === 'float16',
    );
    expect(f16).toMatchObject({ documentedUnits: 2, storedUnits: 1 });
    expect(results.encodings.reference).toHaveLength(4 * 6);
    for (const e of results.encodings.encodings) {
      expect(e.rows).toBe(300);
      expect(Object.values(e.storedAs).reduce((a, b) => a + b, 0)).toBe(300);
      expect(e.writeUnitsPerRow).toBeGreaterThanOrEqual(1);
      expect(e.writeUnitsPerRow).toBeLessThanOrEqual(e.writeUnitsPerRowDocumented);
    }
    for (const { profile, costs } of results.profiles) {
      for (const c of costs) {
        expect(c.instanceHours).toBeGreaterThanOrEqual(profile.minInstances * 24 * 30);
        expect(c.totalM5).toBeCloseTo(
          c.endpointM5 + c.lambda + c.sqs + c.dynamodb + c.cloudwatch,
          10,
        );
      }
    }
    for (const heading of [
      '## Targets',
      '## Result encodings',
      '## Cost per 1M requests at a traffic profile (instance-hours)',
    ])
      expect(report).toContain(heading);
    expect(report).toContain('direct InvokeEndpoint');
    expect(report).toContain('ml.g5.xlarge');
  });

  it('measures latency through the deployed local stack', () => {
    expect(results.latency).toBeDefined();
    expect(results.latency!.completed).toBe(results.latency!.sent);
    expect(results.latency!.p50).toBeLessThanOrEqual(results.latency!.p95);
    expect(results.latency!.p95).toBeLessThanOrEqual(results.latency!.p99);
    // The window is honoured: 20 requests a second over a 1 s window share invocations and
    // model calls (MiniStack alone hands over at most 10 a call).
    expect(results.latency!.meanItemsPerModelCall).toBeGreaterThan(10);
    expect(results.latency!.boundMs).toBe(
      results.latency!.windowSeconds * 1_000 + results.latency!.maxModelLatencyMs,
    );
    expect(report).toContain(`is ${results.latency!.boundMs} ms;`);
  });

  it('compares FIFO and length-aware packing on the same inputs, round by round', () => {
    expect(packing.comparisons.map((c) => c.corpus)).toEqual(['query-passage', 'lognormal']);
    for (const c of packing.comparisons) {
      expect(c.rounds).toHaveLength(2);
      for (const { fifo, length } of c.rounds) {
        expect(fifo.packing).toBe('fifo');
        expect(length.packing).toBe('length');
        expect(fifo.failedRecords + length.failedRecords).toBe(0);
        // Same inputs, same tokens; sorting by length only removes padding.
        expect(length.realTokens).toBe(fifo.realTokens);
        expect(fifo.paddedTokens).toBeGreaterThanOrEqual(fifo.realTokens);
        expect(length.paddedTokens).toBeLessThan(fifo.paddedTokens);
        expect(length.minCosine).toBe(1);
      }
      expect(c.speedup.min).toBeLessThanOrEqual(c.speedup.median);
      expect(c.speedup.median).toBeLessThanOrEqual(c.speedup.max);
    }
  });

  it('checks the tuner against a sweep that includes its own recommendation', () => {
    const tuner = packing.tuner!;
    const { maxItems, maxTokens } = tuner.report.shape;
    expect(tuner.sweep.filter((s) => s.recommended)).toEqual([
      expect.objectContaining({ maxItems, maxTokens }),
    ]);
    expect(tuner.share.min).toBeGreaterThan(0);
  });
});
