import { Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * With active tracing, Lambda adds xray:PutTraceSegments and xray:PutTelemetryRecords on
 * `*` to the function's role: X-Ray has no resource-level permissions, so cdk-nag's
 * wildcard finding is acknowledged with that reason, for this role only.
 */
export function acknowledgeTracingWildcard(
  role: iam.IRole,
  tracing: lambda.Tracing | undefined,
): void {
  if (tracing !== lambda.Tracing.ACTIVE) return;
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions (AWS requires "*").',
  });
}
