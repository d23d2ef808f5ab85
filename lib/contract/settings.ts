import * as z from 'zod';
import { AwsLimits } from './awsLimits.js';
import { resultEncodings } from './resultEncoding.js';

/** The names accepted by the `CODEC` setting: the batcher's built-in codecs. */
export const codecNames = ['json-instances', 'hf-inputs', 'jsonlines'] as const;

/** Name of a built-in codec. */
export type CodecName = (typeof codecNames)[number];

/** How requests are ordered before model batches are cut (the `MODEL_BATCH_PACKING` setting). */
export const packings = ['length', 'fifo'] as const;

/**
 * `length`: by estimated token length, so each model call holds items of similar length and
 * pads little. `fifo`: in arrival order, as inference servers batch.
 */
export type Packing = (typeof packings)[number];

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Retention period of the request queue, seconds (4 days). A held request is requeued as a
 * fresh message, so SQS's retention no longer bounds it: `MAX_HOLD_SECONDS` does, and may
 * not hold a request longer than the queue would have kept it.
 */
export const requestQueueRetentionSeconds = 4 * 86_400;

/** A SageMaker endpoint name: what CreateEndpoint accepts, so a bad one fails before any call. */
export const endpointNameSchema = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'must be letters, digits and hyphens, not at either end');

/**
 * One setting of the batcher: its environment variable, its schema (range included) and
 * its default (none: required). `prop: true` makes it a prop of the BatchingPipeline
 * construct too, checked by this same schema at synth and passed to the function.
 */
interface Setting {
  readonly env: string;
  readonly schema: z.ZodType;
  readonly default?: string | number;
  readonly prop?: true;
}

/**
 * Every setting of the batcher, once: names, ranges and defaults. Read at cold start by
 * the batcher's `loadConfig` and at synth by the construct; adding a setting is one entry here.
 */
