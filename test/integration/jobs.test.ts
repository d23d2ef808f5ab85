import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobStatus, readDeadLetters, SagebatchJobs } from '../../lib/client/index.js';
import { jobKey } from '../../lib/contract/job.js';
import { waitUntilDrained } from './drain.js';
import { type LocalStack, startLocalStack } from './localStack.js';

/**
 * Jobs on the deployed stack, through AWS APIs only: a job file with ~1% invalid lines and a
 * poison input, its submit interrupted inside a checkpoint window and resumed; status counts
 * exact at every read; the results file equal to the model's outputs line for line; a job
 * cancelled mid-way. Negative control: a broken resume (a checkpoint moved past lines that
 * were never sent) must be caught by the same accounting as lost lines.
 */
const run = Date.now().toString(36);
let stack: LocalStack;
let dir: string;

beforeAll(async () => {
  stack = await startLocalStack(`SagebatchJobs${run}`);
  dir = mkdtempSync(join(tmpdir(), 'sagebatch-jobs-'));
}, 600_000);

afterAll(async () => {
  await stack?.teardown();
}, 300_000);

/** The endpoint emulator's text-stats model, written again from its definition. */
function expectedOutput(input: unknown) {
  const text = JSON.stringify(input);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++)
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return { chars: text.length, checksum: hash };
}

/** What each line of a job file is. */
type LineKind =
  | { kind: 'valid'; input: unknown }
  | { kind: 'invalid' }
  | { kind: 'poison'; input: unknown };

/** Writes a job file of `n` lines: every 100th invalid, `poisonLine` carrying the poison marker. */
function jobFile(
  name: string,
  n: number,
  poisonLine?: number,
): { path: string; kinds: LineKind[] } {
  const kinds: LineKind[] = [];
  const lines: string[] = [];
  for (let line = 1; line <= n; line++) {
    if (line % 100 === 50) {
      kinds.push({ kind: 'invalid' });
      lines.push(`{"inputs":"typo on line ${line}"}`);
    } else {
      const input =
        line === poisonLine ? { text: `POISON ${line}` } : { text: `document ${line} of ${name}` };
      kinds.push(line === poisonLine ? { kind: 'poison', input } : { kind: 'valid', input });
      lines.push(JSON.stringify({ input }));
    }
  }
  const path = join(dir, `${name}.jsonl`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, kinds };
}

const linesOf = (path: string) => () =>
  createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });

/** The jobs client over an SQS port that aborts the submit after `abortAfterCalls` batch calls. */
function jobsClient(abortAfterCalls?: { calls: number; controller: AbortController }) {
  let calls = 0;
  const sqs: Pick<SQSClient, 'send'> = {
    send: ((command: Parameters<SQSClient['send']>[0]) => {
      calls++;
      // An interruption (Ctrl-C) in the middle of a checkpoint window: calls already made
      // complete, later ones are not made.
      if (abortAfterCalls && calls === abortAfterCalls.calls) abortAfterCalls.controller.abort();
      return stack.sqs.send(command);
    }) as SQSClient['send'],
  };
  return new SagebatchJobs({
    sqs,
    dynamo: stack.dynamo,
    queueUrl: stack.outputs.queueUrl,
    tableName: stack.outputs.tableName,
    results: stack.client,
  });
}

