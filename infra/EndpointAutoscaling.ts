import { Duration, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EndpointScaling, ModelEndpoint } from './ModelEndpoint.js';

/** What {@link EndpointAutoscaling} scales, and on what. */
export interface EndpointAutoscalingProps {
  readonly endpoint: ModelEndpoint;
  /** The request queue whose backlog drives the instance count. */
  readonly queue: sqs.IQueue;
  readonly scaling: EndpointScaling;
  /** Outstanding requests one instance should face. */
  readonly backlogPerInstance: number;
}

/** Most steps one Application Auto Scaling step policy holds. */
const maxSteps = 20;

/**
 * Application Auto Scaling of a created endpoint's instance count on the request backlog.
 *
 * The backlog is the request queue's visible plus in-flight messages (requests waiting for
 * or inside a batcher invocation). A step scaling policy with `ExactCapacity` adjustments
 * sets the count to ceil(backlog / backlogPerInstance) within [minInstances, maxInstances]:
 * the same capacity a target-tracking policy on "backlog per instance" settles on, without
 * needing an instance-count metric, which real-time endpoints do not publish. Auto Scaling
 * re-evaluates every minute while an alarm stays in ALARM.
 */
export class EndpointAutoscaling extends Construct {
  readonly target: appscaling.ScalableTarget;
  /** The backlog the steps are drawn on. */
  readonly backlog: cloudwatch.IMetric;

  constructor(scope: Construct, id: string, props: EndpointAutoscalingProps) {
    super(scope, id);
    const { minInstances, maxInstances } = props.scaling;
    const endpoint = props.endpoint;
    this.target = new appscaling.ScalableTarget(this, 'Target', {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      resourceId: `endpoint/${endpoint.endpoint.attrEndpointName}/variant/${endpoint.variantName}`,
      minCapacity: minInstances,
      maxCapacity: maxInstances,
      // Application Auto Scaling's own service-linked role for SageMaker (created on first
      // registration), rather than a new role it would have to be granted everything.
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
    // Registering needs the endpoint in service, with its variant.
    this.target.node.addDependency(endpoint.endpoint);

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

    if (maxInstances > minInstances) {
      this.target.scaleOnMetric('Backlog', {
        metric: this.backlog,
        adjustmentType: appscaling.AdjustmentType.EXACT_CAPACITY,
        scalingSteps: backlogSteps(minInstances, maxInstances, props.backlogPerInstance),
        cooldown: props.scaling.cooldown ?? Duration.minutes(5),
      });
    }
  }
}

/**
 * Steps mapping the backlog to an exact instance count: below one instance's share, the
 * minimum; from k shares, k + 1 instances (capped at the maximum). When the range holds
 * more counts than a policy has steps, the shares widen so the last step still reaches
 * the maximum.
 */
export function backlogSteps(
  minInstances: number,
  maxInstances: number,
  backlogPerInstance: number,
): appscaling.ScalingInterval[] {
  const counts = Math.min(maxInstances - minInstances, maxSteps - 1);
  const instancesPerStep = (maxInstances - minInstances) / counts;
  const steps: appscaling.ScalingInterval[] = [
    { upper: minInstances * backlogPerInstance, change: minInstances },
  ];
  for (let step = 1; step <= counts; step++) {
    const instances = Math.round(minInstances + step * instancesPerStep);
    const previous = Math.round(minInstances + (step - 1) * instancesPerStep);
    steps.push({
      lower: previous * backlogPerInstance,
      ...(step < counts ? { upper: instances * backlogPerInstance } : {}),
      change: instances,
    });
  }
  return steps;
}
