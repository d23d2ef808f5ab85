import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidLinesError,
  SagebatchClient,
  SagebatchJobs,
  SubmitError,
} from '../../../lib/client/index.js';
import { compactNames } from '../../../lib/contract/compactRow.js';
import { jobIndex, jobKey } from '../../../lib/contract/job.js';
import { encodeOutput } from '../../../lib/contract/resultEncoding.js';
import { offline, queueUrl, tableName } from '../../helpers/factories.js';
import { fakeBucket, fakeQueue, fakeTable } from '../../helpers/fakes.js';

let queue: ReturnType<typeof fakeQueue>;
let table: ReturnType<typeof fakeTable>;
let bucket: ReturnType<typeof fakeBucket>;
afterEach(() => {
  queue.mock.restore();
  table.mock.restore();
  bucket.mock.restore();
});

function setup(options: Parameters<typeof fakeQueue>[0] = {}) {
  queue = fakeQueue(options);
  table = fakeTable({ indexes: [jobIndex] });
  bucket = fakeBucket();
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient(offline));
  const sqs = new SQSClient(offline);
  const results = new SagebatchClient({
    sqs,
    dynamo,
    queueUrl,
    tableName,
    s3: new S3Client(offline),
    resultsBucket: 'b',
  });
  return new SagebatchJobs({ sqs, dynamo, queueUrl, tableName, results });
}

/** A job file in memory, read from the start on each call, as a file stream would be. */
const fileOf = (lines: string[]) =>
  async function* () {
    yield* lines;
  };

const lines = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    i % 40 === 7 ? '{"inputs":1}' : JSON.stringify({ input: i + 1 }),
  );

const sentIds = () => queue.messages.map((m) => JSON.parse(m.body).id as string);

