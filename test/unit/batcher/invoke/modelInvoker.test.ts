import { SageMakerRuntimeClient, ValidationError } from '@aws-sdk/client-sagemaker-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { getCodec } from '../../../../lib/batcher/codecs/index.js';
import { ModelInvoker } from '../../../../lib/batcher/invoke/modelInvoker.js';
import { fastRetry, offline } from '../../../helpers/factories.js';
import { fakeModel, modelOutput } from '../../../helpers/fakes.js';
import { virtualClock } from '../../../helpers/virtualClock.js';

const items = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => ({ inputJson: JSON.stringify(i + offset) }));

function invoker(parallelism = 4) {
  return new ModelInvoker({
    client: new SageMakerRuntimeClient({ ...offline, maxAttempts: 1 }),
    endpointName: 'ep',
    codec: getCodec('json-instances'),
    parallelism,
    callTimeoutMs: 5_000,
    retry: fastRetry,
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
      [0, 1, 2, 3, 4].map((n) =>
        expect.objectContaining({ status: 'ok', outputJson: JSON.stringify(modelOutput(n)) }),
      ),
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

  it('retries an unavailable endpoint and then succeeds', async () => {
    model = fakeModel({ unavailableCalls: (n) => n <= 2 });
    const { outcomes, calls } = await invoker().invoke([items(4)], budget());
    expect(outcomes[0]!.every((o) => o.status === 'ok')).toBe(true);
    expect(calls.map((c) => c.result)).toEqual(['unavailable', 'unavailable', 'ok']);
  });

  it('gives up on unavailable errors when the budget is spent, leaving the items for later', async () => {
    model = fakeModel({ unavailableCalls: () => true });
    const { outcomes } = await invoker().invoke([items(3)], budget(30));
    expect(outcomes[0]).toEqual(
      items(3).map(() => ({
        status: 'retry',
        reason: 'unavailable',
        message: expect.stringContaining('ServiceUnavailable'),
      })),
    );
  });

  it('sends nothing once the invocation signal has aborted, and counts no model call', async () => {
    model = fakeModel();
    const controller = new AbortController();
    controller.abort();
    const { outcomes, calls } = await invoker().invoke([items(2)], {
      signal: controller.signal,
      deadline: Date.now() + 10_000,
    });
    expect(outcomes[0]!.every((o) => o.status === 'retry')).toBe(true);
    expect(model.calls).toHaveLength(0);
    expect(calls).toEqual([]);
  });

  it('aborts a call that outlives the function (AbortSignal): the items wait, the call is reported aborted', async () => {
    model = fakeModel({ hang: () => true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const { outcomes, calls } = await invoker().invoke([items(1)], {
      signal: controller.signal,
      deadline: Date.now() + 10_000,
    });
    expect(outcomes[0]![0]).toMatchObject({ status: 'retry', reason: 'unavailable' });
    expect(calls.map((c) => c.result)).toEqual(['aborted']);
  });

  it('isolates one 4xx poison item among 100 with at most 2*ceil(log2 100)+1 extra calls', async () => {
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

  it('retries a 5xx ModelError briefly, then splits: the poison pill waits alone, its 99 neighbours succeed', async () => {
    model = fakeModel({ serverError: (input) => input === 37 });
    const { outcomes, calls } = await invoker().invoke([items(100)], budget());
    const flat = outcomes[0]!;
    expect(flat[37]).toEqual({
      status: 'retry',
      reason: 'model-error',
      message: expect.stringContaining('model status 500'),
    });
    expect(flat.filter((o) => o.status === 'ok')).toHaveLength(99);
    // Each level of the split tries a failing batch twice (one brief retry).
    expect(calls.length).toBeLessThanOrEqual(2 * (2 * Math.ceil(Math.log2(100)) + 1));
  });

  it('splits a batch the model never answers in time until the halves fit', async () => {
    model = fakeModel({ hang: (instances) => instances.length > 4 });
    const slow = new ModelInvoker({
      client: new SageMakerRuntimeClient({ ...offline, maxAttempts: 1 }),
      endpointName: 'ep',
      codec: getCodec('json-instances'),
      parallelism: 4,
      callTimeoutMs: 20,
      retry: fastRetry,
    });
    const { outcomes, calls } = await slow.invoke([items(16)], budget());
    expect(outcomes[0]!.every((o) => o.status === 'ok')).toBe(true);
    expect(calls.filter((c) => c.result === 'ok').map((c) => c.items)).toEqual([4, 4, 4, 4]);
    expect(calls.some((c) => c.result === 'model-error' && c.errorName === 'TimeoutError')).toBe(
      true,
    );
  });

  it('treats a container that answers 503 (queue full) as busy: backoff retries, never split, never a model error', async () => {
    model = fakeModel({ containerStatus: () => 503 });
    const clock = virtualClock();
    const busy = new ModelInvoker({
      client: new SageMakerRuntimeClient({ ...offline, maxAttempts: 1 }),
      endpointName: 'ep',
      codec: getCodec('json-instances'),
      parallelism: 4,
      callTimeoutMs: 5_000,
      retry: { retries: 5, baseMs: 100, maxMs: 1_000 },
      clock,
    });
    const { outcomes, calls } = await busy.invoke([items(8)], {
      signal: new AbortController().signal,
      deadline: clock.now() + 3_000,
    });
    expect(calls.length).toBeGreaterThan(2);
    expect(calls.every((c) => c.items === 8 && c.result === 'unavailable')).toBe(true);
    expect(outcomes[0]).toEqual(
      items(8).map(() => ({
        status: 'retry',
        reason: 'unavailable',
        message: expect.stringContaining('model status 503'),
      })),
    );
  });

  it('serves a batch once a 503 or 429 container recovers, at its full size', async () => {
    model = fakeModel({ containerStatus: (n) => (n === 1 ? 503 : n === 2 ? 429 : undefined) });
    const { outcomes, calls } = await invoker().invoke([items(6)], budget());
    expect(outcomes[0]!.every((o) => o.status === 'ok')).toBe(true);
    expect(calls.map((c) => [c.result, c.items])).toEqual([
      ['unavailable', 6],
      ['unavailable', 6],
      ['ok', 6],
    ]);
  });

  it('treats throttling as busy: retried at the same size', async () => {
    model = fakeModel({ throttledCalls: (n) => n <= 2 });
    const { outcomes, calls } = await invoker().invoke([items(5)], budget());
    expect(outcomes[0]!.every((o) => o.status === 'ok')).toBe(true);
    expect(calls.map((c) => c.items)).toEqual([5, 5, 5]);
  });

  it('splits a batch SageMaker answers with its own 60 s timeout (ModelError 0) until the halves fit', async () => {
    model = fakeModel({ overTime: (instances) => instances.length > 4 });
    const { outcomes, calls } = await invoker().invoke([items(16)], budget());
    expect(outcomes[0]!.every((o) => o.status === 'ok')).toBe(true);
    expect(calls.filter((c) => c.result === 'ok').map((c) => c.items)).toEqual([4, 4, 4, 4]);
  });

  it("treats silence past SageMaker's 60 s limit (client timeout above it) as unavailable: never split", async () => {
    model = fakeModel({ hang: () => true });
    const clock = virtualClock();
    const silent = new ModelInvoker({
      client: new SageMakerRuntimeClient({ ...offline, maxAttempts: 1 }),
      endpointName: 'ep',
      codec: getCodec('json-instances'),
      parallelism: 4,
      callTimeoutMs: 70_000,
      retry: { retries: 5, baseMs: 100, maxMs: 1_000 },
      clock,
      // The 70 s timer fires at once: this test needs its effect, not its wait.
      callTimeout: () => AbortSignal.timeout(1),
    });
    const { outcomes, calls } = await silent.invoke([items(8)], {
      signal: new AbortController().signal,
      deadline: clock.now() + 2_000,
    });
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.every((c) => c.items === 8 && c.result === 'unavailable')).toBe(true);
    expect(calls[0]!.errorName).toBe('TimeoutError');
    expect(outcomes[0]!.every((o) => o.status === 'retry' && o.reason === 'unavailable')).toBe(
      true,
    );
  });

  it('refuses (through the fake) a body over 6,291,456 bytes: the planner must never send one', async () => {
    model = fakeModel();
    const big = [{ inputJson: JSON.stringify('x'.repeat(6_291_456)) }];
    const { calls } = await invoker().invoke([big], budget());
    expect(calls.map((c) => [c.result, c.errorName])).toEqual([['systemic', 'ValidationError']]);
  });

  it('opens the circuit on a systemic error: no split, no further call, every item waits', async () => {
    model = fakeModel({
      refuse: () =>
        new ValidationError({
          message: 'Endpoint ep of account 000000000000 not found.',
          $metadata: { httpStatusCode: 400 },
        }),
    });
    const { outcomes, calls, systemic } = await invoker(1).invoke(
      [items(8), items(8, 8), items(8, 16)],
      budget(),
    );
    expect(calls).toHaveLength(1);
    expect(systemic?.kind).toBe('systemic');
    expect(outcomes.flat()).toEqual(
      Array.from({ length: 24 }, () => ({
        status: 'retry',
        reason: 'systemic',
        message: expect.stringContaining('not found'),
      })),
    );
  });

  it('re-checks deadlines before every attempt: an item that expires while retrying is not sent again', async () => {
    const clock = virtualClock();
    model = fakeModel({ unavailableCalls: (n) => n <= 3 });
    const timed = new ModelInvoker({
      client: new SageMakerRuntimeClient({ ...offline, maxAttempts: 1 }),
      endpointName: 'ep',
      codec: getCodec('json-instances'),
      parallelism: 1,
      callTimeoutMs: 5_000,
      retry: { retries: 5, baseMs: 100, maxMs: 100, random: () => 0.99 },
      clock,
    });
    const batch = [
      { inputJson: '0', deadline: clock.now() + 150 },
      { inputJson: '1' },
      { inputJson: '2', deadline: clock.now() - 1 },
    ];
    const { outcomes } = await timed.invoke([batch], {
      signal: new AbortController().signal,
      deadline: clock.now() + 10_000,
    });
    expect(outcomes[0]!.map((o) => o.status)).toEqual(['expired', 'ok', 'expired']);
    expect(model.calls.map((c) => c.length)).toEqual([2, 2, 1, 1]);
  });

  it('isolates several poison items and keeps every healthy neighbour', async () => {
    model = fakeModel({ poison: (input) => input === 0 || input === 9 || input === 10 });
    const { outcomes } = await invoker().invoke([items(16)], budget());
    const failed = outcomes[0]!.flatMap((o, i) => (o.status === 'failed' ? [i] : []));
    expect(failed).toEqual([0, 9, 10]);
    expect(outcomes[0]!.filter((o) => o.status === 'ok')).toHaveLength(13);
  });

  it('splits a wrong item count down to MODEL_BAD_RESPONSE for the item alone', async () => {
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
