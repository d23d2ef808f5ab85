/**
 * AWS service limits sagebatch plans against. Each is a documented hard limit of the
 * service named; see DESIGN.md ("AWS limits the code must respect").
 */
export const AwsLimits = {
  /** SageMaker Runtime InvokeEndpoint: maximum request body, bytes. */
  invokeEndpointMaxBodyBytes: 6_291_456,
  /** SQS: maximum message size (body + attributes), bytes, since August 2025. */
  sqsMaxMessageBytes: 1_048_576,
  /** SQS: entries per SendMessageBatch. */
  sqsBatchEntries: 10,
  /** SQS: total payload of one SendMessageBatch, bytes. */
  sqsMaxBatchBytes: 1_048_576,
  /** DynamoDB: maximum item size, bytes. */
  dynamoMaxItemBytes: 409_600,
  /** DynamoDB: keys per BatchGetItem. */
  dynamoBatchGetKeys: 100,
  /** DynamoDB: put or delete requests per BatchWriteItem. */
  dynamoBatchWriteItems: 25,
} as const;
