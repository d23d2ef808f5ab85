import { isFinalStatus } from '../../lib/contract/finalStatus.js';

/** One completion event as a test subscriber saw it. */
export interface ObservedEvent {
  readonly eventId: string;
  readonly id: string;
  readonly status: string;
  /** The row's status read (strongly consistent) when the event arrived; undefined: no row. */
  readonly rowStatusAtReceipt: string | undefined;
}

/**
 * What is wrong with the events a subscriber received, against the final transitions the
 * test made: every transition has exactly one event (copies of one event, same `eventId`,
 * are allowed: delivery is at least once), no event names a status that is not final, and
 * no event arrives before its row is readable with that status. Empty when all is right.
 *
 * @param transitions final transitions expected per request id (ids outside it must get no event)
 */
export function eventAccountingProblems(
  transitions: ReadonlyMap<string, number>,
  events: readonly ObservedEvent[],
): string[] {
  const problems: string[] = [];
  const distinct = new Map<string, Set<string>>();
  for (const event of events) {
    if (!isFinalStatus(event.status))
      problems.push(`${event.id}: event for status ${event.status}, which is not final`);
    if (event.rowStatusAtReceipt !== event.status)
      problems.push(
        `${event.id}: ${event.status} event arrived while its row read ${event.rowStatusAtReceipt ?? 'absent'}`,
      );
    if (!transitions.has(event.id)) problems.push(`${event.id}: event for no final transition`);
    const ids = distinct.get(event.id) ?? new Set<string>();
    ids.add(event.eventId);
    distinct.set(event.id, ids);
  }
  for (const [id, expected] of transitions) {
    const seen = distinct.get(id)?.size ?? 0;
    if (seen !== expected) problems.push(`${id}: ${seen} distinct events, expected ${expected}`);
  }
  return problems;
}
