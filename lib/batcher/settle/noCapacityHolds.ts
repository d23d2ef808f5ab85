import { HoldCause } from '../../contract/holdCause.js';
import type { Settlement } from './settlement.js';

/**
 * Requests of one invocation held because the endpoint had no capacity: left RETRYING or
 * requeued with `ENDPOINT_NO_CAPACITY` (the `NoCapacityHolds` metric). A request held past
 * `MAX_HOLD_SECONDS` is FAILED, no longer held, and is not counted.
 */
export function countNoCapacityHolds(settlements: readonly Settlement[]): number {
  let held = 0;
  for (const { verdict } of settlements) {
    if (
      (verdict.kind === 'retry' || verdict.kind === 'requeue') &&
      verdict.hold === HoldCause.noCapacity
    )
      held++;
  }
  return held;
}
