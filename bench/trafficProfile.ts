import { dynamoPerRequest, type RowCost, secondsPerItem } from './cost.js';
import type { CurvePoint } from './modelCurve.js';
import { prices } from './prices.js';

/** A month of traffic with a daily peak, and the settings the pipeline runs with. */
export interface TrafficProfile {
  readonly name: string;
  readonly requestsPerMonth: number;
  /** Share of a day's requests in each block of hours: a peak, the working day, the night. */
  readonly day: readonly {
    readonly hours: number;
    readonly share: number;
    readonly label: string;
  }[];
  readonly minInstances: number;
  readonly maxInstances: number;
  /** The event source's batching window, s, and batch size (the construct's defaults). */
  readonly windowSeconds: number;
  readonly batchSize: number;
  readonly modelBatchMaxItems: number;
  /** Backlog per instance the scaling policy aims at (the construct's default: batchSize). */
  readonly backlogPerInstance: number;
}

/** How one way of serving a profile is measured, from the run. */
export interface ServingMode {
  readonly name: string;
  /** Records an invocation gets at `rate` requests/s (1 for one message per call; none: no pipeline). */
  readonly recordsPerInvocation: ((rate: number) => number) | null;
  readonly maxItemsPerCall: number;
  /** Handler time per record beyond the endpoint's own time, s (measured in the run). */
  readonly overheadSecondsPerRecord: number;
  readonly row: RowCost | null;
  /** The function's memory, MB (its GB-s price). @default 1024 */
  readonly memoryMb?: number;
}

/** A profile priced for one mode. */
export interface ProfileCost {
  readonly mode: string;
  readonly instanceHours: number;
  /** Hours in which the load exceeded `maxInstances` (requests wait longer: the backlog grows). */
  readonly hoursBehind: number;
  /** Dollars per 1M requests by item, instance-hours priced at ml.m5.xlarge and ml.g5.xlarge. */
  readonly endpointM5: number;
  readonly endpointG5: number;
  readonly lambda: number;
  readonly sqs: number;
  readonly dynamodb: number;
  readonly cloudwatch: number;
  readonly totalM5: number;
  readonly totalG5: number;
  readonly meanItemsPerCall: number;
}

/** What CloudWatch bills a pipeline per month, besides log ingestion (README: metrics, alarms, dashboard). */
export const cloudwatchFixed = {
  /** Metric names the batcher and finalizer emit under one `service` dimension (README, Configuration). */
  customMetrics: 19,
  /** Alarm metrics: 9 to 11 alarms, the model-error-rate alarm counting two; 11 in created mode. */
  alarmMetrics: 11,
  dashboards: 1,
  /** Log bytes per invocation: Lambda's START/END/REPORT lines and one EMF document (an estimate, not measured). */
  logBytesPerInvocation: 1_500,
};

/** Idle SQS polling by the event source: about 5 pollers long-polling 20 s each (an estimate). */
const IDLE_RECEIVES_PER_MONTH = 5 * 3 * 60 * 24 * 30;

/**
 * Prices a month of `profile` hour by hour. Each hour: the arrival rate; the records an
 * invocation gathers (rate x window, at most batchSize); the calls it makes (at most
 * `modelBatchMaxItems` items, filled evenly); the endpoint seconds a request costs at that
 * call size (the measured model curve); the instances a backlog policy settles on, the
 * count at which the backlog stops growing, clamped to [min, max]. Instance-hours are
 * priced at each instance type's hourly rate, whether busy or not.
 *
 * ml.g5.xlarge's speed was not measured (no GPU here): it is given the CPU's instance
 * count, an upper bound as long as the GPU is at least as fast; with `minInstances` set, the
 * floor usually decides the count anyway.
 */
