import type { Codec } from './codec.js';
import { checkJson, expectOutputs, memberOf } from './parseJson.js';

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
    checkJson(body, 'json-instances response');
    return expectOutputs(
      memberOf(body, 'predictions'),
      count,
      'json-instances response field "predictions"',
    );
  },
};
