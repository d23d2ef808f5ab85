import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { getCodec } from '../../lib/codecs/index.js';
import { ModelInvoker } from '../../lib/modelInvoker.js';
import { offline } from '../helpers/factories.js';
import { fakeModel, modelOutput } from '../helpers/fakes.js';

const items = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => ({ inputJson: JSON.stringify(i + offset) }));

function invoker(parallelism = 4) {
  return new ModelInvoker({
    client: new SageMakerRuntimeClient({ ...offline, maxAttempts: 1 }),
    endpointName: 'ep',
    codec: getCodec('json-instances'),
    parallelism,
    callTimeoutMs: 5_000,
    retryBaseMs: 1,
    retryMaxMs: 4,
  });
}

const budget = (ms = 10_000) => ({
  signal: new AbortController().signal,
  deadline: Date.now() + ms,
});

describe('ModelInvoker', () => {
  let model: ReturnType<typeof fakeModel>;
  afterEach(() => model.mock.restore());

  it('answers every item of every batch, one call per batch', async () => {
    model = fakeModel();
    const { outcomes, calls } = await invoker().invoke([items(3), items(2, 3)], budget());
    expect(calls.map((c) => c.items)).toEqual(expect.arrayContaining([3, 2]));
    expect(outcomes.flat()).toEqual(
      [0, 1, 2, 3, 4].map((n) => expect.objectContaining({ status: 'ok', output: modelOutput(n) })),
    );
    expect(outcomes[0]![0]).toMatchObject({ batchItems: 3 });
    expect(model.calls).toHaveLength(2);
  });

  it('sends the endpoint name, content type and accept header of the codec', async () => {
    model = fakeModel();
    await invoker().invoke([items(1)], budget());
    expect(model.mock.calls()[0]!.args[0].input).toMatchObject({
      EndpointName: 'ep',
      ContentType: 'application/json',
      Accept: 'application/json',
      Body: '{"instances":[0]}',
    });
  });

  it('never has more calls in flight than its parallelism', async () => {
    model = fakeModel();
    let inFlight = 0;
    let peak = 0;
    model.mock.callsFake(async (input) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      const instances = JSON.parse(String(input.Body)).instances as unknown[];
      return { Body: new TextEncoder().encode(JSON.stringify({ predictions: instances })) };
    });
    await invoker(2).invoke(
      Array.from({ length: 8 }, () => items(1)),
      budget(),
    );
    expect(peak).toBe(2);
  });

  it('retries a transient failure and then succeeds', async () => {
    model = fakeModel({ transientCalls: (n) => n <= 2 });
    const { outcomes, calls } = await invoker().invoke([items(4)], budget());
    expect(outcomes[0]!.every((o) => o.status === 'ok')).toBe(true);
    expect(calls.map((c) => c.result)).toEqual(['transient', 'transient', 'ok']);
  });

  it('gives up on transient failures when the budget is spent', async () => {
    model = fakeModel({ transientCalls: () => true });
    const { outcomes } = await invoker().invoke([items(3)], budget(30));
    expect(outcomes[0]).toEqual(
      items(3).map(() => ({
        status: 'transient',
        message: expect.stringContaining('ServiceUnavailable'),
      })),
    );
  });

  it('makes no call at all once the signal has aborted', async () => {
    model = fakeModel();
    const controller = new AbortController();
    controller.abort();
    const { outcomes } = await invoker().invoke([items(2)], {
      signal: controller.signal,
      deadline: Date.now() + 10_000,
    });
    expect(outcomes[0]!.every((o) => o.status === 'transient')).toBe(true);
  });

  it('aborts a call that outlives the function (AbortSignal) and reports it transient', async () => {
    model = fakeModel();
    model.mock.callsFake(() => new Promise(() => undefined)); // a model that never answers
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const run = invoker().invoke([items(1)], {
      signal: controller.signal,
      deadline: Date.now() + 10_000,
    });
    const { outcomes } = await run;
    expect(outcomes[0]![0]).toMatchObject({ status: 'transient' });
  });

  it('isolates one poison item among 100 with at most 2*ceil(log2 100)+1 extra calls', async () => {
    model = fakeModel({ poison: (input) => input === 37 });
    const { outcomes, calls } = await invoker().invoke([items(100)], budget());
    const flat = outcomes[0]!;
    expect(flat[37]).toEqual({
      status: 'failed',
      error: { code: 'MODEL_REJECTED', message: expect.stringContaining('model status 400') },
    });
    expect(flat.filter((o) => o.status === 'ok')).toHaveLength(99);
    expect(calls.length - 1).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(100)) + 1);
  });

  it('isolates several poison items and keeps every healthy neighbour', async () => {
    model = fakeModel({ poison: (input) => input === 0 || input === 9 || input === 10 });
    const { outcomes } = await invoker().invoke([items(16)], budget());
    const failed = outcomes[0]!.flatMap((o, i) => (o.status === 'failed' ? [i] : []));
    expect(failed).toEqual([0, 9, 10]);
    expect(outcomes[0]!.filter((o) => o.status === 'ok')).toHaveLength(13);
  });

  it('bisects a wrong item count down to MODEL_BAD_RESPONSE for the item alone', async () => {
    model = fakeModel({ shortAnswer: (input) => input === 2 });
    const { outcomes } = await invoker().invoke([items(4)], budget());
    expect(outcomes[0]!.map((o) => o.status)).toEqual(['ok', 'ok', 'failed', 'ok']);
    expect(outcomes[0]![2]).toMatchObject({
      error: {
        code: 'MODEL_BAD_RESPONSE',
        message: expect.stringContaining('0 outputs for 1 items'),
      },
    });
  });
});
