import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../../lib/contract/envelope.js';
import { JobLineChecker } from '../../../lib/jobs/jobLines.js';

const check = (lines: string[], jobId = 'job-1') => {
  const checker = new JobLineChecker(jobId);
  return lines.map((text, i) => checker.check(text, i + 1));
};

describe('job line checks', () => {
  it('names each bad line by its number and says what to fix', () => {
    // Prepare
    const lines = [
      '{"input":"fine"}',
      'not json',
      '[1,2]',
      '{"inputs":"typo"}',
      '{"input":1,"deadline":"soon"}',
      '{"id":"bad id!","input":1}',
    ];
    // Act
    const results = check(lines);
    // Assess
    expect(results.map((r) => (r.ok ? 'ok' : `${r.invalid.line}: ${r.invalid.message}`))).toEqual([
      'ok',
      '2: not JSON; each line must be {"input": ...}',
      '3: must be a JSON object {"id"?, "input", "deadline"?}',
      '4: input is required; Unrecognized key: "inputs"',
      '5: deadline must be a number (epoch milliseconds)',
      '6: id must be 1-256 characters of A-Z a-z 0-9 . _ : -',
    ]);
  });

  it('gives lines without an id <jobId>:<line>, and refuses an id used twice or of that form', () => {
    const results = check([
      '{"input":1}',
      '{"id":"a","input":2}',
      '{"id":"a","input":3}',
      '{"id":"job-1:9","input":4}',
      '{"id":"other:9","input":5}',
    ]);
    expect(results[0]).toMatchObject({ ok: true, request: { id: 'job-1:1', line: 1 } });
    expect(results[1]).toMatchObject({ ok: true, request: { id: 'a', line: 2 } });
    expect(results[2]).toEqual({
      ok: false,
      invalid: { line: 3, message: 'id a is already used by line 2' },
    });
    expect(results[3]).toMatchObject({ ok: false, invalid: { line: 4 } });
    expect(results[4]).toMatchObject({ ok: true, request: { id: 'other:9' } });
  });

  it('builds a body the batcher reads back with its job, the input as its exact JSON text', () => {
    const [result] = check(
      ['{ "input" : {"n": 12345678901234567890, "x": 1e400}, "deadline": 4102444800000 }'],
      'corpus.v2',
    );
    if (!result?.ok) throw new Error('line refused');
    const envelope = parseEnvelope(result.request.body, 'fallback', {
      maxInputBytes: 1_000,
      now: 0,
    });
    expect(envelope).toEqual({
      ok: true,
      request: {
        id: 'corpus.v2:1',
        inputJson: '{"n":12345678901234567890,"x":1e400}',
        inputBytes: 36,
        deadline: 4102444800000,
        job: { jobId: 'corpus.v2', jobLine: 1 },
      },
    });
  });

  it('refuses a line too large for one SQS message (1 MiB)', () => {
    const [result] = check([JSON.stringify({ input: 'x'.repeat(1_048_576) })]);
    expect(result).toMatchObject({
      ok: false,
      invalid: { line: 1, message: expect.stringMatching(/SQS takes at most 1048576/) },
    });
  });
});

describe('job members of the request envelope', () => {
  const options = { maxInputBytes: 1_000, now: 0 };

  it('keeps the job of an invalid body, so its FAILED row still counts in the job', () => {
    expect(parseEnvelope('{"inputs":1,"jobId":"j","jobLine":7}', 'm-1', options)).toMatchObject({
      ok: false,
      id: 'm-1',
      job: { jobId: 'j', jobLine: 7 },
    });
  });

  it('refuses jobId without jobLine, and a jobId that could never be a job', () => {
    expect(parseEnvelope('{"input":1,"jobId":"j"}', 'm-1', options)).toMatchObject({
      ok: false,
      error: { message: 'jobId and jobLine go together: give both or neither' },
    });
    expect(parseEnvelope('{"input":1,"jobId":"#jobs","jobLine":1}', 'm-1', options)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
  });
});
