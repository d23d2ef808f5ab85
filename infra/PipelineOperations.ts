import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MetricName, metricsNamespace } from '../lib/telemetry.js';

/** What {@link PipelineOperations} watches. */
export interface PipelineOperationsProps {
  readonly queue: sqs.IQueue;
  readonly dlq: sqs.IQueue;
  readonly function: lambda.IFunction;
  /** The `service` dimension of the batcher's metrics. */
  readonly serviceName: string;
  /** Age of the oldest request that raises an alarm. */
  readonly oldestRequestAgeThreshold: Duration;
  /** Where alarms notify. @default no action */
  readonly alarmTopic?: sns.ITopic;
}

/** The pipeline's alarms, by what they watch. */
export interface PipelineAlarms {
  readonly dlqNotEmpty: cloudwatch.Alarm;
  readonly oldestRequestAge: cloudwatch.Alarm;
  readonly functionErrors: cloudwatch.Alarm;
  readonly functionThrottles: cloudwatch.Alarm;
}

/** CloudWatch alarms and a dashboard for one batching pipeline. */
export class PipelineOperations extends Construct {
  readonly alarms: PipelineAlarms;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineOperationsProps) {
    super(scope, id);
    const minute = Duration.minutes(1);
    const alarm = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
    ) => {
      const created = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (props.alarmTopic) created.addAlarmAction(new actions.SnsAction(props.alarmTopic));
      return created;
    };
    this.alarms = {
      dlqNotEmpty: alarm(
        'DlqNotEmpty',
        props.dlq.metricApproximateNumberOfMessagesVisible({
          period: minute,
          statistic: 'Maximum',
        }),
        0,
        'Requests failed for good and wait in the dead-letter queue: inspect with `sagebatch dlq list`.',
      ),
      oldestRequestAge: alarm(
        'OldestRequestAge',
        props.queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' }),
        props.oldestRequestAgeThreshold.toSeconds(),
        `A request waited longer than ${props.oldestRequestAgeThreshold.toSeconds()} s (2 x (window + timeout)): the batcher is not keeping up or is failing.`,
      ),
      functionErrors: alarm(
        'FunctionErrors',
        props.function.metricErrors({ period: minute, statistic: 'Sum' }),
        0,
        'The batcher function failed as a whole (configuration error or crash): every record of those batches is redelivered.',
      ),
      functionThrottles: alarm(
        'FunctionThrottles',
        props.function.metricThrottles({ period: minute, statistic: 'Sum' }),
        0,
        'The batcher function was throttled: raise the account concurrency or lower maxConcurrency.',
      ),
    };

    const custom = (name: string, statistic: string, label: string) =>
      new cloudwatch.Metric({
        namespace: metricsNamespace,
        metricName: name,
        dimensionsMap: { service: props.serviceName },
        statistic,
        period: minute,
        label,
      });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Request queue depth',
            left: [
              props.queue.metricApproximateNumberOfMessagesVisible({
                period: minute,
                label: 'visible',
              }),
            ],
            right: [
              props.dlq.metricApproximateNumberOfMessagesVisible({ period: minute, label: 'DLQ' }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Age of oldest request (s)',
            left: [
              props.queue.metricApproximateAgeOfOldestMessage({
                period: minute,
                statistic: 'Maximum',
              }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Items per model call',
            left: [
              custom(MetricName.itemsPerInvocation, 'Average', 'mean'),
              custom(MetricName.itemsPerInvocation, 'Maximum', 'max'),
            ],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Model latency (ms)',
            left: [
              custom(MetricName.modelLatency, 'p50', 'p50'),
              custom(MetricName.modelLatency, 'p95', 'p95'),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Outcomes',
            stacked: true,
            left: [
              custom(MetricName.succeeded, 'Sum', 'succeeded'),
              custom(MetricName.failed, 'Sum', 'failed'),
              custom(MetricName.retried, 'Sum', 'retried'),
              custom(MetricName.duplicates, 'Sum', 'duplicates'),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Model calls vs records',
            left: [
              custom(MetricName.records, 'Sum', 'records'),
              custom(MetricName.modelInvocations, 'Sum', 'model calls'),
            ],
          }),
        ],
      ],
    });
  }
}
