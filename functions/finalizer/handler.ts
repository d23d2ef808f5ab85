import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DeadLetterPublisher } from '../../lib/aws/deadLetterPublisher.js';
import { ResultStore } from '../../lib/aws/resultStore.js';
import {
  type FinalizerConfig,
  loadFinalizerConfig,
} from '../../lib/batcher/finalize/finalizerConfig.js';
import {
  finalizeUnprocessed,
  type UnprocessedMessage,
} from '../../lib/batcher/finalize/finalizeUnprocessed.js';
import { FirstErrors } from '../../lib/batcher/firstErrors.js';
import { reportAllFailedOnError } from '../../lib/batcher/reportAllFailedOnError.js';
import { createTelemetry } from '../../lib/batcher/telemetry.js';
import { retryPolicyOf } from '../../lib/common/retryPolicy.js';
import { RequeueAttribute } from '../../lib/contract/messageAttributes.js';
import { MetricName } from '../../lib/contract/metricNames.js';

/** What the finalizer uses, built once per execution environment. */
export interface FinalizerDependencies {
  readonly config: FinalizerConfig;
  readonly store: Pick<ResultStore, 'write' | 'getRows' | 'markDeadLettered'>;
  readonly deadLetters: Pick<DeadLetterPublisher, 'publish'>;
}

function unprocessed(record: SQSRecord): UnprocessedMessage {
  const attribute = (name: string) => record.messageAttributes?.[name]?.stringValue;
  return {
    messageId: record.messageId,
    body: record.body,
    receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
    enqueuedAt:
      Number(attribute(RequeueAttribute.enqueuedAt)) ||
      Number(record.attributes.SentTimestamp) ||
      Date.now(),
    requestIdAttribute: attribute(RequeueAttribute.requestId),
  };
}

/**
 * Builds the finalizer: the function on the intake queue that SQS's redrive fills when the
 * batcher could not record a message on any allowed delivery. It makes those messages
 * visible (FAILED / UNPROCESSED row, DLQ message with attributes) instead of leaving users
 * waiting on a request that silently went to a dead-letter queue.
 */
export function createFinalizer(
  dependencies: () => FinalizerDependencies,
  telemetry = createTelemetry(),
) {
  const { logger, metrics } = telemetry;
  async function finalizer(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const { config, store, deadLetters } = dependencies();
    const messages = event.Records.map(unprocessed);
    const errors = new FirstErrors();
    const report = await finalizeUnprocessed(messages, {
      store,
      deadLetters,
      resultTtlSeconds: config.resultTtlSeconds,
      now: Date.now(),
      invocationId: context.awsRequestId,
      onError: (source, error) => errors.note(source, 'write', error),
    });
    for (const { source, kind, name, code, status } of errors.list()) {
      logger.warn('First error of its kind in this invocation', {
        source,
        kind,
        errorName: name,
        code,
        status,
      });
    }
    metrics.addMetric(MetricName.unprocessed, MetricUnit.Count, report.unprocessed);
    metrics.addMetric(MetricName.pipelineFailures, MetricUnit.Count, report.unprocessed);
    logger.error('Messages SQS moved without a recorded outcome were finalized as UNPROCESSED', {
      messages: messages.length,
      unprocessed: report.unprocessed,
      failedBefore: report.failedBefore,
      alreadySucceeded: report.alreadySucceeded,
      retried: report.retry.size,
    });
    return { batchItemFailures: [...report.retry].map((itemIdentifier) => ({ itemIdentifier })) };
  }
  return middy<SQSEvent, SQSBatchResponse>(finalizer)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(reportAllFailedOnError(logger, metrics));
}

const telemetry = createTelemetry();
let resolved: FinalizerDependencies | undefined;

/** The Lambda entry point of the finalizer. */
export const handler = createFinalizer(() => {
  if (resolved) return resolved;
  const config = loadFinalizerConfig(process.env);
  const retry = retryPolicyOf(config);
  resolved = {
    config,
    store: new ResultStore({
      client: DynamoDBDocumentClient.from(new DynamoDBClient({}), {
        marshallOptions: { removeUndefinedValues: true },
      }),
      tableName: config.resultsTableName,
      retry,
    }),
    deadLetters: new DeadLetterPublisher({
      client: new SQSClient({}),
      queueUrl: config.dlqUrl,
      retry,
    }),
  };
  return resolved;
}, telemetry);
