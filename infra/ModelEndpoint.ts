import {
  ArnFormat,
  Aws,
  type CfnResource,
  type Duration,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import {
  hostOnInferenceComponent,
  type InferenceComponentSizing,
} from './inferenceComponentHosting.js';
import { hasLocalInstanceStorage } from './instanceStorage.js';

/** Default instance type of a created endpoint: one NVIDIA A10G GPU, local NVMe storage. */
export const defaultInstanceType = 'ml.g5.xlarge';

/** Where a created endpoint's instances run: subnets and security groups of a VPC. */
export interface ModelEndpointVpc {
  /** The VPC. The model needs a route to S3 and ECR from it (VPC endpoints or a NAT gateway). */
  readonly vpc: ec2.IVpc;
  /** Subnets of the instances. @default the VPC's private subnets */
  readonly subnets?: ec2.SubnetSelection;
  /** Security groups of the instances. @default one new group, egress only */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/** Backlog-driven Application Auto Scaling of a created endpoint's instance count. */
export interface EndpointScaling {
  /**
   * Fewest instances. 0 (scale to zero) hosts the model as an inference component on an
   * endpoint with managed instance scaling down to 0: see `idleBeforeScaleToZero`. Otherwise
   * at least 1 (a real-time variant without inference components cannot run on 0).
   */
  readonly minInstances: number;
  /** Most instances. */
  readonly maxInstances: number;
  /**
   * Outstanding requests (visible + in flight on the request queue) one instance should
   * face; the desired count is backlog / backlogPerInstance, rounded up.
   * @default the pipeline's batchSize
   */
  readonly backlogPerInstance?: number;
  /** Wait after a scaling activity before the next one. @default 5 minutes */
  readonly cooldown?: Duration;
  /**
   * Scale to zero only (`minInstances: 0`): how long the request backlog must stay empty
   * before the model's copies go to zero (SageMaker then stops the idle instances).
   * @default 15 minutes
   */
  readonly idleBeforeScaleToZero?: Duration;
  /** Scale to zero only: how much of an instance one copy of the model takes. */
  readonly copySizing?: InferenceComponentSizing;
}

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
  /**
   * KMS key for the instances' EBS storage volume. Not allowed for instance types with
   * local NVMe storage (ml.g4dn, ml.g5, ml.g6, ml.p4d, ml.p5, ml.p6-b200, ml.trn1, every `*d` type; see infra/instanceStorage.ts), which
   * SageMaker encrypts with a hardware module.
   * @default a new key with rotation for EBS-backed types; none for NVMe types
   */
  readonly volumeKey?: kms.IKey;
  /** Run the model's instances in a VPC. @default SageMaker's managed network */
  readonly vpc?: ModelEndpointVpc;
  /**
   * Scale the instance count on the request backlog (applied by the BatchingPipeline,
   * which owns the queue). `instanceCount` is then the initial count.
   * @default a fixed instanceCount
   */
  readonly scaling?: EndpointScaling;
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
  /** Encrypts the endpoint's ML storage volume; undefined for instance types with local NVMe storage. */
  readonly key?: kms.IKey;
  readonly endpoint: sagemaker.CfnEndpoint;
  /** Scale to zero (`scaling.minInstances: 0`): the inference component hosting the model. */
  readonly inferenceComponent?: sagemaker.CfnInferenceComponent;
  /** Scale to zero: the component's name, which every InvokeEndpoint call must give. */
  readonly inferenceComponentName?: string;
  /** The production variant's name (for its CloudWatch metrics and scaling). */
  readonly variantName = 'AllTraffic';
  /** The instances' security groups, when in a VPC. */
  readonly securityGroups: ec2.ISecurityGroup[] = [];

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.endpointName = props.endpointName;
    const instanceType = props.instanceType ?? defaultInstanceType;
    const nvme = hasLocalInstanceStorage(instanceType);
    if (nvme && props.volumeKey) {
      throw new Error(
        `${instanceType} has local NVMe storage, which SageMaker encrypts with a hardware module: CreateEndpointConfig rejects a KmsKeyId for it. Remove volumeKey or pick an EBS-backed instance type.`,
      );
    }
    this.key = nvme
      ? undefined
      : (props.volumeKey ??
        new kms.Key(this, 'Key', {
          enableKeyRotation: true,
          description: `Encrypts the storage volume of SageMaker endpoint ${props.endpointName}`,
        }));
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
    this.key?.grant(
      role,
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'kms:CreateGrant',
      'kms:DescribeKey',
    );
    const vpcConfig = props.vpc ? this.placeInVpc(props.vpc, role) : undefined;

    const model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: role.roleArn,
      primaryContainer: {
        image: props.imageUri,
        modelDataUrl: props.modelDataUrl,
        environment: props.environment,
      },
      vpcConfig,
    });
    // SageMaker checks access to the artifact at CreateModel: wait for the policy, not just the role.
    model.addResourceDependency(
      role.node.findChild('DefaultPolicy').node.defaultChild as CfnResource,
    );
    if (props.scaling?.minInstances === 0) {
      const hosted = hostOnInferenceComponent(this, {
        endpointName: props.endpointName,
        variantName: this.variantName,
        instanceType,
        maxInstances: props.scaling.maxInstances,
        modelName: model.attrModelName,
        executionRole: role,
        kmsKeyId: this.key?.keyArn,
        sizing: props.scaling.copySizing,
      });
      this.endpoint = hosted.endpoint;
      this.inferenceComponent = hosted.component;
      this.inferenceComponentName = hosted.componentName;
    } else {
      const config = new sagemaker.CfnEndpointConfig(this, 'Config', {
        kmsKeyId: this.key?.keyArn,
        productionVariants: [
          {
            modelName: model.attrModelName,
            variantName: this.variantName,
            initialInstanceCount: props.instanceCount ?? props.scaling?.minInstances ?? 1,
            instanceType,
            initialVariantWeight: 1,
          },
        ],
      });
      // A stack update that changes the config calls UpdateEndpoint, which by default applies
      // the new config's InitialInstanceCount (minInstances): mid-backlog, an autoscaled
      // endpoint would drop to its minimum. With scaling, the running variant's count (and
      // weight) is kept and Application Auto Scaling stays in charge of it; without scaling,
      // the count the user sets is the one to apply.
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-endpoint.html
      // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html
      this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', {
        endpointName: props.endpointName,
        endpointConfigName: config.attrEndpointConfigName,
        ...(props.scaling ? { retainAllVariantProperties: true } : {}),
      });
    }

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken and the ec2:Describe* calls SageMaker makes for VPC placement have no resource-level permissions (AWS requires "*"); cloudwatch:PutMetricData has none either and is limited by a condition to the /aws/sagemaker/Endpoints namespace.',
    });
    if (props.vpc) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region}:${Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account}:network-interface/*]`,
        reason:
          'SageMaker creates the network interfaces of the endpoint in the given subnets and security groups at run time; their ids are unknown before.',
      });
    }
    // cdk-nag names the finding by the ARN as synthesized: pseudo parameters unless the stack has an env.
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${region}:${account}:log-group:/aws/sagemaker/Endpoints/${props.endpointName}:*]`,
      reason:
        "The trailing ':*' covers the log streams of this endpoint's own log group, whose names SageMaker chooses at run time.",
    });
  }

  /**
   * The model's VpcConfig, and the network-interface permissions SageMaker needs to place
   * instances in these subnets and security groups.
   */
  private placeInVpc(placement: ModelEndpointVpc, role: iam.Role) {
    const subnets = placement.vpc.selectSubnets(
      placement.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ).subnets;
    const groups = placement.securityGroups ?? [
      new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: placement.vpc,
        description: `SageMaker endpoint ${this.endpointName}: egress only`,
        allowAllOutbound: true,
      }),
    ];
    this.securityGroups.push(...groups);
    const stack = Stack.of(this);
    const ec2Arn = (resource: string, name: string) =>
      stack.formatArn({ service: 'ec2', resource, resourceName: name });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission'],
        resources: [
          ...subnets.map((s) => ec2Arn('subnet', s.subnetId)),
          ...groups.map((g) => ec2Arn('security-group', g.securityGroupId)),
          ec2Arn('network-interface', '*'),
        ],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission'],
        resources: [ec2Arn('network-interface', '*')],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        // Describe calls have no resource-level permissions.
        actions: [
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeVpcs',
          'ec2:DescribeDhcpOptions',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
        ],
        resources: ['*'],
      }),
    );
    return {
      subnets: subnets.map((s) => s.subnetId),
      securityGroupIds: groups.map((g) => g.securityGroupId),
    };
  }
}
