import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { CompletionPublisher } from '../../lib/aws/completionPublisher.js';
import { createTelemetry } from '../../lib/batcher/telemetry.js';
import { retryPolicyOf } from '../../lib/common/retryPolicy.js';
import { loadEventPublisherConfig } from '../../lib/events/publisherConfig.js';
import { completionEventsOf } from '../../lib/events/streamRecords.js';

/** What the publisher uses, built once per execution environment. */
export interface EventPublisherDependencies {
  readonly publisher: Pick<CompletionPublisher, 'publish'>;
  /** Tests only (see `eventPublisherSettings.negativeControl`). @default 'off' */
  readonly negativeControl?: 'off' | 'every-write';
}

/**
 * Builds the completion event publisher: the function on the results table's stream. Each
 * record that moves a row into a final state becomes one `request.completed` message on
 * the completion topic; the row is durable by then (the stream holds only committed
 * writes). When some events stay unpublished after the retries, the first one's record is
 * reported failed: Lambda retries the shard from there (the events after it may be
 * published again: subscribers drop copies by `eventId`).
 */
export function createEventPublisher(
  dependencies: () => EventPublisherDependencies,
  telemetry = createTelemetry(),
) {
  const { logger } = telemetry;
  async function publishCompletions(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    const { publisher, negativeControl } = dependencies();
    const events = completionEventsOf(event.Records, { negativeControl });
    const { unpublished, reason } = await publisher.publish(events);
    if (unpublished.length === 0) return { batchItemFailures: [] };
    // Ids and statuses only: no request payload reaches the logs.
    logger.warn('Completion events not published; the stream batch is retried from the first', {
      records: event.Records.length,
      events: events.length,
      unpublished: unpublished.length,
      reason,
    });
    return { batchItemFailures: [{ itemIdentifier: unpublished[0]!.sequenceNumber }] };
  }
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>(publishCompletions).use(
    injectLambdaContext(logger),
  );
}

let resolved: EventPublisherDependencies | undefined;

/** The Lambda entry point of the completion event publisher. */
export const handler = createEventPublisher(() => {
  if (resolved) return resolved;
  const config = loadEventPublisherConfig(process.env);
  resolved = {
    negativeControl: config.negativeControl,
    publisher: new CompletionPublisher({
      client: new SNSClient({}),
      topicArn: config.completionTopicArn,
      retry: retryPolicyOf(config),
    }),
  };
  return resolved;
});
