import { ConfigError } from '../contract/errors.js';
import {
  type BatcherConfig,
  batcherSettings,
  checkSettings,
  configVariables,
} from '../contract/settings.js';

export type { BatcherConfig } from '../contract/settings.js';

/**
 * Reads and validates every setting. Throws one {@link ConfigError} listing each bad
 * variable by name, with what was expected and what was found.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env); // once, at cold start
 * ```
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): BatcherConfig {
  const raw = Object.fromEntries(
    Object.entries(batcherSettings).map(([key, setting]) => [key, env[setting.env]]),
  );
  const { values, problems } = checkSettings(raw, (key) => configVariables[key]);
  if (problems.length > 0) {
    throw new ConfigError(`Invalid sagebatch configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(values as BatcherConfig);
}
