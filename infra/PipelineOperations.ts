import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  MetricName,
  type MetricNameValue,
  metricsNamespace,
  serviceDimension,
} from '../lib/contract/metricNames.js';

/** The created endpoint whose own metrics are watched. */
export interface WatchedEndpoint {
  readonly endpointName: string;
  readonly variantName: string;
  /** p90 model latency that raises an alarm. */
  readonly latencyThreshold: Duration;
}

/** What {@link PipelineOperations} watches. */
export interface PipelineOperationsProps {
  readonly queue: sqs.IQueue;
  readonly dlq: sqs.IQueue;
  /** The queue SQS's redrive fills and the finalizer empties. */
  readonly intakeQueue: sqs.IQueue;
  readonly function: lambda.IFunction;
  /** The finalizer on the intake queue: its own failures are watched too. */
  readonly finalizer: lambda.IFunction;
  /** The `service` dimension of the batcher's metrics. */
  readonly serviceName: string;
  /** Age of the oldest request that raises an alarm (see infra/alarmThresholds.ts). */
  readonly oldestRequestAgeThreshold: Duration;
  /** Age of the oldest message on the intake queue that raises an alarm. */
  readonly unfinalizedThreshold: Duration;
  /** HeldRequestAge that raises an alarm. */
  readonly heldRequestAgeThreshold: Duration;
  /**
   * ModelAnswerErrors / ModelInvocations, in percent over 5 minutes, that raises an alarm;
   * undefined: no such alarm (local mode: the emulators' CloudFormation has no metric-math
   * alarms).
   */
  readonly modelErrorRatePercent: number | undefined;
  /** The created endpoint, in created mode. @default none: the endpoint is someone else's to watch */
  readonly endpoint?: WatchedEndpoint;
  /** Where alarms notify. @default no action */
  readonly alarmTopic?: sns.ITopic;
}

/** The pipeline's alarms, by what they watch. */
export interface PipelineAlarms {
  /** New dead letters the requests caused themselves (INVALID_REQUEST, EXPIRED): a producer problem. */
  readonly clientFailures: cloudwatch.Alarm;
  /** New dead letters the pipeline or model caused (MODEL_*, RETRIES_EXHAUSTED, OUTPUT_TOO_LARGE, UNPROCESSED). */
  readonly pipelineFailures: cloudwatch.Alarm;
  readonly oldestRequestAge: cloudwatch.Alarm;
  /** Messages SQS moved by itself wait unrecorded: the finalizer is failing. */
  readonly unfinalized: cloudwatch.Alarm;
  /** The circuit breaker opened: endpoint missing or access denied. Stays in ALARM while requests are held. */
  readonly systemicErrors: cloudwatch.Alarm;
  /** Requests have been held (misconfigured or busy endpoint) longer than one full round of deliveries. */
  readonly heldRequestAge: cloudwatch.Alarm;
  /** The safety net of the batcher or the finalizer answered an invocation (configuration error, exception). */
  readonly handlerErrors: cloudwatch.Alarm;
  /** The finalizer function failed as a whole. */
  readonly finalizerErrors: cloudwatch.Alarm;
  /** Absent in local mode only. */
  readonly modelErrorRate?: cloudwatch.Alarm;
  readonly functionErrors: cloudwatch.Alarm;
  readonly functionThrottles: cloudwatch.Alarm;
  /** Created mode only: the endpoint's own 5xx answers. */
  readonly endpointErrors?: cloudwatch.Alarm;
  /** Created mode only: the endpoint's own model latency. */
  readonly endpointLatency?: cloudwatch.Alarm;
}

