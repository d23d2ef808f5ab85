/**
 * AWS service limits sagebatch plans against. Each is a documented hard limit of the
 * service named; see DESIGN.md ("AWS limits the code must respect").
 */
export const AwsLimits = {
  /** SageMaker Runtime InvokeEndpoint: maximum request body, bytes. */
  invokeEndpointMaxBodyBytes: 6_291_456,
  /**
   * SageMaker Runtime InvokeEndpoint: how long SageMaker waits for the model container, ms;
   * past it SageMaker itself answers (ModelError, status 0). AWS recommends a 70 s client
   * socket timeout for models that take 50-60 s.
   * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html
   */
  invokeEndpointModelResponseMs: 60_000,
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

/**
 * Amazon SNS limits the completion events plan against.
 * https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html (10 entries, 262,144
 * bytes over all entries) and
 * https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
 * (at most 150 combinations of values in one filter policy).
 */
export const SnsLimits = {
  /** Entries per PublishBatch. */
  publishBatchEntries: 10,
  /** Bytes of all messages and attributes in one PublishBatch (and in one message). */
  publishBatchBytes: 262_144,
  /** Combinations of values one subscription filter policy may hold. */
  filterPolicyCombinations: 150,
} as const;
