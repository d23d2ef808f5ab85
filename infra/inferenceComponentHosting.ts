import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { Construct } from 'constructs';

/**
 * How much of an instance one copy of the model takes when it is hosted as an inference
 * component (scale to zero). SageMaker's managed instance scaling places copies on
 * instances by these numbers, so with one accelerator per copy on a one-GPU instance type,
 * a copy is an instance.
 */
export interface InferenceComponentSizing {
  /** Memory one copy needs, MB. @default 1024 */
  readonly memoryMb?: number;
  /**
   * Accelerators (GPUs, Neuron devices) one copy needs.
   * @default 1 on accelerated instance types (ml.g*, ml.p*, ml.inf*, ml.trn*), none otherwise
   */
  readonly accelerators?: number;
}

/** What {@link hostOnInferenceComponent} builds on. */
export interface InferenceComponentHostingProps {
  readonly endpointName: string;
  readonly variantName: string;
  readonly instanceType: string;
  /** Most instances managed instance scaling may start. */
  readonly maxInstances: number;
  readonly modelName: string;
  readonly executionRole: iam.IRole;
  readonly kmsKeyId?: string | undefined;
  readonly sizing?: InferenceComponentSizing | undefined;
}

/** The endpoint and its one inference component. */
export interface InferenceComponentHosting {
  readonly endpoint: sagemaker.CfnEndpoint;
  readonly component: sagemaker.CfnInferenceComponent;
  /** The component's name, a literal: InvokeEndpoint needs it as `InferenceComponentName`. */
  readonly componentName: string;
}

/** Instance families with accelerators, whose copies ask for one device by default. */
const acceleratedFamily = /^ml\.(g\d|p\d|inf\d|trn\d)/;

/** The inference component's name: the endpoint's, suffixed, within SageMaker's 63 characters. */
export function inferenceComponentNameOf(endpointName: string): string {
  return `${endpointName.slice(0, 60)}-ic`;
}

/**
 * Hosts the model as an inference component on an endpoint whose instances SageMaker's
 * managed instance scaling may take down to zero: the only way a real-time endpoint can
 * have no instance at all. AWS: "An endpoint can scale to and from zero instances only if
 * it hosts inference components" and its endpoint config sets `ManagedInstanceScaling`
 * `MinInstanceCount` to 0
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html).
 * The endpoint config then carries the execution role and no model; the component names
 * the model. It starts with one copy, so the deployment proves the model runs; the
 * pipeline's scaling takes it to zero after the idle time.
 */
export function hostOnInferenceComponent(
  scope: Construct,
  props: InferenceComponentHostingProps,
): InferenceComponentHosting {
  const config = new sagemaker.CfnEndpointConfig(scope, 'Config', {
    kmsKeyId: props.kmsKeyId,
    executionRoleArn: props.executionRole.roleArn,
    productionVariants: [
      {
        variantName: props.variantName,
        instanceType: props.instanceType,
        initialInstanceCount: 1,
        managedInstanceScaling: {
          status: 'ENABLED',
          minInstanceCount: 0,
          maxInstanceCount: props.maxInstances,
        },
        routingConfig: { routingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
      },
    ],
  });
  const endpoint = new sagemaker.CfnEndpoint(scope, 'Endpoint', {
    endpointName: props.endpointName,
    endpointConfigName: config.attrEndpointConfigName,
  });
  const accelerators =
    props.sizing?.accelerators ?? (acceleratedFamily.test(props.instanceType) ? 1 : undefined);
  const componentName = inferenceComponentNameOf(props.endpointName);
  const component = new sagemaker.CfnInferenceComponent(scope, 'InferenceComponent', {
    inferenceComponentName: componentName,
    endpointName: endpoint.attrEndpointName,
    variantName: props.variantName,
    specification: {
      modelName: props.modelName,
      computeResourceRequirements: {
        minMemoryRequiredInMb: props.sizing?.memoryMb ?? 1_024,
        ...(accelerators === undefined ? {} : { numberOfAcceleratorDevicesRequired: accelerators }),
      },
    },
    runtimeConfig: { copyCount: 1 },
  });
  component.addResourceDependency(endpoint);
  return { endpoint, component, componentName };
}
