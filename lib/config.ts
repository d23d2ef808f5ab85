import { z } from 'zod';
import { type CodecName, codecNames } from './codecs/index.js';
import { ConfigError } from './errors.js';
import { AwsLimits } from './limits.js';

/** Settings of the batcher function, read from the environment once at cold start. */
export interface BatcherConfig {
  /** DynamoDB table receiving one result row per request id. */
  readonly resultsTableName: string;
  /** URL of the dead-letter queue that receives every FAILED request. */
  readonly dlqUrl: string;
  /** URL of the request queue: visibility backoff for retries, requeue on a misconfigured endpoint. */
  readonly requestQueueUrl: string;
  /** Name of the SageMaker endpoint to invoke. */
  readonly endpointName: string;
  /** Wire format of a batched model call. */
  readonly codec: CodecName;
  /** Most items in one InvokeEndpoint call. */
  readonly modelBatchMaxItems: number;
  /** Most bytes in one InvokeEndpoint request body. */
  readonly modelBatchMaxBytes: number;
  /** Most InvokeEndpoint calls in flight at once. */
  readonly modelParallelism: number;
  /** Largest accepted `input`, in bytes of its JSON text. */
  readonly maxInputBytes: number;
  /** The request queue's maxReceiveCount: on that delivery, transient failures become final. */
  readonly maxReceiveCount: number;
  /** How long result rows live before DynamoDB's TTL deletes them, in seconds. */
  readonly resultTtlSeconds: number;
  /** Longest one InvokeEndpoint call may take before it is aborted and retried, in ms. */
  readonly modelCallTimeoutMs: number;
  /** Time kept free at the end of an invocation to record outcomes, in ms. */
  readonly timeReserveMs: number;
  /** First retry delay of the jittered exponential backoff, in ms. */
  readonly retryBaseMs: number;
  /** Largest retry delay, in ms. */
  readonly retryMaxMs: number;
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Each field's environment variable, its schema and its default (undefined: required). */
const variables = {
  resultsTableName: ['RESULTS_TABLE_NAME', z.string().min(1), undefined],
  dlqUrl: ['DLQ_URL', z.url(), undefined],
  requestQueueUrl: ['REQUEST_QUEUE_URL', z.url(), undefined],
  endpointName: [
    'ENDPOINT_NAME',
    z
      .string()
      .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/)
      .max(63),
    undefined,
  ],
  codec: ['CODEC', z.enum(codecNames), 'json-instances'],
  modelBatchMaxItems: ['MODEL_BATCH_MAX_ITEMS', int(1, 10_000), '64'],
  modelBatchMaxBytes: [
    'MODEL_BATCH_MAX_BYTES',
    int(1_024, AwsLimits.invokeEndpointMaxBodyBytes),
    String(5 * 1024 * 1024),
  ],
  modelParallelism: ['MODEL_PARALLELISM', int(1, 64), '4'],
  maxInputBytes: ['MAX_INPUT_BYTES', int(1, AwsLimits.sqsMaxMessageBytes), String(256 * 1024)],
  maxReceiveCount: ['MAX_RECEIVE_COUNT', int(1, 1_000), '5'],
  resultTtlSeconds: ['RESULT_TTL_SECONDS', int(60, 10 * 365 * 86_400), String(7 * 86_400)],
  modelCallTimeoutMs: ['MODEL_CALL_TIMEOUT_MS', int(100, 60_000), '60000'],
  timeReserveMs: ['TIME_RESERVE_MS', int(0, 60_000), '3000'],
  retryBaseMs: ['RETRY_BASE_MS', int(1, 10_000), '100'],
  retryMaxMs: ['RETRY_MAX_MS', int(1, 60_000), '5000'],
} as const satisfies Record<keyof BatcherConfig, readonly [string, z.ZodType, string | undefined]>;

/** The environment variable that sets each {@link BatcherConfig} field. */
export const configVariables: { readonly [K in keyof BatcherConfig]: string } = Object.fromEntries(
  Object.entries(variables).map(([key, [name]]) => [key, name]),
) as { [K in keyof BatcherConfig]: string };

/**
 * Reads and validates every setting. Throws one {@link ConfigError} listing each bad
 * variable by name, with what was expected and what was found.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env); // once, at cold start
 * ```
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): BatcherConfig {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, [name, schema, fallback]] of Object.entries(variables)) {
    const raw = env[name] === undefined || env[name] === '' ? fallback : env[name];
    if (raw === undefined) {
      problems.push(`${name} is required but not set`);
      continue;
    }
    const parsed = (schema as z.ZodType).safeParse(raw);
    if (parsed.success) config[key] = parsed.data;
    else problems.push(`${name}=${JSON.stringify(raw)}: ${parsed.error.issues[0]?.message}`);
  }
  const result = config as unknown as BatcherConfig;
  if (problems.length === 0) {
    if (result.maxInputBytes > result.modelBatchMaxBytes) {
      problems.push(
        `MAX_INPUT_BYTES (${result.maxInputBytes}) must not exceed MODEL_BATCH_MAX_BYTES (${result.modelBatchMaxBytes})`,
      );
    }
    if (result.retryBaseMs > result.retryMaxMs) {
      problems.push(
        `RETRY_BASE_MS (${result.retryBaseMs}) must not exceed RETRY_MAX_MS (${result.retryMaxMs})`,
      );
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid sagebatch configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(result);
}
