#!/usr/bin/env node
/**
 * `sagebatch`: the command-line client. Resource names come from the deployed stack's
 * outputs (`--stack`, default Sagebatch); flags override them. Errors are one line on
 * stderr and exit code 1.
 */
import { writeFile } from 'node:fs/promises';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  readDeadLetters,
  redriveDeadLetters,
  SagebatchClient,
  SagebatchJobs,
} from '../client/index.js';
import { builtinModels } from '../dev/endpointEmulator/builtinModels.js';
import { EndpointEmulator } from '../dev/endpointEmulator/EndpointEmulator.js';
import { localEndpointPort } from '../dev/localAws.js';
import { formatResults, parseRequests, readLines } from './io.js';
import { addJobCommand } from './jobCommand.js';
import { progressBar } from './progress.js';
import { type ResourceOptions, resolveResources } from './resources.js';
import { addTuneCommand } from './tuneCommand.js';

const number = (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0)
    throw new InvalidArgumentError('must be a non-negative number');
  return parsed;
};

/** Adds the options every AWS-facing command shares. */
const withResources = (command: Command) =>
  command
    .option('--stack <name>', 'stack whose outputs name the resources', 'Sagebatch')
    .option('--local', 'talk to the local emulator (default when AWS_ENDPOINT_URL is set)')
    .option('--queue-url <url>', 'request queue URL (overrides the stack output)')
    .option('--dlq-url <url>', 'dead-letter queue URL (overrides the stack output)')
    .option('--table <name>', 'results table name (overrides the stack output)')
    .option(
      '--topic-arn <arn>',
      'completion topic ARN for wait (overrides the stack output CompletionTopicArn)',
    );

async function clientFor(options: ResourceOptions) {
  const resources = await resolveResources(options);
  return {
    resources,
    client: new SagebatchClient({
      sqs: resources.sqs,
      dynamo: resources.dynamo,
      queueUrl: resources.queueUrl,
      tableName: resources.tableName,
      // Offloaded outputs are read only from the pipeline's own bucket: without its name
      // (no stack output, no flag) a row pointing to S3 fails with a clear message.
      ...(resources.resultsBucket === undefined
        ? {}
        : { s3: resources.s3, resultsBucket: resources.resultsBucket }),
      ...(resources.completionTopicArn === undefined
        ? {}
        : { sns: resources.sns, completionTopicArn: resources.completionTopicArn }),
    }),
  };
}

const program = new Command('sagebatch')
  .description('Batch SageMaker inference requests through SQS; read results from DynamoDB.')
  .showHelpAfterError();

program
  .command('endpoint')
  .description('run the local SageMaker endpoint emulator (until Ctrl-C)')
  .option('--port <port>', 'port to listen on (default: SAGEBATCH_ENDPOINT_PORT or 8080)', number)
  .option('--host <address>', 'address to bind (0.0.0.0 for Lambda containers)', '127.0.0.1')
  .addOption(
    new Option('--model <name>', 'built-in model')
      .choices(Object.keys(builtinModels))
      .default('text-stats'),
  )
  .option(
    '--proxy <url>',
    'forward to a SageMaker-contract container (GET /ping, POST /invocations)',
  )
  .option('--concurrency <n>', 'calls served at once', number, 1)
  .option(
    '--poison <marker>',
    'fail any batch holding an item containing this text (ModelError, --poison-status)',
  )
  .option('--poison-status <status>', "the container's status for a poison batch", number, 400)
  .option('--hang-above-items <n>', 'never answer a batch of more items than this', number)
  .option(
    '--endpoint-name <name...>',
    'serve only these endpoint names; others get a ValidationError "not found"',
  )
  .option('--unavailable-rate <rate>', 'share of calls failing with 503', number, 0)
  .option('--latency-base-ms <ms>', 'simulated time per call', number, 0)
  .option('--latency-per-item-ms <ms>', 'simulated time per item', number, 0)
  .action(async (o) => {
    const emulator = new EndpointEmulator({
      port: o.port ?? localEndpointPort(),
      host: o.host,
      model: o.model,
      proxyUrl: o.proxy,
      concurrency: o.concurrency,
      faults: {
        poisonMarker: o.poison,
        poisonStatus: o.poisonStatus,
        hangAboveItems: o.hangAboveItems,
        endpointNames: o.endpointName,
        unavailableRate: o.unavailableRate,
        latencyBaseMs: o.latencyBaseMs,
        latencyPerItemMs: o.latencyPerItemMs,
      },
    });
    const url = await emulator.start();
    console.log(
      `local SageMaker endpoint on ${url} (set AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=${url})`,
    );
    const stop = async () => {
      await emulator.stop();
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

withResources(program.command('send'))
  .description(
    'send requests from a JSON Lines file (or stdin): one {"id"?, "input", "deadline"?} per line',
  )
  .argument('[file]', 'JSON Lines file; stdin when omitted or -')
  .option('--ids-out <file>', 'write the request ids here instead of stdout')
  .action(async (file: string | undefined, o) => {
    const requests = parseRequests(await readLines(file));
    const { client } = await clientFor(o);
    const bar = progressBar('send', requests.length);
    const ids: string[] = [];
    for (let i = 0; i < requests.length; i += 100) {
      ids.push(...(await client.submit(requests.slice(i, i + 100))));
      bar.update(ids.length);
    }
    bar.stop();
    if (o.idsOut) await writeFile(o.idsOut, `${ids.join('\n')}\n`);
    else console.log(ids.join('\n'));
  });

const resultsOptions = (command: Command) =>
  withResources(command)
    .argument('[idsFile]', 'file of request ids, one per line; stdin when omitted or -')
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'jsonl']).default('table'),
    );

