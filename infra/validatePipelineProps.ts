import { Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { saveReserveMs } from '../lib/contract/saveReserve.js';
import {
  type BatcherConfig,
  checkSettings,
  endpointCapacity,
  type PropSettingKey,
  type PropSettings,
  propSettingKeys,
  settingDefault,
} from '../lib/contract/settings.js';

/** The resolved infrastructure settings {@link validatePipelineProps} checks. */
export interface PipelineLimitsInput {
  readonly batchSize: number;
  readonly batchingWindow: Duration;
  readonly maxConcurrency: number | undefined;
  readonly reservedConcurrency?: number | undefined;
  readonly finalizerMaxConcurrency?: number | undefined;
  readonly finalizerReservedConcurrency?: number | undefined;
  readonly timeout: Duration;
  readonly visibilityTimeout: Duration;
  readonly memorySize: number;
  readonly resultTtl: Duration;
}

/** Invalid BatchingPipeline props: every problem found, with the construct's path. */
export class PipelinePropsError extends Error {
  /** Path of the construct in the app, e.g. `Sagebatch/Pipeline`. */
  readonly path: string;
  readonly problems: readonly string[];

  constructor(path: string, problems: readonly string[]) {
    super(`Invalid BatchingPipeline props at ${path}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PipelinePropsError';
    this.path = path;
    this.problems = problems;
  }
}

/**
 * In-flight messages (received, not yet deleted) a standard queue holds at most: "approximately
 * 120,000"; past it, long polling returns nothing, without an error, so the event source
 * stalls silently.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html
 */
export const maxInFlightMessages = 120_000;

/**
 * Messages of the request queue in flight when every concurrent function is busy: each
 * holds one batch, and each may have handed back its previous batch, hidden for the
 * redelivery backoff (ChangeMessageVisibility) and so still in flight: 2 x batchSize x
 * maxConcurrency. The bound holds while an invocation lasts at least as long as the
 * backoff it sets (5 s after a first delivery); invocations that fail faster can hide more
 * for a while, which slows intake until the backoff ends but never stalls it.
 */
export const inFlightBound = (batchSize: number, maxConcurrency: number) =>
  2 * batchSize * maxConcurrency;

const isInt = (value: number, min: number, max: number) =>
  Token.isUnresolved(value) || (Number.isInteger(value) && value >= min && value <= max);

/**
 * Checks the event source, function and queue settings against the AWS limits they meet.
 * Every problem is collected and returned, so a user fixes them all in one round.
 */
export function validatePipelineProps(p: PipelineLimitsInput): string[] {
  const problems: string[] = [];
  const windowS = p.batchingWindow.toSeconds();
  const timeoutS = p.timeout.toSeconds();
  if (!isInt(p.batchSize, 1, 10_000)) {
    problems.push(`batchSize must be an integer from 1 to 10000 (got ${p.batchSize})`);
  }
  if (p.batchSize > 10 && windowS < 1) {
    problems.push(
      `batchSize ${p.batchSize} > 10 needs a batchingWindow of at least 1 second (got ${windowS} s)`,
    );
  }
  if (windowS > 300) problems.push(`batchingWindow must be at most 300 seconds (got ${windowS} s)`);
  if (p.maxConcurrency !== undefined && !isInt(p.maxConcurrency, 2, 1_000)) {
    problems.push(`maxConcurrency must be an integer from 2 to 1000 (got ${p.maxConcurrency})`);
  }
  const concurrency = p.maxConcurrency ?? 1_000;
  if (
    !Token.isUnresolved(p.batchSize) &&
    !Token.isUnresolved(concurrency) &&
    inFlightBound(p.batchSize, concurrency) > maxInFlightMessages
  ) {
    problems.push(
      `batchSize x maxConcurrency = ${p.batchSize * concurrency} messages in functions, plus as many waiting out the redelivery backoff, passes the ~${maxInFlightMessages} in-flight messages of a standard SQS queue (the event source would stall): keep batchSize x maxConcurrency at most ${maxInFlightMessages / 2}`,
    );
  }
  if (timeoutS < 10 || timeoutS > 900)
    problems.push(`timeout must be from 10 seconds to 15 minutes (got ${timeoutS} s)`);
  const minVisibility = 6 * timeoutS + windowS;
  if (p.visibilityTimeout.toSeconds() < minVisibility) {
    problems.push(
      `visibilityTimeout must be at least 6 x timeout + batchingWindow = ${minVisibility} s (got ${p.visibilityTimeout.toSeconds()} s)`,
    );
  }
  if (p.visibilityTimeout.toSeconds() > 43_200)
    problems.push('visibilityTimeout must be at most 12 hours');
  if (!isInt(p.memorySize, 128, 10_240))
    problems.push(`memorySize must be from 128 to 10240 MB (got ${p.memorySize})`);
  problems.push(...concurrencyProblems(p));
  return problems;
}

/**
 * Event source caps (`maximumConcurrency`, 2-1000) and reserved concurrency. A reserved
 * concurrency under the cap makes Lambda throttle the mapping's own invocations, which
 * AWS advises against ("don't configure the maximum concurrency setting to be greater than
 * the function's reserved concurrency"): reserve at least the cap.
 * https://repost.aws/knowledge-center/lambda-sqs-scaling ; the cap's range, 2-1000:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-eventsourcemapping-scalingconfig.html
 */
function concurrencyProblems(p: PipelineLimitsInput): string[] {
  const problems: string[] = [];
  if (p.finalizerMaxConcurrency !== undefined && !isInt(p.finalizerMaxConcurrency, 2, 1_000)) {
    problems.push(
      `finalizerMaxConcurrency must be an integer from 2 to 1000 (got ${p.finalizerMaxConcurrency})`,
    );
  }
  const pairs = [
    ['reservedConcurrency', p.reservedConcurrency, 'maxConcurrency', p.maxConcurrency],
    [
      'finalizerReservedConcurrency',
      p.finalizerReservedConcurrency,
      'finalizerMaxConcurrency',
      p.finalizerMaxConcurrency,
    ],
  ] as const;
  for (const [name, reserved, capName, cap] of pairs) {
    if (reserved === undefined || Token.isUnresolved(reserved)) continue;
    if (!Number.isInteger(reserved) || reserved < 1) {
      problems.push(`${name} must be a positive integer (got ${reserved})`);
    } else if (cap !== undefined && !Token.isUnresolved(cap) && reserved < cap) {
      problems.push(
        `${name} (${reserved}) must be at least ${capName} (${cap}): a lower reservation throttles the event source's own invocations`,
      );
    }
  }
  return problems;
}

