import {
  defaultBatcherMemoryMb,
  memoryCandidatesMb,
  oneVcpuMemoryMb,
} from '../lib/contract/functionMemory.js';
import type { ResultEncoding } from '../lib/contract/resultEncoding.js';
import { type CostPerMillion, costPerMillion, ROW_LIFETIME_DAYS } from './cost.js';
import type { EncodingsResult } from './encodings.js';
import type { LatencyResult } from './latencyRun.js';
import type { CurvePoint } from './modelCurve.js';
import type { PipelineRunResult } from './pipelineRun.js';
import { prices } from './prices.js';
import type { Quality } from './quality.js';
import type { RoundsSummary } from './rounds.js';
import type { Spread } from './spread.js';
import { cloudwatchFixed } from './trafficProfile.js';

/** Everything one benchmark run measured. */
export interface BenchResults extends RoundsSummary {
  readonly mode: 'full' | 'quick';
  readonly model: string;
  readonly machine: string;
  readonly date: string;
  readonly commit: string;
  /** The median round's model curve. */
  readonly curve: CurvePoint[];
  /** The median round's runs (the round whose inference ratio is the median). */
  readonly baseline: Omit<PipelineRunResult, 'outputs' | 'rows'>;
  readonly sagebatch: Omit<PipelineRunResult, 'outputs' | 'rows'>;
  /** The median round's costs with json rows (today's), both modes. */
  readonly costs: { baseline: CostPerMillion; sagebatch: CostPerMillion };
  readonly costRatio: number;
  readonly efficiency: number;
  readonly quality: Quality;
  readonly latency: LatencyResult | undefined;
  readonly encodings: EncodingsResult;
}

const f = (n: number, digits = 2) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (n: number) => `$${n < 0.01 ? n.toFixed(5) : f(n, 3)}`;
const pct = (n: number) => `${f(n * 100, 1)}%`;
const range = (s: Spread) => `**${pct(s.median)}** (${pct(s.min)}–${pct(s.max)})`;

/** Cost ratio of what batching can change: the endpoint, Lambda and SQS (the median round's). */
export function inferenceRatio(r: Pick<BenchResults, 'costs'>): number {
  const path = (c: CostPerMillion) => c.sagemaker + c.lambda + c.sqs;
  return path(r.costs.sagebatch) / path(r.costs.baseline);
}

const encodingNames: Record<ResultEncoding, string> = {
  json: '`json` (the first release)',
  compressed: '`compressed` (gzip)',
  lossless: '`lossless` (float32 when exact, else gzip)',
  float32: '`float32`',
  float16: '`float16`',
  int8: '`int8`',
};

function targetsSection(r: BenchResults): string {
  // The quick run's model writes tiny outputs: no target says anything there.
  const verdict = (ok: boolean) =>
    r.mode === 'quick' ? 'n/a (quick run)' : ok ? 'met' : '**missed**';
  const e = (enc: ResultEncoding) => r.encodings.encodings.find((x) => x.encoding === enc)!;
  const row = (label: string, enc: ResultEncoding, limit: number, extra = '') => {
    const t = r.ratios.total[enc];
    const same = r.ratios.totalSameEncoding[enc];
    const c = r.costsByEncoding[enc].sagebatch;
    return `| ${label} | ${range(t)} | at most ${pct(limit)}${extra} | ${verdict(t.median <= limit)} | ${range(same)} | ${f(e(enc).writeUnitsPerRow, 2)} units, DynamoDB ${usd(c.dynamodb)} of ${usd(c.total)} |`;
  };
  const f16 = e('float16');
  return `## Targets

Ratios over ${r.rounds.length} interleaved rounds (model curve, one message per call, sagebatch; A B C A B C ...), **median (min–max)**.
"vs today's baseline": sagebatch with the encoding / one message per call writing today's json rows (the denominator of the
issue's 57.7%). "vs same-encoding baseline": both modes writing rows with that encoding, what batching alone buys.

| target | vs today's baseline | target | | vs same-encoding baseline | what the batched cost is made of (median round) |
|---|---|---|---|---|---|
${row(`lossless rows (the default: f32le when every number is a float32, else gzip; every value exact)`, 'lossless', 0.2, `; ${e('lossless').bitIdentical}/${e('lossless').rows} rows bit-identical`)}
${row('compressed JSON rows', 'compressed', 0.45)}
${row('packed float32 rows (bit-identical)', 'float32', 0.33, `; ${e('float32').bitIdentical}/${e('float32').rows} rows bit-identical`)}
${row('packed float16 rows', 'float16', 0.25, `, min cosine ${f16.minCosine.toFixed(9)} (>= 0.9999: ${verdict(f16.minCosine >= 0.9999)})`)}
| the inference path (endpoint + Lambda + SQS) | ${range(r.ratios.inference)} | at most 10% | ${verdict(r.ratios.inference.median <= 0.1)} | same | endpoint ${usd(r.costs.sagebatch.sagemaker)}, Lambda ${usd(r.costs.sagebatch.lambda)}, SQS ${usd(r.costs.sagebatch.sqs)} vs ${usd(r.costs.baseline.sagemaker + r.costs.baseline.lambda + r.costs.baseline.sqs)} |
| json rows (for reference) | ${range(r.ratios.total.json)} | | | | |
`;
}

