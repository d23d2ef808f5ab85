import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestQueue } from '../../../lib/aws/requestQueue.js';
import { saveReserveMs } from '../../../lib/batcher/timeBudget.js';
import { redeliveryDelaySeconds } from '../../../lib/contract/redeliveryBackoff.js';
import { concurrentClock } from '../../helpers/concurrentClock.js';
import { offline, queueUrl } from '../../helpers/factories.js';
import { fakeQueue } from '../../helpers/fakes.js';

let queue: ReturnType<typeof fakeQueue>;
afterEach(() => queue.mock.restore());

describe('the redelivery backoff at 10,000 records', () => {
  it('reaches every record within the save reserve when each SQS call takes 10 ms', async () => {
    // Prepare: 10,000 records left for redelivery; every ChangeMessageVisibilityBatch takes
    // 10 ms of virtual time, calls in flight together overlapping as they do on AWS.
    const clock = concurrentClock();
    queue = fakeQueue({ visibilityLatency: () => clock.sleep(10) });
    const records = Array.from({ length: 10_000 }, (_, i) => ({
      messageId: `m${i}`,
      receiptHandle: `rh${i}`,
      delaySeconds: redeliveryDelaySeconds(1 + (i % 4)),
    }));
    // The save phase has the reserve the handler keeps (TIME_RESERVE_MS at its default of
    // 3 s). Before the visibility changes, it writes 400 BatchWriteItem calls (25 in flight)
    // and, beside them at worst, 1,000 SendMessageBatch calls to the DLQ (16 in flight), at
    // 10 ms each; the base 3 s stays untouched, kept for retries.
    const baseMs = 3_000;
    const rowsAndDeadLettersMs = (Math.ceil(400 / 25) + Math.ceil(1_000 / 16)) * 10;
    const deadline = saveReserveMs(baseMs, records.length) - baseMs - rowsAndDeadLettersMs;
    const controller = new AbortController();
    clock.at(deadline, () => controller.abort());

    // Act
    const failed = await clock.run(
      new RequestQueue({ client: new SQSClient(offline), queueUrl }).changeVisibility(records, {
        signal: controller.signal,
      }),
    );

    // Assess: every record got its own backoff, none waits the whole visibility timeout.
    expect(failed).toBe(0);
    expect(queue.visibility).toHaveLength(10_000);
    expect(new Set(queue.visibility.map((v) => v.receiptHandle)).size).toBe(10_000);
    expect(clock.now()).toBeLessThanOrEqual(deadline);
  });

  it('sizes the reserve from the waves of calls at the assumed latency, not a fixed time a record', () => {
    // 400 row writes / 25 in flight + 1,000 DLQ sends / 16 + 1,000 visibility changes / 16.
    expect(saveReserveMs(3_000, 10_000, 10)).toBe(3_000 + (16 + 63 + 63) * 10);
    expect(saveReserveMs(3_000, 10_000, 50)).toBe(3_000 + (16 + 63 + 63) * 50);
    expect(saveReserveMs(3_000, 1)).toBe(3_000 + 3 * 50);
  });
});
