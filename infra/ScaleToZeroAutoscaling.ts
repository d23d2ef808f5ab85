import { Duration, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { backlogSteps } from './EndpointAutoscaling.js';
import type { EndpointScaling, ModelEndpoint } from './ModelEndpoint.js';

/** What {@link ScaleToZeroAutoscaling} scales, and on what. */
export interface ScaleToZeroAutoscalingProps {
  /** A created endpoint hosting its model as an inference component (`minInstances: 0`). */
  readonly endpoint: ModelEndpoint;
  /** The request queue whose backlog drives the copy count. */
  readonly queue: sqs.IQueue;
  readonly scaling: EndpointScaling;
  /** Outstanding requests one copy should face. */
  readonly backlogPerInstance: number;
}

/** Default time the backlog must stay empty before the copies go to zero. */
export const defaultIdleBeforeScaleToZero = Duration.minutes(15);

/** Longest idle time: CloudWatch evaluates at most one day of 1-minute periods. */
export const maxIdleBeforeScaleToZero = Duration.days(1);

/**
 * Application Auto Scaling of the model's copy count (`DesiredCopyCount` of its inference
 * component) on the request backlog, down to zero and back.
 *
 * AWS's recipe scales out from zero with a step scaling policy on an alarm, because a
 * target-tracking policy cannot leave zero
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html,
 * https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-policy.html). AWS's
 * alarm watches `NoCapacityInvocationFailures`, which needs a failed invocation first; here
 * the queue is the signal, so the first message brings capacity up:
 *
 * - `ScaleOut`: the backlog (visible + in flight: requests held by the redelivery backoff
 *   are invisible but still waiting) above 0 for one minute sets the copy count to
 *   ceil(backlog / backlogPerInstance) within [1, maxInstances] (ExactCapacity steps, as
 *   the always-on autoscaling does);
 * - `ScaleToZero`: the backlog at 0 for `idleBeforeScaleToZero` sets the copy count to 0.
 *   SageMaker's managed instance scaling then stops the instances that host no copy.
 *
 * No target-tracking policy: its scale-in alarm would take the copies to zero on low
 * endpoint traffic while requests still wait in the queue.
 */
export class ScaleToZeroAutoscaling extends Construct {
  readonly target: appscaling.ScalableTarget;
  /** The backlog both alarms watch. */
  readonly backlog: cloudwatch.IMetric;
  readonly scaleOutAlarm: cloudwatch.Alarm;
  readonly scaleToZeroAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ScaleToZeroAutoscalingProps) {
    super(scope, id);
    const { endpoint, scaling } = props;
    const component = endpoint.inferenceComponent;
    const componentName = endpoint.inferenceComponentName;
    if (!component || !componentName) {
      throw new Error('ScaleToZeroAutoscaling needs an endpoint created with minInstances: 0');
    }
    this.target = new appscaling.ScalableTarget(this, 'Target', {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      scalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      resourceId: `inference-component/${componentName}`,
      minCapacity: 0,
      maxCapacity: scaling.maxInstances,
      // The service-linked role Application Auto Scaling uses for SageMaker endpoints and
      // inference components alike, rather than a new role granted everything.
      role: iam.Role.fromRoleArn(
        this,
        'ServiceLinkedRole',
        Stack.of(this).formatArn({
          service: 'iam',
          region: '',
          resource: 'role',
          resourceName:
            'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
        }),
        { mutable: false },
      ),
    });
    // Registering needs the component in service.
    this.target.node.addDependency(component);

    const minute = Duration.minutes(1);
    this.backlog = new cloudwatch.MathExpression({
      expression: 'visible + inflight',
      usingMetrics: {
        visible: props.queue.metricApproximateNumberOfMessagesVisible({
          period: minute,
          statistic: 'Maximum',
        }),
        inflight: props.queue.metricApproximateNumberOfMessagesNotVisible({
          period: minute,
          statistic: 'Maximum',
        }),
      },
      period: minute,
      label: 'request backlog',
    });

    const scaleOut = new appscaling.StepScalingAction(this, 'ScaleOut', {
      scalingTarget: this.target,
      adjustmentType: appscaling.AdjustmentType.EXACT_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      cooldown: scaling.cooldown ?? Duration.minutes(5),
    });
    // Steps above 0: the always-on mapping from 0 instances, minus its "no backlog" step.
    for (const step of backlogSteps(0, scaling.maxInstances, props.backlogPerInstance).slice(1)) {
      scaleOut.addAdjustment({
        adjustment: step.change,
        lowerBound: step.lower ?? 0,
        ...(step.upper === undefined ? {} : { upperBound: step.upper }),
      });
    }
    this.scaleOutAlarm = new cloudwatch.Alarm(this, 'BacklogAlarm', {
      metric: this.backlog,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Requests wait for ${endpoint.endpointName}: bring its model's copies up (scale out from zero)`,
    });
    this.scaleOutAlarm.addAlarmAction(new cwActions.ApplicationScalingAction(scaleOut));

    const idleMinutes = Math.max(
      1,
      Math.round((scaling.idleBeforeScaleToZero ?? defaultIdleBeforeScaleToZero).toMinutes()),
    );
    const toZero = new appscaling.StepScalingAction(this, 'ScaleToZero', {
      scalingTarget: this.target,
      adjustmentType: appscaling.AdjustmentType.EXACT_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      cooldown: scaling.cooldown ?? Duration.minutes(5),
    });
    toZero.addAdjustment({ adjustment: 0, upperBound: 0 });
    this.scaleToZeroAlarm = new cloudwatch.Alarm(this, 'IdleAlarm', {
      metric: this.backlog,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: idleMinutes,
      datapointsToAlarm: idleMinutes,
      // A missing datapoint (SQS publishes less for an inactive queue) counts as idle, never as work.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      alarmDescription: `No request for ${endpoint.endpointName} for ${idleMinutes} minutes: its model's copies go to zero`,
    });
    this.scaleToZeroAlarm.addAlarmAction(new cwActions.ApplicationScalingAction(toZero));
  }
}
