import { Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import {
  type BatcherConfig,
  checkSettings,
  type PropSettingKey,
  type PropSettings,
  propSettingKeys,
} from '../lib/contract/settings.js';

/** The resolved infrastructure settings {@link validatePipelineProps} checks. */
export interface PipelineLimitsInput {
  readonly batchSize: number;
  readonly batchingWindow: Duration;
  readonly maxConcurrency: number | undefined;
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
  return problems;
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
