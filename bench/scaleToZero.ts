import { secondsPerItem } from './cost.js';
import type { CurvePoint } from './modelCurve.js';
import { prices } from './prices.js';
import { cloudwatchFixed } from './trafficProfile.js';

/**
 * The times that decide what scale to zero costs and how long the first request waits,
 * each from AWS's documentation or an explicit assumption where AWS gives no figure.
 */
export const scaleToZeroTiming = {
  /**
   * From the first message to the scale-out: the backlog alarm's 1-minute period, then
   * Application Auto Scaling's reaction. AWS: "The time to trigger the scaling action is
   * usually 1–2 minutes longer than those minutes" (AWS Machine Learning Blog, "Unlock cost
   * savings with the new scale down to zero feature in SageMaker Inference", 2024-12-03).
   */
  alarmSeconds: 120,
  /**
   * Instance start and model load. AWS gives no figure: "the provisioning process takes
   * several minutes"
   * (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html).
   * Assumed 6 minutes; a large model image or artifact takes longer.
   */
  instanceStartSeconds: 360,
  /** The construct's default `idleBeforeScaleToZero`: copies stay this long after the backlog empties. */
  idleSeconds: 900,
  /**
   * After the copies reach zero, "After 10 additional minutes of inactivity, SageMaker
   * automatically stops all underlying instances of the endpoint" (the same AWS blog post).
   */
  instanceStopSeconds: 600,
  /** The batcher's no-capacity backoff after the first delivery (lib/contract/noCapacityBackoff.ts). */
  holdRetrySeconds: 120,
  /**
   * Billing: SageMaker bills instance time by the second with no minimum
   * (https://aws.amazon.com/sagemaker/pricing/, "pay only for what you use"; per-second
   * billing with no minimum as quoted by cloudroutehq.com/aws-ai/amazon-sagemaker-pricing).
   * The start is counted as billed (conservative). The effective minimum per wake-up is then
   * start + idle + stop = 31 minutes of one instance.
   */
  billedStartSeconds: 360,
} as const;

/** Seconds one instance is billed per wake-up beyond its busy time. */
export const minimumBilledSecondsPerWake =
  scaleToZeroTiming.billedStartSeconds +
  scaleToZeroTiming.idleSeconds +
  scaleToZeroTiming.instanceStopSeconds;

/**
 * First-request latency after idle: the alarm, the instance start, and at most one
 * no-capacity backoff before the held request is delivered again.
 */
export const coldStartSeconds =
  scaleToZeroTiming.alarmSeconds +
  scaleToZeroTiming.instanceStartSeconds +
  scaleToZeroTiming.holdRetrySeconds;

/** A workload with idle time: `wakesPerMonth` bursts of `activeHours` each. */
export interface BurstyWorkload {
  readonly name: string;
  readonly requestsPerMonth: number;
  /** Bursts a month (working days, nightly jobs). */
  readonly wakesPerMonth: number;
  /** Hours requests keep arriving in each burst; 0 for a job that arrives at once. */
  readonly activeHours: number;
}

/** Per-request costs of a way of serving besides the endpoint, per 1M requests (from results.json). */
export interface RestCosts {
  readonly lambda: number;
  readonly sqs: number;
  readonly dynamodb: number;
}

/** The measured serving figures a mode runs at. */
export interface ModeFigures {
  readonly name: string;
  /** Items per model call the mode achieves (results.json: meanItemsPerCall). */
  readonly itemsPerCall: number;
  readonly rest: RestCosts | null;
}

/** One workload priced one way. */
export interface ScaleToZeroCost {
  readonly mode: string;
  readonly scaling: 'always-on' | 'scale to zero';
  readonly instanceHours: number;
  /** Dollars per 1M requests, by instance type. */
  readonly totalM5: number;
  readonly totalG5: number;
  /** Of the totals: RETRYING rows rewritten while requests wait for the instance start. */
  readonly holds: number;
}

/** Extra alarms of scale to zero (scale-out and idle), each with two metrics (math expression). */
const scaleToZeroAlarmMetrics = 4;

