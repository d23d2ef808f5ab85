import { oneVcpuMemoryMb } from '../lib/contract/functionMemory.js';
import type { CurvePoint } from './modelCurve.js';
import { type PipelineRunResult, runGbSeconds } from './pipelineRun.js';
import { prices } from './prices.js';

/** Dollars per one million requests, by service. */
export interface CostPerMillion {
  readonly sagemaker: number;
  readonly lambda: number;
  readonly sqs: number;
  /** Writes, the pre-check's reads and storage for the rows' lifetime. */
  readonly dynamodb: number;
  readonly total: number;
}

/** What one result row costs in DynamoDB under an encoding. */
export interface RowCost {
  readonly writeUnitsPerRow: number;
  readonly storageBytesPerRow: number;
  /**
   * Function CPU to encode one row beyond what the run itself spent (it wrote `json` rows),
   * µs: charged as Lambda time, so a smaller row is not priced as free to make. @default 0
   */
  readonly extraEncodeMicrosPerRow?: number;
}

/**
 * Memory of the one-message-per-call reference, MB: the function as sized before issue 21,
 * which every ratio since the first release was taken against (the report prices it at
 * sagebatch's size too).
 */
export const baselineMemoryMb = 1_024;

/** Days a row lives (the construct's default `resultTtl`), for its storage cost. */
export const ROW_LIFETIME_DAYS = 7;
const DAYS_PER_MONTH = 30.44;

/** DynamoDB dollars per request: the row's write, the pre-check's strongly consistent read, its storage while it lives. */
export function dynamoPerRequest(row: RowCost, readUnitsPerRequest: number): number {
  return (
    (row.writeUnitsPerRow * prices.dynamodbOnDemand.perMillionWriteUnits +
      readUnitsPerRequest * prices.dynamodbOnDemand.perMillionReadUnits) /
      1e6 +
    (row.storageBytesPerRow / 2 ** 30) *
      (ROW_LIFETIME_DAYS / DAYS_PER_MONTH) *
      prices.dynamodbStorage.perGbMonth
  );
}

/**
 * Prices a run per one million requests at **busy time**: the endpoint is charged for the
 * seconds its model computes, which holds only for an endpoint always fully used (see the
 * traffic profile for instance-hours). Lambda pays GB-s and requests, SQS requests,
 * DynamoDB on-demand units and storage. `row` prices the rows under another encoding than
 * the one the run wrote (the run's own write units otherwise); `memoryMb` the function at
 * another memory size than the run's configuration (the model of
 * lib/contract/functionMemory.ts).
 */
export function costPerMillion(
  run: Omit<PipelineRunResult, 'outputs' | 'rows'>,
  row?: RowCost,
  memoryMb = run.memoryMb,
): CostPerMillion {
  const scale = 1_000_000 / run.requests;
  const sagemaker = ((run.endpointBusySeconds * prices.sagemakerInstance.perHour) / 3_600) * scale;
  // Encoding is CPU: stretched like the handler's below one vCPU.
  const encodeSeconds =
    ((row?.extraEncodeMicrosPerRow ?? 0) / 1e6) *
    Math.max(1, oneVcpuMemoryMb / memoryMb) *
    run.requests;
  const encodeGbSeconds = encodeSeconds * (memoryMb / 1_024);
  const lambda =
    ((runGbSeconds(run, memoryMb) + encodeGbSeconds) * prices.lambdaArm.perGbSecond +
      (run.lambdaInvocations * prices.lambdaArm.perMillionRequests) / 1e6) *
    scale;
  const sqs = ((run.sqsRequests * prices.sqs.perMillionRequests) / 1e6) * scale;
  const readUnits = run.aws.dynamoReadUnits / run.requests;
  const rowCost = row ?? {
    writeUnitsPerRow: run.aws.dynamoWriteUnits / run.requests,
    storageBytesPerRow: 0,
  };
  const dynamodb = dynamoPerRequest(rowCost, readUnits) * 1e6;
  return { sagemaker, lambda, sqs, dynamodb, total: sagemaker + lambda + sqs + dynamodb };
}

/** Endpoint seconds per item of the model's own calls of `batchSize`, linear between measured sizes. */
export function secondsPerItem(curve: readonly CurvePoint[], batchSize: number): number {
  const points = [...curve].sort((a, b) => a.batchSize - b.batchSize);
  const perItem = (p: CurvePoint) => p.msPerCall / p.batchSize / 1_000;
  if (batchSize <= points[0]!.batchSize) return perItem(points[0]!);
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1]!, points[i]!];
    if (batchSize <= b.batchSize) {
      const ms =
        a.msPerCall +
        ((b.msPerCall - a.msPerCall) * (batchSize - a.batchSize)) / (b.batchSize - a.batchSize);
      return ms / batchSize / 1_000;
    }
  }
  return perItem(points.at(-1)!);
}

/** Direct InvokeEndpoint, no pipeline: only the endpoint's busy time, nothing stored. */
export function directCostPerMillion(curve: readonly CurvePoint[], batchSize: number): number {
  return ((secondsPerItem(curve, batchSize) * prices.sagemakerInstance.perHour) / 3_600) * 1e6;
}
