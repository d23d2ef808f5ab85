import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeOutputText } from '../../../../lib/contract/resultEncoding.js';

/**
 * One hostile body never takes its neighbours down: whatever SQS can carry, each record
 * ends SUCCEEDED with the model's answer to exactly the input it sent, or FAILED
 * (INVALID_REQUEST) with a DLQ message, and nothing is thrown or redelivered.
 */

interface HostileBody {
  readonly body: string;
  /** The compact JSON text of `input` when the body is a valid request, else undefined. */
  readonly input: string | undefined;
}

const wrap = (input: string, extra = ''): HostileBody => ({
  body: `{"input":${input}${extra}}`,
  input,
});
const invalid = (body: string): HostileBody => ({ body, input: undefined });

const hostile: fc.Arbitrary<HostileBody> = fc.oneof(
  // Deep nesting, of arrays or objects.
  fc.integer({ min: 1, max: 60_000 }).map((d) => wrap(`${'['.repeat(d)}${']'.repeat(d)}`)),
  fc.integer({ min: 1, max: 30_000 }).map((d) => wrap(`${'{"a":'.repeat(d)}0${'}'.repeat(d)}`)),
  // Huge arrays and strings.
  fc.integer({ min: 0, max: 100_000 }).map((n) => wrap(`[${Array(n).fill('0').join(',')}]`)),
  fc.integer({ min: 0, max: 400_000 }).map((n) => wrap(JSON.stringify('x'.repeat(n)))),
  // Odd Unicode, lone surrogates included (JSON.stringify escapes them), as values and keys.
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => wrap(JSON.stringify(s))),
  fc
    .string({ unit: 'binary', minLength: 1, maxLength: 200 })
    .map((s) => invalid(`{"input":1,${JSON.stringify(`k${s}`)}:2}`)),
  // Prototype keys, at the top and inside the input.
  fc.constantFrom(
    invalid('{"__proto__":{"polluted":1},"input":1}'),
    invalid('{"constructor":{"prototype":1},"input":1}'),
    wrap('{"__proto__":{"polluted":1},"constructor":null}'),
  ),
  // Numbers beyond double precision stay as sent.
  fc
    .constantFrom('1e400', '-1e-400', '123456789012345678901234567890', '0.1000000000000000000001')
    .map((n) => wrap(`[${n}]`)),
  // Not an object, not JSON, blank, huge unknown key, bad id, duplicate keys. No empty body
  // and no U+0000: SQS refuses both at send (a body is 1 character or more, of #x9 | #xA |
  // #xD | #x20-#xD7FF | ...), so no delivery holds one, and the SQS fake refuses them as a
  // DLQ body too. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
  fc.constantFrom('[]', 'null', '"text"', '1e400', ' ', '{').map(invalid),
  fc.integer({ min: 1, max: 500_000 }).map((n) => invalid(`{"input":1,"${'k'.repeat(n)}":1}`)),
  fc.constantFrom(invalid('{"id":12,"input":1}'), invalid(`{"id":"${'i'.repeat(300)}","input":1}`)),
  fc.constant<HostileBody>({ body: '{"input":1,"input":[2, 3]}', input: '[2,3]' }),
);

const delivery = fc.array(
  fc.oneof(
    hostile,
    fc.nat().map((n) => wrap(String(n))),
  ),
  {
    minLength: 1,
    maxLength: 8,
  },
);

type Harness = typeof import('../../../helpers/factories.js') &
  typeof import('../../../helpers/fakes.js');

async function loadHarness(): Promise<Harness> {
  return {
    ...(await import('../../../helpers/factories.js')),
    ...(await import('../../../helpers/fakes.js')),
  };
}

function property(harness: Harness) {
  const { buildHandler, fakeModel, fakeQueue, fakeTable, lambdaContext, sqsEvent, sqsRecord } =
    harness;
  const config = harness.testConfig({ MAX_INPUT_BYTES: '1048576' });
  const handler = buildHandler(config);
  return fc.asyncProperty(delivery, async (bodies) => {
    const model = fakeModel();
    model.mock.callsFake((input) => ({
      // An echo model that answers with the very text it received.
      Body: new TextEncoder().encode(
        String(input.Body).replace('{"instances":', '{"predictions":'),
      ),
    }));
    const table = fakeTable();
    const queue = fakeQueue();
    try {
      const records = bodies.map((b) => sqsRecord(b.body));
      const response = await handler(sqsEvent(records), lambdaContext());
      expect(response.batchItemFailures).toEqual([]);
      const rows = [...table.rows.values()];
      records.forEach((record, i) => {
        const row = rows.find((r) => r.messageId === record.messageId);
        const letter = queue.messages.find(
          (m) => m.attributes['sagebatch.sourceMessageId'] === record.messageId,
        );
        const expected = bodies[i]!.input;
        if (expected === undefined) {
          expect(row).toMatchObject({ status: 'FAILED', error: { code: 'INVALID_REQUEST' } });
          expect(
            String((row?.error as { message?: string } | undefined)?.message).length,
          ).toBeLessThanOrEqual(1_000);
          expect(letter?.body).toBe(record.body);
        } else {
          expect(row?.status).toBe('SUCCEEDED');
          expect(decodeOutputText(row!) === expected).toBe(true);
          expect(letter).toBeUndefined();
        }
      });
    } finally {
      model.mock.restore();
      table.mock.restore();
      queue.mock.restore();
    }
  });
}

describe('hostile bodies (property)', () => {
  afterEach(() => {
    vi.doUnmock('../../../../lib/contract/jsonText.js');
    vi.resetModules();
  });

  it('each hostile body is that record alone: exact answer or INVALID_REQUEST, neighbours untouched', async () => {
    await fc.assert(property(await loadHarness()), { numRuns: 40 });
  });

  it('negative control: rejects a reader that reserializes the input (the old JSON.stringify path)', async () => {
    vi.resetModules();
    vi.doMock('../../../../lib/contract/jsonText.js', async (importOriginal) => {
      const real = await importOriginal<typeof import('../../../../lib/contract/jsonText.js')>();
      return {
        ...real,
        rawMember: (json: string, key: string) => {
          const value = (JSON.parse(json) as Record<string, unknown>)[key];
          return value === undefined ? undefined : JSON.stringify(value);
        },
      };
    });
    const result = await fc.check(property(await loadHarness()), { numRuns: 200 });
    expect(result.failed).toBe(true);
  });
});
