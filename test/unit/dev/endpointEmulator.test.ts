import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  InvokeEndpointCommand,
  ModelError,
  SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CodecName, getCodec } from '../../../lib/batcher/codecs/index.js';
import { classifyModelError } from '../../../lib/batcher/invoke/classifyModelError.js';
import { ModelInvoker } from '../../../lib/batcher/invoke/modelInvoker.js';
import { fnv1a32 } from '../../../lib/dev/endpointEmulator/builtinModels.js';
import { EndpointEmulator } from '../../../lib/dev/endpointEmulator/EndpointEmulator.js';
import { fastRetry, offline } from '../../helpers/factories.js';

/** The text-stats model, written again from its definition. */
const expected = (input: unknown) => {
  const text = JSON.stringify(input);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++)
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return { chars: text.length, checksum: hash };
};

const emulator = new EndpointEmulator({ port: 0 });
let client: SageMakerRuntimeClient;

beforeAll(async () => {
  const url = await emulator.start();
  client = new SageMakerRuntimeClient({ ...offline, endpoint: url, maxAttempts: 1 });
});
afterAll(() => emulator.stop());
afterEach(() => {
  emulator.setFaults({});
  emulator.reset();
});

const invoker = (codec: CodecName = 'json-instances') =>
  new ModelInvoker({
    client,
    endpointName: 'local',
    codec: getCodec(codec),
    parallelism: 2,
    callTimeoutMs: 5_000,
    retry: fastRetry,
  });
const items = (inputs: unknown[]) => inputs.map((input) => ({ inputJson: JSON.stringify(input) }));
const budget = () => ({ signal: new AbortController().signal, deadline: Date.now() + 10_000 });

