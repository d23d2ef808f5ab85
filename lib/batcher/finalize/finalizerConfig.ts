import { ConfigError } from '../../contract/errors.js';
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
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(finalizerSettings)) {
    const given = env[setting.env];
    const raw =
      given === undefined || given === ''
        ? 'default' in setting
          ? setting.default
          : undefined
        : given;
    if (raw === undefined) {
      problems.push(`${setting.env} is required but not set`);
      continue;
    }
    const parsed = setting.schema.safeParse(raw);
    if (parsed.success) values[key] = parsed.data;
    else problems.push(`${setting.env}=${JSON.stringify(raw)}: ${parsed.error.issues[0]?.message}`);
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid sagebatch finalizer configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(values as unknown as FinalizerConfig);
}
