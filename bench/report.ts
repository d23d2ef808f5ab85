import type { CostPerMillion } from './cost.js';
import type { LatencyResult } from './latencyRun.js';
import type { CurvePoint } from './modelCurve.js';
import type { PipelineRunResult } from './pipelineRun.js';
import { prices } from './prices.js';
import type { Quality } from './quality.js';

/** Everything one benchmark run measured. */
export interface BenchResults {
  readonly mode: 'full' | 'quick';
  readonly model: string;
  readonly machine: string;
  readonly date: string;
  readonly commit: string;
  readonly curve: CurvePoint[];
  readonly baseline: Omit<PipelineRunResult, 'outputs'>;
  readonly sagebatch: Omit<PipelineRunResult, 'outputs'>;
  readonly costs: { baseline: CostPerMillion; sagebatch: CostPerMillion };
  readonly costRatio: number;
  readonly efficiency: number;
  readonly quality: Quality;
  readonly latency: LatencyResult | undefined;
}

const f = (n: number, digits = 2) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (n: number) => `$${n < 0.01 ? n.toFixed(5) : f(n, 3)}`;
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

/** Cost ratio of what batching can change: the endpoint, Lambda and SQS (result rows are written either way). */
export function inferenceRatio(r: Pick<BenchResults, 'costs'>): number {
  const path = (c: CostPerMillion) => c.sagemaker + c.lambda + c.sqs;
  return path(r.costs.sagebatch) / path(r.costs.baseline);
}

