import { describe, expect, it } from 'vitest';
import {
  anyRequestFilterPolicy,
  completionEventAttributes,
  isFinalTransition,
  jobEventIdOf,
  maxFilterPolicyIds,
  parseRequestCompletedEvent,
  type RowImage,
  requestCompletedEventOf,
  requestEventIdOf,
  waitFilterPolicy,
} from '../../../lib/contract/completionEvent.js';

const row = (status: string, extra: Partial<RowImage> = {}): RowImage => ({
  id: 'r-1',
  status,
  completedAt: 1_000,
  ...extra,
});

describe('isFinalTransition', () => {
  // Prepare: every kind of write the pipeline (and the jobs feature) makes to a row.
  const cases: [string, RowImage, RowImage | undefined, boolean][] = [
    ['first write, SUCCEEDED', row('SUCCEEDED'), undefined, true],
    ['first write, FAILED', row('FAILED', { deadLetterId: 'a' }), undefined, true],
    ['first write, CANCELLED', row('CANCELLED'), undefined, true],
    ['first write, RETRYING', row('RETRYING'), undefined, false],
    ['RETRYING -> RETRYING', row('RETRYING'), row('RETRYING'), false],
    ['RETRYING -> SUCCEEDED', row('SUCCEEDED'), row('RETRYING'), true],
    ['RETRYING -> FAILED', row('FAILED', { deadLetterId: 'a' }), row('RETRYING'), true],
    [
      'FAILED -> FAILED, the DLQ mark on the same failure',
      row('FAILED', { deadLetterId: 'a' }),
      row('FAILED', { deadLetterId: 'a' }),
      false,
    ],
    [
      'FAILED -> FAILED, a redriven request failing again',
      row('FAILED', { deadLetterId: 'b', completedAt: 2_000 }),
      row('FAILED', { deadLetterId: 'a' }),
      true,
    ],
    ['FAILED -> SUCCEEDED after a redrive', row('SUCCEEDED'), row('FAILED'), true],
    ['SUCCEEDED -> SUCCEEDED rewrite', row('SUCCEEDED'), row('SUCCEEDED'), false],
    ['CANCELLED -> CANCELLED rewrite', row('CANCELLED'), row('CANCELLED'), false],
    ['SUCCEEDED -> RETRYING (never written, not final)', row('RETRYING'), row('SUCCEEDED'), false],
  ];
  it.each(cases)('%s', (_, next, previous, expected) => {
    expect(isFinalTransition(next, previous)).toBe(expected);
  });
});

describe('requestCompletedEventOf', () => {
  it('carries id, status, error code, job, completedAt and where the result is; never the output', () => {
    const event = requestCompletedEventOf(
      row('SUCCEEDED', { jobId: 'job-7', outputLocation: 's3://b/results/r-1/x' }),
      row('RETRYING'),
      'results-table',
    );
    expect(event).toEqual({
      version: 1,
      type: 'request.completed',
      eventId: requestEventIdOf('r-1', 'SUCCEEDED', 1_000),
      id: 'r-1',
      status: 'SUCCEEDED',
      jobId: 'job-7',
      completedAt: 1_000,
      result: { table: 'results-table', key: { id: 'r-1' } },
      outputLocation: 's3://b/results/r-1/x',
    });
    expect(
      requestCompletedEventOf(row('FAILED', { errorCode: 'EXPIRED' }), undefined, 't'),
    ).toMatchObject({ status: 'FAILED', errorCode: 'EXPIRED' });
  });

  it('gives nothing for a write that is not a final transition, or a row without completedAt', () => {
    expect(requestCompletedEventOf(row('RETRYING'), undefined, 't')).toBeUndefined();
    expect(requestCompletedEventOf(row('SUCCEEDED'), row('SUCCEEDED'), 't')).toBeUndefined();
    expect(
      requestCompletedEventOf({ id: 'r', status: 'SUCCEEDED' }, undefined, 't'),
    ).toBeUndefined();
  });
});

describe('event ids', () => {
  it('are stable for one transition and differ between transitions and event types', () => {
    const a = requestEventIdOf('r-1', 'FAILED', 1_000);
    expect(requestEventIdOf('r-1', 'FAILED', 1_000)).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(requestEventIdOf('r-1', 'FAILED', 2_000)).not.toBe(a);
    expect(requestEventIdOf('r-1', 'SUCCEEDED', 1_000)).not.toBe(a);
    expect(requestEventIdOf('r-2', 'FAILED', 1_000)).not.toBe(a);
    expect(jobEventIdOf('job-1')).toBe(jobEventIdOf('job-1'));
    expect(jobEventIdOf('job-1')).not.toBe(jobEventIdOf('job-2'));
  });
});

describe('completionEventAttributes', () => {
  it('lets subscribers filter on type, status, id and job', () => {
    const event = requestCompletedEventOf(row('FAILED', { jobId: 'j' }), undefined, 't')!;
    expect(completionEventAttributes(event)).toEqual({
      type: { DataType: 'String', StringValue: 'request.completed' },
      status: { DataType: 'String', StringValue: 'FAILED' },
      id: { DataType: 'String', StringValue: 'r-1' },
      jobId: { DataType: 'String', StringValue: 'j' },
    });
    const job = {
      version: 1 as const,
      type: 'job.completed' as const,
      eventId: jobEventIdOf('j'),
      jobId: 'j',
      completedAt: 5,
      counts: { SUCCEEDED: 3 },
    };
    expect(completionEventAttributes(job)).toEqual({
      type: { DataType: 'String', StringValue: 'job.completed' },
      jobId: { DataType: 'String', StringValue: 'j' },
    });
  });
});

describe('waitFilterPolicy', () => {
  it('names up to 149 ids (150 combinations of values at most, with type), else every request event', () => {
    const ids = Array.from({ length: 149 }, (_, i) => `id-${i}`);
    const policy = waitFilterPolicy({ ids: [...ids, 'id-0'] });
    expect(policy).toEqual({ type: ['request.completed'], id: ids });
    const combinations = Object.values(policy).reduce((n, values) => n * values.length, 1);
    expect(combinations).toBeLessThanOrEqual(150);
    expect(waitFilterPolicy({ ids: [...ids, 'one-more'] })).toEqual(anyRequestFilterPolicy());
    expect(maxFilterPolicyIds).toBe(149);
  });

  it('filters a job by its id, and everything by type', () => {
    expect(waitFilterPolicy({ jobId: 'job-9' })).toEqual({
      type: ['request.completed'],
      jobId: ['job-9'],
    });
    expect(anyRequestFilterPolicy()).toEqual({ type: ['request.completed'] });
  });
});

describe('parseRequestCompletedEvent', () => {
  it('reads its own events and ignores anything else', () => {
    const event = requestCompletedEventOf(row('SUCCEEDED'), undefined, 't')!;
    expect(parseRequestCompletedEvent(JSON.stringify(event))).toEqual(event);
    expect(parseRequestCompletedEvent('not json')).toBeUndefined();
    expect(
      parseRequestCompletedEvent(JSON.stringify({ ...event, status: 'RETRYING' })),
    ).toBeUndefined();
    expect(parseRequestCompletedEvent(JSON.stringify({ ...event, version: 2 }))).toBeUndefined();
    expect(
      parseRequestCompletedEvent(JSON.stringify({ type: 'job.completed', jobId: 'j' })),
    ).toBeUndefined();
  });
});
