import {
  InvokeEndpointCommand,
  type SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import { type CodecName, getCodec } from '../../batcher/codecs/index.js';
import type { InvokeBatch } from './measureEndpoint.js';

/**
 * One batched InvokeEndpoint call of text items, encoded with the pipeline's codec; the
 * answer must hold one output per item (else the codec throws), so a broken endpoint is
 * never timed as a fast one.
 */
export function endpointInvoker(
  client: Pick<SageMakerRuntimeClient, 'send'>,
  endpointName: string,
  codecName: CodecName,
): InvokeBatch {
  const codec = getCodec(codecName);
  return async (inputs) => {
    const response = await client.send(
      new InvokeEndpointCommand({
        EndpointName: endpointName,
        Body: codec.encode(inputs.map((text) => JSON.stringify(text))),
        ContentType: codec.contentType,
        Accept: codec.accept,
      }),
    );
    codec.decode(new TextDecoder().decode(response.Body), inputs.length);
  };
}
