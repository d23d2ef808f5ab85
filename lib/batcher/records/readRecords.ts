import type { SQSRecord } from 'aws-lambda';
import type { InferenceRequest } from '../../contract/envelope.js';
import { type EnvelopeResult, parseEnvelope, requestIdPattern } from '../../contract/envelope.js';
import { ErrorCode, errorInfo } from '../../contract/errorCodes.js';
import { RequeueAttribute } from '../../contract/messageAttributes.js';
import type { Codec } from '../codecs/index.js';
import { primaryRecords } from './duplicates.js';

/** One SQS record as the pipeline sees it. */
export interface DeliveredRecord {
  readonly messageId: string;
  /** Needed to change the record's visibility when it is left for redelivery. */
  readonly receiptHandle: string;
  readonly body: string;
  /** SQS ApproximateReceiveCount: 1 on the first delivery. */
  readonly receiveCount: number;
  /** When the request first entered the queue, epoch ms (kept across requeues). */
  readonly enqueuedAt: number;
  /** The request id when the body names none: the SQS message id, or the id a requeued copy carries. */
  readonly fallbackId: string;
}

/** Reads what the pipeline needs of one SQS record; a requeued copy keeps its id and first enqueue time. */
export function deliveredRecord(record: SQSRecord, now: number): DeliveredRecord {
  const requestId = record.messageAttributes?.[RequeueAttribute.requestId]?.stringValue;
  const firstEnqueued = Number(
    record.messageAttributes?.[RequeueAttribute.enqueuedAt]?.stringValue,
  );
  return {
    messageId: record.messageId,
    receiptHandle: record.receiptHandle,
    body: record.body,
    receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
    enqueuedAt: firstEnqueued || Number(record.attributes.SentTimestamp) || now,
    fallbackId:
      requestId !== undefined && requestIdPattern.test(requestId) ? requestId : record.messageId,
  };
}

/** What decides whether an input can ever be sent: the settings and the codec's wrapper. */
export interface InputLimits {
  /** Largest accepted input (`MAX_INPUT_BYTES`). */
  readonly maxInputBytes: number;
  /** Largest model call body (`MODEL_BATCH_MAX_BYTES`). */
  readonly modelBatchMaxBytes: number;
  readonly codec: Pick<Codec, 'overheadBytes'>;
}

/** Largest input a model call can carry alone: the call's byte limit less the codec's wrapper. */
export function largestCallInputBytes(limits: Omit<InputLimits, 'maxInputBytes'>): number {
  return limits.modelBatchMaxBytes - limits.codec.overheadBytes;
}

/** The records of one delivery, read once: each one's envelope, its id's deciding record, the requests to compute. */
export interface ReadDelivery {
  /** Per record: the validated request, or why it fails (INVALID_REQUEST, EXPIRED). */
  readonly envelopes: readonly EnvelopeResult[];
  /** Per record: the index of the record whose fate it shares (itself for most). */
  readonly primaryOf: readonly number[];
  /** The valid requests, one per id, each small enough for one model call. */
  readonly requests: readonly DeliveredRequest[];
}

/** A valid request with what its record says of its past: the planner sends the most delivered and oldest first. */
export type DeliveredRequest = InferenceRequest &
  Pick<DeliveredRecord, 'receiveCount' | 'enqueuedAt'>;

/**
 * Stage 1 of the batcher: parses and validates every record, once. Input size is decided
 * here and only here: an input above `MAX_INPUT_BYTES`, or too large for one model call
 * with the codec's wrapper, is INVALID_REQUEST now, so the plan always covers every
 * request it is given. Records repeating an id share one record's fate
 * ({@link primaryRecords}).
 */
export function readRecords(
  records: readonly DeliveredRecord[],
  limits: InputLimits,
  now: number,
): ReadDelivery {
  const callInputBytes = largestCallInputBytes(limits);
  const envelopes = records.map((record): EnvelopeResult => {
    const envelope = parseEnvelope(record.body, record.fallbackId, {
      maxInputBytes: limits.maxInputBytes,
      now,
    });
    if (!envelope.ok || envelope.request.inputBytes <= callInputBytes) return envelope;
    const { id, inputBytes } = envelope.request;
    return {
      ok: false,
      id,
      error: errorInfo(
        ErrorCode.INVALID_REQUEST,
        `input of ${inputBytes} bytes does not fit one model call (MODEL_BATCH_MAX_BYTES=${limits.modelBatchMaxBytes})`,
      ),
    };
  });
  const primaryOf = primaryRecords(envelopes);
  const requests: DeliveredRequest[] = [];
  for (let i = 0; i < envelopes.length; i++) {
    const e = envelopes[i]!;
    if (!e.ok || primaryOf[i] !== i) continue;
    // Spelt out, not spread: one shape for every request the planner and invoker read.
    const { id, inputJson, inputBytes, deadline, job } = e.request;
    const { receiveCount, enqueuedAt } = records[i]!;
    requests.push({ id, inputJson, inputBytes, deadline, job, receiveCount, enqueuedAt });
  }
  return { envelopes, primaryOf, requests };
}
