import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { getCodec } from '../../lib/codecs/index.js';
import { loadConfig } from '../../lib/config.js';
import { type BatcherDependencies, createDependencies } from '../../lib/dependencies.js';
import { type InferenceRequest, parseEnvelope } from '../../lib/envelope.js';
import { persistOutcomes } from '../../lib/persistOutcomes.js';
import { planBatches } from '../../lib/planner.js';
import { reportAllFailedOnError } from '../../lib/reportAllFailedOnError.js';
import { type DeliveredRecord, outcomesById, settle } from '../../lib/settlement.js';
import { recordInvocationMetrics } from '../../lib/telemetry.js';
import { timeBudget } from '../../lib/timeBudget.js';

const delivered = (record: SQSRecord): DeliveredRecord => ({
  messageId: record.messageId,
  body: record.body,
  receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
  enqueuedAt: Number(record.attributes.SentTimestamp) || Date.now(),
});

/**
 * Builds the batcher: an SQS-triggered handler that answers many requests with few model
 * calls. Each step below is a row of DESIGN.md's data flow.
 */
export function createHandler(deps: BatcherDependencies) {
  const { config, invoker, store, deadLetters, logger, metrics } = deps;
  const codec = getCodec(config.codec);

  async function batcher(
    event: SQSEvent,
    context: Context,
    { signal }: { signal: AbortSignal },
  ): Promise<SQSBatchResponse> {
    const now = Date.now();
    const records = event.Records.map(delivered);

    // 1. Parse and validate every record (invalid and expired ones fail without a model call).
    const envelopes = records.map((r) =>
      parseEnvelope(r.body, r.messageId, { maxInputBytes: config.maxInputBytes, now }),
    );

    // 2. Skip ids that already SUCCEEDED: a duplicate delivery costs no model call.
    const valid = envelopes.flatMap((e) => (e.ok ? [e.request] : []));
    const succeeded = await store.findSucceeded(valid.map((r) => r.id));
    const fresh = new Map<string, InferenceRequest>();
    for (const request of valid) {
      if (!succeeded.has(request.id) && !fresh.has(request.id)) fresh.set(request.id, request);
    }

    // 3. Plan model batches bounded by items, bytes and padded tokens, similar lengths together.
    const plan = planBatches([...fresh.values()], {
      maxItems: config.modelBatchMaxItems,
      maxBytes: config.modelBatchMaxBytes,
      maxTokens: config.modelBatchMaxTokens,
      packing: config.modelBatchPacking,
      codec,
    });

    // 4. Invoke the endpoint: bounded parallel, retried in budget, poison items bisected out.
    const { outcomes, calls } = await invoker.invoke(
      plan.batches,
      timeBudget(context.getRemainingTimeInMillis(), config.timeReserveMs, signal),
    );
    const byId = outcomesById(plan, outcomes, config.modelBatchMaxBytes);

    // 5. Settle each record and make its outcome durable: rows, DLQ messages.
    const settlements = records.map((record, i) =>
      settle(record, envelopes[i]!, {
        succeeded,
        outcomes: byId,
        maxReceiveCount: config.maxReceiveCount,
      }),
    );
    const report = await persistOutcomes(settlements, {
      store,
      deadLetters,
      resultTtlSeconds: config.resultTtlSeconds,
      now: Date.now(),
      invocationId: context.awsRequestId,
    });
    recordInvocationMetrics(metrics, records.length, calls, report);
    logger.info('Batch settled', {
      records: records.length,
      modelCalls: calls.length,
      succeeded: report.succeeded,
      failed: report.failed,
      retried: report.retried,
      duplicates: report.duplicates,
    });

    // 6. Report what must be delivered again.
    return { batchItemFailures: [...report.retry].map((itemIdentifier) => ({ itemIdentifier })) };
  }

  return middy<SQSEvent, SQSBatchResponse>(batcher, {
    // Leave middy a moment to answer "all failed" instead of being killed mid-write.
    timeoutEarlyInMillis: Math.max(50, Math.floor(config.timeReserveMs / 4)),
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(reportAllFailedOnError(logger));
}

let configured: ReturnType<typeof createHandler> | undefined;

/**
 * The Lambda entry point. Configuration is read and clients are built once per execution
 * environment (on the first event), so a bad variable fails loudly with its name.
 */
export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  configured ??= createHandler(createDependencies(loadConfig(process.env)));
  return configured(event, context);
};
