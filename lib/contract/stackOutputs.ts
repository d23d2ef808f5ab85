/**
 * Names of the outputs the sagebatch stack exports. The stack writes them; the CLI, the
 * local deploy, the demo and the tests read them: one list, so a rename cannot leave a
 * reader behind.
 */
export const StackOutput = {
  queueUrl: 'RequestQueueUrl',
  dlqUrl: 'DlqUrl',
  tableName: 'ResultsTableName',
  /** S3 bucket of outputs too large for a result row. */
  resultsBucket: 'ResultsBucketName',
  functionName: 'FunctionName',
  endpointName: 'EndpointName',
  alarms: 'Alarms',
  dashboard: 'DashboardName',
  /** SNS topic of completion events (absent on stacks deployed before them: `wait` then polls). */
  completionTopic: 'CompletionTopicArn',
} as const;
