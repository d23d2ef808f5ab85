import { ValidationError } from '@aws-sdk/client-sagemaker-runtime';

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
  return new ValidationError({ message: noCapacityMessage, $metadata: { httpStatusCode: 400 } });
}
