import { ValidationError } from '@aws-sdk/client-sagemaker-runtime';
import type { SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../../../functions/batcher/handler.js';
import { noCapacityError } from '../../../helpers/awsRules/sagemakerRuntime.js';
import {
  buildDependencies,
  lambdaContext,
  sqsEvent,
  sqsRecord,
  testConfig,
} from '../../../helpers/factories.js';
import { fakeModel, fakeQueue, fakeTable } from '../../../helpers/fakes.js';
import { virtualClock } from '../../../helpers/virtualClock.js';

// A hold keeps a request without FAILED / DLQ because the endpoint, not the request, is
// the cause. These tests play a request's whole life on a virtual clock, as SQS would
// deliver it: handed back -> visible again after the visibility the batcher set, receive
// count + 1; requeued -> a fresh message after its delay, receive count 1.

let model: ReturnType<typeof fakeModel>;
let table: ReturnType<typeof fakeTable>;
let queue: ReturnType<typeof fakeQueue>;

afterEach(() => {
  model.mock.restore();
  table.mock.restore();
  queue.mock.restore();
});

const maxHoldSeconds = 3_600;
const maxReceiveCount = 5;
const notFound = () =>
  new ValidationError({
    message: 'Endpoint test-endpoint of account 000000000000 not found.',
    $metadata: { httpStatusCode: 400 },
  });

interface Life {
  /** The row when the request ended (acknowledged without a requeue), or undefined: it never did. */
  readonly ended: Record<string, unknown> | undefined;
  /** Virtual seconds from the first enqueue to the end (or to the horizon). */
  readonly seconds: number;
  /** Statuses the row had while the request was still going. */
  readonly statusesWhileGoing: Set<unknown>;
  readonly deliveries: number;
}

/** Delivers request `id` again and again, as SQS would, until it ends or `horizonSeconds` pass. */
async function live(
  id: string,
  horizonSeconds: number,
  clock: ReturnType<typeof virtualClock> = virtualClock(),
): Promise<Life> {
  const start = clock.now();
  const deps = buildDependencies(
    testConfig({
      MAX_HOLD_SECONDS: String(maxHoldSeconds),
      MAX_RECEIVE_COUNT: String(maxReceiveCount),
      // Production-like in-invocation retries: a few waits per delivery, not thousands.
      RETRY_BASE_MS: '1000',
      RETRY_MAX_MS: '10000',
    }),
    { clock },
  );
  const handler = createHandler(() => deps);
  let record: SQSRecord = sqsRecord({ id, input: 1 });
  record.attributes.SentTimestamp = String(start);
  let receiveCount = 1;
  let deliveries = 0;
  const statusesWhileGoing = new Set<unknown>();
  while (clock.now() - start < horizonSeconds * 1_000) {
    record.attributes.ApproximateReceiveCount = String(receiveCount);
    const requeuedBefore = queue.requeued.length;
    const visibilityBefore = queue.visibility.length;
    deliveries += 1;
    const response = await handler(sqsEvent([record]), lambdaContext(20_000));
    if (response.batchItemFailures.length > 0) {
      statusesWhileGoing.add(table.rows.get(id)?.status);
      // SQS itself moves the message on after maxReceiveCount: that is not a hold.
      if (receiveCount >= maxReceiveCount) break;
      const seconds = queue.visibility.slice(visibilityBefore).at(-1)?.seconds ?? 900;
      clock.advance(seconds * 1_000);
      receiveCount += 1;
      continue;
    }
    const copy = queue.requeued.slice(requeuedBefore).at(-1);
    if (copy) {
      statusesWhileGoing.add(table.rows.get(id)?.status);
      record = sqsRecord(JSON.parse(copy.body));
      record.attributes.SentTimestamp = String(clock.now());
      record.messageAttributes = Object.fromEntries(
        Object.entries(copy.attributes).map(([name, value]) => [
          name,
          { stringValue: value, dataType: name === 'sagebatch.enqueuedAt' ? 'Number' : 'String' },
        ]),
      );
      clock.advance((copy.delaySeconds ?? 0) * 1_000);
      receiveCount = 1;
      continue;
    }
    return {
      ended: table.rows.get(id),
      seconds: (clock.now() - start) / 1_000,
      statusesWhileGoing,
      deliveries,
    };
  }
  return {
    ended: undefined,
    seconds: (clock.now() - start) / 1_000,
    statusesWhileGoing,
    deliveries,
  };
}

/** Longest a request may outlive MAX_HOLD_SECONDS: one backoff (at most 15 minutes) and one delivery. */
const overshootSeconds = 900 + 120;

describe('a request held by a misconfigured endpoint (ENDPOINT_MISCONFIGURED)', () => {
  it('ends FAILED with a DLQ message once held past MAX_HOLD_SECONDS, instead of looping forever', async () => {
    model = fakeModel({ refuse: notFound });
    table = fakeTable();
    queue = fakeQueue();
    const life = await live('held', 5 * maxHoldSeconds);
    expect(life.ended, 'the request never ended: it is requeued forever').toBeDefined();
    expect(life.ended).toMatchObject({
      status: 'FAILED',
      error: {
        code: 'ENDPOINT_MISCONFIGURED',
        message: expect.stringContaining('MAX_HOLD_SECONDS'),
      },
    });
    expect(life.statusesWhileGoing).toEqual(new Set(['RETRYING']));
    expect(life.seconds).toBeGreaterThanOrEqual(maxHoldSeconds);
    expect(life.seconds).toBeLessThanOrEqual(maxHoldSeconds + overshootSeconds);
    expect(queue.messages.map((m) => m.attributes['sagebatch.errorCode'])).toEqual([
      'ENDPOINT_MISCONFIGURED',
    ]);
    expect(queue.messages[0]!.attributes['sagebatch.requestId']).toBe('held');
  });
});

describe('a request held by a busy endpoint (503 on every call)', () => {
  it('is held past maxReceiveCount, never FAILED early, and ends RETRIES_EXHAUSTED only past MAX_HOLD_SECONDS', async () => {
    model = fakeModel({ unavailableCalls: () => true });
    table = fakeTable();
    queue = fakeQueue();
    const life = await live('busy', 5 * maxHoldSeconds);
    expect(life.deliveries).toBeGreaterThan(maxReceiveCount);
    expect(life.seconds).toBeGreaterThanOrEqual(maxHoldSeconds);
    expect(life.seconds).toBeLessThanOrEqual(maxHoldSeconds + overshootSeconds);
    expect(life.ended).toMatchObject({
      status: 'FAILED',
      error: {
        code: 'RETRIES_EXHAUSTED',
        message: expect.stringContaining('MAX_HOLD_SECONDS'),
      },
    });
    expect(life.statusesWhileGoing).toEqual(new Set(['RETRYING']));
    expect(queue.messages.map((m) => m.attributes['sagebatch.errorCode'])).toEqual([
      'RETRIES_EXHAUSTED',
    ]);
  });

  it('SUCCEEDS when the endpoint recovers after more deliveries than maxReceiveCount allows', async () => {
    const clock = virtualClock();
    // Busy for 30 minutes (several full cycles of deliveries), then healthy.
    const recovery = clock.now() + 1_800_000;
    model = fakeModel({ unavailableCalls: () => clock.now() < recovery });
    table = fakeTable();
    queue = fakeQueue();
    const life = await live('recovers', 5 * maxHoldSeconds, clock);
    expect(life.deliveries).toBeGreaterThan(maxReceiveCount);
    expect(life.ended).toMatchObject({ status: 'SUCCEEDED' });
    expect(queue.messages).toEqual([]);
  });
});

describe('a request held because the endpoint has no capacity (scaled to zero)', () => {
  it('is held past maxReceiveCount with the minutes backoff, and ends ENDPOINT_NO_CAPACITY only past MAX_HOLD_SECONDS', async () => {
    model = fakeModel({ refuse: noCapacityError });
    table = fakeTable();
    queue = fakeQueue();
    const life = await live('no-capacity', 5 * maxHoldSeconds);
    expect(life.ended, 'the request never ended: it is requeued forever').toBeDefined();
    expect(life.deliveries).toBeGreaterThan(maxReceiveCount);
    // 1 minute after a copy's first delivery, 2 after each later one: far fewer deliveries
    // than the busy backoff's seconds-long waits would spend in the same hour.
    expect(life.deliveries).toBeLessThanOrEqual(Math.ceil(maxHoldSeconds / 60) + 1);
    expect(life.seconds).toBeGreaterThanOrEqual(maxHoldSeconds);
    expect(life.seconds).toBeLessThanOrEqual(maxHoldSeconds + overshootSeconds);
    expect(life.ended).toMatchObject({
      status: 'FAILED',
      error: {
        code: 'ENDPOINT_NO_CAPACITY',
        message: expect.stringContaining('MAX_HOLD_SECONDS'),
      },
    });
    expect(life.statusesWhileGoing).toEqual(new Set(['RETRYING']));
    expect(queue.messages.map((m) => m.attributes['sagebatch.errorCode'])).toEqual([
      'ENDPOINT_NO_CAPACITY',
    ]);
    expect(queue.messages[0]!.attributes['sagebatch.requestId']).toBe('no-capacity');
  });

  it('SUCCEEDS when capacity comes up after more deliveries than maxReceiveCount allows', async () => {
    const clock = virtualClock();
    // No copy for 20 minutes (past one full cycle of deliveries at the minutes backoff).
    const capacityAt = clock.now() + 1_200_000;
    model = fakeModel({ refuse: () => (clock.now() < capacityAt ? noCapacityError() : undefined) });
    table = fakeTable();
    queue = fakeQueue();
    const life = await live('scales-out', 5 * maxHoldSeconds, clock);
    expect(life.deliveries).toBeGreaterThan(maxReceiveCount);
    expect(life.ended).toMatchObject({ status: 'SUCCEEDED' });
    expect(life.statusesWhileGoing).toEqual(new Set(['RETRYING']));
    // Found within one 2-minute backoff (and one delivery) of the copy being up.
    expect(life.seconds).toBeLessThanOrEqual(1_200 + 120 + 20);
    expect(queue.messages).toEqual([]);
  });
});
