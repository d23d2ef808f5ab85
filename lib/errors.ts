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
 * How a failed model call should be handled:
 * - `transient`: may succeed if tried again (throttling, 5xx, timeouts, network);
 * - `rejected`: the model refused the request (4xx): bisect to find the culprit;
 * - `bad-response`: the answer was undecodable or had the wrong item count: bisect.
 */
export type FailureKind = 'transient' | 'rejected' | 'bad-response';

/** A model call failed; `kind` says whether to retry or bisect. */
export class ModelCallError extends SagebatchError {
  readonly kind: FailureKind;
  readonly status: number | undefined;

  constructor(kind: FailureKind, message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelCallError';
    this.kind = kind;
    this.status = status;
  }
}
