import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codecs, getCodec } from '../../../../lib/batcher/codecs/index.js';
import { DecodeError } from '../../../../lib/contract/errors.js';

describe('codecs', () => {
  it('json-instances wraps items and reads predictions', () => {
    const codec = getCodec('json-instances');
    expect(codec.encode(['1', '{"a":2}'])).toBe('{"instances":[1,{"a":2}]}');
    expect(codec.decode('{"predictions":[[0.1],[0.2]]}', 2)).toEqual(['[0.1]', '[0.2]']);
  });

  it('hf-inputs wraps items and reads a bare array', () => {
    const codec = getCodec('hf-inputs');
    expect(codec.encode(['"a"', '"b"'])).toBe('{"inputs":["a","b"]}');
    expect(codec.decode('[[1,2],[3,4]]', 2)).toEqual(['[1,2]', '[3,4]']);
  });

  it('jsonlines joins lines and tolerates a trailing newline or CRLF', () => {
    const codec = getCodec('jsonlines');
    expect(codec.encode(['{"a":1}', '2'])).toBe('{"a":1}\n2');
    expect(codec.decode('{"x":1}\r\n"y"\r\n', 2)).toEqual(['{"x":1}', '"y"']);
  });

  it.each([
    ['json-instances', 'not json', 1, 'not valid JSON'],
    ['json-instances', '{"outputs":[1]}', 1, '"predictions" is not a JSON array'],
    ['json-instances', '{"predictions":[1]}', 2, 'holds 1 outputs for 2 items'],
    ['hf-inputs', '{"a":1}', 1, 'is not a JSON array'],
    ['hf-inputs', '[1,2,3]', 2, 'holds 3 outputs for 2 items'],
    ['jsonlines', '1\n2', 3, 'holds 2 lines for 3 items'],
    ['jsonlines', '1\n{', 2, 'line 2 is not valid JSON'],
  ] as const)('%s rejects %j for %i items with a DecodeError', (name, body, count, message) => {
    const decode = () => getCodec(name).decode(body, count);
    expect(decode).toThrow(DecodeError);
    expect(decode).toThrow(message);
  });

  it.each(Object.values(codecs))(
    '$name returns outputs exactly as the model wrote them (big numbers, deep nesting)',
    (codec) => {
      const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
      const outputs = ['1e400', '12345678901234567890', deep, '{"a":[1.50,"x, y]"]}'];
      const body =
        codec.name === 'json-instances'
          ? `{"predictions": [${outputs.join(', ')}]}`
          : codec.name === 'hf-inputs'
            ? `[${outputs.join(' ,\n')}]`
            : outputs.join('\n');
      expect(codec.decode(body, outputs.length)).toEqual(outputs);
    },
  );

  it('property: for every codec, decoding an echo of the encoded batch returns the items', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(codecs)),
        fc.array(fc.jsonValue(), { maxLength: 20 }),
        (codec, items) => {
          const texts = items.map((item) => JSON.stringify(item));
          const body = codec.encode(texts);
          expect(Buffer.byteLength(body)).toBe(
            codec.overheadBytes +
              texts.reduce((n, t) => n + Buffer.byteLength(t), 0) +
              codec.separatorBytes * Math.max(0, texts.length - 1),
          );
          // Echo what the model received, in each codec's response shape.
          const received =
            codec.name === 'jsonlines'
              ? body
                  .split('\n')
                  .filter((l) => l !== '')
                  .map((l) => JSON.parse(l))
              : Object.values(JSON.parse(body))[0];
          const response =
            codec.name === 'json-instances'
              ? JSON.stringify({ predictions: received })
              : codec.name === 'hf-inputs'
                ? JSON.stringify(received)
                : (received as unknown[]).map((v) => JSON.stringify(v)).join('\n');
          if (codec.name === 'jsonlines' && items.length === 0) return; // an empty body has no lines
          expect(codec.decode(response, items.length)).toEqual(texts);
        },
      ),
    );
  });
});
