import {
  InternalFailure,
  ModelError,
  ModelNotReadyException,
  ServiceUnavailable,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { describe, expect, it } from 'vitest';
import { classifyModelError } from '../../../../lib/batcher/invoke/classifyModelError.js';
import { DecodeError } from '../../../../lib/contract/errors.js';
import * as sagemakerRuntime from '../../../helpers/awsRules/sagemakerRuntime.js';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

describe('classifyModelError', () => {
  it.each([
    [
      'ValidationError (endpoint not found)',
      new ValidationError({ message: 'Endpoint x of account 1 not found.', ...meta(400) }),
      'systemic',
    ],
    [
      'AccessDeniedException',
      Object.assign(new Error('not authorized'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 403 },
      }),
      'systemic',
    ],
    [
      'ExpiredTokenException',
      Object.assign(new Error('expired'), { name: 'ExpiredTokenException' }),
      'systemic',
    ],
    [
      'an unnamed 403',
      Object.assign(new Error('forbidden'), { $metadata: { httpStatusCode: 403 } }),
      'systemic',
    ],
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
      'unavailable',
    ],
    [
      'ModelError 500',
      new ModelError({ message: 'x', OriginalStatusCode: 500, ...meta(424) }),
      'model-error',
    ],
    [
      'ModelError 408',
      new ModelError({ message: 'x', OriginalStatusCode: 408, ...meta(424) }),
      'model-error',
    ],
    ['ModelError without status', new ModelError({ message: 'x', ...meta(424) }), 'model-error'],
    [
      'ModelError 503 (a container whose queue is full)',
      new ModelError({ message: 'x', OriginalStatusCode: 503, ...meta(424) }),
      'unavailable',
    ],
    [
      "ModelError 0 (SageMaker's own 60 s timeout)",
      sagemakerRuntime.modelTimedOut(),
      'model-error',
    ],
    ['SageMaker throttling', sagemakerRuntime.throttling(), 'unavailable'],
    ['ModelNotReadyException (rule shape)', sagemakerRuntime.modelNotReady(), 'unavailable'],
    ['ServiceUnavailable (rule shape)', sagemakerRuntime.serviceUnavailable(), 'unavailable'],
    ['InternalFailure (rule shape)', sagemakerRuntime.internalFailure(), 'unavailable'],
    [
      'an oversized body (rule shape)',
      sagemakerRuntime.checkBody('x'.repeat(6_291_457)),
      'systemic',
    ],
    [
      'ModelNotReadyException',
      new ModelNotReadyException({ message: 'x', ...meta(429) }),
      'unavailable',
    ],
    ['InternalFailure', new InternalFailure({ message: 'x', ...meta(500) }), 'unavailable'],
    ['ServiceUnavailable', new ServiceUnavailable({ message: 'x', ...meta(503) }), 'unavailable'],
    [
      'ThrottlingException',
      Object.assign(new Error('slow down'), { name: 'ThrottlingException' }),
      'unavailable',
    ],
    [
      'AbortError (timeout)',
      Object.assign(new Error('aborted'), { name: 'AbortError' }),
      'unavailable',
    ],
    [
      'network error',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'unavailable',
    ],
    ['DecodeError', new DecodeError('holds 1 outputs for 2 items'), 'bad-response'],
    ['a thrown string', 'boom', 'unavailable'],
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
