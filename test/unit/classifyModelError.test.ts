import {
  InternalFailure,
  ModelError,
  ModelNotReadyException,
  ServiceUnavailable,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { describe, expect, it } from 'vitest';
import { classifyModelError } from '../../lib/classifyModelError.js';
import { DecodeError } from '../../lib/errors.js';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

describe('classifyModelError', () => {
  it.each([
    ['ValidationError', new ValidationError({ message: 'bad', ...meta(400) }), 'rejected'],
    [
      'ModelError 400',
      new ModelError({ message: 'x', OriginalStatusCode: 400, ...meta(424) }),
      'rejected',
    ],
    [
      'ModelError 413',
      new ModelError({ message: 'x', OriginalStatusCode: 413, ...meta(424) }),
      'rejected',
    ],
    [
      'ModelError 429',
      new ModelError({ message: 'x', OriginalStatusCode: 429, ...meta(424) }),
      'transient',
    ],
    [
      'ModelError 500',
      new ModelError({ message: 'x', OriginalStatusCode: 500, ...meta(424) }),
      'transient',
    ],
    ['ModelError without status', new ModelError({ message: 'x', ...meta(424) }), 'transient'],
    [
      'ModelNotReadyException',
      new ModelNotReadyException({ message: 'x', ...meta(429) }),
      'transient',
    ],
    ['InternalFailure', new InternalFailure({ message: 'x', ...meta(500) }), 'transient'],
    ['ServiceUnavailable', new ServiceUnavailable({ message: 'x', ...meta(503) }), 'transient'],
    [
      'ThrottlingException',
      Object.assign(new Error('slow down'), { name: 'ThrottlingException' }),
      'transient',
    ],
    [
      'AbortError (timeout)',
      Object.assign(new Error('aborted'), { name: 'AbortError' }),
      'transient',
    ],
    [
      'network error',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'transient',
    ],
    ['DecodeError', new DecodeError('holds 1 outputs for 2 items'), 'bad-response'],
    ['a thrown string', 'boom', 'transient'],
  ])('%s -> %s', (_, error, kind) => {
    expect(classifyModelError(error).kind).toBe(kind);
  });

  it("keeps the model's original status and names it in the message", () => {
    const error = classifyModelError(
      new ModelError({ message: 'no', OriginalStatusCode: 422, ...meta(424) }),
    );
    expect(error.status).toBe(422);
    expect(error.message).toContain('model status 422');
  });
});
