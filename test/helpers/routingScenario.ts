import { ModelError, ServiceUnavailable, ValidationError } from '@aws-sdk/client-sagemaker-runtime';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { expect } from 'vitest';
import { createHandler } from '../../functions/batcher/handler.js';
import type { BatcherDependencies } from '../../lib/batcher/dependencies.js';
import { decodeOutputText } from '../../lib/contract/resultEncoding.js';
import {
  buildDependencies,
  dlqUrl,
  lambdaContext,
  sqsEvent,
  sqsRecord,
  testConfig,
} from './factories.js';
import { fakeModel, fakeQueue, fakeTable } from './fakes.js';
import { virtualClock } from './virtualClock.js';

/**
 * Generated scenarios for the routing property: a delivery of records of every kind, an
 * endpoint in one of its states, failing writes; and the oracle that computes, from the
 * scenario alone, the one end state each record must reach.
 */

export const kinds = [
  'valid',
  'badJson',
  'badEnvelope',
  'expired',
  'expiring',
  'poison4xx',
  'poison5xx',
  'short',
  'doneBefore',
  'doneBeforeInvalid',
  'repeat',
] as const;
type Kind = (typeof kinds)[number];

export const endpoints = ['healthy', 'flaky', 'down', 'misconfigured'] as const;
type Endpoint = (typeof endpoints)[number];

export interface RecordSpec {
  readonly kind: Kind;
  readonly last: boolean;
  readonly rowFails: boolean;
  readonly dlqFails: boolean;
  readonly repeatOf: number;
}

export interface Scenario {
  readonly specs: readonly RecordSpec[];
  readonly endpoint: Endpoint;
  readonly maxItems: number;
}

const rare = fc.integer({ min: 0, max: 9 }).map((n) => n < 2);
export const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  specs: fc.array(
    fc.record({
      kind: fc.constantFrom(...kinds),
      last: fc.boolean(),
      rowFails: rare,
      dlqFails: rare,
      repeatOf: fc.nat(),
    }),
    { minLength: 1, maxLength: 40 },
  ),
  endpoint: fc.constantFrom(...endpoints),
  maxItems: fc.integer({ min: 1, max: 16 }),
});

/** The end state the oracle expects for one record. */
export type Expected =
  | { readonly state: 'succeeded'; readonly output: string }
  | { readonly state: 'failed'; readonly code: string }
  | { readonly state: 'retry' }
  | { readonly state: 'requeued' }
  | { readonly state: 'duplicate'; readonly output?: string };

const maxReceiveCount = 3;
const start = 1_800_000_000_000;
const expiringAfterMs = 5_000;

interface Built {
  readonly records: SQSRecord[];
  /** Request id of each record, as the contract defines it. */
  readonly ids: string[];
  /** The model input of each record, when its body is valid. */
  readonly inputs: (string | undefined)[];
}

function build(scenario: Scenario): Built {
  const records: SQSRecord[] = [];
  const ids: string[] = [];
  const inputs: (string | undefined)[] = [];
  scenario.specs.forEach((spec, i) => {
    const receiveCount = spec.last ? maxReceiveCount : 1;
    const id = spec.kind === 'repeat' && i > 0 ? ids[spec.repeatOf % i]! : `r-${i}`;
    const input = `${spec.kind}-${i}`;
    let body: unknown = { id, input };
    let valid = true;
    if (spec.kind === 'badJson') {
      body = `{"id":"${id}","input"`;
      valid = false;
    } else if (spec.kind === 'badEnvelope' || spec.kind === 'doneBeforeInvalid') {
      body = { id, inputs: input };
      valid = false;
    } else if (spec.kind === 'expired') {
      body = { id, input, deadline: 1 };
      valid = false;
    } else if (spec.kind === 'expiring') {
      body = { id, input, deadline: start + expiringAfterMs };
    }
    const record = sqsRecord(body, { receiveCount });
    // Enqueued on the virtual clock: a request older than MAX_HOLD_SECONDS is no longer held.
    record.attributes.SentTimestamp = String(start - 1_000);
    records.push(record);
    ids.push(spec.kind === 'badJson' ? record.messageId : id);
    inputs.push(valid ? input : undefined);
  });
  return { records, ids, inputs };
}

