import { DecodeError, ModelCallError } from './errors.js';

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly OriginalStatusCode?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** A status a model container returns for a bad request, as opposed to load or timeouts. */
const isClientError = (status: number) =>
  status >= 400 && status < 500 && status !== 408 && status !== 429;

/**
 * Classifies a failed InvokeEndpoint call by SDK error name, HTTP status and, for
 * `ModelError` (424), the container's `OriginalStatusCode`:
 * - `ValidationError`, or `ModelError` with a 4xx original status: `rejected` (bisect);
 * - a {@link DecodeError}: `bad-response` (bisect);
 * - throttling, 429/5xx, `ModelNotReadyException`, timeouts, network errors and anything
 *   unknown: `transient`. Unknown errors are retried rather than failed, because a
 *   retry is recoverable and a wrong permanent failure is not.
 */
export function classifyModelError(error: unknown): ModelCallError {
  if (error instanceof ModelCallError) return error;
  if (error instanceof DecodeError) {
    return new ModelCallError('bad-response', error.message, undefined, { cause: error });
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const status =
    typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const text = `${name}: ${typeof e.message === 'string' ? e.message : String(error)}`;
  if (name === 'ValidationError')
    return new ModelCallError('rejected', text, status ?? 400, { cause: error });
  if (name === 'ModelError') {
    const original = typeof e.OriginalStatusCode === 'number' ? e.OriginalStatusCode : undefined;
    const kind = original !== undefined && isClientError(original) ? 'rejected' : 'transient';
    return new ModelCallError(kind, `${text} (model status ${original ?? 'unknown'})`, original, {
      cause: error,
    });
  }
  return new ModelCallError('transient', text, status, { cause: error });
}