/** What the batcher would cost at each memory size: the measured run, priced by the memory model. */
function memorySection(r: BenchResults): string {
  const run = r.sagebatch;
  const path = (c: CostPerMillion) => c.sagemaker + c.lambda + c.sqs;
  const reference = path(costPerMillion(r.baseline, undefined));
  const invocationSeconds = run.handlerSeconds / run.lambdaInvocations;
  const cpuSeconds = run.handlerCpuSeconds / run.lambdaInvocations;
  const rows = memoryCandidatesMb
    .map((mb) => {
      const c = costPerMillion(run, undefined, mb);
      const seconds = invocationSeconds + cpuSeconds * (Math.max(1, oneVcpuMemoryMb / mb) - 1);
      const mark = mb === run.memoryMb ? ' (the default)' : '';
      return `| ${mb}${mark} | ${f(seconds)} | ${f(((seconds * mb) / 1_024) * (1e6 / run.eventSize))} | ${usd(c.lambda)} | ${pct(path(c) / reference)} | ${pct(path(c) / path(costPerMillion(r.baseline, undefined, mb)))} |`;
    })
    .join('\n');
  return `## Function memory

Lambda gives a function CPU in proportion to its memory, one vCPU at ${oneVcpuMemoryMb.toLocaleString('en-US')} MB, and bills GB-s of its
whole duration, waiting included. Model (lib/contract/functionMemory.ts): an invocation lasts its wait plus its CPU time x
max(1, ${oneVcpuMemoryMb} / memory). From the median round's sagebatch run, measured here at one full core: ${f(invocationSeconds)} s per
invocation of ${run.eventSize.toLocaleString('en-US')} requests, of which at most ${f(cpuSeconds, 3)} s CPU (the whole process's, endpoint emulator
included: an upper bound). The construct's default is ${defaultBatcherMemoryMb} MB; no emulator enforces the allocation, so the other
rows are the model's, not runs.

| memory (MB) | seconds per invocation | GB-s per 1M requests | Lambda per 1M | inference path vs one per call at ${r.baseline.memoryMb} MB | vs one per call at the same memory |
|---|---|---|---|---|---|
${rows}
`;
}