/** Computes each record's end state from the scenario alone. */
export function expectedStates(scenario: Scenario, built: Built): Expected[] {
  const { specs, endpoint } = scenario;
  const { ids, inputs } = built;
  const doneBefore = new Set(
    specs.flatMap((s, i) => (s.kind.startsWith('doneBefore') ? [ids[i]!] : [])),
  );
  // A failing write fails for the id, whichever record of the id asked for it.
  const rowFails = new Set(specs.flatMap((s, i) => (s.rowFails ? [ids[i]!] : [])));
  // The one decision for repeated ids: the first valid record, else the first record.
  const primary = ids.map((id) => {
    const valid = ids.findIndex((other, j) => other === id && inputs[j] !== undefined);
    return valid >= 0 ? valid : ids.indexOf(id);
  });
  const own = (i: number): Expected => {
    const spec = specs[i]!;
    const id = ids[i]!;
    if (inputs[i] === undefined) {
      const code = spec.kind === 'expired' ? 'EXPIRED' : 'INVALID_REQUEST';
      if (rowFails.has(id)) return { state: 'retry' };
      // The FAILED row's condition finds the success: no DLQ message, done.
      if (doneBefore.has(id)) return { state: 'duplicate', output: '"earlier"' };
      if (spec.dlqFails) return { state: 'retry' };
      return { state: 'failed', code };
    }
    if (doneBefore.has(id)) return { state: 'duplicate', output: '"earlier"' };
    let verdict: Expected;
    if (endpoint === 'misconfigured') {
      verdict = spec.last ? { state: 'requeued' } : { state: 'retry' };
      return verdict; // a requeued copy does not depend on its RETRYING row
    }
    if (endpoint === 'down') {
      if (spec.kind === 'expiring') verdict = { state: 'failed', code: 'EXPIRED' };
      // A busy endpoint holds the request: requeued on its last delivery, never FAILED.
      else if (spec.last) return { state: 'requeued' };
      else verdict = { state: 'retry' };
    } else if (spec.kind === 'poison4xx') verdict = { state: 'failed', code: 'MODEL_REJECTED' };
    else if (spec.kind === 'short') verdict = { state: 'failed', code: 'MODEL_BAD_RESPONSE' };
    else if (spec.kind === 'poison5xx')
      verdict = spec.last ? { state: 'failed', code: 'MODEL_ERROR' } : { state: 'retry' };
    else verdict = { state: 'succeeded', output: JSON.stringify(inputs[i]) };
    if (verdict.state === 'retry') return verdict;
    if (rowFails.has(id)) return { state: 'retry' };
    if (verdict.state === 'failed' && spec.dlqFails) return { state: 'retry' };
    return verdict;
  };
  const primaries = ids.map((_, i) => (primary[i] === i ? own(i) : undefined));
  return ids.map((_, i) => {
    if (primary[i] === i) return primaries[i]!;
    const fate = primaries[primary[i]!]!;
    if (fate.state === 'retry') return { state: 'retry' };
    return { state: 'duplicate', ...(fate.state === 'succeeded' ? { output: fate.output } : {}) };
  });
}

/** A way to break the real dependencies, for negative controls. */
export type Breakage = (deps: BatcherDependencies) => BatcherDependencies;

/**
 * Runs one scenario through the real handler (real invoker, store, publisher and queue
 * adapters over mocked SDK clients, a virtual clock) and checks every record against the
 * oracle and the global invariant. Throws (an assertion error) on any difference.
 */
