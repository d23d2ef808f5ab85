import { setMaxListeners } from 'node:events';
import type { InvokeBudget } from './invoke/modelInvoker.js';

/**
 * Time kept for the save phase per record, on top of `TIME_RESERVE_MS`: writing 10,000
 * rows takes 400 BatchWriteItem calls, so a fixed reserve that suits 100 records would let
 * a large invocation's writes run into its timeout.
 */
export const saveReservePerRecordMs = 0.5;

/** The time an invocation keeps for recording the outcomes of `records` records. */
export const saveReserveMs = (baseMs: number, records: number) =>
  Math.ceil(baseMs + records * saveReservePerRecordMs);

/**
 * The model-call budget of one invocation: it ends `reserveMs` before the function would
 * time out, leaving that time to record outcomes. `signal` (from middy) aborts earlier if
 * the runtime is about to stop the function.
 */
export function timeBudget(
  remainingMs: number,
  reserveMs: number,
  signal: AbortSignal,
  now = Date.now(),
): InvokeBudget {
  const budgetMs = Math.max(0, remainingMs - reserveMs);
  return {
    deadline: now + budgetMs,
    signal: sharedSignal(AbortSignal.any([signal, AbortSignal.timeout(budgetMs)])),
  };
}

/**
 * Marks a signal that every call of an invocation listens to (each model call, retry wait
 * and write adds a listener while it runs): Node would otherwise print a
 * MaxListenersExceededWarning into the function's logs once more than 10 are in flight.
 */
export function sharedSignal(signal: AbortSignal): AbortSignal {
  setMaxListeners(0, signal);
  return signal;
}
