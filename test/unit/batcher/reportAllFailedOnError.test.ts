import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../../functions/batcher/handler.js';
import { createFinalizer } from '../../../functions/finalizer/handler.js';
import { ConfigError } from '../../../lib/contract/errors.js';
import { lambdaContext, sqsEvent, sqsRecord } from '../../helpers/factories.js';

// The safety net turns an exception into a successful invocation (every record reported
// failed), so Lambda's Errors metric never counts it: HandlerErrors must.

function telemetry() {
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });
  const added = vi.spyOn(metrics, 'addMetric');
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
  return {
    telemetry: { logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }), metrics },
    handlerErrors: () =>
      added.mock.calls.filter(([name]) => name === 'HandlerErrors').map(([, , value]) => value),
  };
}

const brokenConfig = () => {
  throw new ConfigError('Invalid sagebatch configuration: ENDPOINT_NAME is required but not set');
};

describe('the safety net counts what it catches (HandlerErrors)', () => {
  it('in the batcher: a configuration error reports every record failed and counts one handler error', async () => {
    const { telemetry: t, handlerErrors } = telemetry();
    const records = [sqsRecord({ input: 1 }), sqsRecord({ input: 2 })];
    const response = await createHandler(brokenConfig, t)(sqsEvent(records), lambdaContext());
    expect(response.batchItemFailures).toHaveLength(2);
    expect(handlerErrors()).toEqual([1]);
  });

  it('in the finalizer: an unexpected exception reports every record failed and counts one handler error', async () => {
    const { telemetry: t, handlerErrors } = telemetry();
    const records = [sqsRecord({ input: 1 })];
    const response = await createFinalizer(brokenConfig, t)(sqsEvent(records), lambdaContext());
    expect(response.batchItemFailures).toHaveLength(1);
    expect(handlerErrors()).toEqual([1]);
  });
});
