import type { MiddlewareObj } from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { UnexpectedEventError } from '../contract/errors.js';
import { MetricName } from '../contract/metricNames.js';

/** The part of a logger this middleware needs. */
export interface ErrorLogger {
  error(message: string, ...extra: unknown[]): void;
}

/** The part of Powertools' Metrics this middleware needs. */
export interface ErrorCounter {
  addMetric(name: string, unit: 'Count', value: number): void;
}

/**
 * Counts one invocation the safety net answered, as HandlerErrors. Added before Powertools'
 * logMetrics flushes (middy runs onError hooks in reverse order of `use`, so this
 * middleware must be used after logMetrics).
 */
export function countHandlerError(metrics: ErrorCounter): void {
  metrics.addMetric(MetricName.handlerErrors, 'Count', 1);
}

/**
 * middy safety net: when anything escapes the handler, report every record as failed
 * instead of throwing. A thrown error would make Lambda retry the whole batch and the
 * event source scale down; a full `batchItemFailures` lets SQS redeliver each message on
 * its own schedule, and its redrive policy ends a crash loop at maxReceiveCount.
 *
 * An event that is not from SQS has no records to report: its error is rethrown, so the
 * invocation fails visibly instead of answering an empty success.
 *
 * Every error caught is counted as HandlerErrors on `metrics`: an answered invocation is a
 * success to Lambda, so its Errors metric (and the functionErrors alarm) never sees these.
 */
export function reportAllFailedOnError(
  logger: ErrorLogger,
  metrics?: ErrorCounter,
): MiddlewareObj<SQSEvent, SQSBatchResponse> {
  return {
    onError: async (request) => {
      // Lambda counts the answered invocation as a success: only this metric sees it.
      if (metrics) countHandlerError(metrics);
      if (request.error instanceof UnexpectedEventError) {
        logger.error('Not an SQS event; nothing to report per record', {
          error: { name: request.error.name, message: request.error.message },
        });
        return; // middy rethrows the error
      }
      // Only the error's name and message: a stack or cause could quote a payload.
      const { name, message } = request.error ?? new Error('unknown');
      logger.error('Unexpected error; every record in the batch is reported failed', {
        error: { name, message },
      });
      request.response = {
        batchItemFailures: (request.event?.Records ?? []).map((record) => ({
          itemIdentifier: record.messageId,
        })),
      };
    },
  };
}
