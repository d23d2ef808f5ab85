import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestResult } from '../../lib/client/index.js';
import { type DeadLetterMessage, readDeadLetters } from '../../lib/client/index.js';
import { localClientConfig } from '../../lib/dev/localAws.js';
import { type LocalStack, startLocalStack } from './localStack.js';

/** The endpoint emulator's text-stats model, written again from its definition. */
function expectedOutput(input: unknown) {
  const text = JSON.stringify(input);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++)
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return { chars: text.length, checksum: hash };
}

const run = Date.now().toString(36);
let stack: LocalStack;
/** Every request id sent, with the terminal state the test expects for it. */
const ledger = new Map<string, 'SUCCEEDED' | 'FAILED'>();

beforeAll(async () => {
  stack = await startLocalStack(`SagebatchIt${run}`);
}, 600_000);

afterAll(async () => {
  await stack?.teardown();
}, 300_000);

const wait = (ids: string[], timeoutMs = 120_000) =>
  stack.client.waitForResults(ids, { timeoutMs, intervalMs: 500 });

/** Sends raw bodies (the producer client would refuse bad ones); returns the SQS message ids. */
async function sendRaw(bodies: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < bodies.length; i += 10) {
    const response = await stack.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.outputs.queueUrl,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })),
      }),
    );
    expect(response.Failed ?? []).toEqual([]);
    ids.push(
      ...(response.Successful ?? [])
        .sort((a, b) => Number(a.Id) - Number(b.Id))
        .map((s) => s.MessageId!),
    );
  }
  return ids;
}

