import type { DeadLetter, DeadLetterPublisher } from './deadLetterPublisher.js';
import { type ResultRow, ResultStatus } from './resultRow.js';
import type { ResultStore } from './resultStore.js';
import type { Settlement, Verdict } from './settlement.js';

/** Where outcomes are made durable. */
export interface OutcomeSinks {
  readonly store: Pick<ResultStore, 'write'>;
  readonly deadLetters: Pick<DeadLetterPublisher, 'publish'>;
  /** Row lifetime for the TTL attribute, seconds. */
  readonly resultTtlSeconds: number;
  /** Current time, epoch ms. */
  readonly now: number;
  /** Lambda request id of this invocation, stamped on every row it writes. */
  readonly invocationId: string;
}

/** What {@link persistOutcomes} made durable, and what must be delivered again. */
export interface PersistReport {
  /** Message ids to report in `batchItemFailures`. */
  readonly retry: Set<string>;
  readonly succeeded: number;
  readonly failed: number;
  readonly retried: number;
  readonly duplicates: number;
}

/** When two records share an id, the row shows the best state among them. */
const rank: Record<Verdict['kind'], number> = { succeeded: 3, failed: 2, retry: 1, duplicate: 0 };

function rowOf(settlement: Settlement, sinks: OutcomeSinks): ResultRow | undefined {
  const { record, id, verdict } = settlement;
  const { now, invocationId } = sinks;
  const expiresAt = Math.floor(now / 1000) + sinks.resultTtlSeconds;
  const { receiveCount: attempts, messageId, enqueuedAt } = record;
  // Object literals spelt out in full: this runs once per record, on the hot path.
  switch (verdict.kind) {
    case 'succeeded':
      return {
        id,
        status: ResultStatus.SUCCEEDED,
        output: verdict.outputJson,
        attempts,
        messageId,
        invocationId,
        enqueuedAt,
        completedAt: now,
        modelLatencyMs: Math.round(verdict.latencyMs),
        batchItems: verdict.batchItems,
        expiresAt,
      };
    case 'failed':
    case 'retry':
      return {
        id,
        status: verdict.kind === 'failed' ? ResultStatus.FAILED : ResultStatus.RETRYING,
        error: verdict.error,
        attempts,
        messageId,
        invocationId,
        enqueuedAt,
        completedAt: now,
        expiresAt,
      };
    case 'duplicate':
      return undefined;
  }
}

/**
 * Writes result rows and DLQ messages for every settlement, in parallel, and says which
 * records may be acknowledged. A record is acknowledged only when its outcome is durable:
 * its row is written (or its id had already SUCCEEDED) and, for a failure, its DLQ
 * message is sent. Everything else is retried through `batchItemFailures`.
 */
export async function persistOutcomes(
  settlements: readonly Settlement[],
  sinks: OutcomeSinks,
): Promise<PersistReport> {
  const best = new Map<string, Settlement>();
  for (const settlement of settlements) {
    const current = best.get(settlement.id);
    if (current === undefined || rank[settlement.verdict.kind] > rank[current.verdict.kind]) {
      best.set(settlement.id, settlement);
    }
  }
  const rows: ResultRow[] = [];
  for (const settlement of best.values()) {
    const row = rowOf(settlement, sinks);
    if (row) rows.push(row);
  }
  const letters: DeadLetter[] = settlements.flatMap(({ record, id, verdict }) =>
    verdict.kind === 'failed'
      ? [
          {
            body: record.body,
            requestId: id,
            sourceMessageId: record.messageId,
            attempts: record.receiveCount,
            error: verdict.error,
          },
        ]
      : [],
  );
  const [written, unpublished] = await Promise.all([
    sinks.store.write(rows),
    letters.length > 0 ? sinks.deadLetters.publish(letters) : Promise.resolve(new Set<string>()),
  ]);

  const report = { retry: new Set<string>(), succeeded: 0, failed: 0, retried: 0, duplicates: 0 };
  for (const { record, id, verdict } of settlements) {
    const rowOutcome = written.get(id);
    if (verdict.kind === 'duplicate' || rowOutcome === 'already-succeeded') {
      // Done by an earlier delivery; a DLQ message already sent for it is harmless.
      report.duplicates++;
    } else if (rowOutcome !== 'written' || unpublished.has(record.messageId)) {
      report.retry.add(record.messageId); // not durable yet: never acknowledge
      report.retried++;
    } else if (verdict.kind === 'retry') {
      report.retry.add(record.messageId);
      report.retried++;
    } else if (verdict.kind === 'failed') {
      report.failed++;
    } else {
      report.succeeded++;
    }
  }
  return report;
}