export const batcherSettings = {
  /** DynamoDB table receiving one result row per request id. */
  resultsTableName: { env: 'RESULTS_TABLE_NAME', schema: z.string().min(1) },
  /** URL of the dead-letter queue that receives every FAILED request. */
  dlqUrl: { env: 'DLQ_URL', schema: z.url() },
  /** URL of the request queue: visibility backoff for retries, requeue on a misconfigured endpoint. */
  requestQueueUrl: { env: 'REQUEST_QUEUE_URL', schema: z.url() },
  /** Name of the SageMaker endpoint to invoke. */
  endpointName: { env: 'ENDPOINT_NAME', schema: endpointNameSchema },
  /**
   * The inference component to invoke on the endpoint (`InferenceComponentName` of
   * InvokeEndpoint), for an endpoint that hosts its model as inference components: a
   * created endpoint that scales to zero sets it itself. Unset: the endpoint's model.
   */
  inferenceComponentName: {
    env: 'INFERENCE_COMPONENT_NAME',
    schema: endpointNameSchema.optional(),
    prop: true,
  },
  /** Wire format of a batched model call. @default 'json-instances' */
  codec: { env: 'CODEC', schema: z.enum(codecNames), default: 'json-instances', prop: true },
  /** Most items in one InvokeEndpoint call (1-10000). @default 64 */
  modelBatchMaxItems: {
    env: 'MODEL_BATCH_MAX_ITEMS',
    schema: int(1, 10_000),
    default: 64,
    prop: true,
  },
  /** Most bytes in one InvokeEndpoint request body, codec wrapper included (at most 6,291,456). @default 5 MiB */
  modelBatchMaxBytes: {
    env: 'MODEL_BATCH_MAX_BYTES',
    schema: int(1_024, AwsLimits.invokeEndpointMaxBodyBytes),
    default: 5 * 1024 * 1024,
    prop: true,
  },
  /** Model calls in flight at once per function instance (1-64). @default 4 */
  modelParallelism: { env: 'MODEL_PARALLELISM', schema: int(1, 64), default: 4, prop: true },
  /**
   * Most padded tokens in one call: items x the estimated tokens (input bytes / 4) of its
   * longest item. 64 items of 512 tokens: binds only on long inputs. @default 32768
   */
  modelBatchMaxTokens: {
    env: 'MODEL_BATCH_MAX_TOKENS',
    schema: int(1, 100_000_000),
    default: 32_768,
    prop: true,
  },
  /** `length`: order requests by estimated length before cutting calls; `fifo`: arrival order. @default 'length' */
  modelBatchPacking: {
    env: 'MODEL_BATCH_PACKING',
    schema: z.enum(packings),
    default: 'length',
    prop: true,
  },
  /** Largest accepted request `input`, bytes of JSON text (at most 1 MiB and modelBatchMaxBytes). @default 256 KiB */
  maxInputBytes: {
    env: 'MAX_INPUT_BYTES',
    schema: int(1, AwsLimits.sqsMaxMessageBytes),
    default: 256 * 1024,
    prop: true,
  },
  /**
   * Deliveries before SQS moves a message to the DLQ (2-1000); on the last one the function
   * fails it itself. Not 1: SQS can count a receive its consumer never got, and advises
   * against a maximum of 1 (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/avoiding-inconsistent-message-processing.html).
   * @default 5
   */
  maxReceiveCount: { env: 'MAX_RECEIVE_COUNT', schema: int(2, 1_000), default: 5, prop: true },
  /**
   * Longest a request is held (kept RETRYING, never FAILED) because of the endpoint: a
   * misconfigured endpoint (ENDPOINT_MISCONFIGURED), a busy one (throttling, 429 / 503,
   * ModelNotReady) or one without capacity (ENDPOINT_NO_CAPACITY, scaled to zero), counted
   * from the request's first enqueue time, in seconds. Past it the request ends FAILED + DLQ
   * with its cause's code. At most the request queue's retention period (4 days); with scale
   * to zero at least 2,400 s (checked at synth). @default 4 days
   */
  maxHoldSeconds: {
    env: 'MAX_HOLD_SECONDS',
    schema: z.coerce
      .number()
      .int()
      .min(60, 'must be at least 60 seconds')
      .max(
        requestQueueRetentionSeconds,
        `must not exceed the request queue's retention period (${requestQueueRetentionSeconds} s)`,
      ),
    default: requestQueueRetentionSeconds,
    prop: true,
  },
  /** How long result rows live before DynamoDB's TTL deletes them, in seconds. @default 7 days */
  resultTtlSeconds: {
    env: 'RESULT_TTL_SECONDS',
    schema: int(60, 10 * 365 * 86_400),
    default: 7 * 86_400,
  },
  /**
   * Longest one InvokeEndpoint call may take before it is aborted and retried, in ms
   * (100-900000). The default leaves room above SageMaker's 60 s model response limit, as
   * AWS advises (a 70 s socket timeout): SageMaker then always answers first, and a call
   * that still times out got no answer at all (retried as unavailable, never split). At or
   * below 60 s it is the user's own bound on the model's work: a model error, split.
   * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html
   * @default 70000
   */
  modelCallTimeoutMs: {
    env: 'MODEL_CALL_TIMEOUT_MS',
    schema: int(100, 900_000),
    default: 70_000,
    prop: true,
  },
  /**
   * How SUCCEEDED rows store the model's output (see lib/contract/resultEncoding.ts):
   * `lossless` (float32 packing when every number of a numeric output is a float32, else
   * as `compressed`: every value exact, text re-spelt only for packed rows), `compressed`
   * (gzip of the exact JSON text, only when smaller), `json` (the text as is), or opt-in
   * numeric packing for arrays of numbers: `float32` (bit-identical to a float32 model,
   * rounds other doubles), `float16`, `int8` (lossy, error documented).
   * @default 'lossless'
   */
  resultEncoding: {
    env: 'RESULT_ENCODING',
    schema: z.enum(resultEncodings),
    default: 'lossless',
    prop: true,
  },
  /**
   * Encoded outputs larger than this go to the results bucket, the row holding a pointer;
   * rows that would exceed DynamoDB's 400 KB item limit go there whatever this is. At most
   * 300 KiB: 25 rows near 400 KB, their strings escaped on the wire, could pass the 16 MB
   * one BatchWriteItem call may carry. @default 64 KiB
   */
  resultOffloadBytes: {
    env: 'RESULT_OFFLOAD_BYTES',
    schema: int(1, 300 * 1024),
    default: 64 * 1024,
    prop: true,
  },
  /** S3 bucket receiving outputs too large for a row. Unset: no offload (OUTPUT_TOO_LARGE past the row limit). */
  resultsBucketName: { env: 'RESULTS_BUCKET_NAME', schema: z.string().min(1).optional() },
  /** Time kept free at the end of an invocation to record outcomes, in ms. @default 3000 */
  timeReserveMs: { env: 'TIME_RESERVE_MS', schema: int(0, 60_000), default: 3_000 },
  /** First retry delay of the jittered exponential backoff, in ms. @default 100 */
  retryBaseMs: { env: 'RETRY_BASE_MS', schema: int(1, 10_000), default: 100 },
  /** Largest retry delay, in ms. @default 5000 */
  retryMaxMs: { env: 'RETRY_MAX_MS', schema: int(1, 60_000), default: 5_000 },
} as const satisfies Record<string, Setting>;

