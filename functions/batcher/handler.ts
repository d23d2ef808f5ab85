import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { systemClock } from '../../lib/batcher/clock.js';
import { getCodec } from '../../lib/batcher/codecs/index.js';
import { loadConfig } from '../../lib/batcher/config.js';
import { type BatcherDependencies, createDependencies } from '../../lib/batcher/dependencies.js';
import { FirstErrors } from '../../lib/batcher/firstErrors.js';
import { persistOutcomes } from '../../lib/batcher/persist/persistOutcomes.js';
import { planBatches } from '../../lib/batcher/plan/planner.js';
import { deliveredRecord, readRecords } from '../../lib/batcher/records/readRecords.js';
import { reportAllFailedOnError } from '../../lib/batcher/reportAllFailedOnError.js';
import { oldestHeldAgeSeconds } from '../../lib/batcher/settle/heldAge.js';
import { countNoCapacityHolds } from '../../lib/batcher/settle/noCapacityHolds.js';
import { outcomesById, settle } from '../../lib/batcher/settle/settlement.js';
import { createTelemetry, recordInvocationMetrics } from '../../lib/batcher/telemetry.js';
import {
  measuredCallLatencyMs,
  saveReserveMs,
  sharedSignal,
  timeBudget,
} from '../../lib/batcher/timeBudget.js';
import { UnexpectedEventError } from '../../lib/contract/errors.js';

/**
 * How long before the function's timeout middy aborts the handler's signal. The save
 * phase ends a little before that, so the handler always answers with its own
 * batchItemFailures rather than middy's "everything failed".
 */
export const abortEarlyMs = 500;
const saveMarginMs = 100;

/** Guards the event's shape before touching it: a wiring mistake must fail loudly. */
function assertSqsEvent(event: unknown): asserts event is SQSEvent {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (
    !Array.isArray(records) ||
    records.length === 0 ||
    !records.every((r) => (r as { eventSource?: unknown })?.eventSource === 'aws:sqs')
  ) {
    throw new UnexpectedEventError(
      'the batcher expects an SQS event (Records with eventSource "aws:sqs"); check what triggers this function',
    );
  }
}

/**
 * Builds the batcher: an SQS-triggered handler that answers many requests with few model
 * calls. Each step below is a row of the README's "How a request flows". Dependencies are
 * resolved inside the middleware chain, so a bad setting reports every record failed (and
 * says which variable) instead of crashing outside it.
 */