describe('EndpointEmulator', () => {
  it('matches an independent FNV-1a', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
  });

  it.each(['json-instances', 'hf-inputs', 'jsonlines'] as const)(
    'serves the text-stats model through the real SDK with the %s codec',
    async (codec) => {
      const inputs = ['hello', { text: 'héllo' }, [1, 2, 3], null];
      const { outcomes } = await invoker(codec).invoke([items(inputs)], budget());
      expect(outcomes[0]!.map((o) => (o.status === 'ok' ? JSON.parse(o.outputJson) : o))).toEqual(
        inputs.map(expected),
      );
      expect(emulator.stats()).toMatchObject({
        calls: 1,
        items: 4,
        succeeded: 1,
        batchSizes: { 4: 1 },
      });
    },
  );

  it('gives the same output batched as one at a time', async () => {
    const inputs = Array.from({ length: 20 }, (_, i) => ({ text: `sentence ${i}` }));
    const batched = (await invoker().invoke([items(inputs)], budget())).outcomes.flat();
    const single = (
      await invoker().invoke(
        inputs.map((input) => items([input])),
        budget(),
      )
    ).outcomes.flat();
    expect(batched).toEqual(
      single.map((o) => ({ ...o, latencyMs: expect.any(Number), batchItems: 20 })),
    );
  });

  it('rejects a batch holding a poison item with a 424 ModelError carrying the 400', async () => {
    emulator.setFaults({ poisonMarker: 'POISON' });
    const call = client.send(
      new InvokeEndpointCommand({
        EndpointName: 'local',
        Body: '{"instances":["ok","POISON"]}',
        ContentType: 'application/json',
      }),
    );
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ OriginalStatusCode: 400, $metadata: { httpStatusCode: 424 } });
    expect(classifyModelError(error).kind).toBe('rejected');
  });

  it('answers a 5xx poison batch the way AWS inference toolkits do: ModelError with status 500', async () => {
    emulator.setFaults({ poisonMarker: 'POISON', poisonStatus: 500 });
    const error = await client
      .send(
        new InvokeEndpointCommand({
          EndpointName: 'local',
          Body: '{"instances":["ok","POISON"]}',
          ContentType: 'application/json',
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ModelError', OriginalStatusCode: 500 });
    expect(classifyModelError(error).kind).toBe('model-error');
    const { outcomes } = await invoker().invoke([items(['a', 'POISON', 'c', 'd'])], budget());
    expect(outcomes[0]!.map((o) => o.status)).toEqual(['ok', 'retry', 'ok', 'ok']);
  });

  it('answers a model exception (stack overflow on a 50,000-deep input) as SageMaker does: 424 ModelError with status 500, never InternalFailure', async () => {
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    const error = await client
      .send(
        new InvokeEndpointCommand({
          EndpointName: 'local',
          Body: `{"instances":["ok",${deep}]}`,
          ContentType: 'application/json',
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({
      OriginalStatusCode: 500,
      OriginalMessage: expect.stringContaining('RangeError'),
      LogStreamArn: expect.stringContaining('/aws/sagemaker/Endpoints/'),
      $metadata: { httpStatusCode: 424 },
    });
    expect(classifyModelError(error).kind).toBe('model-error');
  });

  it("answers for a container slower than SageMaker's limit as SageMaker does: 424 ModelError with status 0", async () => {
    const strict = new EndpointEmulator({
      port: 0,
      modelResponseLimitMs: 50,
      faults: { hangAboveItems: 1 },
    });
    const strictClient = new SageMakerRuntimeClient({
      ...offline,
      endpoint: await strict.start(),
      maxAttempts: 1,
    });
    try {
      const error = await strictClient
        .send(
          new InvokeEndpointCommand({
            EndpointName: 'local',
            Body: '{"instances":[1,2]}',
            ContentType: 'application/json',
          }),
        )
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        name: 'ModelError',
        OriginalStatusCode: 0,
        $metadata: { httpStatusCode: 424 },
      });
      expect(classifyModelError(error).kind).toBe('model-error');
    } finally {
      await strict.stop();
    }
  });

  it('refuses an unknown endpoint name like SageMaker: 400 ValidationError "not found", classified systemic', async () => {
    emulator.setFaults({ endpointNames: ['right-name'] });
    const error = await client
      .send(
        new InvokeEndpointCommand({
          EndpointName: 'wrong-name',
          Body: '{"instances":[1]}',
          ContentType: 'application/json',
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'ValidationError',
      message: 'Endpoint wrong-name of account 000000000000 not found.',
      $metadata: { httpStatusCode: 400 },
    });
    expect(classifyModelError(error).kind).toBe('systemic');
    expect(emulator.stats()).toMatchObject({ calls: 1, refused: 1, items: 0 });
  });

  it('never answers a batch above hangAboveItems, so the invoker times out and splits it', async () => {
    emulator.setFaults({ hangAboveItems: 2 });
    const slow = new ModelInvoker({
      client,
      endpointName: 'local',
      codec: getCodec('json-instances'),
      parallelism: 2,
      callTimeoutMs: 200,
      retry: fastRetry,
    });
    const { outcomes } = await slow.invoke([items(['a', 'b', 'c', 'd', 'e'])], budget());
    expect(outcomes[0]!.every((o) => o.status === 'ok')).toBe(true);
    expect(emulator.stats().hung).toBeGreaterThan(0);
    expect(
      Object.keys(emulator.stats().batchSizes)
        .map(Number)
        .every((n) => n <= 2),
    ).toBe(true);
  });

  it('lets the invoker isolate the poison item and serve its neighbours', async () => {
    emulator.setFaults({ poisonMarker: 'POISON' });
    const { outcomes } = await invoker().invoke([items(['a', 'b', 'POISON', 'd'])], budget());
    expect(outcomes[0]!.map((o) => o.status)).toEqual(['ok', 'ok', 'failed', 'ok']);
  });

  it.each([
    [503, 'ServiceUnavailable'],
    [429, 'ModelNotReadyException'],
  ] as const)('fails the first calls with %i %s, then answers', async (status, name) => {
    emulator.setFaults({ unavailableFirstCalls: 2, unavailableStatus: status });
    const send = () =>
      client.send(
        new InvokeEndpointCommand({
          EndpointName: 'local',
          Body: '{"instances":[1]}',
          ContentType: 'application/json',
        }),
      );
    for (let i = 0; i < 2; i++) {
      const error = await send().catch((e: unknown) => e);
      expect(error).toMatchObject({ name, $metadata: { httpStatusCode: status } });
      expect(classifyModelError(error).kind).toBe('unavailable');
    }
    await expect(send()).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
    expect(emulator.stats()).toMatchObject({ calls: 3, unavailableErrors: 2, succeeded: 1 });
  });

  it('answers with one output too few when asked to, which the codec rejects', async () => {
    emulator.setFaults({ shortAnswerMarker: 'SHORT' });
    const { outcomes } = await invoker().invoke([items(['a', 'SHORT'])], budget());
    expect(outcomes[0]!.map((o) => (o.status === 'failed' ? o.error.code : o.status))).toEqual([
      'ok',
      'MODEL_BAD_RESPONSE',
    ]);
  });

  it('takes fault settings and reports stats over its control routes', async () => {
    const put = await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'PUT',
      body: JSON.stringify({ unavailableRate: 1 }),
    });
    expect(put.status).toBe(200);
    await invoker().invoke([items([1])], {
      signal: new AbortController().signal,
      deadline: Date.now() + 20,
    });
    const stats = (await (await fetch(`${emulator.url}/_emulator/stats`)).json()) as {
      calls: number;
      unavailableErrors: number;
    };
    expect(stats.calls).toBeGreaterThan(0);
    expect(stats.unavailableErrors).toBe(stats.calls);
    const bad = await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'PUT',
      body: JSON.stringify({ unavailableRate: 2 }),
    });
    expect(bad.status).toBe(400);
  });
});

