import { ArnFormat, Aws, type CfnResource, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';

/** A model to serve on a new real-time endpoint. */
export interface ModelEndpointProps {
  /** Name of the endpoint to create (lowercase letters, digits, hyphens). */
  readonly endpointName: string;
  /** Inference container image in ECR, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:1`. */
  readonly imageUri: string;
  /** The model artifact, e.g. `s3://my-bucket/models/model.tar.gz`. */
  readonly modelDataUrl: string;
  /**
   * Instance type of the production variant.
   * @default 'ml.g5.xlarge' (one NVIDIA A10G GPU)
   */
  readonly instanceType?: string;
  /**
   * Instances behind the endpoint.
   * @default 1
   */
  readonly instanceCount?: number;
  /** Environment of the inference container. @default none */
  readonly environment?: Record<string, string>;
}

/** Splits `s3://bucket/key` into its ARN (the object only, never the bucket's other keys). */
export function modelArtifactArn(modelDataUrl: string): string {
  const match = /^s3:\/\/([a-z0-9.-]{3,63})\/(.+)$/.exec(modelDataUrl);
  if (!match) throw new Error(`modelDataUrl must look like s3://bucket/key (got ${modelDataUrl})`);
  return `arn:${Aws.PARTITION}:s3:::${match[1]}/${match[2]}`;
}

/** The ECR repository ARN of an image URI `account.dkr.ecr.region.amazonaws.com/repo:tag`. */
export function imageRepositoryArn(imageUri: string): string {
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(
    imageUri,
  );
  if (!match)
    throw new Error(
      `imageUri must be an ECR image, account.dkr.ecr.region.amazonaws.com/repo:tag (got ${imageUri})`,
    );
  return `arn:${Aws.PARTITION}:ecr:${match[2]}:${match[1]}:repository/${match[3]}`;
}

/**
 * A SageMaker real-time endpoint (model, endpoint config, endpoint) with a KMS key for its
 * storage volume and an execution role that can read only this model's artifact and image.
 */
export class ModelEndpoint extends Construct {
  /** The endpoint's name. */
  readonly endpointName: string;
  /** The execution role SageMaker assumes to run the model. */
  readonly executionRole: iam.Role;
  /** Encrypts the endpoint's ML storage volume. */
  readonly key: kms.Key;
  readonly endpoint: sagemaker.CfnEndpoint;

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.endpointName = props.endpointName;
    this.key = new kms.Key(this, 'Key', {
      enableKeyRotation: true,
      description: `Encrypts the storage volume of SageMaker endpoint ${props.endpointName}`,
    });
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Runs the model of SageMaker endpoint ${props.endpointName}`,
    });
    const role = this.executionRole;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [modelArtifactArn(props.modelDataUrl)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ecr:BatchGetImage',
          'ecr:GetDownloadUrlForLayer',
          'ecr:BatchCheckLayerAvailability',
        ],
        resources: [imageRepositoryArn(props.imageUri)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: [
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `/aws/sagemaker/Endpoints/${props.endpointName}:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/Endpoints' } },
      }),
    );
    this.key.grant(
      role,
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'kms:CreateGrant',
      'kms:DescribeKey',
    );

    const model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: role.roleArn,
      primaryContainer: {
        image: props.imageUri,
        modelDataUrl: props.modelDataUrl,
        environment: props.environment,
      },
    });
    // SageMaker checks access to the artifact at CreateModel: wait for the policy, not just the role.
    model.addDependency(role.node.findChild('DefaultPolicy').node.defaultChild as CfnResource);
    const config = new sagemaker.CfnEndpointConfig(this, 'Config', {
      kmsKeyId: this.key.keyArn,
      productionVariants: [
        {
          modelName: model.attrModelName,
          variantName: 'AllTraffic',
          initialInstanceCount: props.instanceCount ?? 1,
          instanceType: props.instanceType ?? 'ml.g5.xlarge',
          initialVariantWeight: 1,
        },
      ],
    });
    this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', {
      endpointName: props.endpointName,
      endpointConfigName: config.attrEndpointConfigName,
    });

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken has no resource-level permissions (AWS requires "*"); cloudwatch:PutMetricData has none either and is limited by a condition to the /aws/sagemaker/Endpoints namespace.',
    });
    // cdk-nag names the finding by the ARN as synthesized: pseudo parameters unless the stack has an env.
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${region}:${account}:log-group:/aws/sagemaker/Endpoints/${props.endpointName}:*]`,
      reason:
        "The trailing ':*' covers the log streams of this endpoint's own log group, whose names SageMaker chooses at run time.",
    });
  }
}
