import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { codecs, getCodec } from '../../../../lib/batcher/codecs/index.js';
import { ModelInvoker } from '../../../../lib/batcher/invoke/modelInvoker.js';
import { planBatches } from '../../../../lib/batcher/plan/planner.js';
import { offline } from '../../../helpers/factories.js';
import { fakeModel } from '../../../helpers/fakes.js';
import { virtualClock } from '../../../helpers/virtualClock.js';

const enqueuedAt = 1_700_000_000_000;
/** A request as the handler plans it: its input, and how often and since when it was delivered. */
const request = (
  id: string,
  text: string,
  receiveCount = 1,
  options: { deadline?: number; enqueuedAt?: number } = {},
) => ({
  id,
  inputJson: JSON.stringify(text),
  inputBytes: JSON.stringify(text).length,
  deadline: options.deadline,
  receiveCount,
  enqueuedAt: options.enqueuedAt ?? enqueuedAt,
});
const limits = { maxItems: 2, maxBytes: 100_000, codec: codecs['json-instances'] };
const ids = (batches: { id: string }[][]) => batches.map((b) => b.map((r) => r.id));

describe('the order calls go out in', () => {
  let model: ReturnType<typeof fakeModel>;
  afterEach(() => model?.mock.restore());

  it('sends the requests delivered before first, even when length packing puts them last', () => {
    const requests = [
      request('short-1', 'a'),
      request('short-2', 'b'),
      request('long-1', 'x'.repeat(4_000), 2),
      request('long-2', 'y'.repeat(4_000), 2),
      request('short-3', 'c'),
      request('short-4', 'd'),
    ];
    const { batches } = planBatches(requests, limits);
    expect(ids(batches)[0]).toEqual(['long-1', 'long-2']);
  });

  it('among requests delivered as often, keeps the earliest deadline first, then the oldest', () => {
    const now = enqueuedAt + 60_000;
    const requests = [
      request('fresh', 'a'),
      request('fresh-2', 'a2'),
      request('old', 'x'.repeat(400), 1, { enqueuedAt: enqueuedAt - 600_000 }),
      request('old-2', 'x'.repeat(401), 1, { enqueuedAt: enqueuedAt - 600_000 }),
      request('due', 'y'.repeat(800), 1, { deadline: now + 5_000 }),
      request('due-2', 'y'.repeat(801), 1, { deadline: now + 5_000 }),
    ];
    const { batches } = planBatches(requests, limits);
    expect(ids(batches)).toEqual([
      ['due', 'due-2'],
      ['old', 'old-2'],
      ['fresh', 'fresh-2'],
    ]);
  });

  it('serves long requests on their second delivery when the budget covers one call only (virtual clock)', async () => {
    const clock = virtualClock();
    // Every call takes 10 s; the budget lets a call start in its first 5 s only: one call.
    model = fakeModel({ onCall: () => clock.advance(10_000) });
    const invoker = new ModelInvoker({
      client: new SageMakerRuntimeClient({ ...offline, maxAttempts: 1 }),
      endpointName: 'ep',
      codec: getCodec('json-instances'),
      parallelism: 1,
      callTimeoutMs: 70_000,
      retry: { retries: 5, baseMs: 100, maxMs: 1_000 },
      clock,
    });
    const delivery = [
      request('long-1', 'x'.repeat(4_000), 2),
      request('long-2', 'y'.repeat(4_000), 2),
      ...Array.from({ length: 6 }, (_, i) => request(`short-${i}`, String(i))),
    ];
    const { batches } = planBatches(delivery, limits);
    const { outcomes } = await invoker.invoke(batches, {
      signal: new AbortController().signal,
      deadline: clock.now() + 5_000,
    });
    const served = batches.flat().filter((_, i) => outcomes.flat()[i]!.status === 'ok');
    expect(served.map((r) => r.id)).toEqual(['long-1', 'long-2']);
  });
});
