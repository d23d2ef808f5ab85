import type { DeadLetterPublisher } from '../../aws/deadLetterPublisher.js';
import type { ResultStore } from '../../aws/resultStore.js';
import { deadLetterIdOf } from '../../contract/deadLetterId.js';
import { jobOfBody, requestIdPattern } from '../../contract/envelope.js';
import { ErrorCode, errorInfo } from '../../contract/errorCodes.js';
import { type ResultRow, ResultStatus } from '../../contract/resultRow.js';
import { deadLetterOnce } from '../persist/deadLetterOnce.js';

/** A message SQS moved off the request queue by itself, as the finalizer receives it. */
export interface UnprocessedMessage {
  readonly messageId: string;
  readonly body: string;
  /** Receives of the message in the request queue and the intake queue together. */
  readonly receiveCount: number;
  /** When the request first entered the request queue, epoch ms. */
  readonly enqueuedAt: number;
  /** A `sagebatch.requestId` attribute, when a requeued or redriven copy carried one. */
  readonly requestIdAttribute: string | undefined;
}

/** Where the finalizer records what it found. */
export interface FinalizerSinks {
  readonly store: Pick<ResultStore, 'write' | 'getRows' | 'markDeadLettered'>;
  readonly deadLetters: Pick<DeadLetterPublisher, 'publish'>;
  readonly resultTtlSeconds: number;
  readonly now: number;
  readonly invocationId: string;
  readonly signal?: AbortSignal;
  /** Told about each error a write ended with, by where it happened, for logs. */
  readonly onError?: (source: 'results-table' | 'dead-letter-queue', error: unknown) => void;
}

/** What {@link finalizeUnprocessed} did. */
export interface FinalizerReport {
  /** Message ids to report in `batchItemFailures` (not yet recorded). */
  readonly retry: Set<string>;
  /** FAILED / UNPROCESSED rows written and forwarded to the DLQ. */
  readonly unprocessed: number;
  /**
   * Messages the batcher had already failed for good (its FAILED row of this attempt was
   * there): their DLQ message sent now, with the batcher's code, or found already sent.
   */
  readonly failedBefore: number;
  /** Messages whose id had SUCCEEDED meanwhile: nothing to do. */
  readonly alreadySucceeded: number;
}

/**
 * The request id a moved message stands for, read the way the batcher reads it: a valid
 * `id` in the body, else the id a copy carried as an attribute, else the message id (which
 * SQS keeps when it moves a message to a dead-letter queue). Never throws: the body may
 * be anything.
 */
export function requestIdOf(message: UnprocessedMessage): string {
  try {
    const id = (JSON.parse(message.body) as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && requestIdPattern.test(id)) return id;
  } catch {
    // not JSON: fall through
  }
  const attribute = message.requestIdAttribute;
  return attribute !== undefined && requestIdPattern.test(attribute)
    ? attribute
    : message.messageId;
}

/**
 * Makes visible what SQS's redrive did silently. A message reaches the intake queue when
 * the batcher crashed, timed out or could not record it on every delivery the request
 * queue allows; SQS moves it with no row and no attributes. For each one: write a FAILED
 * row with code UNPROCESSED (conditionally: never over a SUCCEEDED row, nor over the
 * FAILED row the batcher wrote for the same attempt, whose code stands), then forward the
 * original body to the DLQ with the usual attributes, at most once per request and
 * attempt ({@link deadLetterOnce}). A message whose id SUCCEEDED meanwhile is simply
 * acknowledged; further messages of one id share the first one's fate.
 */
export async function finalizeUnprocessed(
  messages: readonly UnprocessedMessage[],
  sinks: FinalizerSinks,
): Promise<FinalizerReport> {
  const expiresAt = Math.floor(sinks.now / 1000) + sinks.resultTtlSeconds;
  const entries = messages.map((message) => ({
    message,
    id: requestIdOf(message),
    error: errorInfo(
      ErrorCode.UNPROCESSED,
      `SQS moved this request to the dead-letter path after ${message.receiveCount} deliveries without a recorded outcome (the function crashed, timed out or could not record it); see the batcher's logs`,
    ),
  }));
  // One row per id: the first message of an id stands for it.
  const firstOfId = new Map<string, (typeof entries)[number]>();
  for (const entry of entries) if (!firstOfId.has(entry.id)) firstOfId.set(entry.id, entry);
  const rows: ResultRow[] = [...firstOfId.values()].map(({ message, id, error }) => ({
    // A job's request keeps its place in the job: its UNPROCESSED row counts there too.
    ...jobOfBody(message.body),
    id,
    status: ResultStatus.FAILED,
    error,
    attempts: message.receiveCount,
    messageId: message.messageId,
    invocationId: sinks.invocationId,
    enqueuedAt: message.enqueuedAt,
    completedAt: sinks.now,
    expiresAt,
    deadLetterId: deadLetterIdOf(id, message.messageId),
  }));
  const written = await sinks.store.write(rows, {
    ...(sinks.signal === undefined ? {} : { signal: sinks.signal }),
    onError: (error) => sinks.onError?.('results-table', error),
  });
  // A row the condition kept is a success, or the batcher's FAILED row of this same
  // attempt: its code stands, and its DLQ message is sent only if it was not already.
  const { fates } = await deadLetterOnce(
    [...firstOfId.values()].flatMap(({ message, id }) =>
      written.get(id) === 'written' || written.get(id) === 'kept'
        ? [
            {
              requestId: id,
              deadLetterId: deadLetterIdOf(id, message.messageId),
              sourceMessageId: message.messageId,
              body: message.body,
            },
          ]
        : [],
    ),
    {
      store: sinks.store,
      deadLetters: sinks.deadLetters,
      now: () => sinks.now,
      signal: sinks.signal,
      onError: sinks.onError,
    },
  );
  const report = { retry: new Set<string>(), unprocessed: 0, failedBefore: 0, alreadySucceeded: 0 };
  // Later messages of an id share the first one's fate: one row, one DLQ message per id.
  for (const { message, id } of entries) {
    const fate = fates.get(id);
    const first = firstOfId.get(id)!.message === message;
    if (fate?.kind === 'succeeded') report.alreadySucceeded++;
    else if (fate === undefined || fate.kind === 'retry') report.retry.add(message.messageId);
    else if (!first)
      continue; // acknowledged with the first, counted once
    else if (written.get(id) === 'written') report.unprocessed++;
    else report.failedBefore++;
  }
  return report;
}
