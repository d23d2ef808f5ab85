import type { Codec } from './codec.js';
import { expectOutputs, parseJson } from './parseJson.js';

const head = '{"instances":[';
const tail = ']}';

/**
 * The TensorFlow Serving / SageMaker framework containers' shape:
 * `{"instances":[...]}` in, `{"predictions":[...]}` out.
 */
export const jsonInstances: Codec = {
  name: 'json-instances',
  contentType: 'application/json',
  accept: 'application/json',
  overheadBytes: head.length + tail.length,
  separatorBytes: 1,
  encode: (items) => `${head}${items.join(',')}${tail}`,
  decode(body, count) {
    const parsed = parseJson(body, 'json-instances response');
    const predictions =
      typeof parsed === 'object' && parsed !== null && 'predictions' in parsed
        ? parsed.predictions
        : undefined;
    return expectOutputs(predictions, count, 'json-instances response field "predictions"');
  },
};
