import { Duration } from 'aws-cdk-lib';
import {
  RedeliveryBackoff,
  type RedeliveryBackoffPolicy,
  redeliveryDelaySeconds,
  totalRedeliveryDelaySeconds,
} from '../lib/contract/redeliveryBackoff.js';

/**
 * Thresholds of the alarms that watch message ages, derived from the settings so each can
 * fire in the failure it exists for.
 *
 * SQS stops counting a message in ApproximateAgeOfOldestMessage once it has been received
 * three times without being deleted, even with a redrive policy: "For standard queues, if a
 * message is received three or more times and not deleted, SQS moves it to the back of the
 * queue. The metric then reflects the age of the next message..."
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html).
 * An age alarm on a queue therefore sees a failing message only before its third receive.
 */

/** The alarms' period, seconds: SQS publishes its metrics once a minute. */
export const agePeriodSeconds = 60;

/** The batcher's settings the request-queue thresholds follow. */
export interface RequestQueueTiming {
  readonly batchingWindow: Duration;
  readonly timeout: Duration;
  readonly visibilityTimeout: Duration;
}

/**
 * Oldest age a request reaches before its third receive while the pipeline works as
 * designed (retried with the redelivery backoff): two deliveries, each gathered for up to
 * the window and processed for up to the timeout, and the backoff after each. An
 * OldestRequestAge threshold below this would page for ordinary retries.
 */
export function healthyAgeBeforeThirdReceiveSeconds(
  batchingWindow: Duration,
  timeout: Duration,
  policy: RedeliveryBackoffPolicy = RedeliveryBackoff,
): number {
  const perDelivery = batchingWindow.toSeconds() + timeout.toSeconds();
  return 2 * perDelivery + redeliveryDelaySeconds(1, policy) + redeliveryDelaySeconds(2, policy);
}

/**
 * Whether an age alarm with `thresholdSeconds` fires for a message that reaches its third
 * receive `thirdReceiveAgeSeconds` after it was sent: one of the metric's once-a-minute
 * samples must fall after the threshold and before the third receive, whatever its phase.
 */
export const ageAlarmCanFire = (thresholdSeconds: number, thirdReceiveAgeSeconds: number) =>
  thresholdSeconds + agePeriodSeconds < thirdReceiveAgeSeconds;

/**
 * Earliest age at which a request reaches its third receive when the batcher fails as a
 * whole (crash, timeout, out of memory: no backoff is set, each delivery comes back after
 * the queue's whole visibility timeout): two visibility timeouts.
 */
export const failingThirdReceiveAgeSeconds = (visibilityTimeout: Duration) =>
  2 * visibilityTimeout.toSeconds();

/**
 * Default OldestRequestAge threshold: the age a healthy request can reach before its third
 * receive. It fires for a backlog the batcher cannot keep up with (requests never received
 * age freely) and for a batcher failing as a whole (a request is still counted until two
 * visibility timeouts, at least 12 x timeout + 2 x window, have passed). Requests retried
 * per record (a held request, a busy endpoint) reach their third receive within seconds
 * and drop out of the metric: HeldRequestAge watches those.
 */
export function defaultOldestRequestAgeThreshold(
  batchingWindow: Duration,
  timeout: Duration,
): Duration {
  return Duration.seconds(healthyAgeBeforeThirdReceiveSeconds(batchingWindow, timeout));
}

/** Problems with an OldestRequestAge threshold that could never fire (empty when it can). */
export function checkOldestRequestAgeThreshold(
  threshold: Duration,
  timing: RequestQueueTiming,
): string[] {
  const thirdReceive = failingThirdReceiveAgeSeconds(timing.visibilityTimeout);
  if (ageAlarmCanFire(threshold.toSeconds(), thirdReceive)) return [];
  return [
    `oldestRequestAgeAlarmThreshold (${threshold.toSeconds()} s) could never fire: SQS stops counting a message in ApproximateAgeOfOldestMessage after its third receive, which a failing batcher reaches after 2 x visibilityTimeout = ${thirdReceive} s; keep the threshold below ${thirdReceive - agePeriodSeconds} s`,
  ];
}

/** The finalizer's settings the intake-queue threshold follows. */
export interface IntakeTiming {
  /** The intake queue's visibility timeout. */
  readonly visibilityTimeout: Duration;
  /** The finalizer function's timeout. */
  readonly timeout: Duration;
}

/**
 * Unfinalized threshold: a message still on the intake queue after one visibility timeout
 * and a second run of the finalizer failed twice (one transient failure, retried once, stays
 * quiet). The finalizer sets no backoff, so the third receive comes two visibility timeouts
 * after the first at the earliest, and the metric still counts the message until then.
 */
export function unfinalizedThreshold(intake: IntakeTiming): Duration {
  return Duration.seconds(intake.visibilityTimeout.toSeconds() + intake.timeout.toSeconds());
}

/**
 * How long a pipeline that scales to zero may hold its first requests after idle before
 * that is a problem: twice the README's first-request latency after idle (about 10 minutes:
 * the scale-out alarm and Auto Scaling's reaction, an instance start AWS calls "several
 * minutes", one 2-minute no-capacity backoff;
 * https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html).
 * Every wake-up holds requests that long, so HeldRequestAge, which counts no-capacity
 * holds, must not alarm below it, and MAX_HOLD_SECONDS must leave room for it.
 */
export const scaleToZeroWakeSeconds = 1_200;

/**
 * HeldRequestAge threshold: requests held longer than one full round of deliveries (every
 * delivery the queue allows with its backoff: what the queue would give a request before
 * failing it, were it not held), at least `floorSeconds` (a scale-to-zero pipeline's
 * {@link scaleToZeroWakeSeconds}: an ordinary wake-up must not page), or half of
 * MAX_HOLD_SECONDS if that comes first, so the alarm fires well before held requests start
 * to fail.
 */
export function heldRequestAgeThreshold(
  batchingWindow: Duration,
  timeout: Duration,
  maxReceiveCount: number,
  maxHoldSeconds: number,
  floorSeconds = 0,
): Duration {
  const perDelivery = batchingWindow.toSeconds() + timeout.toSeconds();
  const round = maxReceiveCount * perDelivery + totalRedeliveryDelaySeconds(maxReceiveCount);
  return Duration.seconds(Math.min(Math.max(round, floorSeconds), Math.floor(maxHoldSeconds / 2)));
}

/**
 * Problems with MAX_HOLD_SECONDS for a pipeline that scales to zero (empty when none): held
 * requests must outlive a wake-up with room for the HeldRequestAge alarm to fire first, so
 * at least twice {@link scaleToZeroWakeSeconds}.
 */
export function checkMaxHoldForScaleToZero(maxHoldSeconds: number): string[] {
  const least = 2 * scaleToZeroWakeSeconds;
  if (maxHoldSeconds >= least) return [];
  return [
    `maxHoldSeconds (${maxHoldSeconds} s) is too short for scale to zero (minInstances 0): requests are held while an instance starts after idle (about ${scaleToZeroWakeSeconds / 2} s, alarmed past ${scaleToZeroWakeSeconds} s), so keep it at least ${least} s or every request after an idle period could fail ENDPOINT_NO_CAPACITY`,
  ];
}
