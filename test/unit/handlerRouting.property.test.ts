import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildHandler,
  lambdaContext,
  sqsEvent,
  sqsRecord,
  testConfig,
} from '../helpers/factories.js';
import { fakeModel, fakeQueue, fakeTable } from '../helpers/fakes.js';

const kinds = ['valid', 'invalid', 'expired', 'poison', 'transient', 'duplicate'] as const;

const recordSpec = fc.record({
  kind: fc.constantFrom(...kinds),
  lastDelivery: fc.boolean(),
  rowWriteFails: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
  dlqFails: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
});

describe('batcher routing (property)', () => {
  it('every record ends in exactly one of: SUCCEEDED row, FAILED row + DLQ message, batchItemFailures', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordSpec, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 16 }),
        async (specs, maxItems) => {
          // Prepare: ids are unique; inputs tell the fake model how to behave.
          const records = specs.map((spec, i) => {
            const id = `r-${i}`;
            const receiveCount = spec.lastDelivery ? 3 : 1;
            switch (spec.kind) {
              case 'invalid':
                return sqsRecord(`{"id":"${id}","input"`, { receiveCount });
              case 'expired':
                return sqsRecord({ id, input: i, deadline: 1 }, { receiveCount });
              default:
                return sqsRecord({ id, input: `${spec.kind}-${i}` }, { receiveCount });
            }
          });
          // An unparseable body is keyed by its SQS message id, as the contract says.
          const keyOf = (i: number) =>
            specs[i]!.kind === 'invalid' ? records[i]!.messageId : `r-${i}`;
          const failingRows = new Set(specs.flatMap((s, i) => (s.rowWriteFails ? [keyOf(i)] : [])));
          const failingLetters = new Set(
            specs.flatMap((s, i) => (s.dlqFails ? [records[i]!.body] : [])),
          );
          const model = fakeModel({
            poison: (input) => String(input).startsWith('poison'),
            transientCalls: () => false,
          });
          // A batch holding a "transient" item fails transiently, as a busy endpoint would.
          model.mock.callsFake((input) => {
            const instances = JSON.parse(String(input.Body)).instances as string[];
            if (instances.some((x) => String(x).startsWith('transient'))) {
              throw Object.assign(new Error('busy'), {
                name: 'ServiceUnavailable',
                $metadata: { httpStatusCode: 503 },
              });
            }
            if (instances.some((x) => String(x).startsWith('poison'))) {
              throw Object.assign(new Error('bad'), {
                name: 'ModelError',
                OriginalStatusCode: 400,
                $metadata: { httpStatusCode: 424 },
              });
            }
            return { Body: new TextEncoder().encode(JSON.stringify({ predictions: instances })) };
          });
          const table = fakeTable({ failPut: (id) => failingRows.has(id) });
          const dlq = fakeQueue({ failTimes: (body) => (failingLetters.has(body) ? 99 : 0) });
          specs.forEach((spec, i) => {
            if (spec.kind === 'duplicate')
              table.rows.set(`r-${i}`, { id: `r-${i}`, status: 'SUCCEEDED', output: '"earlier"' });
          });
          try {
            // Act
            const config = testConfig({
              MODEL_BATCH_MAX_ITEMS: String(maxItems),
              MAX_RECEIVE_COUNT: '3',
            });
            const response = await buildHandler(config)(sqsEvent(records), lambdaContext(1_030));

            // Assess
            const retried = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
            const lettered = new Map(
              dlq.messages.map((m) => [m.attributes['sagebatch.sourceMessageId'], m]),
            );
            records.forEach((record, i) => {
              const row = table.rows.get(keyOf(i));
              const succeeded =
                !retried.has(record.messageId) &&
                row?.status === 'SUCCEEDED' &&
                !lettered.has(record.messageId);
              const failed =
                !retried.has(record.messageId) &&
                row?.status === 'FAILED' &&
                lettered.has(record.messageId);
              const retry = retried.has(record.messageId);
              expect([succeeded, failed, retry].filter(Boolean)).toHaveLength(1);
              const spec = specs[i]!;
              // Nothing acknowledged without a durable record of its outcome.
              if (spec.rowWriteFails && spec.kind !== 'duplicate') expect(retry).toBe(true);
              if (failed) expect(lettered.get(record.messageId)!.body).toBe(record.body);
              if (spec.kind === 'duplicate') expect(row?.output).toBe('"earlier"');
              if (spec.kind === 'valid' && succeeded)
                expect(JSON.parse(String(row!.output))).toBe(`valid-${i}`);
              if (spec.kind === 'transient' && !spec.lastDelivery) expect(retry).toBe(true);
            });
            // Duplicates and invalid or expired requests never reach the model.
            const sent = new Set(model.calls.flat().map(String));
            specs.forEach((spec, i) => {
              if (spec.kind === 'duplicate') expect(sent.has(`duplicate-${i}`)).toBe(false);
            });
            expect(model.calls.flat().every((x) => typeof x === 'string')).toBe(true);
          } finally {
            model.mock.restore();
            table.mock.restore();
            dlq.mock.restore();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
