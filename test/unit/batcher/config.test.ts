import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/batcher/config.js';
import { AwsLimits } from '../../../lib/contract/awsLimits.js';
import { ConfigError } from '../../../lib/contract/errors.js';
import { configVariables, settingDefault } from '../../../lib/contract/settings.js';

const required = {
  RESULTS_TABLE_NAME: 'results',
  DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/dlq',
  REQUEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/requests',
  ENDPOINT_NAME: 'my-endpoint',
};

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    expect(loadConfig(required)).toEqual({
      resultsTableName: 'results',
      dlqUrl: required.DLQ_URL,
      requestQueueUrl: required.REQUEST_QUEUE_URL,
      endpointName: 'my-endpoint',
      codec: 'json-instances',
      modelBatchMaxItems: 64,
      modelBatchMaxBytes: 5_242_880,
      modelParallelism: 4,
      modelBatchMaxTokens: 32_768,
      modelBatchPacking: 'length',
      maxInputBytes: 262_144,
      maxReceiveCount: 5,
      maxHoldSeconds: 345_600,
      resultTtlSeconds: 604_800,
      modelCallTimeoutMs: 70_000,
      resultEncoding: 'lossless',
      resultOffloadBytes: 65_536,
      timeReserveMs: 3_000,
      retryBaseMs: 100,
      retryMaxMs: 5_000,
    });
  });

  it("leaves the call timeout room above SageMaker's 60 s model limit (AWS advises a 70 s socket timeout)", () => {
    // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html
    expect(settingDefault('modelCallTimeoutMs')).toBeGreaterThanOrEqual(
      AwsLimits.invokeEndpointModelResponseMs + 10_000,
    );
  });

  it('refuses MAX_HOLD_SECONDS beyond the request queue retention (4 days) at cold start', () => {
    expect(() => loadConfig({ ...required, MAX_HOLD_SECONDS: '345601' })).toThrow(
      /MAX_HOLD_SECONDS.*retention period \(345600 s\)/,
    );
  });

  it('reads every variable', () => {
    const config = loadConfig({
      ...required,
      CODEC: 'hf-inputs',
      MODEL_BATCH_MAX_ITEMS: '128',
      MAX_RECEIVE_COUNT: '3',
      MODEL_BATCH_MAX_TOKENS: '4096',
      MODEL_BATCH_PACKING: 'fifo',
      RESULT_ENCODING: 'float16',
      RESULT_OFFLOAD_BYTES: '200000',
      RESULTS_BUCKET_NAME: 'my-results',
    });
    expect(config).toMatchObject({
      resultEncoding: 'float16',
      resultOffloadBytes: 200_000,
      resultsBucketName: 'my-results',
      codec: 'hf-inputs',
      modelBatchMaxItems: 128,
      maxReceiveCount: 3,
      modelBatchMaxTokens: 4_096,
      modelBatchPacking: 'fifo',
    });
    expect(configVariables.modelBatchMaxItems).toBe('MODEL_BATCH_MAX_ITEMS');
  });

  it.each([
    [{ ENDPOINT_NAME: undefined }, 'ENDPOINT_NAME is required but not set'],
    [{ DLQ_URL: 'not a url' }, 'DLQ_URL="not a url"'],
    [{ CODEC: 'protobuf' }, 'CODEC="protobuf"'],
    [{ ENDPOINT_NAME: `${'a-'.repeat(50)}ab` }, 'must be at most 63 characters'],
    [{ MODEL_BATCH_MAX_ITEMS: 'abc' }, 'MODEL_BATCH_MAX_ITEMS="abc"'],
    [{ MODEL_BATCH_MAX_ITEMS: '0' }, 'MODEL_BATCH_MAX_ITEMS="0"'],
    [{ MODEL_BATCH_MAX_BYTES: '6291457' }, 'MODEL_BATCH_MAX_BYTES="6291457"'],
    [{ MODEL_BATCH_MAX_TOKENS: '0' }, 'MODEL_BATCH_MAX_TOKENS="0"'],
    [{ MODEL_BATCH_PACKING: 'sorted' }, 'MODEL_BATCH_PACKING="sorted"'],
    [
      { RESULT_ENCODING: 'zstd' },
      /RESULT_ENCODING="zstd": .*json.*compressed.*lossless.*float32.*float16.*int8/,
    ],
    [{ RESULT_OFFLOAD_BYTES: '0' }, 'RESULT_OFFLOAD_BYTES="0"'],
    [{ RESULT_OFFLOAD_BYTES: '409601' }, 'RESULT_OFFLOAD_BYTES="409601"'],
    [
      { MAX_INPUT_BYTES: '900000', MODEL_BATCH_MAX_BYTES: '100000' },
      'MAX_INPUT_BYTES (900000) must not exceed MODEL_BATCH_MAX_BYTES',
    ],
    [
      { RETRY_BASE_MS: '500', RETRY_MAX_MS: '100' },
      'RETRY_BASE_MS (500) must not exceed RETRY_MAX_MS',
    ],
  ])('names the bad variable: %j', (overrides, message) => {
    const load = () => loadConfig({ ...required, ...overrides });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });

  it('reports every bad variable at once', () => {
    expect(() => loadConfig({ CODEC: 'x', RESULT_ENCODING: 'gzip' })).toThrow(
      /RESULTS_TABLE_NAME.*DLQ_URL.*ENDPOINT_NAME.*CODEC.*RESULT_ENCODING="gzip"/,
    );
  });
});
