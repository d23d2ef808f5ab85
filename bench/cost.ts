import type { PipelineRunResult } from './pipelineRun.js';
import { prices } from './prices.js';

/** Dollars per one million requests, by service. */
export interface CostPerMillion {
  readonly sagemaker: number;
  readonly lambda: number;
  readonly sqs: number;
  readonly dynamodb: number;
  readonly total: number;
}

/**
 * Prices a run per one million requests. The endpoint is charged for its busy time: an
 * endpoint sized to its load pays for the instance-seconds the model computes, which is
 * exactly what batching reduces. Lambda pays GB-s and requests, SQS requests, DynamoDB
 * on-demand units.
 */
export function costPerMillion(run: PipelineRunResult): CostPerMillion {
  const scale = 1_000_000 / run.requests;
  const sagemaker = ((run.endpointBusySeconds * prices.sagemakerInstance.perHour) / 3_600) * scale;
  const lambda =
    (run.lambdaGbSeconds * prices.lambdaArm.perGbSecond +
      (run.lambdaInvocations * prices.lambdaArm.perMillionRequests) / 1e6) *
    scale;
  const sqs = ((run.sqsRequests * prices.sqs.perMillionRequests) / 1e6) * scale;
  const dynamodb =
    ((run.aws.dynamoWriteUnits * prices.dynamodbOnDemand.perMillionWriteUnits +
      run.aws.dynamoReadUnits * prices.dynamodbOnDemand.perMillionReadUnits) /
      1e6) *
    scale;
  return { sagemaker, lambda, sqs, dynamodb, total: sagemaker + lambda + sqs + dynamodb };
}