/** Waits until the request queue has nothing visible or in flight. */
async function queueDrained(timeoutMs = 120_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  for (;;) {
    const { Attributes: a = {} } = await stack.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: stack.outputs.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    if (
      Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible) ===
      0
    )
      return;
    if (Date.now() > giveUp) throw new Error('the request queue did not drain');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const dlqByRequest = new Map<string, DeadLetterMessage[]>();
/** Moves every DLQ message into `dlqByRequest` (hidden for the rest of the run). */
async function collectDeadLetters(): Promise<void> {
  for (const letter of await readDeadLetters(stack.sqs, stack.outputs.dlqUrl, {
    max: 1_000,
    hideForSeconds: 3_600,
  })) {
    const key = letter.requestId ?? `unattributed:${letter.body}`;
    dlqByRequest.set(key, [...(dlqByRequest.get(key) ?? []), letter]);
  }
}

describe('the pipeline deployed to the local emulator', () => {
  it('(a) answers 500 requests with the model outputs, in fewer model calls than requests', async () => {
    stack.endpoint.reset();
    const inputs = Array.from({ length: 500 }, (_, i) => ({ text: `request ${i} of run ${run}` }));
    const ids = await stack.client.submit(
      inputs.map((input, i) => ({ id: `a-${run}-${i}`, input })),
    );
    const { results, pending } = await wait(ids);
    expect(pending).toEqual([]);
    ids.forEach((id, i) => {
      expect(results.get(id)).toMatchObject({
        status: 'SUCCEEDED',
        output: expectedOutput(inputs[i]),
      });
      ledger.set(id, 'SUCCEEDED');
    });
    const stats = stack.endpoint.stats();
    expect(stats.items).toBe(500);
    expect(stats.calls).toBeLessThan(500);
    expect(Math.max(...[...results.values()].map((r) => r.batchItems ?? 0))).toBeGreaterThan(1);
  }, 180_000);

  it('(b) fails invalid bodies and expired deadlines with FAILED rows and DLQ messages, never calling the model', async () => {
    stack.endpoint.reset();
    const bodies = [
      'not json',
      '{"id":"b-missing-input"}',
      `{"id":"b-${run}-typo","inputs":1}`,
      JSON.stringify({ id: `b-${run}-late`, input: 1, deadline: Date.now() - 1 }),
    ];
    const messageIds = await sendRaw(bodies);
    const keys = [messageIds[0]!, 'b-missing-input', `b-${run}-typo`, `b-${run}-late`];
    const { results, pending } = await wait(keys);
    expect(pending).toEqual([]);
    const codes = keys.map((key) => results.get(key)?.error?.code);
    expect(codes).toEqual(['INVALID_REQUEST', 'INVALID_REQUEST', 'INVALID_REQUEST', 'EXPIRED']);
    for (const key of keys) ledger.set(key, 'FAILED');
    await collectDeadLetters();
    const late = dlqByRequest.get(`b-${run}-late`)?.[0];
    expect(late).toMatchObject({ errorCode: 'EXPIRED', attempts: 1, body: bodies[3] });
    expect(dlqByRequest.get(messageIds[0]!)?.[0]).toMatchObject({
      errorCode: 'INVALID_REQUEST',
      body: 'not json',
      sourceMessageId: messageIds[0],
    });
    expect(stack.endpoint.stats().calls).toBe(0);
  }, 180_000);

  it('(c) isolates a poison item; its batch neighbours succeed', async () => {
    stack.endpoint.reset();
    stack.endpoint.setFaults({ poisonMarker: 'POISON' });
    const requests = Array.from({ length: 30 }, (_, i) => ({
      id: `c-${run}-${i}`,
      input: i === 17 ? 'POISON pill' : `fine ${i}`,
    }));
    const ids = await stack.client.submit(requests);
    const { results, pending } = await wait(ids);
    stack.endpoint.setFaults({});
    expect(pending).toEqual([]);
    const poison = results.get(`c-${run}-17`) as RequestResult;
    expect(poison).toMatchObject({ status: 'FAILED', error: { code: 'MODEL_REJECTED' } });
    ledger.set(`c-${run}-17`, 'FAILED');
    for (const id of ids.filter((id) => id !== `c-${run}-17`)) {
      expect(results.get(id)?.status).toBe('SUCCEEDED');
      ledger.set(id, 'SUCCEEDED');
    }
    expect(stack.endpoint.stats().modelErrors).toBeGreaterThan(0);
  }, 180_000);

  it('(d) rides out an unavailable endpoint: every request eventually SUCCEEDED', async () => {
    stack.endpoint.reset();
    stack.endpoint.setFaults({ unavailableFirstCalls: 4, unavailableStatus: 503 });
    const ids = await stack.client.submit(
      Array.from({ length: 40 }, (_, i) => ({ id: `d-${run}-${i}`, input: `flaky ${i}` })),
    );
    const { results, pending } = await wait(ids);
    stack.endpoint.setFaults({});
    expect(pending).toEqual([]);
    for (const id of ids) {
      expect(results.get(id)?.status).toBe('SUCCEEDED');
      ledger.set(id, 'SUCCEEDED');
    }
    expect(stack.endpoint.stats().unavailableErrors).toBe(4);
  }, 180_000);

  it('(f) computes an id sent twice once, and keeps its first result', async () => {
    stack.endpoint.reset();
    const id = `f-${run}`;
    await stack.client.submit([{ id, input: 'twice' }]);
    const first = (await wait([id])).results.get(id)!;
    await stack.client.submit([{ id, input: 'twice' }]);
    await queueDrained();
    const second = (await stack.client.getResults([id])).get(id)!;
    expect(second).toEqual(first);
    expect(stack.endpoint.stats().items).toBe(1);
    ledger.set(id, 'SUCCEEDED');
  }, 180_000);

  it('(e) holds requests to a permanently busy endpoint past the redrive limit, then fails them RETRIES_EXHAUSTED past MAX_HOLD_SECONDS', async () => {
    stack.endpoint.reset();
    stack.endpoint.setFaults({ unavailableRate: 1 });
    const ids = await stack.client.submit(
      Array.from({ length: 5 }, (_, i) => ({ id: `e-${run}-${i}`, input: `doomed ${i}` })),
    );
    // Held (busy): RETRYING and requeued on each last delivery, until MAX_HOLD_SECONDS
    // (120 s in itContext) has passed since the first enqueue.
    const { results, pending } = await wait(ids, 240_000);
    stack.endpoint.setFaults({});
    expect(pending).toEqual([]);
    for (const id of ids) {
      expect(results.get(id)).toMatchObject({
        status: 'FAILED',
        error: { code: 'RETRIES_EXHAUSTED', message: expect.stringContaining('MAX_HOLD_SECONDS') },
      });
      ledger.set(id, 'FAILED');
    }
    await collectDeadLetters();
    expect(dlqByRequest.get(ids[0]!)?.[0]).toMatchObject({
      errorCode: 'RETRIES_EXHAUSTED',
    });
  }, 300_000);

  it('(g) a misconfigured endpoint leaves the backlog in the queue, never in the DLQ, and it drains to SUCCEEDED once fixed', async () => {
    stack.endpoint.reset();
    // SageMaker's answer to a wrong or missing endpoint name: 400 ValidationError "not found".
    stack.endpoint.setFaults({ endpointNames: ['some-other-endpoint'] });
    const ids = await stack.client.submit(
      Array.from({ length: 30 }, (_, i) => ({ id: `g-${run}-${i}`, input: `held ${i}` })),
    );
    // Long enough for every request to reach its last delivery (maxReceiveCount 2) and be
    // sent back to the queue instead of the DLQ.
    const holdUntil = Date.now() + 25_000;
    while (Date.now() < holdUntil) await new Promise((resolve) => setTimeout(resolve, 1_000));
    const held = await stack.client.getResults(ids);
    for (const id of ids) {
      expect(held.get(id)).toMatchObject({
        status: 'RETRYING',
        error: { code: 'ENDPOINT_MISCONFIGURED', message: expect.stringContaining('not found') },
      });
    }
    await collectDeadLetters();
    expect(ids.filter((id) => dlqByRequest.has(id))).toEqual([]);
    const refused = stack.endpoint.stats();
    expect(refused.refused).toBeGreaterThan(0);
    expect(refused.items).toBe(0);

    stack.endpoint.setFaults({});
    const { results, pending } = await wait(ids, 180_000);
    expect(pending).toEqual([]);
    for (const id of ids) {
      expect(results.get(id)?.status).toBe('SUCCEEDED');
      ledger.set(id, 'SUCCEEDED');
    }
  }, 300_000);

  it('(h) isolates a 5xx poison item among 200: its neighbours succeed, it alone ends MODEL_ERROR in the DLQ', async () => {
    stack.endpoint.reset();
    stack.endpoint.setFaults({ poisonMarker: 'CRASH', poisonStatus: 500 });
    const poisonId = `h-${run}-123`;
    const ids = await stack.client.submit(
      Array.from({ length: 200 }, (_, i) => ({
        id: `h-${run}-${i}`,
        input: i === 123 ? 'CRASH the model' : `fine ${i}`,
      })),
    );
    const { results, pending } = await wait(ids, 180_000);
    stack.endpoint.setFaults({});
    expect(pending).toEqual([]);
    expect(results.get(poisonId)).toMatchObject({
      status: 'FAILED',
      attempts: 2,
      error: { code: 'MODEL_ERROR' },
    });
    ledger.set(poisonId, 'FAILED');
    for (const id of ids.filter((id) => id !== poisonId)) {
      expect(results.get(id)?.status).toBe('SUCCEEDED');
      ledger.set(id, 'SUCCEEDED');
    }
    await collectDeadLetters();
    expect(dlqByRequest.get(poisonId)?.[0]).toMatchObject({ errorCode: 'MODEL_ERROR' });
  }, 300_000);

  it('(i) a function that fails on every delivery: SQS moves the messages, the finalizer makes them FAILED / UNPROCESSED with a DLQ message', async () => {
    // Break the batcher for real, through the Lambda API: a setting that does not validate
    // makes every invocation report all its records failed.
    const lambda = new LambdaClient(localClientConfig());
    const FunctionName = stack.outputs.functionName;
    const { Environment } = await lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName }),
    );
    const healthy = Environment?.Variables ?? {};
    const update = async (Variables: Record<string, string>) => {
      await lambda.send(
        new UpdateFunctionConfigurationCommand({ FunctionName, Environment: { Variables } }),
      );
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60 }, { FunctionName });
    };
    await update({ ...healthy, MODEL_BATCH_MAX_ITEMS: 'not-a-number' });
    stack.endpoint.reset();
    let ids: string[];
    try {
      ids = await stack.client.submit(
        Array.from({ length: 3 }, (_, i) => ({ id: `i-${run}-${i}`, input: `stranded ${i}` })),
      );
      const { results, pending } = await wait(ids, 240_000);
      expect(pending).toEqual([]);
      for (const id of ids) {
        expect(results.get(id)).toMatchObject({
          status: 'FAILED',
          error: {
            code: 'UNPROCESSED',
            message: expect.stringContaining('without a recorded outcome'),
          },
        });
        ledger.set(id, 'FAILED');
      }
    } finally {
      await update(healthy);
    }
    expect(stack.endpoint.stats().calls).toBe(0);
    await collectDeadLetters();
    expect(dlqByRequest.get(ids[0]!)?.[0]).toMatchObject({
      errorCode: 'UNPROCESSED',
      requestId: ids[0],
      body: JSON.stringify({ id: ids[0], input: 'stranded 0' }),
    });
  }, 300_000);

  it('accounts for every id sent exactly once: a SUCCEEDED row, or a FAILED row and one DLQ message', async () => {
    await queueDrained();
    await collectDeadLetters();
    const rows = await stack.client.getResults([...ledger.keys()]);
    for (const [id, status] of ledger) {
      expect({ id, status: rows.get(id)?.status }).toEqual({ id, status });
      expect({ id, letters: dlqByRequest.get(id)?.length ?? 0 }).toEqual({
        id,
        letters: status === 'FAILED' ? 1 : 0,
      });
    }
    const unexpected = [...dlqByRequest.keys()].filter((key) => !ledger.has(key));
    expect(unexpected).toEqual([]);
    const leftovers = await stack.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.outputs.queueUrl, WaitTimeSeconds: 1 }),
    );
    expect(leftovers.Messages ?? []).toEqual([]);
  }, 180_000);
});
