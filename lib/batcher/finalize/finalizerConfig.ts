import { readSettings } from '../../contract/readSettings.js';
import { finalizerSettings } from '../../contract/settings.js';

/** Settings of the finalizer function, read from the environment once at cold start. */
export interface FinalizerConfig {
  readonly resultsTableName: string;
  readonly dlqUrl: string;
  readonly resultTtlSeconds: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

/**
 * Reads and validates the finalizer's settings; throws one {@link ConfigError} naming each
 * bad variable.
 */
export function loadFinalizerConfig(
  env: Readonly<Record<string, string | undefined>>,
): FinalizerConfig {
  return readSettings<FinalizerConfig>(finalizerSettings, env, 'finalizer');
}
