import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { BatchingPipeline, type BatchingPipelineProps } from './BatchingPipeline.js';

/** Names of the stack outputs the CLI, the demo and the tests read. */
export const StackOutput = {
  queueUrl: 'RequestQueueUrl',
  dlqUrl: 'DlqUrl',
  tableName: 'ResultsTableName',
  functionName: 'FunctionName',
  endpointName: 'EndpointName',
} as const;

/** Properties of a {@link SagebatchStack}. */
export interface SagebatchStackProps extends StackProps {
  readonly pipeline: BatchingPipelineProps;
}

/** A stack holding one {@link BatchingPipeline} and the outputs a producer needs. */
export class SagebatchStack extends Stack {
  readonly pipeline: BatchingPipeline;

  constructor(scope: Construct, id: string, props: SagebatchStackProps) {
    super(scope, id, props);
    this.pipeline = new BatchingPipeline(this, 'Pipeline', props.pipeline);
    const outputs: Record<string, [string, string]> = {
      [StackOutput.queueUrl]: [this.pipeline.queue.queueUrl, 'Send requests here'],
      [StackOutput.dlqUrl]: [this.pipeline.dlq.queueUrl, 'Failed requests, with error attributes'],
      [StackOutput.tableName]: [this.pipeline.table.tableName, 'One result row per request id'],
      [StackOutput.functionName]: [this.pipeline.function.functionName, 'The batcher function'],
      [StackOutput.endpointName]: [this.pipeline.endpointName, 'The SageMaker endpoint invoked'],
    };
    for (const [name, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, name, { value, description });
    }
  }
}