function encodingsSection(r: BenchResults): string {
  const x = r.encodings;
  const named = (enc: ResultEncoding) =>
    `${encodingNames[enc]}${enc === x.defaultEncoding ? ' (**default**)' : ''}`;
  const rows = x.encodings
    .map((e) => {
      const c = r.costsByEncoding[e.encoding];
      const stored = Object.entries(e.storedAs)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      return `| ${named(e.encoding)} | ${f(e.rowBytes, 0)} (max ${f(e.maxRowBytes, 0)}) | ${f(e.writeUnitsPerRow, 2)} (${f(e.writeUnitsPerRowDocumented, 2)}; ${e.compactRows} compact) | ${stored} | ${f(e.encodeMicros, 0)} | ${e.minCosine.toFixed(9)} | ${e.maxAbsDiff.toExponential(2)} | ${e.bitIdentical}/${e.rows} | ${usd(c.sagebatch.dynamodb)} | ${usd(c.sagebatch.total)} | ${usd(c.baseline.total)} |`;
    })
    .join('\n');
  const reference = x.reference
    .map(
      (ref) =>
        `| ${ref.output} | ${named(ref.encoding)} | ${ref.storedAs} | ${f(ref.documentedBytes, 0)} | ${f(ref.storedBytes, 0)} | ${ref.documentedUnits} | **${ref.storedUnits}** |`,
    )
    .join('\n');
  const compressors = x.compressors
    .map(
      (c) =>
        `| ${c.name} | ${f(c.meanBytes, 0)} | ${pct(c.share)} | ${f(c.compressMicros, 0)} | ${f(c.decompressMicros, 0)} |`,
    )
    .join('\n');
  return `## Result encodings

Every SUCCEEDED row of the last round's sagebatch run (${x.rows.toLocaleString('en-US')} rows, the model's outputs, mean
${f(x.outputJsonBytes, 0)} bytes of JSON text each) re-encoded under each setting with \`lib/contract/resultEncoding.ts\`,
the row's other attributes unchanged (ids shaped like SQS message and Lambda request ids). Row size by DynamoDB's item
size rules (\`lib/contract/itemSize.ts\`), write units rounded up per row. Quality: each decoded output against the model's
full-precision output (its JSON numbers). Costs per 1M requests, median round, busy-time pricing.

| setting | row bytes, mean (as stored) | write units per row (documented form only; compact rows) | stored as (rows) | encode µs/row | min cosine | max abs diff | bit-identical rows | DynamoDB, sagebatch | total, sagebatch | total, one per call |
|---|---|---|---|---|---|---|---|---|---|---|
${rows}

A row is stored in the compact form (one-letter attribute names, \`v: 2\`; lib/contract/compactRow.ts) only when that
saves a whole write unit; readers get the documented form back either way.

Reference outputs near the 1 KB write unit, each row with UUID ids as on AWS (\`bench/encodings.ts\`), in the documented
form and as stored:

| output | setting | stored as | bytes, documented form | bytes, as stored | write units, documented form | write units, as stored |
|---|---|---|---|---|---|---|
${reference}

Compressors measured on the same outputs (up to 500; why \`compressed\` is gzip):

| compressor | bytes, mean | of the JSON | compress µs | decompress µs |
|---|---|---|---|---|
${compressors}

gzip carries a CRC-32 and the length, so a damaged value is rejected instead of decoded to other text; brotli has no
checksum. Where brotli is smaller, the difference rarely changes a row's whole write units.
`;
}

function profileSection(r: BenchResults): string {
  const sections = r.profiles.map(({ profile, costs }) => {
    const rows = costs
      .map(
        (c) =>
          `| ${c.mode} | ${f(c.meanItemsPerCall, 1)} | ${f(c.instanceHours, 0)}${c.hoursBehind ? ` (behind ${f(c.hoursBehind, 0)} h)` : ''} | ${usd(c.endpointM5)} | ${usd(c.endpointG5)} | ${usd(c.lambda)} | ${usd(c.sqs)} | ${usd(c.dynamodb)} | ${usd(c.cloudwatch)} | **${usd(c.totalM5)}** | **${usd(c.totalG5)}** |`,
      )
      .join('\n');
    const day = profile.day
      .map((b) => `${b.label} ${b.hours} h: ${pct(b.share)} of the day's requests`)
      .join(', ');
    return `### ${profile.name}

${day}; 30 days; endpoint autoscaled on the backlog between ${profile.minInstances} and ${profile.maxInstances} instances; event
source window ${profile.windowSeconds} s, batch size ${profile.batchSize.toLocaleString('en-US')}, calls of at most ${profile.modelBatchMaxItems} items.

| mode | items per call | instance-hours / month | endpoint ml.m5.xlarge | endpoint ml.g5.xlarge | Lambda | SQS | DynamoDB | CloudWatch | total (m5) | total (g5) |
|---|---|---|---|---|---|---|---|---|---|---|
${rows}
`;
  });
  return `## Cost per 1M requests at a traffic profile (instance-hours)

The busy-time figures above charge the endpoint only for the seconds it computes: true only of an endpoint always fully
used. Here the endpoint is charged for its **instance-hours**, whether busy or not. Each block of hours: the arrival rate;
the records an invocation gathers (rate x window, at most the batch size); the calls they make; the endpoint seconds a
request costs at that call size (the median round's measured model curve, interpolated); the instances a backlog policy
settles on (the count at which the backlog stops growing, and at least backlog / ${r.profiles[0]?.profile.backlogPerInstance ?? 1000}), clamped to the
range. Lambda: the endpoint time of the request's calls plus the per-record handler time the run measured beyond the
endpoint's busy time, at 1 GB. SQS: sends, receives and deletes (10 a call) and idle polling (5 pollers long-polling 20 s:
an estimate). DynamoDB: the row's write units, the pre-check's read, storage for the row's ${ROW_LIFETIME_DAYS} days. CloudWatch:
${cloudwatchFixed.customMetrics} custom metrics, ${cloudwatchFixed.alarmMetrics} alarm metrics, 1 dashboard, and ${f(cloudwatchFixed.logBytesPerInvocation, 0)} log bytes per invocation (an
estimate, not measured). **ml.g5.xlarge was not measured** (no GPU here): it is given the CPU's instance count, an upper bound
if the GPU is at least as fast; at these rates the ${r.profiles[0]?.profile.minInstances ?? 1}-instance floor decides most hours anyway. Direct InvokeEndpoint:
the endpoint alone, no queue, no rows (the caller keeps the answer), the same instance-hours rule.

${sections.join('\n')}`;
}

