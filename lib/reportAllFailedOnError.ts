import type { MiddlewareObj } from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/** The part of a logger this middleware needs. */
export interface ErrorLogger {
  error(message: string, ...extra: unknown[]): void;
}

/**
 * middy safety net: when anything escapes the handler, report every record as failed
 * instead of throwing. A thrown error would make Lambda retry the whole batch and the
 * event source scale down; a full `batchItemFailures` lets SQS redeliver each message on
 * its own schedule, and its redrive policy ends a crash loop at maxReceiveCount.
 */
export function reportAllFailedOnError(
  logger: ErrorLogger,
): MiddlewareObj<SQSEvent, SQSBatchResponse> {
  return {
    onError: async (request) => {
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
