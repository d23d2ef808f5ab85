import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WriteOutcome } from '../../../../lib/aws/resultStore.js';
import type { ItemOutcome } from '../../../../lib/batcher/invoke/modelInvoker.js';
import type { ResultRow } from '../../../../lib/contract/resultRow.js';
import { type Breakage, runScenario, scenarioArbitrary } from '../../../helpers/routingScenario.js';

const property = (breakage?: Breakage) =>
  fc.asyncProperty(scenarioArbitrary, (scenario) => runScenario(scenario, breakage));

describe('batcher routing (property)', () => {
  it('every record reaches the end state the scenario implies, and one id never shows SUCCEEDED and a DLQ message', async () => {
    await fc.assert(property(), { numRuns: 150 });
  });
});

/** A store that reports some write outcomes as something they were not. */
const lyingStore =
  (from: WriteOutcome, to: WriteOutcome): Breakage =>
  (deps) => ({
    ...deps,
    store: {
      findSucceeded: (ids, options) => deps.store.findSucceeded(ids, options),
      getRows: (ids, attributes, options) => deps.store.getRows(ids, attributes, options),
      markDeadLettered: (marks, at, options) => deps.store.markDeadLettered(marks, at, options),
      write: async (rows, options) => {
        const outcomes = await deps.store.write(rows, options);
        for (const [id, outcome] of outcomes) if (outcome === from) outcomes.set(id, to);
        return outcomes;
      },
    },
  });

/**
 * A store whose re-check before a DLQ publish reads a stale row: a SUCCEEDED row still
 * looks like the FAILED row this delivery tried to write.
 */
const staleRecheck: Breakage = (deps) => {
  const tried = new Map<string, ResultRow>();
  return {
    ...deps,
    store: {
      findSucceeded: (ids, options) => deps.store.findSucceeded(ids, options),
      markDeadLettered: (marks, at, options) => deps.store.markDeadLettered(marks, at, options),
      write: async (rows, options) => {
        for (const row of rows) if (row.status === 'FAILED') tried.set(row.id, row);
        return deps.store.write(rows, options);
      },
      getRows: async (ids, attributes, options) => {
        const read = await deps.store.getRows(ids, attributes, options);
        for (const [id, row] of read.rows)
          if (row.status === 'SUCCEEDED' && tried.has(id)) read.rows.set(id, tried.get(id)!);
        return read;
      },
    },
  };
};

/** An invoker whose outcomes, batch by batch, are rewritten by `rewrite`. */
const rewrittenOutcomes =
  (rewrite: (batch: ItemOutcome[]) => ItemOutcome[]): Breakage =>
  (deps) => ({
    ...deps,
    invoker: {
      invoke: async (batches, budget) => {
        const result = await deps.invoker.invoke(batches, budget);
        return { ...result, outcomes: result.outcomes.map(rewrite) };
      },
    },
  });

/** Deliberately broken pipelines the property must reject: proof that it can fail. */
describe('batcher routing (negative controls)', () => {
  const rejects = async (breakage: Breakage) => {
    const result = await fc.check(property(breakage), { numRuns: 300 });
    expect(result.failed).toBe(true);
  };

  it('rejects a pipeline that acknowledges records whose row was never written', async () => {
    await rejects(lyingStore('error', 'written'));
  });

  it('rejects a pipeline that dead-letters a request whose row is SUCCEEDED', async () => {
    await rejects(staleRecheck);
  });

  it('rejects a pipeline that never splits a failing batch (healthy neighbours fail with the poison pill)', async () => {
    await rejects(
      rewrittenOutcomes((batch) => {
        const failure = batch.find(
          (o) => o.status === 'failed' || (o.status === 'retry' && o.reason === 'model-error'),
        );
        return failure && batch.length > 1 ? batch.map(() => failure) : batch;
      }),
    );
  });

  it('rejects a pipeline that ignores deadlines while it retries', async () => {
    await rejects(
      rewrittenOutcomes((batch) =>
        batch.map(
          (o): ItemOutcome =>
            // A retry the settlement's own deadline check cannot mend on the last delivery
            // (an unavailable one is now held, and held requests are checked there too).
            o.status === 'expired'
              ? { status: 'retry', reason: 'model-error', message: 'ModelError: 500' }
              : o,
        ),
      ),
    );
  });

  it('rejects a pipeline that dead-letters requests held back by a misconfigured endpoint', async () => {
    await rejects(
      rewrittenOutcomes((batch) =>
        batch.map(
          (o): ItemOutcome =>
            o.status === 'retry' && o.reason === 'systemic'
              ? { status: 'failed', error: { code: 'MODEL_REJECTED', message: o.message } }
              : o,
        ),
      ),
    );
  });
});
