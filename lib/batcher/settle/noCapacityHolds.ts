import { ErrorCode } from '../../contract/errorCodes.js';
import type { Settlement } from './settlement.js';

/**
 * Requests of one invocation held because the endpoint had no capacity: left RETRYING or
 * requeued with `ENDPOINT_NO_CAPACITY` (the `NoCapacityHolds` metric).
 */
export function countNoCapacityHolds(settlements: readonly Settlement[]): number {
  let held = 0;
  for (const { verdict } of settlements) {
    if (
      (verdict.kind === 'retry' || verdict.kind === 'requeue') &&
      verdict.error.code === ErrorCode.ENDPOINT_NO_CAPACITY
    )
      held++;
  }
  return held;
}
