import { readSettings } from '../contract/readSettings.js';
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
  return readSettings<EventPublisherConfig>(eventPublisherSettings, env, 'event publisher');
}
