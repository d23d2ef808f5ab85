import type * as z from 'zod';
import { ConfigError } from './errors.js';

/** One environment setting: its variable, its schema and, when optional, its default. */
export interface SettingSpec {
  readonly env: string;
  readonly schema: z.ZodType;
  readonly default?: unknown;
}

/**
 * Reads every setting of `settings` from `env` (an empty variable counts as unset, so its
 * default applies) and validates each with its schema; throws one {@link ConfigError}
 * naming every bad or missing variable of `what` at once, so a deploy is fixed in one go.
 */
export function readSettings<T>(
  settings: Readonly<Record<string, SettingSpec>>,
  env: Readonly<Record<string, string | undefined>>,
  what: string,
): T {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings)) {
    const given = env[setting.env];
    const raw = given === undefined || given === '' ? setting.default : given;
    if (raw === undefined) {
      problems.push(`${setting.env} is required but not set`);
      continue;
    }
    const parsed = setting.schema.safeParse(raw);
    if (parsed.success) values[key] = parsed.data;
    else problems.push(`${setting.env}=${JSON.stringify(raw)}: ${parsed.error.issues[0]?.message}`);
  }
  if (problems.length > 0)
    throw new ConfigError(`Invalid sagebatch ${what} configuration: ${problems.join('; ')}`);
  return Object.freeze(values) as T;
}
