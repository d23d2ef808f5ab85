import { describe, expect, it } from 'vitest';
import { eventAccountingProblems, type ObservedEvent } from '../../helpers/eventAccounting.js';

const seen = (
  id: string,
  eventId: string,
  status = 'SUCCEEDED',
  row: string | undefined = status,
): ObservedEvent => ({
  id,
  eventId,
  status,
  // 'absent': no row when the event arrived.
  rowStatusAtReceipt: row === 'absent' ? undefined : row,
});

describe('eventAccountingProblems', () => {
  const transitions = new Map([
    ['a', 1],
    ['b', 1],
  ]);

  it('accepts one event per transition, and copies of one event', () => {
    expect(
      eventAccountingProblems(transitions, [seen('a', 'e1'), seen('a', 'e1'), seen('b', 'e2')]),
    ).toEqual([]);
  });

  it('names every way a publisher can be wrong', () => {
    const problems = eventAccountingProblems(transitions, [
      seen('a', 'e1'),
      seen('a', 'e3', 'RETRYING'), // a non-final status, and a second event for one transition
      seen('b', 'e2', 'SUCCEEDED', 'absent'), // before its row was readable
      seen('c', 'e4'), // no transition at all
    ]);
    expect(problems).toEqual([
      'a: event for status RETRYING, which is not final',
      'b: SUCCEEDED event arrived while its row read absent',
      'c: event for no final transition',
      'a: 2 distinct events, expected 1',
    ]);
    expect(eventAccountingProblems(transitions, [seen('a', 'e1')])).toEqual([
      'b: 0 distinct events, expected 1',
    ]);
  });
});