/** Status reads until complete; every read must be exact: states add up, never over 100%. */
async function watchUntilComplete(
  jobs: SagebatchJobs,
  jobId: string,
  requests: number,
  timeoutMs = 300_000,
) {
  const giveUp = Date.now() + timeoutMs;
  const reads: JobStatus[] = [];
  for (;;) {
    const status = await jobs.status(jobId);
    reads.push(status);
    const c = status.progress.counts;
    expect(c.requests).toBe(requests);
    expect(c.succeeded + c.failed + c.cancelled + c.retrying + c.pending).toBe(requests);
    expect(status.progress.fractionDone).toBeLessThanOrEqual(1);
    if (status.progress.complete) return reads;
    if (Date.now() > giveUp) throw new Error(`job ${jobId} not complete: ${JSON.stringify(c)}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/**
 * The job's accounting from its rows and results: lines with no row (lost), lines whose row
 * is not what the file says (wrong), and rows of lines that were never valid (stray).
 */
async function accountJob(jobs: SagebatchJobs, jobId: string, kinds: LineKind[]) {
  const got = new Map<number, { status: string; output?: unknown; code?: string }>();
  const order: number[] = [];
  await jobs.results(jobId, ({ line, result }) => {
    order.push(line);
    got.set(line, {
      status: result.status,
      ...(result.outputText === undefined ? {} : { output: JSON.parse(result.outputText) }),
      ...(result.error ? { code: result.error.code } : {}),
    });
  });
  const lost: number[] = [];
  const wrong: number[] = [];
  const stray: number[] = [];
  kinds.forEach((kind, i) => {
    const line = i + 1;
    const row = got.get(line);
    if (kind.kind === 'invalid') {
      if (row) stray.push(line);
      return;
    }
    if (!row) {
      lost.push(line);
      return;
    }
    const ok =
      kind.kind === 'poison'
        ? row.status === 'FAILED' && row.code === 'MODEL_REJECTED'
        : row.status === 'CANCELLED' ||
          (row.status === 'SUCCEEDED' &&
            JSON.stringify(row.output) === JSON.stringify(expectedOutput(kind.input)));
    if (!ok) wrong.push(line);
  });
  const inOrder = order.every((line, i) => i === 0 || line > order[i - 1]!);
  return { lost, wrong, stray, inOrder, rows: got };
}

describe('jobs on the local stack', () => {
  it('submits with ~1% invalid lines and a poison input, interrupted and resumed: no lost line, no duplicate row, exact counts, results line for line', async () => {
    // Prepare
    const n = 3_000;
    const { path, kinds } = jobFile('corpus', n, 777);
    const invalid = kinds.filter((k) => k.kind === 'invalid').length;
    stack.endpoint.setFaults({ poisonMarker: 'POISON' });
    const controller = new AbortController();
    const options = {
      jobId: `corpus-${run}`,
      fileSha256: 'sha-corpus',
      skipInvalid: true,
      checkpointLines: 200,
    };
    // Act: interrupted after 45 batch calls (in the third window of 20 calls), then resumed.
    await expect(
      jobsClient({ calls: 45, controller }).submit(linesOf(path), {
        ...options,
        signal: controller.signal,
      }),
    ).rejects.toThrow(/interrupted after 400 requests/);
    const jobs = jobsClient();
    const report = await jobs.submit(linesOf(path), options);
    const reads = await watchUntilComplete(jobs, options.jobId, n - invalid);
    // Assess
    expect(report).toMatchObject({
      requests: n - invalid,
      alreadySent: 400,
      sent: n - invalid - 400,
    });
    expect(report.invalid.map((l) => l.line)).toEqual(
      kinds.flatMap((k, i) => (k.kind === 'invalid' ? [i + 1] : [])),
    );
    const final = reads[reads.length - 1]!;
    expect(final.progress.counts).toEqual({
      succeeded: n - invalid - 1,
      failed: 1,
      cancelled: 0,
      retrying: 0,
      pending: 0,
      requests: n - invalid,
    });
    expect(reads.filter((r) => r.completedNow)).toHaveLength(1);
    expect(final.progress.endpointSeconds).toBeGreaterThan(0);
    const account = await accountJob(jobs, options.jobId, kinds);
    expect(account).toMatchObject({ lost: [], wrong: [], stray: [], inOrder: true });
    expect(account.rows.size).toBe(n - invalid); // one row per line: the resent window made none
    const letters = await readDeadLetters(stack.sqs, stack.outputs.dlqUrl, { max: 10 });
    expect(letters.map((l) => l.requestId)).toContain(`${options.jobId}:777`);
    stack.endpoint.setFaults({});
  }, 600_000);

  it('negative control: a broken resume (checkpoint past lines never sent) is caught as lost lines', async () => {
    const n = 300;
    const { path, kinds } = jobFile('broken', n);
    const invalid = kinds.filter((k) => k.kind === 'invalid').length;
    const controller = new AbortController();
    const jobId = `broken-${run}`;
    const options = { jobId, fileSha256: 'sha-broken', skipInvalid: true, checkpointLines: 50 };
    await expect(
      jobsClient({ calls: 7, controller }).submit(linesOf(path), {
        ...options,
        signal: controller.signal,
      }),
    ).rejects.toThrow(/interrupted after 50 requests/);
    // The broken variant: a checkpoint recorded before SQS accepted the window (lines 51-150).
    await stack.dynamo.send(
      new UpdateCommand({
        TableName: stack.outputs.tableName,
        Key: { id: jobKey(jobId) },
        UpdateExpression: 'SET submittedLines = :line, submittedRequests = :requests',
        ExpressionAttributeValues: { ':line': 150, ':requests': 149 },
      }),
    );
    const jobs = jobsClient();
    await jobs.submit(linesOf(path), options);
    await waitUntilDrained(stack.sqs, [stack.outputs.queueUrl], 120_000);
    const account = await accountJob(jobs, jobId, kinds);
    expect(account.lost.length).toBeGreaterThan(0);
    expect(account.lost.every((line) => line > 50 && line <= 150)).toBe(true);
    const status = await jobs.status(jobId);
    expect(status.progress.complete).toBe(false);
    expect(status.progress.counts.pending).toBe(account.lost.length);
    expect(status.progress.counts.requests).toBe(n - invalid);
  }, 300_000);

  it('cancel mid-job: requests not yet computed end CANCELLED without a model call or DLQ message; finished ones keep their result', async () => {
    // Prepare: the first 100 requests succeed; then the endpoint is busy for the rest.
    const n = 300;
    const { path, kinds } = jobFile('cancel', n);
    const requests = n - kinds.filter((k) => k.kind === 'invalid').length;
    const jobId = `cancel-${run}`;
    const controller = new AbortController();
    const options = { jobId, fileSha256: 'sha-cancel', skipInvalid: true, checkpointLines: 100 };
    await expect(
      jobsClient({ calls: 11, controller }).submit(linesOf(path), {
        ...options,
        signal: controller.signal,
      }),
    ).rejects.toThrow(/interrupted after 100 requests/);
    const jobs = jobsClient();
    const giveUp = Date.now() + 120_000;
    while ((await jobs.status(jobId)).progress.counts.succeeded < 100) {
      if (Date.now() > giveUp) throw new Error('the first 100 requests did not succeed');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    stack.endpoint.setFaults({ unavailableRate: 1 });
    await jobs.submit(linesOf(path), options);
    for (;;) {
      const { counts } = (await jobs.status(jobId)).progress;
      if (counts.retrying > 0) break;
      if (Date.now() > giveUp) throw new Error('no request was held by the busy endpoint');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Act
    await jobs.cancel(jobId);
    stack.endpoint.setFaults({});
    const reads = await watchUntilComplete(jobs, jobId, requests, 240_000);
    // Assess
    const { counts } = reads[reads.length - 1]!.progress;
    expect(counts.failed).toBe(0);
    expect(counts.cancelled).toBeGreaterThan(0);
    expect(counts.succeeded).toBeGreaterThanOrEqual(100);
    expect(counts.succeeded + counts.cancelled).toBe(requests);
    const account = await accountJob(jobs, jobId, kinds);
    expect(account).toMatchObject({ lost: [], wrong: [], stray: [] });
    for (const line of [1, 2, 99]) expect(account.rows.get(line)?.status).toBe('SUCCEEDED');
    const letters = await readDeadLetters(stack.sqs, stack.outputs.dlqUrl, { max: 10 });
    expect(letters.filter((l) => l.requestId?.startsWith(`${jobId}:`))).toEqual([]);
  }, 600_000);
});