/** The Markdown report (charts are separate SVG files next to it). */
export function renderReport(r: BenchResults): string {
  const verdict = (ok: boolean) =>
    r.mode === 'quick' ? 'n/a (quick run)' : ok ? 'met' : '**missed**';
  const best = Math.max(...r.curve.map((p) => p.itemsPerSecond));
  const row = (label: string, pick: (x: BenchResults['baseline']) => string) =>
    `| ${label} | ${pick(r.baseline)} | ${pick(r.sagebatch)} |`;
  const costRow = (label: string, key: keyof CostPerMillion) =>
    `| ${label} | ${usd(r.costs.baseline[key])} | ${usd(r.costs.sagebatch[key])} | ${usd(r.costsByEncoding[r.encodings.defaultEncoding].sagebatch[key])} |`;
  const efficiency = r.efficiencyMeaningful
    ? `${range(r.ratios.efficiency)} (median round ${f(r.sagebatch.itemsPerSecond, 1)} / ${f(best, 1)})`
    : `not meaningful here (${range(r.ratios.efficiency)}: ${r.mode === 'quick' ? "the simulated model's calls overlap while the curve runs them one at a time, and the run is small" : 'above 100%: the curve was measured slower than the pipeline ran'})`;
  const rounds = r.rounds
    .map(
      (x, i) =>
        `| ${i + 1}${i === r.medianRound ? ' (median)' : ''} | ${f(x.curveBest, 1)} | ${f(x.baselineItemsPerSecond, 1)} | ${f(x.batchedItemsPerSecond, 1)} | ${pct(x.efficiency)} | ${pct(x.inferenceRatio)} | ${pct(x.totalRatio.json)} | ${pct(x.totalRatio.lossless)} | ${pct(x.totalRatio.compressed)} | ${pct(x.totalRatio.float32)} | ${pct(x.totalRatio.float16)} |`,
    )
    .join('\n');
  return `# sagebatch benchmark (${r.mode})

- model: ${r.model}
- machine: ${r.machine}
- date: ${r.date}, commit ${r.commit}
- rerun: \`npm run bench\`${r.mode === 'quick' ? ' (this is the `--quick` smoke run: built-in deterministic model, small counts; its figures are not the benchmark)' : ''}

## Headline

| measure | result (median of ${r.rounds.length} rounds, min–max) | target | |
|---|---|---|---|
| cost per 1M requests, sagebatch / one message per call, json rows (the first release's) | ${range(r.ratios.total.json)} | | |
| the same with the default \`${r.encodings.defaultEncoding}\` rows (every value exact) | ${range(r.ratios.total[r.encodings.defaultEncoding])} | at most 20% | ${verdict(r.ratios.total[r.encodings.defaultEncoding].median <= 0.2)} |
| the same with \`float16\` rows | ${range(r.ratios.total.float16)} | at most 25% | ${verdict(r.ratios.total.float16.median <= 0.25)} |
| the inference path (endpoint + Lambda + SQS), sagebatch at ${r.sagebatch.memoryMb} MB, one per call at ${r.baseline.memoryMb} MB | ${range(r.ratios.inference)} | at most 10% | ${verdict(r.ratios.inference.median <= 0.1)} |
| pipeline efficiency (sagebatch items/s / the same round's model best) | ${efficiency} | at least 90% | ${r.efficiencyMeaningful ? verdict(r.ratios.efficiency.median >= 0.9) : 'n/a'} |
| quality: min cosine, batched vs alone | **${r.quality.minCosine.toFixed(7)}** (max abs diff ${r.quality.maxAbsDiff.toExponential(2)}, ${r.quality.identical}/${r.quality.compared} identical) | at least 0.9999 | ${verdict(r.quality.minCosine >= 0.9999)} |
| latency enqueue -> result, p50 / p95 / p99 | ${r.latency ? `${r.latency.p50} / ${r.latency.p95} / ${r.latency.p99} ms (window ${r.latency.windowSeconds} s)` : 'not measured'} | bounded by the window | |

Busy-time pricing (the endpoint charged only for the seconds it computes). At a traffic profile with instance-hours, see
[the traffic profile](#cost-per-1m-requests-at-a-traffic-profile-instance-hours).

${targetsSection(r)}
### Each round

| round | model best items/s | one per call items/s | sagebatch items/s | efficiency | inference path | total, json | total, lossless | total, compressed | total, float32 | total, float16 |
|---|---|---|---|---|---|---|---|---|---|---|
${rounds}

## The model's own curve

Measured directly against the model server, one call at a time, on 512 other sentences sorted by length and cut into consecutive
batches (padding as little as sagebatch's length-aware calls): the physical limit of this endpoint (median round).

![model curve](curve.svg)

| items per call | calls | ms per call | items/s |
|---|---|---|---|
${r.curve.map((p) => `| ${p.batchSize} | ${p.calls} | ${f(p.msPerCall, 1)} | ${f(p.itemsPerSecond, 1)} |`).join('\n')}

## One message per call vs sagebatch

The real handler code, driven with SQS events of the sizes the event source mapping would
deliver, calling the model through the local endpoint emulator's proxy mode, on the same
${r.baseline.requests.toLocaleString('en-US')} sentences in every round. DynamoDB and the DLQ are in-process fakes counting each API call
(write units by DynamoDB's item size rules; the pre-check's strongly consistent reads at 1 unit a key). The median round:

| | one message per call | sagebatch |
|---|---|---|
${row('records per Lambda invocation', (x) => String(x.eventSize))}
${row('items per model call (max)', (x) => String(x.modelBatchItems))}
${row('model calls', (x) => x.modelCalls.toLocaleString('en-US'))}
${row('endpoint busy seconds', (x) => f(x.endpointBusySeconds))}
${row('items/s', (x) => f(x.itemsPerSecond, 1))}
${row('Lambda invocations', (x) => x.lambdaInvocations.toLocaleString('en-US'))}
${row('handler duration here, summed (s)', (x) => f(x.handlerSeconds))}
${row('of which process CPU (s)', (x) => f(x.handlerCpuSeconds))}
${row('function memory (MB)', (x) => String(x.memoryMb))}
${row('Lambda GB-s at that memory', (x) => f(x.lambdaGbSeconds))}
${row('SQS requests', (x) => x.sqsRequests.toLocaleString('en-US'))}
${row('DynamoDB requests', (x) => x.aws.dynamoRequests.toLocaleString('en-US'))}
${row('DynamoDB write / read units (json rows)', (x) => `${x.aws.dynamoWriteUnits.toLocaleString('en-US')} / ${x.aws.dynamoReadUnits.toLocaleString('en-US')}`)}
${row('records failed', (x) => String(x.failedRecords))}

## Cost per 1M requests

Busy-time pricing, median round.

![cost](cost.svg)

| service | one message per call (json rows) | sagebatch, json rows | sagebatch, ${r.encodings.defaultEncoding} rows (the default) |
|---|---|---|---|
${costRow('SageMaker endpoint (busy time, ml.m5.xlarge)', 'sagemaker')}
${costRow('Lambda (GB-s + requests)', 'lambda')}
${costRow('SQS requests', 'sqs')}
${costRow(`DynamoDB (writes, reads, ${ROW_LIFETIME_DAYS} days of storage)`, 'dynamodb')}
${costRow('**total**', 'total')}

Every alternative, busy time: direct InvokeEndpoint with no pipeline (the caller keeps the answer; no queue, no rows)
costs ${usd(r.direct.onePerCall)} per 1M at one item a call and ${usd(r.direct.batchesOf64)} in full calls of 64 (the median round's
curve; the endpoint alone). On ml.g5.xlarge the same busy seconds would cost ${f(prices.sagemakerGpuInstance.perHour / prices.sagemakerInstance.perHour, 1)}x more; its speed was not measured.

${memorySection(r)}
${encodingsSection(r)}
${profileSection(r)}
Prices (${prices.region}, read ${prices.retrieved}):

| item | price | source |
|---|---|---|
| SageMaker ${prices.sagemakerInstance.type} | $${prices.sagemakerInstance.perHour}/hour | ${prices.sagemakerInstance.source} |
| SageMaker ${prices.sagemakerGpuInstance.type} | $${prices.sagemakerGpuInstance.perHour}/hour | ${prices.sagemakerGpuInstance.source} |
| Lambda Arm | $${prices.lambdaArm.perGbSecond}/GB-s, $${prices.lambdaArm.perMillionRequests}/1M requests | ${prices.lambdaArm.source} |
| SQS standard | $${prices.sqs.perMillionRequests}/1M requests | ${prices.sqs.source} |
| DynamoDB on-demand | $${prices.dynamodbOnDemand.perMillionWriteUnits}/1M write units, $${prices.dynamodbOnDemand.perMillionReadUnits}/1M read units | ${prices.dynamodbOnDemand.source} |
| DynamoDB storage | $${prices.dynamodbStorage.perGbMonth}/GB-month | ${prices.dynamodbStorage.source} |
| S3 Standard (offload path, not yet used) | $${prices.s3.perGbMonth}/GB-month, $${prices.s3.perThousandPuts}/1,000 PUT, $${prices.s3.perThousandGets}/1,000 GET | ${prices.s3.source} |
| CloudWatch | $${prices.cloudwatch.perMetricMonth}/metric-month, $${prices.cloudwatch.perAlarmMetricMonth}/alarm metric-month, $${prices.cloudwatch.perDashboardMonth}/dashboard-month, $${prices.cloudwatch.perGbLogsIngested}/GB logs ingested | ${prices.cloudwatch.source} |

## Quality

Every sagebatch output of the median round was compared with the same input computed alone (the one-message-per-call
run): ${r.quality.compared.toLocaleString('en-US')} pairs, max absolute difference ${r.quality.maxAbsDiff.toExponential(3)},
min cosine ${r.quality.minCosine.toFixed(9)}, ${r.quality.identical} bit-identical. What each result encoding keeps is in
[Result encodings](#result-encodings).

## Latency

${
  r.latency
    ? `${r.latency.sent} requests offered at ${r.latency.rate}/s for ${r.latency.seconds} s through the stack deployed to the local AWS emulator
(batching window ${r.latency.windowSeconds} s); ${r.latency.completed} SUCCEEDED; enqueue -> result p50 ${r.latency.p50} ms, p95 ${r.latency.p95} ms,
p99 ${r.latency.p99} ms; mean ${f(r.latency.meanItemsPerModelCall, 1)} items per model call. The bound the window sets, window + slowest model
call, is ${r.latency.boundMs} ms; ${f(r.latency.withinBound * 100, 1)}% of requests were within it (Lambda, SQS and DynamoDB time come on top).`
    : 'Not measured in this run.'
}

## Method

- Rounds: each round measures the model curve, then one message per call, then sagebatch, on the same inputs; ratios are
  taken within a round and reported as the median with the range over rounds. Dollar tables are the median round's (the
  round whose inference ratio is the median).
- Busy-time cost: each run's endpoint busy time is priced at the instance's hourly rate; Lambda from the summed handler
  durations at the function's memory; SQS requests as producer SendMessageBatch calls (10 a call), event-source receives
  (10 a call) and one DeleteMessageBatch per 10 records of each invocation; DynamoDB per row written (1 KB units of the
  whole row), per key read by the pre-check (strongly consistent, 1 unit) and ${ROW_LIFETIME_DAYS} days of storage per row (+100 bytes).
- Both modes use the same model server, inputs and Lambda concurrency, in one process run; each is priced at its
  function's memory (sagebatch at the construct's default, one message per call at ${r.baseline.memoryMb} MB as before), by
  [the memory model](#function-memory). Both are priced
  with the same rows per encoding (measured on sagebatch's rows; a one-per-call row differs by a few bytes of
  \`batchItems\` and latency digits). The runs write \`json\` rows; each other encoding's extra encoding time
  (its "encode µs/row" over json's) is added to the function's GB-s in every cost it enters.
- Timings come from one machine and vary between runs; the ratios are what to read.
`;
}
