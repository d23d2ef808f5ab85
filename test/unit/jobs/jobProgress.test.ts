import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type JobItem, JobState } from '../../../lib/contract/job.js';
import { type CountedRow, isJobComplete, JobCounter } from '../../../lib/jobs/jobProgress.js';

type Job = Pick<
  JobItem,
  'jobState' | 'requests' | 'submittedRequests' | 'submittedLines' | 'lastLine'
>;

const job = (overrides: Partial<Job> = {}): Job => ({
  jobState: JobState.SUBMITTED,
  requests: 4,
  submittedRequests: 4,
  submittedLines: 4,
  lastLine: 4,
  ...overrides,
});

const progressOf = (j: Job, rows: CountedRow[], price = 3.6) => {
  const counter = new JobCounter(j);
  for (const row of [...rows].sort((a, b) => a.jobLine - b.jobLine)) counter.add(row);
  return counter.progress(j, price);
};

describe('job status math', () => {
  it('counts by state, prices endpoint time per request share, and tells throughput and ETA', () => {
    // Prepare: two requests served by one call of 2 items (1,000 ms), one FAILED, one pending.
    const rows: CountedRow[] = [
      {
        jobLine: 1,
        status: 'SUCCEEDED',
        modelLatencyMs: 1_000,
        batchItems: 2,
        enqueuedAt: 0,
        completedAt: 1_000,
      },
      {
        jobLine: 2,
        status: 'SUCCEEDED',
        modelLatencyMs: 1_000,
        batchItems: 2,
        enqueuedAt: 0,
        completedAt: 1_000,
      },
      { jobLine: 3, status: 'FAILED', enqueuedAt: 0, completedAt: 1_500 },
    ];
    // Act
    const p = progressOf(job(), rows);
    // Assess
    expect(p.counts).toEqual({
      succeeded: 2,
      failed: 1,
      cancelled: 0,
      retrying: 0,
      pending: 1,
      requests: 4,
    });
    expect(p.done).toBe(3);
    expect(p.fractionDone).toBe(0.75);
    expect(p.endpointSeconds).toBe(1);
    expect(p.costUsd).toBeCloseTo(0.001, 9); // 1 s at $3.60/h
    expect(p.throughputPerSecond).toBe(2); // 3 done in 1.5 s
    expect(p.etaSeconds).toBe(0.5);
    expect(p.complete).toBe(false);
  });

  it('is never over 100%: counts sum to the requests whatever duplicates and stray lines come', () => {
    const status = fc.constantFrom('SUCCEEDED', 'FAILED', 'CANCELLED', 'RETRYING');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        // Index rows: any line (also past the file's end), any state, repeated lines included
        // (a redelivery never makes a second row, but a hand-made message could).
        fc.array(fc.record({ jobLine: fc.integer({ min: 1, max: 60 }), status }), {
          maxLength: 80,
        }),
        fc.boolean(),
        (requests, rows, cancelledMidSubmit) => {
          const j = job({
            requests,
            lastLine: requests,
            submittedLines: cancelledMidSubmit ? Math.floor(requests / 2) : requests,
            submittedRequests: cancelledMidSubmit ? Math.floor(requests / 2) : requests,
            jobState: cancelledMidSubmit ? JobState.CANCELLED : JobState.SUBMITTED,
          });
          const p = progressOf(j, rows);
          const c = p.counts;
          expect(c.succeeded + c.failed + c.cancelled + c.retrying + c.pending).toBe(c.requests);
          expect(c.pending).toBeGreaterThanOrEqual(0);
          expect(c.requests).toBeLessThanOrEqual(requests);
          expect(p.fractionDone).toBeLessThanOrEqual(1);
          expect(p.complete).toBe(p.done === c.requests);
        },
      ),
    );
  });

  it('counts one line once when the index holds it twice', () => {
    const p = progressOf(job({ requests: 1, lastLine: 1 }), [
      { jobLine: 1, status: 'SUCCEEDED' },
      { jobLine: 1, status: 'SUCCEEDED' },
    ]);
    expect(p.counts).toMatchObject({ succeeded: 1, requests: 1, pending: 0 });
    expect(p.fractionDone).toBe(1);
  });

  it('a job cancelled during its submit ends with the requests that were sent', () => {
    // Lines 1-2 checkpointed, line 3 sent after the checkpoint, line 4 never sent.
    const j = job({ jobState: JobState.CANCELLED, submittedLines: 2, submittedRequests: 2 });
    const p = progressOf(j, [
      { jobLine: 1, status: 'SUCCEEDED' },
      { jobLine: 2, status: 'CANCELLED' },
      { jobLine: 3, status: 'CANCELLED' },
    ]);
    expect(p.counts).toMatchObject({ requests: 3, pending: 0 });
    expect(p.complete).toBe(true);
  });

  it('is not complete while submitting, nor while a request is RETRYING', () => {
    const counts = { succeeded: 1, failed: 0, cancelled: 0, retrying: 0, pending: 0, requests: 1 };
    expect(isJobComplete({ jobState: JobState.SUBMITTED }, counts)).toBe(true);
    expect(isJobComplete({ jobState: JobState.SUBMITTING }, counts)).toBe(false);
    expect(
      isJobComplete({ jobState: JobState.SUBMITTED }, { ...counts, succeeded: 0, retrying: 1 }),
    ).toBe(false);
  });
});