/** CloudWatch alarms and a dashboard for one batching pipeline. */
export class PipelineOperations extends Construct {
  readonly alarms: PipelineAlarms;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PipelineOperationsProps) {
    super(scope, id);
    const minute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);
    const alarm = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      treatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) => {
      const created = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData,
        alarmDescription: description,
      });
      if (props.alarmTopic) {
        const action = new actions.SnsAction(props.alarmTopic);
        created.addAlarmAction(action);
        created.addOkAction(action);
      }
      return created;
    };
    // The batcher's own metrics: this pipeline's service dimension only.
    // Alarm metrics carry no label: a labelled metric turns the alarm into a metric-math one.
    const custom = (
      name: MetricNameValue,
      statistic: string,
      label?: string,
      period: Duration = minute,
    ) =>
      new cloudwatch.Metric({
        namespace: metricsNamespace,
        metricName: name,
        dimensionsMap: { [serviceDimension]: props.serviceName },
        statistic,
        period,
        label,
      });
    const endpointMetric = (name: string, statistic: string, period: Duration = minute) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SageMaker',
        metricName: name,
        dimensionsMap: {
          EndpointName: props.endpoint!.endpointName,
          VariantName: props.endpoint!.variantName,
        },
        statistic,
        period,
      });
    const modelErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(calls > 0, 100 * errors / calls, 0)',
      usingMetrics: {
        // The model's own error answers only: throttling, busy and systemic calls have their own metrics.
        errors: custom(MetricName.modelAnswerErrors, 'Sum', 'model errors', fiveMinutes),
        calls: custom(MetricName.modelInvocations, 'Sum', 'model calls', fiveMinutes),
      },
      period: fiveMinutes,
      label: 'model error rate (%)',
    });

    this.alarms = {
      clientFailures: alarm(
        'ClientFailures',
        custom(MetricName.clientFailures, 'Sum', undefined, fiveMinutes),
        0,
        'Requests failed for good because of themselves (INVALID_REQUEST, EXPIRED) and went to the dead-letter queue: check the producers. `sagebatch dlq list` shows them.',
      ),
      pipelineFailures: alarm(
        'PipelineFailures',
        custom(MetricName.pipelineFailures, 'Sum', undefined, fiveMinutes),
        0,
        'Requests failed for good because of the model or the pipeline (MODEL_*, RETRIES_EXHAUSTED, OUTPUT_TOO_LARGE, UNPROCESSED) and went to the dead-letter queue. Fix the cause, then `sagebatch dlq redrive`.',
      ),
      oldestRequestAge: alarm(
        'OldestRequestAge',
        props.queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: 'Maximum' }),
        props.oldestRequestAgeThreshold.toSeconds(),
        `A request waited longer than ${props.oldestRequestAgeThreshold.toSeconds()} s, more than a healthy request reaches before its third receive: the batcher is not keeping up or is failing as a whole.`,
      ),
      unfinalized: alarm(
        'Unfinalized',
        props.intakeQueue.metricApproximateAgeOfOldestMessage({
          period: minute,
          statistic: 'Maximum',
        }),
        props.unfinalizedThreshold.toSeconds(),
        `Requests SQS moved off the request queue have waited more than ${props.unfinalizedThreshold.toSeconds()} s for the finalizer to record them (FAILED / UNPROCESSED): it failed on two deliveries. Check the finalizer function.`,
      ),
      // Held requests are invisible for up to 15 minutes between deliveries, and a minute
      // without an invocation has no data: kept as is (IGNORE), the alarm stays in ALARM
      // while requests are held; the zeros of healthy invocations bring it back to OK.
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
      systemicErrors: alarm(
        'SystemicErrors',
        custom(MetricName.systemicErrors, 'Sum'),
        0,
        'The batcher stopped calling the endpoint: it is missing or access is denied. Requests are held (RETRYING) until MAX_HOLD_SECONDS, then fail ENDPOINT_MISCONFIGURED. Check the endpoint name, its status and the function role.',
        cloudwatch.TreatMissingData.IGNORE,
      ),
      heldRequestAge: alarm(
        'HeldRequestAge',
        custom(MetricName.heldRequestAge, 'Maximum'),
        props.heldRequestAgeThreshold.toSeconds(),
        `Requests have been held (endpoint misconfigured, busy, or without capacity) for more than ${props.heldRequestAgeThreshold.toSeconds()} s since they were first enqueued; past MAX_HOLD_SECONDS they fail (ENDPOINT_MISCONFIGURED / RETRIES_EXHAUSTED / ENDPOINT_NO_CAPACITY). Check SystemicErrors, NoCapacityHolds and the endpoint's capacity.`,
        cloudwatch.TreatMissingData.IGNORE,
      ),
      handlerErrors: alarm(
        'HandlerErrors',
        custom(MetricName.handlerErrors, 'Sum'),
        0,
        'The batcher or the finalizer caught an unexpected exception or a configuration error and reported every record of a batch failed (Lambda counts these invocations as successes). Look for "Unexpected error" in both functions\' logs.',
      ),
      finalizerErrors: alarm(
        'FinalizerErrors',
        props.finalizer.metricErrors({ period: minute, statistic: 'Sum' }),
        0,
        'The finalizer function failed as a whole: messages SQS moved off the request queue wait unrecorded and, after 5 tries, reach the DLQ without a FAILED row.',
      ),
      ...(props.modelErrorRatePercent === undefined
        ? {}
        : {
            modelErrorRate: alarm(
              'ModelErrorRate',
              modelErrorRate,
              props.modelErrorRatePercent,
              `More than ${props.modelErrorRatePercent}% of model calls were answered with an error over 5 minutes.`,
            ),
          }),
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
      ...(props.endpoint
        ? {
            endpointErrors: alarm(
              'EndpointErrors',
              endpointMetric('Invocation5XXErrors', 'Sum', fiveMinutes),
              0,
              `SageMaker endpoint ${props.endpoint.endpointName} answered with 5xx errors.`,
            ),
            endpointLatency: alarm(
              'EndpointLatency',
              // SageMaker reports ModelLatency in microseconds.
              endpointMetric('ModelLatency', 'p90', fiveMinutes),
              props.endpoint.latencyThreshold.toMilliseconds() * 1_000,
              `p90 model latency of endpoint ${props.endpoint.endpointName} over ${props.endpoint.latencyThreshold.toSeconds()} s: the model is overloaded or near the 60 s InvokeEndpoint limit.`,
            ),
          }
        : {}),
    };

    const widgets: cloudwatch.IWidget[][] = [
      [
        new cloudwatch.GraphWidget({
          title: 'Request queue depth',
          left: [
            props.queue.metricApproximateNumberOfMessagesVisible({
              period: minute,
              label: 'visible',
            }),
            props.queue.metricApproximateNumberOfMessagesNotVisible({
              period: minute,
              label: 'in flight',
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
          leftAnnotations: [{ value: props.oldestRequestAgeThreshold.toSeconds(), label: 'alarm' }],
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
      [
        new cloudwatch.GraphWidget({
          title: 'New dead letters: client vs pipeline',
          stacked: true,
          left: [
            custom(MetricName.clientFailures, 'Sum', 'client (invalid, expired)', fiveMinutes),
            custom(MetricName.pipelineFailures, 'Sum', 'pipeline (model, retries)', fiveMinutes),
          ],
        }),
        new cloudwatch.GraphWidget({
          title: 'Model errors',
          left: [modelErrorRate],
          right: [custom(MetricName.systemicErrors, 'Sum', 'systemic (circuit open)')],
        }),
        new cloudwatch.GraphWidget({
          title: 'Held requests: oldest age (s), no-capacity holds and handler errors',
          left: [custom(MetricName.heldRequestAge, 'Maximum', 'oldest held request (s)')],
          leftAnnotations: [{ value: props.heldRequestAgeThreshold.toSeconds(), label: 'alarm' }],
          right: [
            custom(MetricName.handlerErrors, 'Sum', 'handler errors (safety net)'),
            // Scale to zero: requests waiting for a copy of the model (0 when always on).
            custom(MetricName.noCapacityHolds, 'Sum', 'held for no capacity'),
          ],
        }),
      ],
      // The cost line: what one request costs in endpoint time and in bytes written
      // (DynamoDB write units and S3 storage follow the bytes), averaged over invocations.
      [
        new cloudwatch.GraphWidget({
          title: 'Cost per request',
          left: [custom(MetricName.endpointMsPerRequest, 'Average', 'endpoint ms per request')],
          right: [
            custom(MetricName.bytesWrittenPerRequest, 'Average', 'bytes written per request'),
          ],
          leftYAxis: { min: 0, label: 'ms', showUnits: false },
          rightYAxis: { min: 0, label: 'bytes', showUnits: false },
        }),
        new cloudwatch.GraphWidget({
          title: 'Outputs offloaded to S3',
          left: [custom(MetricName.offloadedOutputs, 'Sum', 'offloaded outputs')],
          leftYAxis: { min: 0, showUnits: false },
        }),
      ],
    ];
    if (props.endpoint) {
      widgets.push([
        new cloudwatch.GraphWidget({
          title: `Endpoint ${props.endpoint.endpointName}`,
          left: [
            endpointMetric('Invocations', 'Sum'),
            endpointMetric('Invocation5XXErrors', 'Sum'),
            endpointMetric('Invocation4XXErrors', 'Sum'),
          ],
          right: [endpointMetric('ModelLatency', 'p90')],
        }),
      ]);
    }
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets,
    });
  }
}
