/** What a log line may say about an error: its kind, never its message (it may quote a payload). */
export interface ErrorSummary {
  readonly source: string;
  readonly kind: string;
  readonly name: string;
  readonly code?: string;
  readonly status?: number;
}

/**
 * The first error of each kind in one invocation, so a cause is never silent and a
 * thousand identical failures still make one log line each.
 */
export class FirstErrors {
  readonly #seen = new Map<string, ErrorSummary>();

  /** Keeps `error` if it is the first of its `source` and `kind`. */
  note(source: string, kind: string, error: unknown): void {
    const key = `${source}:${kind}`;
    if (this.#seen.has(key)) return;
    const e = (typeof error === 'object' && error !== null ? error : {}) as {
      name?: unknown;
      code?: unknown;
      Code?: unknown;
      $metadata?: { httpStatusCode?: unknown };
    };
    const code =
      typeof e.code === 'string' ? e.code : typeof e.Code === 'string' ? e.Code : undefined;
    const status =
      typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
    this.#seen.set(key, {
      source,
      kind,
      name: typeof e.name === 'string' ? e.name : typeof error,
      ...(code === undefined ? {} : { code }),
      ...(status === undefined ? {} : { status }),
    });
  }

  /** Keeps a summary already reduced to name and status (a model call's report). */
  noteSummary(summary: ErrorSummary): void {
    const key = `${summary.source}:${summary.kind}`;
    if (!this.#seen.has(key)) this.#seen.set(key, summary);
  }

  /** Every first error, in the order they were seen. */
  list(): ErrorSummary[] {
    return [...this.#seen.values()];
  }
}