/**
 * How many model calls the endpoint is sized to take at once, the bound at synth for
 * `maxConcurrency x modelParallelism` (calls every concurrent function instance may have
 * in flight). Calls past what the containers can queue come back 503/429 (retried, never
 * split, but they cost retries and delay) or wait past SageMaker's 60 s limit. The default
 * is the default `maxConcurrency` (10) x `modelParallelism` (4): a single instance queueing
 * 40 calls (TorchServe's default job queue holds 100). Measure yours with `sagebatch tune`.
 */
export const endpointCapacity = {
  /** Calls one instance of a created endpoint takes at once (created mode). @default 40 */
  callsPerInstance: { prop: 'endpointCallsPerInstance', schema: int(1, 10_000), default: 40 },
  /** Calls an existing endpoint takes at once, over all its instances. @default 40 */
  maxConcurrentCalls: {
    prop: 'endpointMaxConcurrentCalls',
    schema: int(1, 1_000_000),
    default: 40,
  },
} as const;

type Settings = typeof batcherSettings;

/**
 * Key prefix of offloaded outputs in the results bucket: an output lives at
 * `results/<request id>/<invocation id>`. The function may write only under it and the bucket's lifecycle
 * rule expires only under it, so writer and infrastructure share this one value.
 */
export const resultObjectPrefix = 'results/';

/** Settings of the batcher function, read from the environment once at cold start. */
export type BatcherConfig = {
  readonly [K in keyof Settings]: z.infer<Settings[K]['schema']>;
};

/** The settings that are also props of the BatchingPipeline construct. */
export type PropSettingKey = {
  [K in keyof Settings]: Settings[K] extends { prop: true } ? K : never;
}[keyof Settings];

/** The construct props the settings table defines, typed as the function reads them. */
export type PropSettings = { readonly [K in PropSettingKey]?: BatcherConfig[K] };

/** The environment variable that sets each {@link BatcherConfig} field. */
export const configVariables: { readonly [K in keyof BatcherConfig]: string } = Object.fromEntries(
  Object.entries(batcherSettings).map(([key, setting]) => [key, setting.env]),
) as { [K in keyof BatcherConfig]: string };

/** The keys of {@link PropSettingKey}, in table order. */
export const propSettingKeys = Object.entries(batcherSettings)
  .filter(([, setting]) => (setting as Setting).prop === true)
  .map(([key]) => key as PropSettingKey);

