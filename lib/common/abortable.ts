/**
 * Settles with `promise`, or rejects with an AbortError as soon as `signal` aborts. The
 * SDK's own abortSignal support depends on the HTTP handler; this guard does not, so no
 * awaited call can outlive the function's time budget.
 */
export function abortable<T>(promise: PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return Promise.resolve(promise);
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(promise).then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return Object.assign(new Error(`call aborted: ${reason}`), { name: 'AbortError' });
}
