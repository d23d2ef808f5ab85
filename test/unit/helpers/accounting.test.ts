import { describe, expect, it } from 'vitest';
import {
  type AllowedOutcome,
  accountFor,
  type DeadLetterState,
  type RowState,
  type SentRequest,
} from '../../helpers/accounting.js';

const succeeds: AllowedOutcome[] = [{ status: 'SUCCEEDED' }];
const invalid: AllowedOutcome[] = [{ status: 'FAILED', codes: ['INVALID_REQUEST'] }];

/** A small run that accounts exactly: two successes, one invalid body (keyed by message id). */
function exactRun() {
  const sent: SentRequest[] = [
    { key: 'a', allowed: succeeds },
    { key: 'b', allowed: succeeds },
    { key: 'msg-1', allowed: invalid },
  ];
  const rows = new Map<string, RowState>([
    ['a', { status: 'SUCCEEDED' }],
    ['b', { status: 'SUCCEEDED' }],
    ['msg-1', { status: 'FAILED', error: { code: 'INVALID_REQUEST' } }],
  ]);
  const letters: DeadLetterState[] = [{ sourceMessageId: 'msg-1', errorCode: 'INVALID_REQUEST' }];
  return { sent, rows, letters };
}

describe('accountFor', () => {
  it('accepts a run where every request ends in exactly one visible state', () => {
    const { sent, rows, letters } = exactRun();
    expect(accountFor(sent, rows, letters)).toEqual({
      problems: [],
      succeeded: 2,
      failed: 1,
      failedByCode: { INVALID_REQUEST: 1 },
      deadLetters: 1,
    });
  });

  // Negative controls: each deliberately broken run must be rejected, naming the request.
  it.each<[string, (run: ReturnType<typeof exactRun>) => void, string]>([
    ['a lost request (no row)', (r) => r.rows.delete('b'), 'b: lost (no row)'],
    [
      'a request left RETRYING',
      (r) => r.rows.set('b', { status: 'RETRYING', error: { code: 'MODEL_UNAVAILABLE' } }),
      'b: not final (row RETRYING)',
    ],
    [
      'a duplicate DLQ message',
      (r) => r.letters.push({ requestId: 'msg-1', errorCode: 'INVALID_REQUEST' }),
      'msg-1: 2 DLQ messages (duplicate)',
    ],
    [
      'a FAILED row without its DLQ message',
      (r) => r.letters.pop(),
      'msg-1: FAILED/INVALID_REQUEST without a DLQ message',
    ],
    [
      'a SUCCEEDED row with a DLQ message',
      (r) => r.letters.push({ requestId: 'a', errorCode: 'UNPROCESSED' }),
      'a: SUCCEEDED but has 1 DLQ message(s)',
    ],
    [
      'a DLQ message for no request sent',
      (r) => r.letters.push({ requestId: 'stranger', errorCode: 'EXPIRED' }),
      'stranger: 1 DLQ message(s) for no request sent',
    ],
    [
      'a DLQ message whose code differs from its row',
      (r) => {
        r.letters[0] = { sourceMessageId: 'msg-1', errorCode: 'UNPROCESSED' };
      },
      'msg-1: DLQ message says UNPROCESSED, its row FAILED/INVALID_REQUEST',
    ],
    [
      'a request ending in a state it may not end in',
      (r) => r.rows.set('msg-1', { status: 'SUCCEEDED' }),
      'msg-1: ended SUCCEEDED, expected FAILED/INVALID_REQUEST',
    ],
    [
      'a FAILED code not allowed',
      (r) => {
        r.rows.set('a', { status: 'FAILED', error: { code: 'MODEL_ERROR' } });
        r.letters.push({ requestId: 'a', errorCode: 'MODEL_ERROR' });
      },
      'a: ended FAILED/MODEL_ERROR, expected SUCCEEDED',
    ],
    [
      'one key twice in the ledger',
      (r) => r.sent.push({ key: 'a', allowed: succeeds }),
      'a: sent twice in the ledger',
    ],
  ])('rejects %s', (_name, breakRun, problem) => {
    const run = exactRun();
    breakRun(run);
    const report = accountFor(run.sent, run.rows, run.letters);
    expect(report.problems).toContainEqual(expect.stringContaining(problem));
  });
});