export function createHandler(
  dependencies: () => BatcherDependencies,
  telemetry: Pick<BatcherDependencies, 'logger' | 'metrics'> = dependencies(),
) {
  const { logger, metrics } = telemetry;

  async function batcher(
    event: SQSEvent,
    context: Context,
    { signal }: { signal: AbortSignal },
  ): Promise<SQSBatchResponse> {
    assertSqsEvent(event);
    const deps = dependencies();
    const { config, invoker, store, deadLetters, requestQueue } = deps;
    const clock = deps.clock ?? systemClock;
    const codec = getCodec(config.codec);
    const errors = new FirstErrors();
    const now = clock.now();
    const records = event.Records.map((record) => deliveredRecord(record, now));
    const reserveAt = (latencyMs?: number) =>
      saveReserveMs(config.timeReserveMs, records.length, latencyMs);
    const readBudget = timeBudget(context.getRemainingTimeInMillis(), reserveAt(), signal, now);

    // 1. Parse and validate every record (invalid, too large and expired ones fail without a
    //    model call); records repeating an id in this delivery share one record's fate.
    const { envelopes, primaryOf, requests } = readRecords(
      records,
      { maxInputBytes: config.maxInputBytes, modelBatchMaxBytes: config.modelBatchMaxBytes, codec },
      now,
    );

    // 2. Skip ids that already SUCCEEDED: a duplicate delivery costs no model call.
    const readStarted = clock.now();
    //    The same read tells which of the records' jobs were cancelled (one key per job).
    const jobIds = new Set<string>();
    for (const r of requests) if (r.job !== undefined) jobIds.add(r.job.jobId);
    const { succeeded, unread, cancelledJobs } = await store.findSucceeded(
      requests.map((r) => r.id),
      {
        jobIds,
        signal: readBudget.signal,
        onError: (e) => errors.note('results-table', 'read', e),
      },
    );
    // The save reserve at the latency this invocation's calls have now: when DynamoDB answers
    // slowly, model calls stop earlier rather than leave outcomes no time to be recorded.
    const budget = timeBudget(
      context.getRemainingTimeInMillis(),
      reserveAt(measuredCallLatencyMs(clock.now() - readStarted, requests.length)),
      signal,
      clock.now(),
    );
    // A cancelled job's requests get no model call (those already in a call keep their result).
    const fresh = requests.filter(
      (r) => !succeeded.has(r.id) && (r.job === undefined || !cancelledJobs.has(r.job.jobId)),
    );

    // 3. Plan model batches bounded by items, bytes and padded tokens, similar lengths together.
    const plan = planBatches(fresh, {
      maxItems: config.modelBatchMaxItems,
      maxBytes: config.modelBatchMaxBytes,
      maxTokens: config.modelBatchMaxTokens,
      packing: config.modelBatchPacking,
      codec,
    });

    // 4. Invoke the endpoint: bounded parallel, retried in budget, poison items split out,
    //    no further call once the endpoint refuses calls for its configuration.
    const { outcomes, calls, systemic, noCapacity } = await invoker.invoke(plan.batches, budget);
    const byId = outcomesById(plan, outcomes);

    // 5. Settle each record and make its outcome durable: rows, then DLQ messages.
    const settledAt = clock.now();
    const settlements = records.map((record, i) =>
      settle(i, record, envelopes[i]!, {
        succeeded,
        cancelledJobs,
        outcomes: byId,
        maxReceiveCount: config.maxReceiveCount,
        maxHoldSeconds: config.maxHoldSeconds,
        primaryOf,
        now: settledAt,
      }),
    );
    const saveBy = context.getRemainingTimeInMillis() - abortEarlyMs - saveMarginMs;
    const report = await persistOutcomes(settlements, {
      store,
      outputs: {
        encoding: config.resultEncoding,
        offloadBytes: config.resultOffloadBytes,
        bucket: deps.resultBucket,
      },
      deadLetters,
      requestQueue,
      resultTtlSeconds: config.resultTtlSeconds,
      now: settledAt,
      invocationId: context.awsRequestId,
      unread,
      signal: sharedSignal(AbortSignal.any([signal, AbortSignal.timeout(Math.max(0, saveBy))])),
      onError: (source, e) => errors.note(source, 'write', e),
    });

    const held = countNoCapacityHolds(settlements);
    recordInvocationMetrics(metrics, records.length, calls, {
      ...report,
      noCapacityHolds: held,
      heldAgeSeconds: oldestHeldAgeSeconds(settlements, settledAt),
    });
    if (noCapacity) {
      logger.warn(
        'The endpoint has no capacity (scaled to zero): no more calls in this invocation, requests held until it scales out',
        {
          endpointName: config.endpointName,
          inferenceComponentName: config.inferenceComponentName,
          held,
          error: { name: noCapacity.errorName, status: noCapacity.status },
        },
      );
    }
    for (const call of calls) {
      if (call.result !== 'ok' && call.result !== 'aborted') {
        errors.noteSummary({
          source: 'endpoint',
          kind: call.result,
          name: call.errorName ?? 'Error',
          ...(call.status === undefined ? {} : { status: call.status }),
        });
      }
    }
    if (systemic) {
      logger.error(
        'The endpoint refuses calls for its configuration; no more calls in this invocation, requests stay queued',
        {
          endpointName: config.endpointName,
          error: { name: systemic.errorName, status: systemic.status },
        },
      );
    }
    for (const { source, kind, name, code, status } of errors.list()) {
      logger.warn('First error of its kind in this invocation', {
        source,
        kind,
        errorName: name,
        code,
        status,
      });
    }
    logger.info('Batch settled', {
      records: records.length,
      modelCalls: calls.filter((c) => c.result !== 'aborted').length,
      succeeded: report.succeeded,
      failed: report.failed,
      cancelled: report.cancelled,
      retried: report.retried,
      duplicates: report.duplicates,
      requeued: report.requeued,
      offloaded: report.offloaded,
      deadLetterRaces: report.deadLetterRaces,
      unread: unread.size,
    });

    // 6. Report what must be delivered again.
    return { batchItemFailures: [...report.retry].map((itemIdentifier) => ({ itemIdentifier })) };
  }

  return middy<SQSEvent, SQSBatchResponse>(batcher, { timeoutEarlyInMillis: abortEarlyMs })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(reportAllFailedOnError(logger, metrics));
}

const telemetry = createTelemetry();
let resolved: BatcherDependencies | undefined;

/**
 * The Lambda entry point. Configuration is read and clients are built once per execution
 * environment, on the first event and inside the middleware chain: a bad variable is
 * logged with its name and every record is reported failed.
 */
export const handler = createHandler(() => {
  resolved ??= createDependencies(loadConfig(process.env), telemetry);
  return resolved;
}, telemetry);