describe('SagebatchJobs.submit', () => {
  it('reports every bad line by number and sends nothing', async () => {
    const jobs = setup();
    const error = await jobs
      .submit(fileOf(lines(100)), { jobId: 'j', fileSha256: 'sha' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidLinesError);
    expect((error as InvalidLinesError).lines.map((l) => l.line)).toEqual([8, 48, 88]);
    expect(queue.batches()).toBe(0);
    expect(table.rows.size).toBe(0);
  });

  it('resumes an interrupted submit: every line sent, only lines after the checkpoint again', async () => {
    // Prepare: the first run is interrupted in the middle of its fourth window.
    const controller = new AbortController();
    let accepted = 0;
    let interrupted = false;
    const jobs = setup({
      // Entry 35 interrupts the submit; SQS takes no entry after it (they fail, then the
      // retries stop on the signal), so the second window is sent in part.
      failTimes: () => {
        if (controller.signal.aborted && !interrupted) return 99;
        if (++accepted === 35) controller.abort();
        return 0;
      },
    });
    const file = fileOf(['', ...lines(99)]); // a blank first line: line numbers as an editor's
    const options = { jobId: 'j', fileSha256: 'sha', skipInvalid: true, checkpointLines: 30 };
    // Act
    await expect(jobs.submit(file, { ...options, signal: controller.signal })).rejects.toThrow(
      /interrupted after 30 requests/,
    );
    interrupted = true;
    const firstRun = sentIds();
    const report = await jobs.submit(file, options);
    // Assess
    const all = sentIds();
    const valid = Array.from({ length: 100 }, (_, i) => i + 1).filter(
      (line) => line > 1 && (line - 2) % 40 !== 7,
    );
    expect(new Set(all)).toEqual(new Set(valid.map((line) => `j:${line}`)));
    const twice = all.filter((id, i) => all.indexOf(id) !== i);
    expect(twice.length).toBeLessThanOrEqual(30); // at most one checkpoint window
    expect(twice.length).toBeGreaterThan(0); // the interruption fell inside a window
    expect(firstRun.length).toBeGreaterThan(30);
    expect(report).toMatchObject({ requests: 96, alreadySent: 30, sent: 66 });
    expect(table.rows.get(jobKey('j'))).toMatchObject({
      jobState: 'SUBMITTED',
      submittedRequests: 96,
      totalLines: 99,
      lastLine: 100,
      invalidLines: 3,
    });
    // A third run finds nothing to send.
    const again = await jobs.submit(file, options);
    expect(again.sent).toBe(0);
    expect(sentIds()).toHaveLength(all.length);
  });

  it('refuses another file under the same job id, and a cancelled job', async () => {
    const jobs = setup();
    await jobs.submit(fileOf(['{"input":1}']), { jobId: 'j', fileSha256: 'one' });
    await expect(
      jobs.submit(fileOf(['{"input":2}']), { jobId: 'j', fileSha256: 'two' }),
    ).rejects.toThrow(/submitted from another file/);
    await jobs.cancel('j');
    await expect(
      jobs.submit(fileOf(['{"input":1}']), { jobId: 'j', fileSha256: 'one' }),
    ).rejects.toThrow(SubmitError);
  });
});

describe('SagebatchJobs.status, results, cancel', () => {
  /** Rows of job j as the batcher writes them, in no particular order. */
  function prepareRows() {
    const base = {
      attempts: 1,
      messageId: 'm',
      invocationId: 'inv',
      enqueuedAt: 0,
      expiresAt: 4e9,
      jobId: 'j',
    };
    const vector = [0.5, -1, 2];
    const f32 = encodeOutput(JSON.stringify(vector), 'float32').attributes;
    bucket.objects.set(
      'b/results/j:2/inv',
      new Uint8Array(Buffer.from('{"far":12345678901234567890}')),
    );
    const rows = [
      {
        id: 'j:5',
        status: 'RETRYING',
        jobLine: 5,
        error: { code: 'MODEL_UNAVAILABLE', message: 'busy' },
      },
      { id: 'j:3', status: 'FAILED', jobLine: 3, error: { code: 'MODEL_REJECTED', message: 'no' } },
      {
        id: 'j:1',
        status: 'SUCCEEDED',
        jobLine: 1,
        output: '{"n":1e400}',
        modelLatencyMs: 400,
        batchItems: 4,
        completedAt: 2_000,
      },
      {
        id: 'j:2',
        status: 'SUCCEEDED',
        jobLine: 2,
        outputLocation: 's3://b/results/j:2/inv',
        modelLatencyMs: 400,
        batchItems: 4,
        completedAt: 2_000,
      },
      {
        id: 'j:4',
        status: 'SUCCEEDED',
        jobLine: 4,
        ...f32,
        modelLatencyMs: 400,
        batchItems: 4,
        completedAt: 2_000,
      },
      {
        id: 'j:6',
        status: 'CANCELLED',
        jobLine: 6,
        error: { code: 'CANCELLED', message: 'job j was cancelled' },
        completedAt: 2_000,
      },
    ];
    for (const row of rows) table.rows.set(row.id, { ...base, ...row });
  }

  it('counts exactly, and records completion once, when the last request is final', async () => {
    const jobs = setup();
    await jobs.submit(fileOf(lines(6)), { jobId: 'j', fileSha256: 'sha' });
    prepareRows();
    const running = await jobs.status('j');
    expect(running.progress.counts).toEqual({
      succeeded: 3,
      failed: 1,
      cancelled: 1,
      retrying: 1,
      pending: 0,
      requests: 6,
    });
    expect(running.progress.endpointSeconds).toBeCloseTo(0.3, 9);
    expect(running.completedNow).toBe(false);
    table.rows.set('j:5', {
      ...table.rows.get('j:5')!,
      status: 'SUCCEEDED',
      output: '5',
      completedAt: 3_000,
    });
    const [first, second] = [await jobs.status('j'), await jobs.status('j')];
    expect(first.progress.complete).toBe(true);
    expect(first.completedNow).toBe(true);
    expect(second.completedNow).toBe(false);
  });

  it('prices and counts a compact (row format 2) row: the index carries its short names', async () => {
    // Prepare: j:4 as storedForm writes a row where compacting saves a write unit.
    const jobs = setup();
    await jobs.submit(fileOf(lines(6)), { jobId: 'j', fileSha256: 'sha' });
    prepareRows();
    const documented = table.rows.get('j:4')!;
    const compact: Record<string, unknown> = { v: 2 };
    for (const [name, value] of Object.entries(documented))
      compact[(compactNames as Record<string, string>)[name] ?? name] = value;
    table.rows.set('j:4', compact);

    // Act
    const running = await jobs.status('j');
    const seen: string[] = [];
    await jobs.results('j', ({ line, result }) => {
      seen.push(`${line} ${result.status} ${result.outputText ?? result.error?.code}`);
    });

    // Assess: its endpoint share (400 ms / 4 items) still counts, and its output reads back.
    expect(running.progress.counts.succeeded).toBe(3);
    expect(running.progress.endpointSeconds).toBeCloseTo(0.3, 9);
    expect(seen).toContain('4 SUCCEEDED [0.5,-1,2]');
  });

  it('streams final results in input order, every encoding decoded to exact JSON text', async () => {
    const jobs = setup();
    await jobs.submit(fileOf(lines(6)), { jobId: 'j', fileSha256: 'sha' });
    prepareRows();
    const seen: string[] = [];
    const { written, notFinal } = await jobs.results('j', ({ line, result }) => {
      seen.push(`${line} ${result.status} ${result.outputText ?? result.error?.code}`);
    });
    expect(seen).toEqual([
      '1 SUCCEEDED {"n":1e400}',
      '2 SUCCEEDED {"far":12345678901234567890}',
      '3 FAILED MODEL_REJECTED',
      '4 SUCCEEDED [0.5,-1,2]',
      '6 CANCELLED CANCELLED',
    ]);
    expect({ written, notFinal }).toEqual({ written: 5, notFinal: 1 });
  });

  it('pages through the job index (constant memory): 1,250 rows in order', async () => {
    const jobs = setup();
    const n = 1_250;
    await jobs.submit(fileOf(Array.from({ length: n }, (_, i) => JSON.stringify({ input: i }))), {
      jobId: 'big',
      fileSha256: 'sha',
    });
    for (let line = n; line >= 1; line--)
      table.rows.set(`big:${line}`, {
        id: `big:${line}`,
        status: 'SUCCEEDED',
        output: String(line),
        jobId: 'big',
        jobLine: line,
        expiresAt: 4e9,
      });
    const lines: number[] = [];
    await jobs.results('big', ({ line, result }) => {
      expect(result.outputText).toBe(String(line));
      lines.push(line);
    });
    expect(lines).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(table.queries()).toBe(3); // 500 a page
  });

  it('cancel: marks the job, twice is no error, an unknown job is', async () => {
    const jobs = setup();
    await jobs.submit(fileOf(['{"input":1}']), { jobId: 'j', fileSha256: 'sha' });
    const first = await jobs.cancel('j');
    const second = await jobs.cancel('j');
    expect(first.jobState).toBe('CANCELLED');
    expect(second.cancelledAt).toBe(first.cancelledAt);
    await expect(jobs.cancel('nope')).rejects.toThrow(/no job nope/);
    const listed = [];
    for await (const job of jobs.list()) listed.push(job.job);
    expect(listed).toEqual(['j']);
  });
});
