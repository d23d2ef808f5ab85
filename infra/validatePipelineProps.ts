import { Duration, Token } from 'aws-cdk-lib';
import { AwsLimits } from '../lib/limits.js';
import { packings } from '../lib/planner.js';

/** The resolved numbers {@link validatePipelineProps} checks. */
export interface PipelineLimitsInput {
  readonly batchSize: number;
  readonly batchingWindow: Duration;
  readonly maxConcurrency: number | undefined;
  readonly fifo: boolean;
  readonly timeout: Duration;
  readonly visibilityTimeout: Duration;
  readonly memorySize: number;
  readonly modelBatchMaxItems: number;
  readonly modelBatchMaxBytes: number;
  readonly modelParallelism: number;
  readonly modelBatchMaxTokens: number;
  readonly modelBatchPacking: string;
  readonly maxInputBytes: number;
  readonly maxReceiveCount: number;
  readonly resultTtl: Duration;
}

const isInt = (value: number, min: number, max: number) =>
  Token.isUnresolved(value) || (Number.isInteger(value) && value >= min && value <= max);

/**
 * Checks the pipeline's settings against the AWS limits they meet. Every problem is
 * collected and returned, so a user fixes them all in one round.
 */
export function validatePipelineProps(p: PipelineLimitsInput): string[] {
  const problems: string[] = [];
  const windowS = p.batchingWindow.toSeconds();
  const timeoutS = p.timeout.toSeconds();
  if (!isInt(p.batchSize, 1, p.fifo ? 10 : 10_000)) {
    problems.push(
      `batchSize must be an integer from 1 to ${p.fifo ? '10 for a FIFO queue' : '10000'} (got ${p.batchSize})`,
    );
  }
  if (p.fifo && windowS > 0) {
    problems.push(
      `batchingWindow must be 0 for a FIFO queue: FIFO event sources have no batching window (got ${windowS} s)`,
    );
  }
  if (!p.fifo && p.batchSize > 10 && windowS < 1) {
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
  if (!isInt(p.modelBatchMaxItems, 1, 10_000)) {
    problems.push(
      `modelBatchMaxItems must be an integer from 1 to 10000 (got ${p.modelBatchMaxItems})`,
    );
  }
  if (!isInt(p.modelBatchMaxBytes, 1_024, AwsLimits.invokeEndpointMaxBodyBytes)) {
    problems.push(
      `modelBatchMaxBytes must be from 1024 to ${AwsLimits.invokeEndpointMaxBodyBytes} (the InvokeEndpoint limit) (got ${p.modelBatchMaxBytes})`,
    );
  }
  if (!isInt(p.modelBatchMaxTokens, 1, 100_000_000)) {
    problems.push(
      `modelBatchMaxTokens must be an integer from 1 to 100000000 (got ${p.modelBatchMaxTokens})`,
    );
  }
  if (!(packings as readonly string[]).includes(p.modelBatchPacking)) {
    problems.push(
      `modelBatchPacking must be one of ${packings.join(', ')} (got ${p.modelBatchPacking})`,
    );
  }
  if (!isInt(p.modelParallelism, 1, 64))
    problems.push(`modelParallelism must be an integer from 1 to 64 (got ${p.modelParallelism})`);
  if (!isInt(p.maxInputBytes, 1, Math.min(AwsLimits.sqsMaxMessageBytes, p.modelBatchMaxBytes))) {
    problems.push(
      `maxInputBytes must be from 1 to min(1 MiB, modelBatchMaxBytes) (got ${p.maxInputBytes})`,
    );
  }
  if (!isInt(p.maxReceiveCount, 1, 1_000))
    problems.push(`maxReceiveCount must be an integer from 1 to 1000 (got ${p.maxReceiveCount})`);
  if (p.resultTtl.toSeconds() < 60)
    problems.push(`resultTtl must be at least 60 seconds (got ${p.resultTtl.toSeconds()} s)`);
  return problems;
}

/** Default visibility timeout: the AWS guidance of 6 x the function timeout, plus the window. */
export const defaultVisibilityTimeout = (timeout: Duration, window: Duration) =>
  Duration.seconds(6 * timeout.toSeconds() + window.toSeconds());