export async function runScenario(scenario: Scenario, breakage?: Breakage): Promise<void> {
  const built = build(scenario);
  const { records, ids, inputs } = built;
  const expected = expectedStates(scenario, built);
  const failingRows = new Set(scenario.specs.flatMap((s, i) => (s.rowFails ? [ids[i]!] : [])));
  const failingLetters = new Set(
    scenario.specs.flatMap((s, i) => (s.dlqFails ? [records[i]!.body] : [])),
  );
  const model = fakeModel();
  let calls = 0;
  model.mock.callsFake((input) => {
    calls++;
    const instances = JSON.parse(String(input.Body)).instances as string[];
    model.calls.push(instances);
    const has = (kind: string) => instances.some((x) => x.startsWith(`${kind}-`));
    const meta = (status: number) => ({ $metadata: { httpStatusCode: status } });
    if (scenario.endpoint === 'misconfigured') {
      throw new ValidationError({ message: 'Endpoint test-endpoint not found.', ...meta(400) });
    }
    if (scenario.endpoint === 'down' || (scenario.endpoint === 'flaky' && calls <= 2)) {
      throw new ServiceUnavailable({ message: 'busy', ...meta(503) });
    }
    if (has('poison4xx'))
      throw new ModelError({ message: 'bad', OriginalStatusCode: 400, ...meta(424) });
    if (has('poison5xx'))
      throw new ModelError({ message: 'boom', OriginalStatusCode: 500, ...meta(424) });
    const predictions = [...instances];
    if (has('short')) predictions.pop();
    return { Body: new TextEncoder().encode(JSON.stringify({ predictions })) };
  });
  const table = fakeTable({ failPut: (id) => failingRows.has(id) });
  const queue = fakeQueue({
    failTimes: (body, url) => (url === dlqUrl && failingLetters.has(body) ? 99 : 0),
  });
  scenario.specs.forEach((spec, i) => {
    if (spec.kind.startsWith('doneBefore')) {
      table.rows.set(ids[i]!, { id: ids[i], status: 'SUCCEEDED', output: '"earlier"' });
    }
  });
  try {
    const config = testConfig({
      MODEL_BATCH_MAX_ITEMS: String(scenario.maxItems),
      MAX_RECEIVE_COUNT: String(maxReceiveCount),
      RETRY_BASE_MS: '50',
      RETRY_MAX_MS: '1000',
    });
    const base = buildDependencies(config, { clock: virtualClock(start), random: () => 0.5 });
    const deps = breakage ? breakage(base) : base;
    const response: SQSBatchResponse = await createHandler(() => deps)(
      sqsEvent(records),
      lambdaContext(60_000),
    );

    const retried = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    records.forEach((record, i) => {
      const want = expected[i]!;
      const row = table.rows.get(ids[i]!);
      const letters = queue.messages.filter(
        (m) => m.attributes['sagebatch.sourceMessageId'] === record.messageId,
      );
      const copies = queue.requeued.filter((m) => m.body === record.body);
      const where = `record ${i} (${scenario.specs[i]!.kind}, ${scenario.endpoint})`;
      expect(retried.has(record.messageId), `${where}: redelivered`).toBe(want.state === 'retry');
      expect(letters.length, `${where}: DLQ messages`).toBe(want.state === 'failed' ? 1 : 0);
      expect(copies.length > 0, `${where}: requeued`).toBe(want.state === 'requeued');
      if (want.state === 'succeeded') {
        expect(row?.status, where).toBe('SUCCEEDED');
        expect(decodeOutputText(row!), where).toBe(want.output);
      }
      if (want.state === 'failed') {
        expect(row, where).toMatchObject({ status: 'FAILED', error: { code: want.code } });
        expect(letters[0]!.body, where).toBe(record.body);
        expect(letters[0]!.attributes['sagebatch.errorCode'], where).toBe(want.code);
      }
      if (want.state === 'duplicate' && want.output !== undefined) {
        expect(row?.status, where).toBe('SUCCEEDED');
        expect(decodeOutputText(row!), where).toBe(want.output);
      }
      if (want.state === 'requeued') {
        expect(copies[0]!.attributes['sagebatch.requestId'], where).toBe(ids[i]);
      }
    });
    // One id never shows a SUCCEEDED row and a DLQ message.
    for (const letter of queue.messages) {
      const id = letter.attributes['sagebatch.requestId']!;
      expect(table.rows.get(id)?.status, `DLQ message for ${id}`).not.toBe('SUCCEEDED');
    }
    // The model sees only inputs of valid, fresh, first-of-their-id requests.
    const done = new Set(
      scenario.specs.flatMap((s, i) => (s.kind.startsWith('doneBefore') ? [ids[i]!] : [])),
    );
    const sendable = new Set(
      inputs.flatMap((input, i) => {
        const dup = ids.findIndex((id, j) => id === ids[i] && inputs[j] !== undefined) !== i;
        return input !== undefined && !dup && !done.has(ids[i]!) ? [input] : [];
      }),
    );
    for (const sent of model.calls.flat())
      expect(sendable.has(String(sent)), `sent ${sent}`).toBe(true);
  } finally {
    model.mock.restore();
    table.mock.restore();
    queue.mock.restore();
  }
}
