import { App, Duration, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { BatchingPipeline, type BatchingPipelineProps } from '../../infra/BatchingPipeline.js';
import { maxInFlightMessages, validatePipelineProps } from '../../infra/validatePipelineProps.js';
import { loadConfig } from '../../lib/batcher/config.js';

const build = (props: BatchingPipelineProps) => () =>
  new BatchingPipeline(new Stack(new App(), 'S'), 'P', props);

const limits = {
  batchSize: 1_000,
  batchingWindow: Duration.seconds(5),
  maxConcurrency: 10,
  timeout: Duration.minutes(2),
  visibilityTimeout: Duration.minutes(13),
  memorySize: 1_024,
  resultTtl: Duration.days(7),
};

describe("SQS's in-flight limit of a standard queue", () => {
  it('refuses batchSize x maxConcurrency (twice: the batches in functions and those waiting out the backoff) past ~120,000', () => {
    expect(validatePipelineProps({ ...limits, batchSize: 10_000, maxConcurrency: 10 })).toEqual([
      expect.stringContaining('in-flight messages of a standard SQS queue'),
    ]);
    expect(build({ endpointName: 'e', batchSize: 10_000, maxConcurrency: 7 })).toThrow('in-flight');
  });

  it('accepts the defaults and the largest product under the limit', () => {
    expect(validatePipelineProps(limits)).toEqual([]);
    expect(validatePipelineProps({ ...limits, batchSize: 10_000, maxConcurrency: 6 })).toEqual([]);
    expect(2 * 10_000 * 6).toBeLessThanOrEqual(maxInFlightMessages);
  });
});

describe('maxReceiveCount', () => {
  it('refuses 1 at synth and at cold start: SQS can count a receive the consumer never saw', () => {
    expect(build({ endpointName: 'e', maxReceiveCount: 1 })).toThrow('maxReceiveCount=1');
    expect(() =>
      loadConfig({
        RESULTS_TABLE_NAME: 't',
        DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/0/d',
        REQUEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/0/q',
        ENDPOINT_NAME: 'e',
        MAX_RECEIVE_COUNT: '1',
      }),
    ).toThrow('MAX_RECEIVE_COUNT');
    expect(build({ endpointName: 'e', maxReceiveCount: 2 })).not.toThrow();
  });
});