export function priceProfile(
  profile: TrafficProfile,
  curve: readonly CurvePoint[],
  mode: ServingMode,
): ProfileCost {
  const days = 30;
  const perDay = profile.requestsPerMonth / days;
  let instanceHours = 0;
  let hoursBehind = 0;
  let lambdaSeconds = 0;
  let invocations = 0;
  let sqsRequests =
    profile.requestsPerMonth / 10 + (mode.recordsPerInvocation ? IDLE_RECEIVES_PER_MONTH : 0);
  let items = 0;
  let calls = 0;
  for (const block of profile.day) {
    const rate = (perDay * block.share) / (block.hours * 3_600);
    const records = mode.recordsPerInvocation
      ? mode.recordsPerInvocation(rate)
      : mode.maxItemsPerCall;
    const callsPerInvocation = Math.ceil(records / mode.maxItemsPerCall);
    const perCall = records / callsPerInvocation;
    const endpointSeconds = secondsPerItem(curve, perCall);
    const load = rate * endpointSeconds;
    const backlogFloor = Math.ceil((rate * profile.windowSeconds) / profile.backlogPerInstance);
    const wanted = Math.max(Math.ceil(load), backlogFloor);
    const instances = Math.min(profile.maxInstances, Math.max(profile.minInstances, wanted));
    const hours = block.hours * days;
    instanceHours += instances * hours;
    if (load > profile.maxInstances) hoursBehind += hours;
    const requests = perDay * block.share * days;
    items += requests;
    calls += requests / perCall;
    if (mode.recordsPerInvocation) {
      const blockInvocations = requests / records;
      invocations += blockInvocations;
      lambdaSeconds +=
        requests *
        (endpointSeconds +
          mode.overheadSecondsPerRecord +
          (mode.row?.extraEncodeMicrosPerRow ?? 0) / 1e6);
      // Receives and deletes, 10 records a call, per invocation.
      sqsRequests += blockInvocations * 2 * Math.ceil(records / 10);
    }
  }
  if (!mode.recordsPerInvocation) sqsRequests = 0;
  const perMillion = 1e6 / profile.requestsPerMonth;
  const endpointM5 = instanceHours * prices.sagemakerInstance.perHour * perMillion;
  const endpointG5 = instanceHours * prices.sagemakerGpuInstance.perHour * perMillion;
  const lambda =
    (lambdaSeconds * ((mode.memoryMb ?? 1_024) / 1_024) * prices.lambdaArm.perGbSecond +
      (invocations * prices.lambdaArm.perMillionRequests) / 1e6) *
    perMillion;
  const sqs = ((sqsRequests * prices.sqs.perMillionRequests) / 1e6) * perMillion;
  const dynamodb = mode.row ? dynamoPerRequest(mode.row, 1) * 1e6 : 0;
  const cloudwatch = mode.recordsPerInvocation
    ? (cloudwatchFixed.customMetrics * prices.cloudwatch.perMetricMonth +
        cloudwatchFixed.alarmMetrics * prices.cloudwatch.perAlarmMetricMonth +
        cloudwatchFixed.dashboards * prices.cloudwatch.perDashboardMonth +
        ((invocations * cloudwatchFixed.logBytesPerInvocation) / 2 ** 30) *
          prices.cloudwatch.perGbLogsIngested) *
      perMillion
    : 0;
  const rest = lambda + sqs + dynamodb + cloudwatch;
  return {
    mode: mode.name,
    instanceHours,
    hoursBehind,
    endpointM5,
    endpointG5,
    lambda,
    sqs,
    dynamodb,
    cloudwatch,
    totalM5: endpointM5 + rest,
    totalG5: endpointG5 + rest,
    meanItemsPerCall: items / calls,
  };
}

/** The profiles the report prices: the 10M a month, and ten times that. */
export const profiles: readonly TrafficProfile[] = [10e6, 100e6].map((requestsPerMonth) => ({
  name: `${requestsPerMonth / 1e6}M requests/month`,
  requestsPerMonth,
  day: [
    { hours: 4, share: 0.4, label: 'peak' },
    { hours: 12, share: 0.45, label: 'day' },
    { hours: 8, share: 0.15, label: 'night' },
  ],
  minInstances: 1,
  maxInstances: 8,
  windowSeconds: 5,
  batchSize: 1_000,
  modelBatchMaxItems: 64,
  backlogPerInstance: 1_000,
}));
