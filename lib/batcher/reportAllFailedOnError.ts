import type { MiddlewareObj } from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { UnexpectedEventError } from '../contract/errors.js';

/** The part of a logger this middleware needs. */
export interface ErrorLogger {
  error(message: string, ...extra: unknown[]): void;
}

/**
 * middy safety net: when anything escapes the handler, report every record as failed
 * instead of throwing. A thrown error would make Lambda retry the whole batch and the
 * event source scale down; a full `batchItemFailures` lets SQS redeliver each message on
 * its own schedule, and its redrive policy ends a crash loop at maxReceiveCount.
 *
 * An event that is not from SQS has no records to report: its error is rethrown, so the
 * invocation fails visibly instead of answering an empty success.
 */
export function reportAllFailedOnError(
  logger: ErrorLogger,
): MiddlewareObj<SQSEvent, SQSBatchResponse> {
  return {
    onError: async (request) => {
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
