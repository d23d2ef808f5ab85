/**
 * Typed errors of sagebatch. Callers route on the class (or `kind`), never on message text.
 */

/** Base class of every error sagebatch throws on purpose. */
export class SagebatchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SagebatchError';
  }
}

/** A configuration value (environment variable or option) is missing or invalid. */
export class ConfigError extends SagebatchError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A model response could not be split into exactly one output per item. */
export class DecodeError extends SagebatchError {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/**
 * Where a failed model call's error came from, which decides what to do next:
 * - `unavailable`: the service or endpoint is busy or briefly unreachable (throttling, 429,
 *   503, a container answering 429 or 503, ModelNotReady, SageMaker's own 500, network, no
 *   answer at all past SageMaker's 60 s limit): retry with backoff, never split;
 * - `model-error`: the model answered with a server error (other 5xx ModelError), SageMaker
 *   answered that the container took longer than 60 s (ModelError, status 0), or the call
 *   outlived a timeout the user set below that limit: retry briefly, then split, since one
 *   bad input or a batch too large for the model's memory or the 60 s limit is the usual cause;
 * - `rejected`: the model refused the input (4xx ModelError): split to find the culprit;
 * - `bad-response`: the answer was undecodable or had the wrong item count: split;
 * - `systemic`: SageMaker refused the call itself (ValidationError such as "endpoint not
 *   found", access denied, bad credentials): no request can succeed until the configuration
 *   is fixed, so stop calling for this invocation and leave every request queued.
 * - `no-capacity`: the endpoint's inference component has no copy (scaled to zero, or one is
 *   still starting): a hold, not a failure; stop calling for this invocation and redeliver
 *   after an instance start's time.
 */
export type FailureKind =
  | 'unavailable'
  | 'model-error'
  | 'rejected'
  | 'bad-response'
  | 'systemic'
  | 'no-capacity';

/** A model call failed; `kind` says whether to retry, split or stop. */
export class ModelCallError extends SagebatchError {
  readonly kind: FailureKind;
  /** HTTP status of the answer, or the model container's own status for a ModelError. */
  readonly status: number | undefined;
  /** The SDK error's name (e.g. `ModelError`, `ValidationError`), for logs and metrics. */
  readonly errorName: string;

  constructor(
    kind: FailureKind,
    message: string,
    status?: number,
    options?: ErrorOptions & { errorName?: string },
  ) {
    super(message, options);
    this.name = 'ModelCallError';
    this.kind = kind;
    this.status = status;
    this.errorName = options?.errorName ?? 'Error';
  }
}

/** The event the function received is not an SQS event: a wiring mistake, never retried as records. */
export class UnexpectedEventError extends SagebatchError {
  constructor(message: string) {
    super(message);
    this.name = 'UnexpectedEventError';
  }
}