/** The Markdown report (charts are separate SVG files next to it). */
export function renderReport(r: BenchResults): string {
  const best = Math.max(...r.curve.map((p) => p.itemsPerSecond));
  const row = (label: string, pick: (x: BenchResults['baseline']) => string) =>
    `| ${label} | ${pick(r.baseline)} | ${pick(r.sagebatch)} |`;
  const costRow = (label: string, key: keyof CostPerMillion) =>
    `| ${label} | ${usd(r.costs.baseline[key])} | ${usd(r.costs.sagebatch[key])} |`;
  return `# sagebatch benchmark (${r.mode})

- model: ${r.model}
- machine: ${r.machine}
- date: ${r.date}, commit ${r.commit}
- rerun: \`npm run bench\`${r.mode === 'quick' ? ' (this is the `--quick` smoke run: built-in deterministic model, small counts; its figures are not the benchmark)' : ''}

## Headline

| measure | result | target | |
|---|---|---|---|
| cost per 1M requests, sagebatch / one message per call | **${f(r.costRatio * 100, 1)}%** (${usd(r.costs.sagebatch.total)} vs ${usd(r.costs.baseline.total)}) | at most 25% | ${verdict(r.costRatio <= 0.25)} |
| of which the inference path (endpoint + Lambda + SQS) | ${f(inferenceRatio(r) * 100, 1)}% | | |
| pipeline efficiency (sagebatch items/s / model's best items/s) | **${f(r.efficiency * 100, 1)}%** (${f(r.sagebatch.itemsPerSecond, 1)} / ${f(best, 1)}) | at least 90% | ${verdict(r.efficiency >= 0.9)} |
| quality: min cosine, batched vs alone | **${r.quality.minCosine.toFixed(7)}** (max abs diff ${r.quality.maxAbsDiff.toExponential(2)}, ${r.quality.identical}/${r.quality.compared} identical) | at least 0.9999 | ${verdict(r.quality.minCosine >= 0.9999)} |
| latency enqueue -> result, p50 / p95 / p99 | ${r.latency ? `${r.latency.p50} / ${r.latency.p95} / ${r.latency.p99} ms (window ${r.latency.windowSeconds} s)` : 'not measured'} | bounded by the window | |

## The model's own curve

Measured directly against the model server, one call at a time: the physical limit of this endpoint.

![model curve](curve.svg)

| items per call | calls | ms per call | items/s |
|---|---|---|---|
${r.curve.map((p) => `| ${p.batchSize} | ${p.calls} | ${f(p.msPerCall, 1)} | ${f(p.itemsPerSecond, 1)} |`).join('\n')}

## One message per call vs sagebatch

The real handler code, driven with SQS events of the sizes the event source mapping would
deliver, calling the model through the local endpoint emulator's proxy mode, on the same
${r.baseline.requests.toLocaleString('en-US')} sentences. DynamoDB and the DLQ are in-process fakes counting each API call.

| | one message per call | sagebatch |
|---|---|---|
${row('records per Lambda invocation', (x) => String(x.eventSize))}
${row('items per model call (max)', (x) => String(x.modelBatchItems))}
${row('model calls', (x) => x.modelCalls.toLocaleString('en-US'))}
${row('endpoint busy seconds', (x) => f(x.endpointBusySeconds))}
${row('items/s', (x) => f(x.itemsPerSecond, 1))}
${row('Lambda invocations', (x) => x.lambdaInvocations.toLocaleString('en-US'))}
${row('handler duration, summed (s)', (x) => f(x.handlerSeconds))}
${row('Lambda GB-s', (x) => f(x.lambdaGbSeconds))}
${row('SQS requests', (x) => x.sqsRequests.toLocaleString('en-US'))}
${row('DynamoDB requests', (x) => x.aws.dynamoRequests.toLocaleString('en-US'))}
${row('DynamoDB write / read units', (x) => `${x.aws.dynamoWriteUnits.toLocaleString('en-US')} / ${x.aws.dynamoReadUnits.toLocaleString('en-US')}`)}
${row('records failed', (x) => String(x.failedRecords))}

## Cost per 1M requests

![cost](cost.svg)

| service | one message per call | sagebatch |
|---|---|---|
${costRow('SageMaker endpoint (busy time)', 'sagemaker')}
${costRow('Lambda (GB-s + requests)', 'lambda')}
${costRow('SQS requests', 'sqs')}
${costRow('DynamoDB on-demand', 'dynamodb')}
${costRow('**total**', 'total')}

Prices (${prices.region}, read ${prices.retrieved}):

| item | price | source |
|---|---|---|
| SageMaker ${prices.sagemakerInstance.type} | $${prices.sagemakerInstance.perHour}/hour | ${prices.sagemakerInstance.source} |
| Lambda Arm | $${prices.lambdaArm.perGbSecond}/GB-s, $${prices.lambdaArm.perMillionRequests}/1M requests | ${prices.lambdaArm.source} |
| SQS standard | $${prices.sqs.perMillionRequests}/1M requests | ${prices.sqs.source} |
| DynamoDB on-demand | $${prices.dynamodbOnDemand.perMillionWriteUnits}/1M write units, $${prices.dynamodbOnDemand.perMillionReadUnits}/1M read units | ${prices.dynamodbOnDemand.source} |

## Quality

Every sagebatch output was compared with the same input computed alone (the one-message-per-call
run): ${r.quality.compared.toLocaleString('en-US')} pairs, max absolute difference ${r.quality.maxAbsDiff.toExponential(3)},
min cosine ${r.quality.minCosine.toFixed(9)}, ${r.quality.identical} bit-identical.

## Latency

${
  r.latency
    ? `${r.latency.sent} requests offered at ${r.latency.rate}/s for ${r.latency.seconds} s through the stack deployed to the local AWS emulator
(batching window ${r.latency.windowSeconds} s); ${r.latency.completed} SUCCEEDED; enqueue -> result p50 ${r.latency.p50} ms, p95 ${r.latency.p95} ms,
p99 ${r.latency.p99} ms; mean ${f(r.latency.meanItemsPerModelCall, 1)} items per model call. The bound the window sets, window + slowest model
call, is ${r.latency.boundMs} ms; ${f(r.latency.withinBound * 100, 1)}% of requests were within it (Lambda, SQS and DynamoDB time come on top).`
    : 'Not measured in this run.'
}

## Reading the results

- Result storage does not shrink with batching: both runs write one row per request, so
  DynamoDB costs the same (${usd(r.costs.sagebatch.dynamodb)} per 1M) and is
  ${f((r.costs.sagebatch.dynamodb / r.costs.sagebatch.total) * 100, 0)}% of sagebatch's total. Its write units follow the row
  size (${f(r.sagebatch.aws.dynamoWriteUnits / r.sagebatch.requests, 1)} units per row here: 1 unit per KB of output JSON).
- Endpoint busy time per request: ${f((r.baseline.endpointBusySeconds / r.baseline.requests) * 1_000, 1)} ms alone,
  ${f((r.sagebatch.endpointBusySeconds / r.sagebatch.requests) * 1_000, 1)} ms batched.

## Method

- Cost: each run's endpoint busy time is priced at the instance's hourly rate (an endpoint sized
  to its load pays for the seconds its model computes); Lambda is priced from the summed
  handler durations at the function's memory; SQS requests are counted as producer
  SendMessageBatch calls (10 a call), event-source receives (10 a call) and one
  DeleteMessageBatch per 10 records of each invocation; DynamoDB units are counted per item
  written (1 KB units) and per key read (0.5 unit, eventually consistent).
- Both runs use the same model server, inputs, Lambda concurrency and memory, in one process run.
- Timings come from one machine and vary between runs; the ratios are what to read.
`;
}
