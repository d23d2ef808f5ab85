import { ValidationError } from '@aws-sdk/client-sagemaker-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { settingDefault } from '../../../../lib/contract/settings.js';
import { buildHandler, lambdaContext, sqsEvent, sqsRecord } from '../../../helpers/factories.js';
import { fakeModel, fakeQueue, fakeTable } from '../../../helpers/fakes.js';

// The SQS fake refuses what SQS refuses (test/helpers/awsRules/sqs.ts): these cases hold the
// batcher's own SendMessageBatch calls to 1 MiB and 10 entries a call.

let model: ReturnType<typeof fakeModel>;
let table: ReturnType<typeof fakeTable>;
let queue: ReturnType<typeof fakeQueue>;

afterEach(() => {
  model.mock.restore();
  table.mock.restore();
  queue.mock.restore();
});

/** A request whose `input` is as large as the default MAX_INPUT_BYTES allows. */
const largest = (i: number, receiveCount: number) => {
  const maxInputBytes = settingDefault('maxInputBytes');
  return sqsRecord({ id: `big-${i}`, input: 'x'.repeat(maxInputBytes - 2) }, { receiveCount });
};

describe('SendMessageBatch at SQS limits', () => {
  it('requeues five requests of the largest accepted input on their last delivery: none redelivered into the DLQ path', async () => {
    // Prepare: a wrong endpoint name holds every request; this is the last delivery.
    model = fakeModel({
      refuse: () =>
        new ValidationError({
          message: 'Endpoint test-endpoint of account 000000000000 not found.',
          $metadata: { httpStatusCode: 400 },
        }),
    });
    table = fakeTable();
    queue = fakeQueue();
    const records = Array.from({ length: 5 }, (_, i) => largest(i, 5));

    // Act
    const response = await buildHandler()(sqsEvent(records), lambdaContext());

    // Assess: five bodies of ~256 KiB pass 1 MiB together, so they need more than one call.
    expect(response.batchItemFailures).toEqual([]);
    expect(queue.requeued.map((m) => m.body).sort()).toEqual(records.map((r) => r.body).sort());
    expect(queue.messages).toEqual([]);
  });

  it('publishes five FAILED requests of the largest accepted input to the DLQ', async () => {
    model = fakeModel({ poison: () => true });
    table = fakeTable();
    queue = fakeQueue();
    const records = Array.from({ length: 5 }, (_, i) => largest(i, 5));

    const response = await buildHandler()(sqsEvent(records), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(queue.messages).toHaveLength(5);
  });
});
