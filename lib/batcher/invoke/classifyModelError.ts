import { DecodeError, ModelCallError } from '../../contract/errors.js';

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly OriginalStatusCode?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/**
 * Errors SageMaker Runtime returns when the call itself is wrong, not the input: a missing
 * endpoint or wrong name (`ValidationError`), missing permission, bad or expired
 * credentials. Retrying or splitting cannot help; only fixing the configuration can.
 */
const systemicNames = new Set([
  'ValidationError',
  'ValidationException',
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'NotAuthorized',
  'UnknownOperationException',
]);

/**
 * SageMaker's answer for an inference component with no copy: a `ValidationError` (400)
 * "Inference Component has no capacity to process this request. ApplicationAutoScaling may
 * be in-progress ..." (AWS Machine Learning Blog, "Unlock cost savings with the new scale
 * down to zero feature in SageMaker Inference", 2024-12-03,
 * https://aws.amazon.com/blogs/machine-learning/unlock-cost-savings-with-the-new-scale-down-to-zero-feature-in-sagemaker-inference/).
 * The error name is shared with real misconfigurations, so the message tells them apart.
 */
const noCapacityMessage = /inference component has no capacity/i;

/**
 * Statuses a container answers when it is busy, not when the input is bad: 429 (too many
 * requests) and 503 (TorchServe and most model servers answer it when their queue is
 * full). SageMaker wraps them as a 424 ModelError with this `OriginalStatusCode`
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html#API_runtime_InvokeEndpoint_Errors):
 * splitting the batch would only add calls to an overloaded endpoint.
 */
const busyStatuses = new Set([429, 503]);

/** A status a model container returns for a bad input, as opposed to load or timeouts. */
const isClientError = (status: number) =>
  status >= 400 && status < 500 && status !== 408 && !busyStatuses.has(status);

/**
 * Classifies a failed InvokeEndpoint call by where the error came from (see
 * {@link FailureKind}): the SDK error's name, the HTTP status and, for `ModelError` (424),
 * the container's `OriginalStatusCode`. A container that is busy (429, 503) is
 * `unavailable`, like SageMaker's own throttling, `ModelNotReadyException`,
 * `ServiceUnavailable` and `InternalFailure`. AWS's inference toolkits answer 500 for an
 * unexpected exception on a bad input, so any other 5xx `ModelError` is a `model-error`
 * (retried briefly, then split), and so is status 0: SageMaker's own answer when the
 * container took longer than its 60 s limit, which a smaller batch may fit. Unknown
 * errors are `unavailable`: a retry is recoverable, a wrong permanent failure is not.
 */
export function classifyModelError(error: unknown): ModelCallError {
  if (error instanceof ModelCallError) return error;
  if (error instanceof DecodeError) {
    return new ModelCallError('bad-response', error.message, undefined, {
      cause: error,
      errorName: error.name,
    });
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const status =
    typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const text = `${name}: ${typeof e.message === 'string' ? e.message : String(error)}`;
  const options = { cause: error, errorName: name };
  if (name === 'ValidationError' && noCapacityMessage.test(text)) {
    return new ModelCallError('no-capacity', text, status, options);
  }
  if (systemicNames.has(name) || status === 401 || status === 403) {
    return new ModelCallError('systemic', text, status, options);
  }
  if (name === 'ModelError') {
    const original = typeof e.OriginalStatusCode === 'number' ? e.OriginalStatusCode : undefined;
    const kind =
      original !== undefined && busyStatuses.has(original)
        ? 'unavailable'
        : original !== undefined && isClientError(original)
          ? 'rejected'
          : 'model-error';
    return new ModelCallError(
      kind,
      `${text} (model status ${original ?? 'unknown'})`,
      original,
      options,
    );
  }
  return new ModelCallError('unavailable', text, status, options);
}
