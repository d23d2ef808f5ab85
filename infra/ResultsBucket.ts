import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { resultObjectPrefix } from '../lib/contract/settings.js';

/** What a {@link ResultsBucket} needs to know. */
export interface ResultsBucketProps {
  /** How long result rows live: offloaded outputs live at least as long. */
  readonly resultTtl: Duration;
  /** The pipeline's customer-managed key. @default S3-managed encryption (SSE-S3) */
  readonly encryptionKey?: kms.IKey;
  /** The results table's removal policy: rows and the objects they point to go (or stay) together. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Whole days the lifecycle rule keeps an offloaded output: S3 expiration counts whole days
 * (at least 1), so the TTL is rounded up and an object never expires before its row.
 */
export const resultObjectLifetimeDays = (resultTtl: Duration): number =>
  Math.max(1, Math.ceil(resultTtl.toSeconds() / 86_400));

/**
 * The S3 bucket holding outputs too large for their result row (`results/<request id>/<invocation id>`,
 * the row keeping a pointer). Private (every public access blocked), TLS only, encrypted
 * with the pipeline's key when it has one, unversioned (an object is written once and
 * expires with its row), objects expired by a lifecycle rule matching the row TTL.
 */
export class ResultsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ResultsBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...(props.encryptionKey
        ? {
            encryption: s3.BucketEncryption.KMS,
            encryptionKey: props.encryptionKey,
            // One data key per bucket instead of one KMS call per object.
            bucketKeyEnabled: true,
          }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [
        {
          id: 'ExpireWithResultRows',
          prefix: resultObjectPrefix,
          expiration: Duration.days(resultObjectLifetimeDays(props.resultTtl)),
        },
      ],
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the pipeline function writes here (one object per request id, expired with its row); a log bucket would add a second bucket and its own logging question. Use CloudTrail S3 data events to audit access.',
    });
  }

  /**
   * Lets `role` write offloaded outputs: s3:PutObject under the results prefix only, no
   * read, list or delete. With a customer-managed key the role also needs
   * kms:GenerateDataKey on it (the pipeline grants it for the queues and the table too).
   */
  grantWriteResults(role: iam.IRole): void {
    const objects = this.bucket.arnForObjects(`${resultObjectPrefix}*`);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects] }),
    );
    // cdk-nag names the finding by the resource as synthesized: the bucket's logical id.
    const bucketId = Stack.of(this).resolve(
      (this.bucket.node.defaultChild as s3.CfnBucket).logicalId,
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${resultObjectPrefix}*]`,
      reason:
        "The trailing '*' stands for the request and invocation ids: the function writes results/<request id>/<invocation id>, known only at run time, and nothing else in the bucket.",
    });
  }
}
