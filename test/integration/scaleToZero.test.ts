import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from './localStack.js';

// A pipeline in front of an endpoint scaled to zero: the endpoint emulator starts with no
// copy of the model and answers SageMaker's no-capacity ValidationError until it is told to
// scale out (its own control route), then serves after a start-up delay.

const run = Date.now().toString(36);
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack(`SagebatchZero${run}`, undefined, {
    capacity: { atZero: true, startupMs: 3_000 },
  });
}, 600_000);

afterAll(async () => {
  await stack?.teardown();
}, 300_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Messages in the DLQ, visible or not. */
async function deadLetterCount(): Promise<number> {
  const { Attributes } = await stack.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.outputs.dlqUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

describe('scale to zero, deployed to the local emulator', () => {
  it('holds requests while there is no capacity (RETRYING, nothing in the DLQ), then answers them all', async () => {
    const ids = await stack.client.submit(
      Array.from({ length: 40 }, (_, i) => ({ id: `z-${run}-${i}`, input: `zero ${i}` })),
    );

    // Held: every request gets a RETRYING row with ENDPOINT_NO_CAPACITY, none fails.
    let rows = await stack.client.getResults(ids);
    for (let tries = 0; tries < 120 && rows.size < ids.length; tries++) {
      await sleep(500);
      rows = await stack.client.getResults(ids);
    }
    expect(rows.size).toBe(ids.length);
    expect(new Set([...rows.values()].map((r) => r.status))).toEqual(new Set(['RETRYING']));
    expect([...rows.values()][0]!.error).toMatchObject({ code: 'ENDPOINT_NO_CAPACITY' });
    expect(await deadLetterCount()).toBe(0);
    const refused = stack.endpoint.stats().noCapacity;
    expect(refused).toBeGreaterThan(0);
    // No more calls in an invocation once the endpoint said it has no capacity.
    expect(stack.endpoint.stats().calls).toBe(refused);

    // Capacity comes up (the scale-out from zero), through the emulator's control route.
    const answer = await fetch(new URL('/_emulator/capacity', stack.endpoint.url), {
      method: 'PUT',
      body: JSON.stringify({ copies: 1 }),
    });
    expect(answer.status).toBe(200);

    // The next delivery (after the 60 s no-capacity backoff) finds the copy and answers.
    const { results, pending } = await stack.client.waitForResults(ids, {
      timeoutMs: 240_000,
      intervalMs: 2_000,
    });
    expect(pending).toEqual([]);
    expect([...results.values()].every((r) => r.status === 'SUCCEEDED')).toBe(true);
    expect(await deadLetterCount()).toBe(0);
  }, 420_000);
});
