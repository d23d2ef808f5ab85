#!/usr/bin/env node
/**
 * The sagebatch CDK app: one stack with one batching pipeline, configured through CDK
 * context (`cdk deploy -c sagebatch:endpointName=my-endpoint ...`, see the README).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readAppConfig } from './appConfig.js';
import { SagebatchStack } from './SagebatchStack.js';

const app = new App();
const config = readAppConfig((key) => app.node.tryGetContext(key));
new SagebatchStack(app, config.stackName, {
  pipeline: config.pipeline,
  alarms: config.alarms,
  encryptionKeyArn: config.encryptionKeyArn,
  description: 'sagebatch: batched SageMaker inference through SQS, Lambda and DynamoDB',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
