import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { storedForm } from '../../../lib/contract/compactRow.js';
import type { ResultRow } from '../../../lib/contract/resultRow.js';
import {
  completionEventsOf,
  rowImageOf,
  tableOfStreamArn,
} from '../../../lib/events/streamRecords.js';

const streamArn =
  'arn:aws:dynamodb:us-east-1:123456789012:table/Results-ABC/stream/2026-12-02T00:00:00.000';

/** A stream record as Lambda delivers it (DynamoDB JSON images). */
function record(
  sequence: number,
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  next: Record<string, string> | undefined,
  previous?: Record<string, string>,
): DynamoDBRecord {
  const image = (attrs: Record<string, string>) => ({
    id: { S: attrs.id! },
    status: { S: attrs.status! },
    completedAt: { N: attrs.completedAt ?? '1000' },
    output: { S: '{"large":"never copied"}' },
    ...(attrs.code ? { error: { M: { code: { S: attrs.code }, message: { S: 'm' } } } } : {}),
    ...(attrs.deadLetterId ? { deadLetterId: { S: attrs.deadLetterId } } : {}),
    ...(attrs.jobId ? { jobId: { S: attrs.jobId } } : {}),
  });
  return {
    eventName,
    eventSourceARN: streamArn,
    dynamodb: {
      SequenceNumber: String(sequence),
      ...(next ? { NewImage: image(next) } : {}),
      ...(previous ? { OldImage: image(previous) } : {}),
    },
  } as DynamoDBRecord;
}

describe('completionEventsOf', () => {
  it('publishes transitions into a final state only, in stream order', () => {
    // Prepare: a RETRYING write, its SUCCEEDED, a FAILED, its DLQ mark, a TTL removal.
    const records = [
      record(1, 'INSERT', { id: 'a', status: 'RETRYING', code: 'MODEL_UNAVAILABLE' }),
      record(2, 'MODIFY', { id: 'a', status: 'SUCCEEDED' }, { id: 'a', status: 'RETRYING' }),
      record(3, 'INSERT', {
        id: 'b',
        status: 'FAILED',
        code: 'EXPIRED',
        deadLetterId: 'd',
        jobId: 'j',
      }),
      record(
        4,
        'MODIFY',
        { id: 'b', status: 'FAILED', code: 'EXPIRED', deadLetterId: 'd' },
        { id: 'b', status: 'FAILED', code: 'EXPIRED', deadLetterId: 'd' },
      ),
      record(5, 'REMOVE', undefined, { id: 'c', status: 'SUCCEEDED' }),
    ];
    // Act
    const events = completionEventsOf(records);
    // Assess
    expect(events.map((e) => [e.sequenceNumber, e.event.id, e.event.status])).toEqual([
      ['2', 'a', 'SUCCEEDED'],
      ['3', 'b', 'FAILED'],
    ]);
    expect(events[1]!.event).toMatchObject({
      errorCode: 'EXPIRED',
      jobId: 'j',
      result: { table: 'Results-ABC', key: { id: 'b' } },
    });
    expect(JSON.stringify(events)).not.toContain('never copied');
  });

  it('the negative control publishes every write (what the integration test must catch)', () => {
    const records = [
      record(1, 'INSERT', { id: 'a', status: 'RETRYING' }),
      record(2, 'MODIFY', { id: 'a', status: 'SUCCEEDED' }, { id: 'a', status: 'SUCCEEDED' }),
    ];
    expect(
      completionEventsOf(records, { negativeControl: 'every-write' }).map((e) => e.event.status),
    ).toEqual(['RETRYING', 'SUCCEEDED']);
  });
});

describe('rowImageOf and tableOfStreamArn', () => {
  it('read what an event needs and nothing else', () => {
    expect(rowImageOf(undefined)).toBeUndefined();
    expect(rowImageOf({ id: { S: 'x' } })).toBeUndefined();
    expect(
      rowImageOf({ id: { S: 'x' }, status: { S: 'FAILED' }, completedAt: { N: 'nope' } }),
    ).toEqual({
      id: 'x',
      status: 'FAILED',
    });
    expect(tableOfStreamArn(streamArn)).toBe('Results-ABC');
    expect(tableOfStreamArn(undefined)).toBe('');
  });
});

describe('rowImageOf on a compact (row format 2) row', () => {
  it('reads completedAt from its short name, so the event id and completedAt stay those of the row', () => {
    // Prepare: a SUCCEEDED row as storedForm writes it where compacting saves a write unit.
    const row = {
      id: 'emb-1',
      status: 'SUCCEEDED',
      attempts: 1,
      messageId: 'm-1',
      invocationId: 'inv-1',
      enqueuedAt: 900,
      completedAt: 1_000,
      modelLatencyMs: 12,
      batchItems: 64,
      output: new Uint8Array(768),
      outputEncoding: 'f16le',
      expiresAt: 2_000,
      jobId: 'job-7',
    } as const;
    const { item } = storedForm(row as unknown as ResultRow, 1_030);
    expect(item).toHaveProperty('v', 2);
    const image = marshall(item, { removeUndefinedValues: true });

    // Act
    const read = rowImageOf(image as Parameters<typeof rowImageOf>[0]);

    // Assess
    expect(read).toEqual({ id: 'emb-1', status: 'SUCCEEDED', completedAt: 1_000, jobId: 'job-7' });
  });
});