resultsOptions(program.command('wait'))
  .description('wait until every request has a final result, then print them')
  .option('--timeout <seconds>', 'give up after this long', number, 300)
  .option('--poll', 'poll the results table even when the stack publishes completion events')
  .action(async (idsFile: string | undefined, o) => {
    const ids = await readLines(idsFile);
    const { client } = await clientFor(o);
    const bar = progressBar('results', ids.length);
    // Ctrl-C ends the wait cleanly: the temporary queue and its subscriptions are removed.
    const interrupt = new AbortController();
    const onSigint = () => interrupt.abort();
    process.once('SIGINT', onSigint);
    const { results, pending } = await client
      .waitForResults(ids, {
        timeoutMs: o.timeout * 1_000,
        mode: o.poll ? 'poll' : 'auto',
        signal: interrupt.signal,
        onProgress: (p) => bar.update(p.done),
      })
      .finally(() => {
        process.off('SIGINT', onSigint);
        bar.stop();
      });
    console.log(formatResults(ids, results, o.format));
    if (interrupt.signal.aborted)
      throw new Error(`interrupted: ${pending.length} of ${ids.length} requests still pending`);
    if (pending.length > 0)
      throw new Error(
        `${pending.length} of ${ids.length} requests have no final result after ${o.timeout} s`,
      );
  });

resultsOptions(program.command('results'))
  .description('print the current result of each request')
  .action(async (idsFile: string | undefined, o) => {
    const ids = await readLines(idsFile);
    const { client } = await clientFor(o);
    console.log(formatResults(ids, await client.getResults(ids), o.format));
  });

const dlq = program.command('dlq').description('inspect and redrive failed requests');
withResources(dlq.command('list'))
  .description('list dead-letter messages with their error attributes (they stay in the queue)')
  .option('--max <n>', 'most messages to list', number, 100)
  .addOption(
    new Option('--format <format>', 'output format').choices(['table', 'jsonl']).default('table'),
  )
  .action(async (o) => {
    const { resources } = await clientFor(o);
    const letters = await readDeadLetters(resources.sqs, resources.dlqUrl, { max: o.max });
    if (o.format === 'jsonl') {
      for (const { receiptHandle: _, ...letter } of letters) console.log(JSON.stringify(letter));
      return;
    }
    console.log(`${'REQUEST ID'.padEnd(38)} ${'CODE'.padEnd(20)} ${'TRIES'.padEnd(5)} MESSAGE`);
    for (const l of letters) {
      console.log(
        `${(l.requestId ?? '?').padEnd(38)} ${(l.errorCode ?? '(moved by SQS)').padEnd(20)} ${String(l.attempts ?? '').padEnd(5)} ${l.errorMessage ?? ''}`,
      );
    }
    console.error(`${letters.length} message(s)`);
  });
withResources(dlq.command('redrive'))
  .description('send dead-letter messages back to the request queue, bodies (and so ids) unchanged')
  .option('--max <n>', 'most messages to move', number)
  .action(async (o) => {
    const { resources } = await clientFor(o);
    const moved = await redriveDeadLetters(resources.sqs, resources.dlqUrl, resources.queueUrl, {
      max: o.max,
    });
    console.log(`redrove ${moved} message(s) to the request queue`);
  });

withResources(program.command('stats'))
  .description('queue depths, and the local endpoint emulator counters')
  .option(
    '--endpoint-url <url>',
    'local endpoint emulator (default: http://127.0.0.1:$SAGEBATCH_ENDPOINT_PORT, port 8080 if unset)',
  )
  .action(async (o) => {
    const { resources } = await clientFor(o);
    const endpointUrl: string = o.endpointUrl ?? `http://127.0.0.1:${localEndpointPort()}`;
    const depth = async (url: string) => {
      const { Attributes: a = {} } = await resources.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return {
        visible: Number(a.ApproximateNumberOfMessages),
        inFlight: Number(a.ApproximateNumberOfMessagesNotVisible),
      };
    };
    const endpoint = await fetch(new URL('/_emulator/stats', endpointUrl))
      .then((r) => r.json())
      .catch(() => 'not reachable');
    console.log(
      JSON.stringify(
        {
          requestQueue: await depth(resources.queueUrl),
          dlq: await depth(resources.dlqUrl),
          endpoint,
        },
        null,
        2,
      ),
    );
  });

addJobCommand(program, withResources, async (options) => {
  const { resources, client } = await clientFor(options);
  return new SagebatchJobs({
    sqs: resources.sqs,
    dynamo: resources.dynamo,
    queueUrl: resources.queueUrl,
    tableName: resources.tableName,
    results: client,
  });
});
addTuneCommand(program);

program.parseAsync().catch((error: unknown) => {
  console.error(`sagebatch: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