describe('EndpointEmulator proxy mode', () => {
  let container: Server;
  let proxy: EndpointEmulator;
  let proxied: SageMakerRuntimeClient;

  beforeAll(async () => {
    // A minimal SageMaker-contract container: GET /ping, POST /invocations ({"inputs"} -> array).
    container = createServer(async (request, response) => {
      if (request.url === '/ping') return void response.writeHead(200).end();
      let body = '';
      for await (const chunk of request) body += chunk;
      const inputs = (JSON.parse(body) as { inputs: string[] }).inputs;
      if (inputs.includes('bad'))
        return void response
          .writeHead(422, { 'content-type': 'text/plain' })
          .end('cannot embed "bad"');
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(inputs.map((s) => s.length)));
    });
    await new Promise<void>((resolve) => container.listen(0, '127.0.0.1', resolve));
    proxy = new EndpointEmulator({
      port: 0,
      proxyUrl: `http://127.0.0.1:${(container.address() as AddressInfo).port}`,
    });
    proxied = new SageMakerRuntimeClient({
      ...offline,
      endpoint: await proxy.start(),
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    await proxy.stop();
    await new Promise((resolve) => container.close(resolve));
  });

  it('forwards calls to the container and its answers back', async () => {
    expect((await fetch(`${proxy.url}/ping`)).status).toBe(200);
    const response = await proxied.send(
      new InvokeEndpointCommand({
        EndpointName: 'x',
        Body: '{"inputs":["ab","abcd"]}',
        ContentType: 'application/json',
      }),
    );
    expect(JSON.parse(Buffer.from(response.Body).toString('utf8'))).toEqual([2, 4]);
    expect(proxy.stats()).toMatchObject({ calls: 1, items: 2 });
  });

  it('answers for a container that cannot be reached as SageMaker does: 424 ModelError, never InternalFailure', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const orphan = new EndpointEmulator({ port: 0, proxyUrl: deadUrl });
    const orphanClient = new SageMakerRuntimeClient({
      ...offline,
      endpoint: await orphan.start(),
      maxAttempts: 1,
    });
    try {
      const error = await orphanClient
        .send(
          new InvokeEndpointCommand({
            EndpointName: 'x',
            Body: '{"inputs":["a"]}',
            ContentType: 'application/json',
          }),
        )
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ModelError', $metadata: { httpStatusCode: 424 } });
      expect((error as ModelError).OriginalStatusCode).toBeGreaterThanOrEqual(500);
    } finally {
      await orphan.stop();
    }
  });

  it("turns the container's 4xx into a ModelError with its status", async () => {
    const error = await proxied
      .send(
        new InvokeEndpointCommand({
          EndpointName: 'x',
          Body: '{"inputs":["bad"]}',
          ContentType: 'application/json',
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ModelError', OriginalStatusCode: 422 });
  });
});
