import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDeadLetters } from '../../lib/client/index.js';
import { localAwsEnv } from '../../lib/dev/localAws.js';
import { type AllowedOutcome, accountFor, type SentRequest } from '../helpers/accounting.js';
import { FaultProxy, type FaultSchedule } from '../helpers/faultProxy.js';
import { intakeQueueUrl, waitUntilDrained } from './drain.js';
import { itContext, type LocalStack, startLocalStack } from './localStack.js';

/**
 * The deployed functions' DynamoDB and SQS traffic goes through a fault proxy (throttling,
 * 500s, slow answers, partial BatchWriteItem) while a few thousand requests flow, invalid
 * bodies, poison inputs and expired deadlines among them; then every request must be in
 * exactly one visible state (test/helpers/accounting.ts).
 */
const run = Date.now().toString(36);
const stackName = `SagebatchFault${run}`;
/** SAGEBATCH_FAULT_SEED replays a run's schedule (the proxy's decisions, not the timing). */
const seed = Number(process.env.SAGEBATCH_FAULT_SEED ?? 17);
const schedule: FaultSchedule = {
  seed,
  throttleRate: 0.15,
  serverErrorRate: 0.1,
  slowRate: 0.1,
  slowMs: 1_500,
  partialBatchWriteRate: 0.5,
};
/**
 * A storm during the middle waves: faults on most calls, so some writes fail past the SDK's
 * and the adapters' retries and their records go round again (redelivery backoff, RETRYING
 * rows, DLQ publishes on a later delivery), the paths the steady rate alone seldom reaches.
 */
const storm: FaultSchedule = {
  ...schedule,
  seed: seed + 1,
  throttleRate: 0.45,
  serverErrorRate: 0.3,
  slowRate: 0.1,
};
const STORM_WAVES = new Set([2, 3]);
/**
 * The integration settings (timeout 10 s: a record whose backoff could not be set waits a
 * 61 s visibility timeout), three deliveries and model calls of up to 32.
 */
const context = {
  ...itContext,
  maxReceiveCount: '3',
  modelBatchMaxItems: '32',
};

const WAVES = 6;
const VALID_PER_WAVE = 400;

// A request that the function could not record on any allowed delivery ends FAILED /
// UNPROCESSED through SQS's redrive and the finalizer: allowed for every kind, counted apart.
const unprocessed: AllowedOutcome = { status: 'FAILED', codes: ['UNPROCESSED'] };
const outcomes = {
  valid: [{ status: 'SUCCEEDED' }, unprocessed],
  invalid: [{ status: 'FAILED', codes: ['INVALID_REQUEST', 'UNPROCESSED'] }],
  poison: [{ status: 'FAILED', codes: ['MODEL_REJECTED', 'UNPROCESSED'] }],
  expired: [{ status: 'FAILED', codes: ['EXPIRED', 'UNPROCESSED'] }],
} satisfies Record<string, AllowedOutcome[]>;

let proxy: FaultProxy;
let stack: LocalStack;

beforeAll(async () => {
  proxy = new FaultProxy({ target: localAwsEnv().AWS_ENDPOINT_URL! });
  const proxyUrl = await proxy.start();
  stack = await startLocalStack(stackName, { ...context, localAwsProxyUrl: proxyUrl });
}, 600_000);

afterAll(async () => {
  try {
    await stack?.teardown();
  } finally {
    await proxy?.stop();
  }
}, 300_000);

