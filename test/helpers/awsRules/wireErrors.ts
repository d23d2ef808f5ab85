/**
 * Error answers of DynamoDB and SQS as they arrive on the wire (status, headers, body), for
 * the fault proxy (test/helpers/faultProxy.ts), which answers the deployed function's SDK in
 * their place. Both services speak AWS JSON 1.0 to the SDK v3.
 */

/** One HTTP error answer. */
export interface WireError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const json10 = 'application/x-amz-json-1.0';

/**
 * DynamoDB (JSON 1.0): status, `x-amzn-RequestId`, body
 * `{"__type": "com.amazonaws.dynamodb.v20120810#<Name>", "message": ...}`. Throttling is 400
 * `ProvisionedThroughputExceededException` or `ThrottlingException`; a server-side failure is
 * 500 `InternalServerError`. Every one is retryable (the SDK retries them itself).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html
 */
export const dynamoDbErrors = {
  provisionedThroughputExceeded: {
    status: 400,
    type: 'ProvisionedThroughputExceededException',
    message:
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
  throttling: {
    status: 400,
    type: 'ThrottlingException',
    message: 'Rate of requests exceeds the allowed throughput.',
  },
  internalServerError: {
    status: 500,
    type: 'InternalServerError',
    message: 'Internal server error',
  },
} as const;

/** The wire answer for one of {@link dynamoDbErrors}. */
export function dynamoDbError(
  error: (typeof dynamoDbErrors)[keyof typeof dynamoDbErrors],
  requestId: string,
): WireError {
  return {
    status: error.status,
    headers: { 'content-type': json10, 'x-amzn-requestid': requestId },
    body: JSON.stringify({
      __type: `com.amazonaws.dynamodb.v20120810#${error.type}`,
      message: error.message,
    }),
  };
}

/**
 * SQS over AWS JSON 1.0 (what @aws-sdk/client-sqs 3.1175 sends: `x-amz-target: AmazonSQS.<Op>`,
 * `x-amzn-query-mode: true`): the error's query code and fault side in the
 * `x-amzn-query-error` header (`<Code>;Sender|Receiver`), which the SDK reads first, and
 * `{"__type": ..., "message": ...}` in the body.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html
 * Throttling: `RequestThrottled` (modelled with query code RequestThrottled, HTTP 403, in the
 * SQS API model the SDK is generated from) and the common `ThrottlingException` (400); a
 * server failure: 500 `InternalError`, which the SDK retries as any 500.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
 */
export const sqsErrors = {
  requestThrottled: {
    status: 403,
    type: 'com.amazonaws.sqs#RequestThrottled',
    queryError: 'RequestThrottled;Sender',
    message: 'Request is throttled.',
  },
  throttling: {
    status: 400,
    type: 'com.amazon.coral.availability#ThrottlingException',
    queryError: 'ThrottlingException;Sender',
    message: 'Rate exceeded',
  },
  internalError: {
    status: 500,
    type: 'com.amazonaws.sqs#InternalError',
    queryError: 'InternalError;Receiver',
    message: 'We encountered an internal error. Please try again.',
  },
} as const;

/** The wire answer for one of {@link sqsErrors}. */
export function sqsError(
  error: (typeof sqsErrors)[keyof typeof sqsErrors],
  requestId: string,
): WireError {
  return {
    status: error.status,
    headers: {
      'content-type': json10,
      'x-amzn-requestid': requestId,
      'x-amzn-query-error': error.queryError,
    },
    body: JSON.stringify({ __type: error.type, message: error.message }),
  };
}
