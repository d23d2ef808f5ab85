/**
 * Exact accounting of requests sent through a deployed pipeline: every request ends in
 * exactly one visible state (README, "Error codes and routing"): a SUCCEEDED row and no DLQ
 * message, or a FAILED row and exactly one DLQ message carrying the row's error code.
 * Nothing lost (no row, or a row still RETRYING), nothing doubled, nothing unknown in the DLQ.
 */

/** A final state a request may end in: a status and, for FAILED, the codes allowed. */
export interface AllowedOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** For FAILED: the error codes accepted (any when absent). */
  readonly codes?: readonly string[];
}

/** One request sent: its result key (id, or the SQS message id for a body without one). */
export interface SentRequest {
  readonly key: string;
  /** The outcomes this request may end in (one of them). */
  readonly allowed: readonly AllowedOutcome[];
}

/** The row of a request as read back (only what the accounting needs). */
export interface RowState {
  readonly status: string;
  readonly error?: { readonly code?: string };
}

/** A DLQ message as read back (see lib/client readDeadLetters). */
export interface DeadLetterState {
  readonly requestId?: string;
  readonly sourceMessageId?: string;
  readonly errorCode?: string;
  /** The delivery that sent it (`sagebatch.attempts`), shown when a message is doubled. */
  readonly attempts?: number;
}

/** What {@link accountFor} found: problems (empty when exact) and a summary. */
export interface AccountingReport {
  readonly problems: readonly string[];
  readonly succeeded: number;
  readonly failed: number;
  /** FAILED requests per error code. */
  readonly failedByCode: Readonly<Record<string, number>>;
  readonly deadLetters: number;
}

/** The key a DLQ message belongs to: its request id, else the SQS message id it came from. */
export const deadLetterKey = (letter: DeadLetterState): string | undefined =>
  letter.requestId ?? letter.sourceMessageId;

/**
 * Checks every sent request against its row and the DLQ messages, and the DLQ against the
 * requests sent. Returns every problem found (a list a test can print), not only the first.
 */
export function accountFor(
  sent: readonly SentRequest[],
  rows: ReadonlyMap<string, RowState>,
  deadLetters: readonly DeadLetterState[],
): AccountingReport {
  const problems: string[] = [];
  const letters = new Map<string, DeadLetterState[]>();
  for (const letter of deadLetters) {
    const key = deadLetterKey(letter) ?? '(no request id, no source message id)';
    letters.set(key, [...(letters.get(key) ?? []), letter]);
  }
  const keys = new Set<string>();
  let succeeded = 0;
  let failed = 0;
  const failedByCode: Record<string, number> = {};
  for (const request of sent) {
    if (keys.has(request.key)) {
      problems.push(`${request.key}: sent twice in the ledger (keys must be unique)`);
      continue;
    }
    keys.add(request.key);
    const row = rows.get(request.key);
    const mine = letters.get(request.key) ?? [];
    if (!row) {
      problems.push(`${request.key}: lost (no row)`);
      continue;
    }
    if (row.status !== 'SUCCEEDED' && row.status !== 'FAILED') {
      problems.push(`${request.key}: not final (row ${row.status})`);
      continue;
    }
    const code = row.error?.code;
    const allowed = request.allowed.some(
      (outcome) =>
        outcome.status === row.status &&
        (outcome.status === 'SUCCEEDED' ||
          outcome.codes === undefined ||
          (code !== undefined && outcome.codes.includes(code))),
    );
    const state = row.status === 'FAILED' ? `FAILED/${code}` : 'SUCCEEDED';
    if (!allowed)
      problems.push(
        `${request.key}: ended ${state}, expected ${request.allowed
          .map((o) => (o.codes ? `${o.status}/${o.codes.join('|')}` : o.status))
          .join(' or ')}`,
      );
    if (row.status === 'SUCCEEDED') {
      succeeded++;
      if (mine.length > 0)
        problems.push(`${request.key}: SUCCEEDED but has ${mine.length} DLQ message(s)`);
    } else {
      failed++;
      failedByCode[code ?? '(none)'] = (failedByCode[code ?? '(none)'] ?? 0) + 1;
      if (mine.length === 0) problems.push(`${request.key}: FAILED/${code} without a DLQ message`);
      if (mine.length > 1)
        problems.push(
          `${request.key}: ${mine.length} DLQ messages (duplicate): ${mine
            .map((l) => `${l.errorCode} (attempt ${l.attempts ?? '?'})`)
            .join(', ')}`,
        );
      for (const letter of mine)
        if (letter.errorCode !== code)
          problems.push(
            `${request.key}: DLQ message says ${letter.errorCode}, its row FAILED/${code}`,
          );
    }
  }
  for (const [key, mine] of letters)
    if (!keys.has(key)) problems.push(`${key}: ${mine.length} DLQ message(s) for no request sent`);
  return { problems, succeeded, failed, failedByCode, deadLetters: deadLetters.length };
}