/**
 * Prices `workload` always-on (one instance at least, around the clock, more while busy)
 * and scaled to zero (instances only while there is work, plus start, idle time and stop
 * per wake-up), with one copy per instance and up to `maxInstances`. Busy seconds come from
 * the measured model curve at the mode's items per call. Requests arriving during a cold
 * start are held: their RETRYING row is rewritten on every delivery (one write unit each).
 */
export function priceScaleToZero(
  workload: BurstyWorkload,
  curve: readonly CurvePoint[],
  mode: ModeFigures,
  scaling: 'always-on' | 'scale to zero',
  maxInstances = 8,
): ScaleToZeroCost {
  const busySeconds = workload.requestsPerMonth * secondsPerItem(curve, mode.itemsPerCall);
  const perWakeBusy = busySeconds / workload.wakesPerMonth;
  const activeSeconds = workload.activeHours * 3_600;
  // Instances a burst needs so the work fits its active time (a job: as many as allowed).
  const instances =
    activeSeconds > 0
      ? Math.min(maxInstances, Math.max(1, Math.ceil(perWakeBusy / activeSeconds)))
      : maxInstances;
  const burstSeconds = Math.max(activeSeconds, perWakeBusy / instances);
  let instanceSeconds: number;
  let heldDeliveries = 0;
  if (scaling === 'always-on') {
    const month = 30 * 86_400;
    instanceSeconds = month + workload.wakesPerMonth * burstSeconds * (instances - 1);
  } else {
    instanceSeconds =
      workload.wakesPerMonth * instances * (burstSeconds + minimumBilledSecondsPerWake);
    const cold = scaleToZeroTiming.alarmSeconds + scaleToZeroTiming.instanceStartSeconds;
    // Requests arriving during the start: a job all at once, a stream at its rate.
    const perWake = workload.requestsPerMonth / workload.wakesPerMonth;
    const heldPerWake =
      activeSeconds > 0 ? Math.min(perWake, (perWake / activeSeconds) * cold) : perWake;
    const deliveries = 1 + Math.ceil(cold / scaleToZeroTiming.holdRetrySeconds);
    heldDeliveries = workload.wakesPerMonth * heldPerWake * deliveries;
  }
  const perMillion = 1e6 / workload.requestsPerMonth;
  const hours = instanceSeconds / 3_600;
  const rest = mode.rest;
  const holds = rest
    ? ((heldDeliveries * prices.dynamodbOnDemand.perMillionWriteUnits) / 1e6) * perMillion
    : 0;
  const cloudwatch = rest
    ? (cloudwatchFixed.customMetrics * prices.cloudwatch.perMetricMonth +
        (cloudwatchFixed.alarmMetrics +
          (scaling === 'scale to zero' ? scaleToZeroAlarmMetrics : 0)) *
          prices.cloudwatch.perAlarmMetricMonth +
        cloudwatchFixed.dashboards * prices.cloudwatch.perDashboardMonth) *
      perMillion
    : 0;
  const other = rest ? rest.lambda + rest.sqs + rest.dynamodb + cloudwatch + holds : 0;
  return {
    mode: mode.name,
    scaling,
    instanceHours: hours,
    totalM5: hours * prices.sagemakerInstance.perHour * perMillion + other,
    totalG5: hours * prices.sagemakerGpuInstance.perHour * perMillion + other,
    holds,
  };
}

/**
 * The workloads scale to zero is priced on: working hours (10 h on 22 days a month) at
 * 1M, 10M and 100M requests a month, and a nightly bulk job of 2M requests at once. Round-
 * the-clock traffic never leaves the backlog empty for the idle time: there scale to zero
 * costs what always-on costs.
 */
export const burstyWorkloads: readonly BurstyWorkload[] = [
  ...[1e6, 10e6, 100e6].map((requestsPerMonth) => ({
    name: `${requestsPerMonth / 1e6}M requests/month, working hours (10 h x 22 days)`,
    requestsPerMonth,
    wakesPerMonth: 22,
    activeHours: 10,
  })),
  {
    name: 'nightly bulk job, 2M requests once a day',
    requestsPerMonth: 60e6,
    wakesPerMonth: 30,
    activeHours: 0,
  },
];
