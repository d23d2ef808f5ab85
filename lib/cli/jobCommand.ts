import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline';
import { type Command, InvalidArgumentError } from 'commander';
import {
  checkLines,
  defaultInstancePricePerHour,
  InvalidLinesError,
  type JobResultLine,
  type JobStatus,
  type SagebatchJobs,
} from '../client/index.js';
import { progressBar } from './progress.js';
import type { ResourceOptions } from './resources.js';

const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};

/** The lines of a file, blank ones included (line numbers match an editor's), streamed. */
const linesOf = (file: string) => () =>
  createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });

/** SHA-256 of a file, hex, streamed. */
async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The default job id: the file's name and the start of its SHA-256, so running the same
 * submit again resumes the same job, and another file makes another job.
 */
export function defaultJobId(file: string, sha256: string): string {
  const stem = basename(file, extname(file))
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 100);
  return `${stem || 'job'}-${sha256.slice(0, 12)}`;
}

/** Writes a line, waiting when the stream's buffer is full: constant memory. */
async function writeLine(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(`${text}\n`)) await once(stream, 'drain');
}

/** A results-file line: the output as its exact JSON text, or the error. */
export function resultLine({ line, result }: JobResultLine): string {
  const head = `{"id":${JSON.stringify(result.id)},"line":${line},"status":${JSON.stringify(result.status)}`;
  if (result.outputText !== undefined) return `${head},"output":${result.outputText}}`;
  return `${head},"error":${JSON.stringify(result.error ?? null)}}`;
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

/** `job status` as people read it. */
export function formatStatus({ job, progress }: JobStatus, pricePerHour: number): string {
  const c = progress.counts;
  const eta = progress.etaSeconds === undefined ? 'unknown' : `${Math.ceil(progress.etaSeconds)} s`;
  return [
    `job ${job.job} (${job.name}): ${job.jobState}${progress.complete ? ', complete' : ''}`,
    `  requests   ${c.requests} (${job.totalLines} lines, ${job.invalidLines} invalid not sent)`,
    `  done       ${progress.done} ${percent(progress.fractionDone)}`,
    `  SUCCEEDED  ${c.succeeded}`,
    `  FAILED     ${c.failed}`,
    `  CANCELLED  ${c.cancelled}`,
    `  RETRYING   ${c.retrying}`,
    `  pending    ${c.pending}`,
    `  throughput ${progress.throughputPerSecond === undefined ? 'unknown' : `${progress.throughputPerSecond.toFixed(1)} requests/s`}, ETA ${eta}`,
    `  cost       $${progress.costUsd.toFixed(4)} endpoint time (${progress.endpointSeconds.toFixed(1)} s at $${pricePerHour}/h, from the rows' modelLatencyMs / batchItems)`,
  ].join('\n');
}

/** Registers `sagebatch job submit | status | results | cancel | list`. */
export function addJobCommand(
  program: Command,
  withResources: (command: Command) => Command,
  jobsFor: (options: ResourceOptions) => Promise<SagebatchJobs>,
): void {
  const job = program
    .command('job')
    .description('submit a file of requests as one job, watch it, read its results, cancel it');

  withResources(job.command('submit'))
    .description(
      'check every line of a JSON Lines file ({"id"?, "input", "deadline"?} per line), then send it as a job; re-run to resume',
    )
    .argument('<file>', 'JSON Lines file')
    .option('--job <id>', 'job id (default: file name and the start of its SHA-256)')
    .option('--name <name>', 'a name for people (default: the job id)')
    .option('--skip-invalid', 'send the valid lines and list the invalid ones')
    .option('--checkpoint-lines <n>', 'lines between two submit checkpoints', positive, 1_000)
    .option('--result-ttl-days <days>', "the pipeline's RESULT_TTL_SECONDS, in days", positive, 7)
    .action(async (file: string, o) => {
      const sha = await sha256Of(file);
      const jobId: string = o.job ?? defaultJobId(file, sha);
      // Every line is checked before anything connects or sends.
      const check = await checkLines(linesOf(file), jobId);
      if (check.invalid.length > 0 && !o.skipInvalid)
        throw new InvalidLinesError(check.invalid, check.totalLines);
      for (const bad of check.invalid) console.error(`line ${bad.line} skipped: ${bad.message}`);
      const jobs = await jobsFor(o);
      // Ctrl-C stops at the next call: what was checkpointed is kept, a re-run continues.
      const interrupt = new AbortController();
      process.once('SIGINT', () => interrupt.abort());
      let bar: ReturnType<typeof progressBar> | undefined;
      const report = await jobs.submit(linesOf(file), {
        jobId,
        name: o.name,
        fileSha256: sha,
        signal: interrupt.signal,
        skipInvalid: Boolean(o.skipInvalid),
        checkpointLines: o.checkpointLines,
        resultTtlSeconds: Math.round(o.resultTtlDays * 86_400),
        onChecked: ({ requests, alreadySent }) => {
          bar = progressBar('submit', requests);
          bar.update(alreadySent);
        },
        onProgress: (sent) => bar?.update(sent),
      });
      bar?.stop();
      console.error(
        `job ${report.jobId}: ${report.requests} requests, ${report.sent} sent now, ${report.alreadySent} sent before, ${report.invalid.length} invalid lines skipped`,
      );
      console.log(report.jobId);
    });

  withResources(job.command('status'))
    .description('counts by state, throughput, ETA and endpoint cost of a job')
    .argument('<job>', 'job id')
    .option('--watch', 'refresh until every request is final')
    .option('--interval <seconds>', 'refresh interval with --watch', positive, 5)
    .option(
      '--price-per-hour <usd>',
      'endpoint instance price per hour (default: ml.g5.xlarge on demand, us-east-1)',
      positive,
      defaultInstancePricePerHour,
    )
    .option('--json', 'print JSON')
    .action(async (jobId: string, o) => {
      const jobs = await jobsFor(o);
      for (;;) {
        const status = await jobs.status(jobId, { pricePerHour: o.pricePerHour });
        console.log(
          o.json
            ? JSON.stringify({ job: status.job, ...status.progress })
            : formatStatus(status, o.pricePerHour),
        );
        if (!o.watch || status.progress.complete) return;
        await new Promise((resolve) => setTimeout(resolve, o.interval * 1_000));
      }
    });

  withResources(job.command('results'))
    .description('write one line per request, in input order, decoded: results, and errors apart')
    .argument('<job>', 'job id')
    .requiredOption('-o, --output <file>', 'results file (JSON Lines)')
    .option('--errors <file>', 'write FAILED and CANCELLED requests here instead')
    .action(async (jobId: string, o) => {
      const jobs = await jobsFor(o);
      const out = createWriteStream(o.output);
      const errors = o.errors ? createWriteStream(o.errors) : out;
      const { written, notFinal } = await jobs.results(jobId, (line) =>
        writeLine(line.result.status === 'SUCCEEDED' ? out : errors, resultLine(line)),
      );
      for (const stream of new Set([out, errors])) {
        stream.end();
        await once(stream, 'finish');
      }
      console.error(`${written} results written; ${notFinal} requests not final yet`);
    });

  withResources(job.command('cancel'))
    .description('cancel a job: requests not yet computed end CANCELLED, finished ones stay')
    .argument('<job>', 'job id')
    .action(async (jobId: string, o) => {
      const cancelled = await (await jobsFor(o)).cancel(jobId);
      console.log(`job ${cancelled.job} cancelled`);
    });

  withResources(job.command('list'))
    .description('list jobs, newest first')
    .action(async (o) => {
      const jobs = await jobsFor(o);
      console.log(`${'JOB'.padEnd(40)} ${'STATE'.padEnd(10)} ${'REQUESTS'.padEnd(9)} CREATED`);
      for await (const j of jobs.list()) {
        const state = j.completedAt === undefined ? j.jobState : `${j.jobState}*`;
        console.log(
          `${j.job.padEnd(40)} ${state.padEnd(10)} ${String(j.requests).padEnd(9)} ${new Date(j.createdAt).toISOString()}`,
        );
      }
    });
}
