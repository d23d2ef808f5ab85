/**
 * us-east-1 list prices the benchmark's costs are computed from. Each carries its source
 * and the date it was read. Prices change: rerun with updated figures.
 */
export const prices = {
  retrieved: '2026-11-28',
  region: 'us-east-1',
  sagemakerInstance: {
    type: 'ml.m5.xlarge',
    perHour: 0.269,
    note: 'CPU real-time inference instance (4 vCPU); the benchmark model runs on CPU',
    source:
      'https://aws.amazon.com/sagemaker/pricing/ (as quoted for us-east-1, October 2025, by zircon.tech/blog/the-real-cost-of-running-ai-models-on-aws-sagemaker-inference-deep-dive)',
  },
  lambdaArm: {
    perGbSecond: 0.0000133334,
    perMillionRequests: 0.2,
    source: 'https://aws.amazon.com/lambda/pricing/ (Arm, first 7.5 billion GB-s per month)',
  },
  sqs: {
    perMillionRequests: 0.4,
    note: 'standard queue; every 64 KB chunk of a payload is billed as one request',
    source:
      'https://aws.amazon.com/sqs/pricing/ (as listed by cloudburn.io/blog/amazon-sqs-pricing, March 2026)',
  },
  dynamodbOnDemand: {
    perMillionWriteUnits: 0.625,
    perMillionReadUnits: 0.125,
    note: 'one write unit per 1 KB written; 0.5 read unit per eventually consistent read of up to 4 KB',
    source:
      'https://aws.amazon.com/dynamodb/pricing/on-demand/ (as listed by airbyte.com/data-engineering-resources/dynamodb-pricing)',
  },
} as const;
