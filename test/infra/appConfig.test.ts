import { Tracing } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { readAppConfig } from '../../infra/appConfig.js';

const from = (context: Record<string, string>) => readAppConfig((key) => context[key]);

describe('readAppConfig', () => {
  it('reads where alarms go, tracing and a customer-managed key from context', () => {
    const config = from({
      'sagebatch:endpointName': 'ep',
      'sagebatch:alarmEmail': 'ops@example.com',
      'sagebatch:tracing': 'true',
      'sagebatch:encryptionKeyArn': 'arn:aws:kms:us-east-1:123456789012:key/k',
    });
    expect(config.alarms).toEqual({ email: 'ops@example.com', topicArn: undefined });
    expect(config.pipeline.tracing).toBe(Tracing.ACTIVE);
    expect(config.encryptionKeyArn).toBe('arn:aws:kms:us-east-1:123456789012:key/k');
    expect(from({ 'sagebatch:alarmTopicArn': 'arn:aws:sns:us-east-1:1:t' }).alarms.topicArn).toBe(
      'arn:aws:sns:us-east-1:1:t',
    );
  });

  it('reads the result encoding and the offload threshold, left to the construct to check', () => {
    const config = from({
      'sagebatch:endpointName': 'ep',
      'sagebatch:resultEncoding': 'float16',
      'sagebatch:resultOffloadBytes': '100000',
    });
    expect(config.pipeline.resultEncoding).toBe('float16');
    expect(config.pipeline.resultOffloadBytes).toBe(100_000);
    const unset = from({ 'sagebatch:endpointName': 'ep' }).pipeline;
    expect([unset.resultEncoding, unset.resultOffloadBytes]).toEqual([undefined, undefined]);
    expect(() => from({ 'sagebatch:resultOffloadBytes': 'lots' })).toThrow(
      'context sagebatch:resultOffloadBytes must be a number',
    );
  });

  it('turns min/max instances into backlog scaling of a created endpoint', () => {
    const config = from({
      'sagebatch:endpointName': 'minilm',
      'sagebatch:imageUri': '123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1',
      'sagebatch:modelDataUrl': 's3://bucket/model.tar.gz',
      'sagebatch:maxInstances': '4',
      'sagebatch:backlogPerInstance': '200',
    });
    expect(config.pipeline.model?.scaling).toEqual({
      minInstances: 1,
      maxInstances: 4,
      backlogPerInstance: 200,
    });
    expect(from({ 'sagebatch:endpointName': 'ep' }).pipeline.tracing).toBeUndefined();
  });

  it('reads localAwsProxyUrl in local mode and refuses it outside', () => {
    const local = from({
      'sagebatch:local': 'true',
      'sagebatch:endpointName': 'ep',
      'sagebatch:localAwsProxyUrl': 'http://127.0.0.1:4600',
    });
    expect(local.pipeline.localAwsProxyUrl).toBe('http://127.0.0.1:4600');
    expect(from({ 'sagebatch:local': 'true' }).pipeline.localAwsProxyUrl).toBeUndefined();
    expect(() =>
      from({
        'sagebatch:endpointName': 'ep',
        'sagebatch:localAwsProxyUrl': 'http://127.0.0.1:4600',
      }),
    ).toThrow('sagebatch:localAwsProxyUrl is for local mode only');
  });
});
