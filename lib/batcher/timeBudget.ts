import { setMaxListeners } from 'node:events';
import type { InvokeBudget } from './invoke/modelInvoker.js';

export { SaveCalls, saveReserveMs } from '../contract/saveReserve.js';

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
