/**
 * SageMaker Runtime's documented limits and error shapes, for the fakes in
 * test/helpers/fakes.ts: one small function per rule, each naming the AWS page it follows.
 * The errors are the SDK's own exception classes with the HTTP status the service sends,
 * so a fake fails exactly as `@aws-sdk/client-sagemaker-runtime` raises it.
 */
import {
  InternalFailure,
  ModelError,
  ModelNotReadyException,
  ServiceUnavailable,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { AwsLimits } from '../../../lib/contract/awsLimits.js';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

/**
 * Largest InvokeEndpoint request body, bytes ("Body ... Length Constraints: Maximum length
 * of 6291456").
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html
 */
export const maxBodyBytes = AwsLimits.invokeEndpointMaxBodyBytes;

/**
 * How long SageMaker waits for the container before answering for it: "A customer's model
 * containers must respond to requests within 60 seconds" (the same page recommends a 70 s
 * SDK socket timeout for models that take 50-60 s).
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html
 * https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html
 */
export const modelResponseLimitMs = AwsLimits.invokeEndpointModelResponseMs;

/**
 * A body over {@link maxBodyBytes}: SageMaker refuses the request itself with a 400
 * ValidationError ("Request ... has oversize body", as reported in
 * https://github.com/aws/sagemaker-python-sdk/issues/4271), the model never sees it.
 * Returns the error to throw, or undefined when the body is within the limit.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html
 */
export function checkBody(body: unknown): ValidationError | undefined {
  const bytes =
    typeof body === 'string'
      ? Buffer.byteLength(body)
      : body instanceof Uint8Array
        ? body.byteLength
        : 0;
  if (bytes <= maxBodyBytes) return undefined;
  return new ValidationError({
    message: `Request has oversize body: ${bytes} bytes, at most ${maxBodyBytes}.`,
    ...meta(400),
  });
}

/**
 * Any failure of the container (an exception answered with 500, a 4xx, a 503 from a full
 * queue): SageMaker answers 424 `ModelError` carrying the container's status and message in
 * `OriginalStatusCode` / `OriginalMessage` and the log stream in `LogStreamArn`.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html#API_runtime_InvokeEndpoint_Errors
 * https://docs.aws.amazon.com/botocore/latest/reference/services/sagemaker-runtime/client/exceptions/ModelError.html
 */
export function modelError(originalStatus: number, originalMessage: string): ModelError {
  const kind = originalStatus >= 400 && originalStatus < 500 ? 'client' : 'server';
  return new ModelError({
    message: `Received ${kind} error (${originalStatus}) from primary with message "${originalMessage}". See the endpoint's log stream for more information.`,
    OriginalStatusCode: originalStatus,
    OriginalMessage: originalMessage,
    LogStreamArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/sagemaker/Endpoints/ep',
    ...meta(424),
  });
}

/**
 * The container did not answer within {@link modelResponseLimitMs}: SageMaker answers a 424
 * `ModelError` with status 0 ("Received server error (0) from primary with message "Your
 * invocation timed out while waiting for a response from container primary..."", HTTP 424
 * as logged in https://github.com/aws/amazon-sagemaker-examples/issues/799). The client
 * always gets an answer by then: silence past it is the network or the service.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html
 */
export function modelTimedOut(): ModelError {
  return modelError(
    0,
    'Your invocation timed out while waiting for a response from container primary. Review the latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again.',
  );
}

/**
 * A serverless variant still provisioning or a multi-model endpoint still loading the
 * model: 429 ModelNotReadyException, "Wait and try your request again".
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html#API_runtime_InvokeEndpoint_Errors
 * https://docs.aws.amazon.com/sagemaker/latest/dg/invoke-multi-model-endpoint.html
 */
export function modelNotReady(): ModelNotReadyException {
  return new ModelNotReadyException({ message: 'Model is not ready yet.', ...meta(429) });
}

/**
 * "The service is unavailable. Try your call again.": 503 ServiceUnavailable.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html#API_runtime_InvokeEndpoint_Errors
 */
export function serviceUnavailable(): ServiceUnavailable {
  return new ServiceUnavailable({ message: 'Service Unavailable', ...meta(503) });
}

/**
 * "An internal failure occurred.": 500 InternalFailure, SageMaker's own failure (never the
 * container's: that one is a ModelError).
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html#API_runtime_InvokeEndpoint_Errors
 */
export function internalFailure(): InternalFailure {
  return new InternalFailure({ message: 'An internal failure occurred.', ...meta(500) });
}

/**
 * Request throttling, one of the errors common to every AWS API (400
 * ThrottlingException); the SDK raises it as a generic service exception by that name.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html
 */
export function throttling(): Error {
  return Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

/**
 * SageMaker Runtime's answer to InvokeEndpoint for an inference component with no copy
 * (scaled to zero, or still starting one): a `ValidationError`, HTTP 400, with this message.
 * Quoted from AWS's announcement of scale to zero, "Unlock cost savings with the new scale
 * down to zero feature in SageMaker Inference" (AWS Machine Learning Blog, 2024-12-03,
 * https://aws.amazon.com/blogs/machine-learning/unlock-cost-savings-with-the-new-scale-down-to-zero-feature-in-sagemaker-inference/).
 * Each such call counts in the `NoCapacityInvocationFailures` metric of the component
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html).
 */
export const noCapacityMessage =
  'Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress (if configured) or try to increase the capacity by invoking UpdateInferenceComponentRuntimeConfig API.';

/** The SDK error a client sees for {@link noCapacityMessage}. */
export function noCapacityError(): ValidationError {
  return new ValidationError({ message: noCapacityMessage, ...meta(400) });
}