/** The default of `key`, as the function reads it. */
export function settingDefault<K extends keyof BatcherConfig>(key: K): BatcherConfig[K] {
  const setting: Setting = batcherSettings[key];
  return setting.schema.parse(setting.default) as BatcherConfig[K];
}

/** What {@link checkSettings} found: the parsed values, and one line per problem. */
export interface SettingsCheck {
  readonly values: Partial<BatcherConfig>;
  readonly problems: string[];
}

/**
 * Checks raw values against the settings table and the rules that tie settings together.
 * `label` names a setting in problem lines (the variable at cold start, the prop at synth).
 * Missing values take their default; a missing required value is a problem unless
 * `requireAll` is false (at synth, where the construct supplies those values itself).
 */
export function checkSettings(
  raw: Partial<Record<keyof BatcherConfig, unknown>>,
  label: (key: keyof BatcherConfig) => string,
  options: { readonly requireAll?: boolean } = {},
): SettingsCheck {
  const requireAll = options.requireAll ?? true;
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(batcherSettings) as [
    keyof BatcherConfig,
    Setting,
  ][]) {
    const given = raw[key];
    const value = given === undefined || given === '' ? setting.default : given;
    if (value === undefined) {
      if (setting.schema.safeParse(undefined).success) continue; // optional, unset
      if (requireAll) problems.push(`${label(key)} is required but not set`);
      continue;
    }
    const parsed = setting.schema.safeParse(value);
    if (parsed.success) values[key] = parsed.data;
    else
      problems.push(`${label(key)}=${JSON.stringify(value)}: ${parsed.error.issues[0]?.message}`);
  }
  const v = values as Partial<BatcherConfig>;
  const both = <A, B>(a: A | undefined, b: B | undefined): a is A =>
    a !== undefined && b !== undefined;
  if (both(v.maxInputBytes, v.modelBatchMaxBytes) && v.maxInputBytes > v.modelBatchMaxBytes!) {
    problems.push(
      `${label('maxInputBytes')} (${v.maxInputBytes}) must not exceed ${label('modelBatchMaxBytes')} (${v.modelBatchMaxBytes})`,
    );
  }
  if (both(v.retryBaseMs, v.retryMaxMs) && v.retryBaseMs > v.retryMaxMs!) {
    problems.push(
      `${label('retryBaseMs')} (${v.retryBaseMs}) must not exceed ${label('retryMaxMs')} (${v.retryMaxMs})`,
    );
  }
  return { values: v, problems };
}

/** The settings the finalizer reads: the batcher's own entries (names, ranges, defaults). */
export const finalizerSettings = {
  resultsTableName: batcherSettings.resultsTableName,
  dlqUrl: batcherSettings.dlqUrl,
  resultTtlSeconds: batcherSettings.resultTtlSeconds,
  retryBaseMs: batcherSettings.retryBaseMs,
  retryMaxMs: batcherSettings.retryMaxMs,
} as const;

/**
 * The settings the completion event publisher reads (the function on the results table's
 * stream): the topic it publishes to, and the batcher's retry entries.
 */
export const eventPublisherSettings = {
  /** ARN of the completion topic (stack output `CompletionTopicArn`). */
  completionTopicArn: { env: 'COMPLETION_TOPIC_ARN', schema: z.string().startsWith('arn:') },
  /**
   * Tests only, never set by the stack: `every-write` publishes an event for every row
   * write, final or not, transition or not: the broken publisher the integration test's
   * negative control must catch. @default off
   */
  negativeControl: {
    env: 'SAGEBATCH_NEGATIVE_CONTROL',
    schema: z.enum(['off', 'every-write']),
    default: 'off',
  },
  retryBaseMs: batcherSettings.retryBaseMs,
  retryMaxMs: batcherSettings.retryMaxMs,
} as const;