/**
 * What the batcher's handler keeps after the save reserve: middy aborts 500 ms before the
 * timeout and the save phase ends 100 ms before that (functions/batcher/handler.ts).
 */
const handlerMarginMs = 600;

/**
 * The function timeout must fit one model call at `modelCallTimeoutMs` plus the save
 * reserve of a full batch: otherwise a call still waiting on a slow endpoint is cut by the
 * time budget on every delivery, and its requests end RETRIES_EXHAUSTED with a healthy
 * endpoint. `TIME_RESERVE_MS` is not a prop: its default applies.
 */
export function checkCallFitsTimeout(
  timeout: Duration,
  modelCallTimeoutMs: number,
  batchSize: number,
): string[] {
  if (Token.isUnresolved(batchSize)) return [];
  const reserve = saveReserveMs(settingDefault('timeReserveMs'), batchSize);
  const neededMs = modelCallTimeoutMs + reserve + handlerMarginMs;
  if (timeout.toMilliseconds() >= neededMs) return [];
  return [
    `timeout (${timeout.toSeconds()} s) must fit one model call of modelCallTimeoutMs (${modelCallTimeoutMs} ms) plus the save reserve of ${batchSize} records (${reserve} ms) and the handler's ${handlerMarginMs} ms margin: at least ${Math.ceil(neededMs / 1000)} s, or lower modelCallTimeoutMs`,
  ];
}

