import {
  SageMakerRuntimeClient,
  type SageMakerRuntimeClientConfig,
} from '@aws-sdk/client-sagemaker-runtime';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { codecNames } from '../batcher/codecs/index.js';
import { estimateTokens } from '../batcher/plan/tokenEstimate.js';
import { SagebatchError } from '../contract/errors.js';
import { parseRequests, readLines } from './io.js';
import { endpointInvoker } from './tuner/endpointInvoker.js';
import { formatTuneReport, tune } from './tuner/tune.js';

const positiveList = (value: string) => {
  const list = value.split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 1))
    throw new InvalidArgumentError('must be a comma-separated list of positive integers');
  return list;
};
const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};

/** Registers `sagebatch tune`: measure an endpoint, fit a call's cost, print the settings. */
export function addTuneCommand(program: Command): void {
  program
    .command('tune')
    .description(
      'measure an endpoint across batch sizes and lengths, fit the cost of a call, and print the settings that maximise items/s within a latency bound',
    )
    .requiredOption('--endpoint-name <name>', 'SageMaker endpoint to measure')
    .requiredOption('--max-call-ms <ms>', 'latency bound of one model call', positive)
    .option(
      '--endpoint-url <url>',
      'SageMaker Runtime URL, e.g. the local endpoint emulator (default: AWS)',
    )
    .addOption(
      new Option('--codec <codec>', 'wire format of a batched call')
        .choices(codecNames)
        .default('json-instances'),
    )
    .option(
      '--sample <file>',
      'JSON Lines of representative requests {"input": ...}: their lengths weigh the recommendation (default: the measured lengths, equally)',
    )
    .option(
      '--batch-sizes <list>',
      'items per call to measure',
      positiveList,
      [1, 4, 16, 32, 64, 128],
    )
    .option(
      '--lengths <list>',
      'tokens per item to measure (estimated: input bytes / 4)',
      positiveList,
      [16, 64, 256],
    )
    .option(
      '--max-item-tokens <n>',
      'longest item the model reads, estimated tokens (default: the longest of --lengths)',
      positive,
    )
    .option(
      '--repeats <n>',
      'timed calls per shape, in interleaved rounds (the fastest counts)',
      positive,
      5,
    )
    .option('--parallelism <list>', 'calls in flight to try', positiveList, [1, 2, 4])
    .option(
      '--batch-size <n>',
      "requests per invocation the batcher will get (the pipeline's batchSize), to size its memory",
      positive,
      1_000,
    )
    .action(async (o) => {
      const sampleTokens = o.sample
        ? parseRequests(await readLines(o.sample)).map((r) =>
            estimateTokens(Buffer.byteLength(JSON.stringify(r.input))),
          )
        : (o.lengths as number[]);
      if (sampleTokens.length === 0) throw new SagebatchError(`${o.sample} holds no requests`);
      // The SDK's default retries: they cover a kept-alive connection the endpoint closed
      // while the tuner was computing (ECONNRESET).
      const config: SageMakerRuntimeClientConfig = {};
      if (o.endpointUrl) {
        config.endpoint = o.endpointUrl;
        config.region ??= process.env.AWS_REGION ?? 'us-east-1';
        if (!process.env.AWS_ACCESS_KEY_ID)
          config.credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
      }
      const invoke = endpointInvoker(new SageMakerRuntimeClient(config), o.endpointName, o.codec);
      const report = await tune(invoke, {
        maxCallMs: o.maxCallMs,
        batchSizes: o.batchSizes,
        lengths: o.lengths,
        sampleTokens,
        maxItemTokens: o.maxItemTokens ?? Math.max(...o.lengths),
        repeats: o.repeats,
        parallelisms: o.parallelism,
        batchSize: o.batchSize,
        onProgress: (line) => console.error(`» ${line}`),
      });
      console.log(formatTuneReport(report, o.maxCallMs));
    });
}
