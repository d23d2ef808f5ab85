import {
  InvokeEndpointCommand,
  SageMakerRuntimeClient,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyModelError } from '../../../lib/batcher/invoke/classifyModelError.js';
import { EndpointEmulator } from '../../../lib/dev/endpointEmulator/EndpointEmulator.js';
import { noCapacityMessage } from '../../helpers/awsRules/sagemakerRuntime.js';
import { offline } from '../../helpers/factories.js';

let now = 1_000_000;
const emulator = new EndpointEmulator({
  port: 0,
  capacity: { atZero: true, startupMs: 120_000 },
  now: () => now,
});
let client: SageMakerRuntimeClient;
let url: string;

beforeAll(async () => {
  url = await emulator.start();
  client = new SageMakerRuntimeClient({ ...offline, endpoint: url, maxAttempts: 1 });
});
afterAll(() => emulator.stop());

const call = () =>
  client.send(
    new InvokeEndpointCommand({
      EndpointName: 'ep',
      InferenceComponentName: 'ep-ic',
      Body: '{"instances":[1]}',
      ContentType: 'application/json',
    }),
  );

describe('the endpoint emulator at zero capacity', () => {
  it("answers SageMaker's exact no-capacity error until told to scale out, then after the start-up delay", async () => {
    const refused = await call().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).message).toBe(noCapacityMessage);
    expect((refused as ValidationError).$metadata.httpStatusCode).toBe(400);
    expect(classifyModelError(refused).kind).toBe('no-capacity');

    // Through its own HTTP control route, as an integration test does.
    const set = await fetch(new URL('/_emulator/capacity', url), {
      method: 'PUT',
      body: JSON.stringify({ copies: 1 }),
    });
    expect(await set.json()).toEqual({ copies: 0, desired: 1, readyAt: now + 120_000 });
    now += 119_999;
    await expect(call()).rejects.toThrow(noCapacityMessage);
    now += 1;
    const answer = await call();
    expect(JSON.parse(Buffer.from(answer.Body!).toString('utf8'))).toHaveProperty('predictions');
    expect(emulator.stats().noCapacity).toBe(2);
    expect(emulator.capacity).toEqual({ copies: 1, desired: 1 });
  });

  it('goes back to zero when told, and refuses a bad capacity', async () => {
    emulator.setCapacity({ copies: 0 });
    await expect(call()).rejects.toThrow(noCapacityMessage);
    const bad = await fetch(new URL('/_emulator/capacity', url), {
      method: 'PUT',
      body: JSON.stringify({ copies: 3 }),
    });
    expect(bad.status).toBe(400);
  });
});