/** What bounds the model calls in flight against the endpoint. */
export type EndpointCapacityInput =
  | { readonly mode: 'existing'; readonly maxConcurrentCalls: number | undefined }
  | {
      readonly mode: 'created';
      /** The most instances the endpoint runs: `scaling.maxInstances`, else `instanceCount`. */
      readonly instances: number;
      readonly callsPerInstance: number | undefined;
    };

/**
 * Every concurrent function instance may have `modelParallelism` calls in flight, so the
 * endpoint may see `maxConcurrency x modelParallelism` at once: that must stay within what
 * it is sized to take (see `endpointCapacity` in lib/contract/settings.ts), the instances
 * it runs at most times the calls each takes, or the bound given for an existing endpoint.
 */
export function checkEndpointConcurrency(
  maxConcurrency: number,
  modelParallelism: number,
  endpoint: EndpointCapacityInput,
): string[] {
  if (Token.isUnresolved(maxConcurrency)) return [];
  const inFlight = maxConcurrency * modelParallelism;
  const head = `maxConcurrency x modelParallelism = ${inFlight} model calls in flight exceeds`;
  const fix =
    'lower maxConcurrency or modelParallelism, or size the endpoint for it (each call past its capacity comes back busy or waits past the 60 s limit)';
  if (endpoint.mode === 'existing') {
    const setting = endpointCapacity.maxConcurrentCalls;
    const parsed = setting.schema.safeParse(endpoint.maxConcurrentCalls ?? setting.default);
    if (!parsed.success) return [`${setting.prop} must be an integer from 1 to 1000000`];
    return inFlight > parsed.data ? [`${head} ${setting.prop} (${parsed.data}): ${fix}`] : [];
  }
  const setting = endpointCapacity.callsPerInstance;
  const parsed = setting.schema.safeParse(endpoint.callsPerInstance ?? setting.default);
  if (!parsed.success) return [`${setting.prop} must be an integer from 1 to 10000`];
  const bound = endpoint.instances * parsed.data;
  return inFlight > bound
    ? [
        `${head} ${endpoint.instances} instances x ${setting.prop} (${parsed.data}) = ${bound}: ${fix}`,
      ]
    : [];
}

/** The function settings a pipeline's props give, checked by the batcher's own schemas. */
export interface FunctionSettings {
  /** Every setting with a value (given or default), as the function will read it. */
  readonly values: Partial<BatcherConfig>;
  readonly problems: string[];
}

/**
 * Checks the props that are batcher settings (and the endpoint name) with the very schemas
 * `loadConfig` applies at cold start, so a value the function would reject fails at synth.
 */
export function checkFunctionSettings(
  props: PropSettings,
  endpointName: string | undefined,
  resultTtl: Duration,
): FunctionSettings {
  const raw: Partial<Record<keyof BatcherConfig, unknown>> = {
    resultTtlSeconds: resultTtl.toSeconds(),
  };
  for (const key of propSettingKeys) raw[key] = props[key as PropSettingKey];
  if (endpointName !== undefined) raw.endpointName = endpointName;
  const label = (key: keyof BatcherConfig) =>
    key === 'resultTtlSeconds' ? 'resultTtl (seconds)' : key;
  return checkSettings(raw, label, { requireAll: false });
}

/** Throws one {@link PipelinePropsError} when `problems` is not empty. */
export function throwIfInvalid(scope: IConstruct, problems: readonly string[]): void {
  if (problems.length > 0) throw new PipelinePropsError(scope.node.path, problems);
}

/** Default visibility timeout: the AWS guidance of 6 x the function timeout, plus the window. */
export const defaultVisibilityTimeout = (timeout: Duration, window: Duration) =>
  Duration.seconds(6 * timeout.toSeconds() + window.toSeconds());
