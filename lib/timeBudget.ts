import type { InvokeBudget } from './modelInvoker.js';

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
    signal: AbortSignal.any([signal, AbortSignal.timeout(budgetMs)]),
  };
}
