/**
 * us-east-1 list prices the benchmark's costs are computed from, each with its source and
 * the date it was read. AWS's own pricing pages render most price tables with JavaScript,
 * so the stored copies read on 2026-11-29 (the search corpus of public pages) often hold
 * only their text and free tier; where the figure itself came from another page quoting
 * AWS's, that page is named. Prices change: rerun with updated figures.
 */
export const prices = {
  retrieved: '2026-11-29',
  region: 'us-east-1',
  sagemakerInstance: {
    type: 'ml.m5.xlarge',
    perHour: 0.269,
    note: 'CPU real-time inference instance (4 vCPU); the benchmark model runs on CPU',
    source:
      'aws.amazon.com/sagemaker/pricing/ (its stored copy has no price table); figure as quoted for us-east-1, October 2025, by zircon.tech/blog/the-real-cost-of-running-ai-models-on-aws-sagemaker-inference-deep-dive',
  },
  sagemakerGpuInstance: {
    type: 'ml.g5.xlarge',
    perHour: 1.41,
    note: "the construct's default instance (1 NVIDIA A10G); not measured here: no GPU on this machine",
    source:
      'as above: zircon.tech (us-east-1, October 2025, "about $1.41/hour"); wring.co/blog/aws-sagemaker-inference-guide (March 2026) lists $1.21: the higher figure is used',
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
    note: 'one write unit per 1 KB written; 1 read unit per strongly consistent read of up to 4 KB',
    source:
      'https://aws.amazon.com/dynamodb/pricing/on-demand/ (as listed by airbyte.com/data-engineering-resources/dynamodb-pricing)',
  },
  dynamodbStorage: {
    perGbMonth: 0.25,
    note: 'Standard table class; first 25 GB a month free (not counted here); each item billed with 100 bytes of overhead',
    source:
      'https://aws.amazon.com/dynamodb/pricing/ ("prices start from $0.25 per GB-month", stored copy read 2026-11-29)',
  },
  s3: {
    perGbMonth: 0.023,
    perThousandPuts: 0.005,
    perThousandGets: 0.0004,
    note: 'S3 Standard, for the large-output offload path (not used by this run)',
    source:
      'https://aws.amazon.com/s3/pricing/ (figures as listed by cloudburn.io/blog/amazon-s3-pricing, March 2026, and devnotes.tech)',
  },
  sns: {
    perMillionPublishes: 0.5,
    perMillionSqsDeliveries: 0,
    note: 'standard topic; every 64 KB chunk of a published message is one request; deliveries to SQS queues are not charged (the queue then bills its own requests)',
    source:
      'https://aws.amazon.com/sns/pricing/ (as listed by factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols, June 2026)',
  },
  dynamodbStreams: {
    perMillionReadRequestsByLambda: 0,
    note: 'GetRecords calls made by a Lambda event source mapping are free; other consumers (Pipes included) pay per streams read request unit',
    source:
      'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CostOptimization_StreamsUsage.html ("Read requests made by AWS Lambda-based consumers of DynamoDB Streams are free")',
  },
  cloudwatch: {
    perMetricMonth: 0.3,
    perAlarmMetricMonth: 0.1,
    perDashboardMonth: 3,
    perGbLogsIngested: 0.5,
    note: 'custom metrics (first 10,000), standard-resolution alarm metrics, dashboards beyond the free 3, log ingestion (standard)',
    source:
      'https://aws.amazon.com/cloudwatch/pricing/ (stored copy: free tier only); rates as listed by cloudburn.io/blog/amazon-cloudwatch-pricing ("sourced from the official AWS CloudWatch pricing page as of February 2026") and signoz.io/guides/cloudwatch-pricing',
  },
} as const;