/** Sends raw bodies (the producer client refuses bad ones); returns their SQS message ids. */
async function sendRaw(bodies: readonly string[]): Promise<string[]> {
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

/** One wave: valid requests, a poison input, invalid bodies and expired deadlines, sent together. */
async function sendWave(wave: number): Promise<SentRequest[]> {
  const sent: SentRequest[] = [];
  const prefix = `fi-${run}-${wave}`;
  const valid = Array.from({ length: VALID_PER_WAVE }, (_, i) => ({
    id: `${prefix}-${i}`,
    input: { text: `request ${i} of wave ${wave}` },
  }));
  const poison = [0, 1].map((i) => ({ id: `${prefix}-poison-${i}`, input: `POISON pill ${i}` }));
  const [validIds, poisonIds] = await Promise.all([
    stack.client.submit(valid),
    stack.client.submit(poison),
  ]);
  for (const key of validIds) sent.push({ key, allowed: outcomes.valid });
  for (const key of poisonIds) sent.push({ key, allowed: outcomes.poison });
  const notJson = ['not json', '{"id":', '[1,2'];
  const messageIds = await sendRaw(notJson);
  for (const key of messageIds) sent.push({ key, allowed: outcomes.invalid });
  const badEnvelopes = [
    { key: `${prefix}-missing-input`, body: JSON.stringify({ id: `${prefix}-missing-input` }) },
    {
      key: `${prefix}-typo`,
      body: JSON.stringify({ id: `${prefix}-typo`, inputs: 1 }),
    },
  ];
  const expired = Array.from({ length: 5 }, (_, i) => ({
    key: `${prefix}-late-${i}`,
    body: JSON.stringify({ id: `${prefix}-late-${i}`, input: i, deadline: Date.now() - 1 }),
  }));
  await sendRaw([...badEnvelopes, ...expired].map((r) => r.body));
  for (const { key } of badEnvelopes) sent.push({ key, allowed: outcomes.invalid });
  for (const { key } of expired) sent.push({ key, allowed: outcomes.expired });
  return sent;
}

describe('the deployed pipeline with DynamoDB and SQS faults injected', () => {
  it('ends every request in exactly one visible state: nothing lost, no duplicate DLQ message', async () => {
    stack.endpoint.reset();
    stack.endpoint.setFaults({ poisonMarker: 'POISON' });
    proxy.setSchedule(schedule);
    const started = Date.now();
    const sent: SentRequest[] = [];
    for (let wave = 0; wave < WAVES; wave++) {
      proxy.setSchedule(STORM_WAVES.has(wave) ? storm : schedule);
      sent.push(...(await sendWave(wave)));
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
    proxy.setSchedule({ ...schedule, seed: seed + 2 });
    const keys = sent.map((s) => s.key);
    const { pending } = await stack.client.waitForResults(keys, {
      timeoutMs: 300_000,
      intervalMs: 2_000,
    });
    expect(pending).toEqual([]);
    // A FAILED row can be readable before its DLQ message exists (a failed publish is
    // retried on redelivery): the request queue and the intake queue must be empty first.
    const intake = await intakeQueueUrl(stack.sqs, stackName);
    await waitUntilDrained(stack.sqs, [stack.outputs.queueUrl, intake], 300_000);
    const elapsed = Date.now() - started;
    proxy.setSchedule({
      ...schedule,
      throttleRate: 0,
      serverErrorRate: 0,
      slowRate: 0,
      partialBatchWriteRate: 0,
    });

    const rows = await stack.client.getResults(keys);
    const letters = await readDeadLetters(stack.sqs, stack.outputs.dlqUrl, {
      max: 10_000,
      hideForSeconds: 3_600,
    });
    const report = accountFor(sent, rows, letters);
    const faults = proxy.stats();
    console.log(
      [
        `fault injection (seed ${seed}, storm during waves ${[...STORM_WAVES].join(', ')}): ${sent.length} requests in ${(elapsed / 1000).toFixed(0)} s`,
        `  outcome: ${report.succeeded} SUCCEEDED, ${report.failed} FAILED ${JSON.stringify(report.failedByCode)}, ${report.deadLetters} DLQ messages`,
        `  proxy: ${JSON.stringify(faults.total)}`,
        ...Object.entries(faults)
          .filter(([key]) => key !== 'total')
          .map(([key, counts]) => `    ${key}: ${JSON.stringify(counts)}`),
        ...report.problems.slice(0, 50).map((p) => `  PROBLEM ${p}`),
      ].join('\n'),
    );
    expect(report.problems).toEqual([]);
    // The faults happened, on both services' traffic of the deployed functions.
    expect(faults['DynamoDB.BatchWriteItem']?.partial ?? 0).toBeGreaterThan(0);
    expect(faults.total!.throttled).toBeGreaterThan(0);
    expect(faults.total!.serverErrors).toBeGreaterThan(0);
    expect(faults.total!.slow).toBeGreaterThan(0);
    const sqsFaults = Object.entries(faults)
      .filter(([key]) => key.startsWith('SQS.'))
      .reduce((n, [, c]) => n + c.throttled + c.serverErrors, 0);
    expect(sqsFaults).toBeGreaterThan(0);
    // The poison inputs reached the model (and failed there), not only the proxy.
    expect(stack.endpoint.stats().modelErrors).toBeGreaterThan(0);
  }, 900_000);
});
