import type { DeadLetterPublisher } from '../../aws/deadLetterPublisher.js';
import type { ResultStore } from '../../aws/resultStore.js';
import { requestIdPattern } from '../../contract/envelope.js';
import { ErrorCode, errorInfo } from '../../contract/errorCodes.js';
import { type ResultRow, ResultStatus } from '../../contract/resultRow.js';

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
  readonly store: Pick<ResultStore, 'write'>;
  readonly deadLetters: Pick<DeadLetterPublisher, 'publish'>;
  readonly resultTtlSeconds: number;
  readonly now: number;
  readonly invocationId: string;
  readonly signal?: AbortSignal;
  readonly onError?: (error: unknown) => void;
}

/** What {@link finalizeUnprocessed} did. */
export interface FinalizerReport {
  /** Message ids to report in `batchItemFailures` (not yet recorded). */
  readonly retry: Set<string>;
  /** FAILED / UNPROCESSED rows written and forwarded to the DLQ. */
  readonly unprocessed: number;
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
 * row with code UNPROCESSED (conditionally: never over a SUCCEEDED row), then forward the
 * original body to the DLQ with the usual attributes. A message whose id SUCCEEDED
 * meanwhile is simply acknowledged.
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
    id,
    status: ResultStatus.FAILED,
    error,
    attempts: message.receiveCount,
    messageId: message.messageId,
    invocationId: sinks.invocationId,
    enqueuedAt: message.enqueuedAt,
    completedAt: sinks.now,
    expiresAt,
  }));
  const written = await sinks.store.write(rows, { signal: sinks.signal, onError: sinks.onError });
  const letters = entries
    .filter(({ id }) => written.get(id) === 'written')
    .map(({ message, id, error }) => ({
      body: message.body,
      requestId: id,
      sourceMessageId: message.messageId,
      attempts: message.receiveCount,
      error,
    }));
  const unpublished =
    letters.length > 0
      ? await sinks.deadLetters.publish(letters, { signal: sinks.signal })
      : new Set<string>();
  const report = { retry: new Set<string>(), unprocessed: 0, alreadySucceeded: 0 };
  for (const { message, id } of entries) {
    const outcome = written.get(id);
    if (outcome === 'already-succeeded') report.alreadySucceeded++;
    else if (outcome !== 'written' || unpublished.has(message.messageId)) {
      report.retry.add(message.messageId);
    } else report.unprocessed++;
  }
  return report;
}
