import { SageMakerRuntimeClient, ValidationError } from '@aws-sdk/client-sagemaker-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { getCodec } from '../../../../lib/batcher/invoke/../codecs/index.js';
import { classifyModelError } from '../../../../lib/batcher/invoke/classifyModelError.js';
import { ModelInvoker } from '../../../../lib/batcher/invoke/modelInvoker.js';
import { noCapacityError } from '../../../helpers/awsRules/sagemakerRuntime.js';
import { fastRetry, offline } from '../../../helpers/factories.js';
import { fakeModel } from '../../../helpers/fakes.js';

const items = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => ({ inputJson: JSON.stringify(i + offset) }));

describe('an inference component with no capacity (scaled to zero)', () => {
  it('is classified no-capacity: neither systemic (misconfiguration) nor a model error', () => {
    const error = classifyModelError(noCapacityError());
    expect(error.kind).toBe('no-capacity');
    expect(error.status).toBe(400);
    expect(error.errorName).toBe('ValidationError');
  });

  it('leaves every other ValidationError systemic', () => {
    const missing = new ValidationError({
      message: 'Endpoint ep of account 000000000000 not found.',
      $metadata: { httpStatusCode: 400 },
    });
    const header = new ValidationError({
      message:
        'Inference Component Name header is required for endpoints to which you plan to deploy inference components.',
      $metadata: { httpStatusCode: 400 },
    });
    expect(classifyModelError(missing).kind).toBe('systemic');
    expect(classifyModelError(header).kind).toBe('systemic');
  });

  describe('ModelInvoker', () => {
    let model: ReturnType<typeof fakeModel>;
    afterEach(() => model.mock.restore());

    const invoker = (inferenceComponentName?: string) =>
      new ModelInvoker({
        client: new SageMakerRuntimeClient({ ...offline, maxAttempts: 1 }),
        endpointName: 'ep',
        inferenceComponentName,
        codec: getCodec('json-instances'),
        parallelism: 1,
        callTimeoutMs: 5_000,
        retry: fastRetry,
      });

    it('holds: one call, no retry, no split, every item left for later with reason no-capacity', async () => {
      model = fakeModel({ refuse: noCapacityError });
      const result = await invoker('ep-ic').invoke([items(8), items(8, 8)], {
        signal: new AbortController().signal,
        deadline: Date.now() + 10_000,
      });
      expect(result.calls).toHaveLength(1);
      expect(result.calls[0]).toMatchObject({
        result: 'no-capacity',
        errorName: 'ValidationError',
      });
      expect(result.systemic).toBeUndefined();
      expect(result.noCapacity?.kind).toBe('no-capacity');
      expect(result.outcomes.flat()).toEqual(
        Array.from({ length: 16 }, () => ({
          status: 'retry',
          reason: 'no-capacity',
          message: expect.stringContaining('no capacity'),
        })),
      );
    });

    it('names the inference component in every call', async () => {
      model = fakeModel();
      await invoker('ep-ic').invoke([items(1)], {
        signal: new AbortController().signal,
        deadline: Date.now() + 10_000,
      });
      expect(model.mock.calls()[0]!.args[0].input).toMatchObject({
        EndpointName: 'ep',
        InferenceComponentName: 'ep-ic',
      });
    });
  });
});
