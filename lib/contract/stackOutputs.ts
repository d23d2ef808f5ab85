/**
 * Names of the outputs the sagebatch stack exports. The stack writes them; the CLI, the
 * local deploy, the demo and the tests read them: one list, so a rename cannot leave a
 * reader behind.
 */
export const StackOutput = {
  queueUrl: 'RequestQueueUrl',
  dlqUrl: 'DlqUrl',
  tableName: 'ResultsTableName',
  functionName: 'FunctionName',
  endpointName: 'EndpointName',
  alarms: 'Alarms',
  dashboard: 'DashboardName',
} as const;
