import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../../lib/contract/envelope.js';

const options = { maxInputBytes: 100, now: 1_700_000_000_000 };

describe('parseEnvelope', () => {
  it('accepts a full envelope and serializes the input once', () => {
    const result = parseEnvelope(
      JSON.stringify({ id: 'order-42:a.b_c', input: { text: 'hé' }, deadline: options.now + 1 }),
      'msg-1',
      options,
    );
    expect(result).toEqual({
      ok: true,
      request: {
        id: 'order-42:a.b_c',
        inputJson: '{"text":"hé"}',
        inputBytes: 14, // é is two bytes in UTF-8
        deadline: options.now + 1,
      },
    });
  });

  it('defaults the id to the SQS message id and accepts any JSON input, null included', () => {
    const result = parseEnvelope('{"input":null}', 'msg-1', options);
    expect(result).toMatchObject({
      ok: true,
      request: { id: 'msg-1', inputJson: 'null', deadline: undefined },
    });
  });

  it.each([
    ['not json', 'not json{', 'body is not valid JSON'],
    ['a JSON array', '[1,2]', 'body must be a JSON object'],
    ['a JSON string', '"hello"', 'body must be a JSON object'],
    ['no input', '{"id":"a"}', 'input is required'],
    ['a misspelt field', '{"inputs":[1]}', 'inputs'],
    ['an id with a space', '{"id":"a b","input":1}', 'id must be 1-256 characters'],
    [
      'an id too long',
      JSON.stringify({ id: 'a'.repeat(257), input: 1 }),
      'id must be 1-256 characters',
    ],
    ['a numeric id', '{"id":7,"input":1}', 'id must be a string'],
    ['a string deadline', '{"input":1,"deadline":"soon"}', 'deadline must be a number'],
    ['a fractional deadline', '{"input":1,"deadline":1.5}', 'deadline must be an integer'],
  ])('rejects %s as INVALID_REQUEST with a clear message', (_, body, message) => {
    const result = parseEnvelope(body, 'msg-1', options);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('INVALID_REQUEST');
    expect(result.error.message).toContain(message);
  });

  it('keys an invalid request by its own id when that id is valid', () => {
    const result = parseEnvelope('{"id":"mine","deadline":"x","input":1}', 'msg-1', options);
    expect(result).toMatchObject({ ok: false, id: 'mine' });
  });

  it('keys an invalid request by the message id when its id is unusable', () => {
    expect(parseEnvelope('{"id":"a b"}', 'msg-9', options)).toMatchObject({
      ok: false,
      id: 'msg-9',
    });
  });

  it('rejects an input larger than the limit, naming the setting', () => {
    const result = parseEnvelope(JSON.stringify({ input: 'x'.repeat(99) }), 'msg-1', options);
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    if (!result.ok)
      expect(result.error.message).toMatch(/101 bytes; the limit is 100 \(MAX_INPUT_BYTES\)/);
  });

  it('fails a passed deadline as EXPIRED, and accepts one still ahead', () => {
    const expired = parseEnvelope(
      JSON.stringify({ input: 1, deadline: options.now }),
      'msg-1',
      options,
    );
    expect(expired).toMatchObject({ ok: false, id: 'msg-1', error: { code: 'EXPIRED' } });
    const alive = parseEnvelope(
      JSON.stringify({ input: 1, deadline: options.now + 1 }),
      'msg-1',
      options,
    );
    expect(alive.ok).toBe(true);
  });
});
