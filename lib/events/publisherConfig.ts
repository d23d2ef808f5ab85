import { ConfigError } from '../contract/errors.js';
import { eventPublisherSettings } from '../contract/settings.js';

/** Settings of the completion event publisher, read from the environment once at cold start. */
export interface EventPublisherConfig {
  readonly completionTopicArn: string;
  /** Tests only: see `eventPublisherSettings.negativeControl`. */
  readonly negativeControl: 'off' | 'every-write';
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

/** Reads and validates the publisher's settings; throws one {@link ConfigError} naming each bad variable. */
export function loadEventPublisherConfig(
  env: Readonly<Record<string, string | undefined>>,
): EventPublisherConfig {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(eventPublisherSettings)) {
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
  if (problems.length > 0)
    throw new ConfigError(
      `Invalid sagebatch event publisher configuration: ${problems.join('; ')}`,
    );
  return Object.freeze(values as unknown as EventPublisherConfig);
}
