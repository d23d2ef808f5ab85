import { BatchGetCommand, type BatchGetCommandInput } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { JobState, jobKey } from '../../../../lib/contract/job.js';
import { buildHandler, lambdaContext, sqsEvent, sqsRecord } from '../../../helpers/factories.js';
import { fakeModel, fakeQueue, fakeTable } from '../../../helpers/fakes.js';

let model: ReturnType<typeof fakeModel>;
let table: ReturnType<typeof fakeTable>;
let dlq: ReturnType<typeof fakeQueue>;

afterEach(() => {
  model.mock.restore();
  table.mock.restore();
  dlq.mock.restore();
});

const jobLine = (jobId: string, line: number, input: unknown = line) =>
  sqsRecord({ id: `${jobId}:${line}`, input, jobId, jobLine: line });

const setJob = (jobId: string, jobState: string) =>
  table.rows.set(jobKey(jobId), { id: jobKey(jobId), job: jobId, jobState, expiresAt: 4e9 });

describe('batcher: jobs', () => {
  it('writes jobId and jobLine on every row of a job, SUCCEEDED and FAILED alike', async () => {
    // Prepare
    model = fakeModel();
    table = fakeTable();
    dlq = fakeQueue();
    setJob('j', JobState.SUBMITTED);
    const records = [
      jobLine('j', 1),
      sqsRecord({ id: 'j:2', inputs: 2, jobId: 'j', jobLine: 2 }),
      sqsRecord({ id: 'plain', input: 3 }),
    ];
    // Act
    const response = await buildHandler()(sqsEvent(records), lambdaContext());
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(table.rows.get('j:1')).toMatchObject({ status: 'SUCCEEDED', jobId: 'j', jobLine: 1 });
    expect(table.rows.get('j:2')).toMatchObject({ status: 'FAILED', jobId: 'j', jobLine: 2 });
    expect(table.rows.get('plain')).not.toHaveProperty('jobId');
    expect(dlq.messages).toHaveLength(1);
  });

  it("ends a cancelled job's requests CANCELLED without a model call or DLQ message; a finished one keeps its result", async () => {
    // Prepare: job c is cancelled, its line 1 already SUCCEEDED; job k runs on.
    model = fakeModel();
    table = fakeTable();
    dlq = fakeQueue();
    setJob('c', JobState.CANCELLED);
    setJob('k', JobState.SUBMITTED);
    table.rows.set('c:1', {
      id: 'c:1',
      status: 'SUCCEEDED',
      output: '1',
      jobId: 'c',
      jobLine: 1,
      expiresAt: 4e9,
    });
    const records = [jobLine('c', 1), jobLine('c', 2), jobLine('c', 3), jobLine('k', 1, 'keep')];
    // Act
    const response = await buildHandler()(sqsEvent(records), lambdaContext());
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(model.calls.flat()).toEqual(['keep']);
    expect(table.rows.get('c:1')).toMatchObject({ status: 'SUCCEEDED', output: '1' });
    for (const line of [2, 3])
      expect(table.rows.get(`c:${line}`)).toMatchObject({
        status: 'CANCELLED',
        jobId: 'c',
        jobLine: line,
        error: {
          code: 'CANCELLED',
          message: 'job c was cancelled before this request reached the model',
        },
      });
    expect(table.rows.get('k:1')).toMatchObject({ status: 'SUCCEEDED' });
    expect(dlq.messages).toEqual([]);
  });

  it('reads every job of an invocation in the one pre-check BatchGetItem', async () => {
    model = fakeModel();
    table = fakeTable();
    dlq = fakeQueue();
    setJob('a', JobState.CANCELLED);
    setJob('b', JobState.SUBMITTED);
    const records = Array.from({ length: 50 }, (_, i) => jobLine(i % 2 ? 'a' : 'b', i + 1));
    await buildHandler()(sqsEvent(records), lambdaContext());
    // 50 ids + 2 job keys fit one call of 100 keys: no read per record, none per job.
    expect(table.batchGets()).toBe(1);
    expect(model.calls.flat()).toHaveLength(25);
  });

  it('never turns a SUCCEEDED row written meanwhile into CANCELLED (conditional write)', async () => {
    // Prepare: a concurrent delivery's success lands right after this pre-check read.
    model = fakeModel();
    dlq = fakeQueue();
    table = fakeTable();
    setJob('c', JobState.CANCELLED);
    let reads = 0;
    table.mock.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => {
      reads++;
      const { Keys = [] } = input.RequestItems?.results ?? {};
      const found = Keys.flatMap((key) => {
        const row = table.rows.get(String(key.id));
        return row ? [row] : [];
      });
      if (reads === 1)
        table.rows.set('c:1', { id: 'c:1', status: 'SUCCEEDED', output: '"won"', expiresAt: 4e9 });
      return { Responses: { results: found } };
    });
    // Act
    const response = await buildHandler()(sqsEvent([jobLine('c', 1)]), lambdaContext());
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(table.rows.get('c:1')).toMatchObject({ status: 'SUCCEEDED', output: '"won"' });
    expect(dlq.messages).toEqual([]);
    expect(model.calls).toEqual([]);
  });
});
