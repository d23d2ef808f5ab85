import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { StackOutput } from '../contract/stackOutputs.js';
import { emulatorAccount, localAwsEnv } from './localAws.js';

const run = promisify(execFile);
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const cdkBin = join(projectRoot, 'node_modules', '.bin', 'cdk');

/** The outputs of a deployed sagebatch stack (see infra/SagebatchStack.ts). */
export interface StackOutputs {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly tableName: string;
  /** Outputs too large for their row. */
  readonly resultsBucket: string;
  readonly functionName: string;
  readonly endpointName: string;
  /** The completion topic (absent when the stack was deployed without completion events). */
  readonly completionTopicArn?: string;
}

/** What to deploy to the emulator. */
export interface LocalDeployOptions {
  readonly stackName: string;
  /** SageMaker Runtime URL as the deployed function reaches it (the local endpoint emulator). */
  readonly sageMakerRuntimeUrl: string;
  /** More CDK context, keys without the `sagebatch:` prefix (e.g. `{ batchSize: '100' }`). */
  readonly context?: Readonly<Record<string, string>>;
}

/** `-c sagebatch:key=value` for each entry. */
const contextArgs = (context: Readonly<Record<string, string>>) =>
  Object.entries(context).flatMap(([key, value]) => ['-c', `sagebatch:${key}=${value}`]);

async function cdk(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(cdkBin, [...args, '--no-notices', '--ci'], {
      cwd: projectRoot,
      env: localAwsEnv(),
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    const tail = `${stdout ?? ''}\n${stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`cdk ${args[0]} failed:\n${tail}`);
  }
}

/**
 * Deploys the real CDK app to the local emulator in local mode with the standard CDK CLI
 * (bootstrap, then deploy) and returns the stack's outputs.
 */
export async function deployLocal(options: LocalDeployOptions): Promise<StackOutputs> {
  const region = localAwsEnv().AWS_REGION;
  await cdk(['bootstrap', `aws://${emulatorAccount}/${region}`]);
  const dir = await mkdtemp(join(tmpdir(), 'sagebatch-deploy-'));
  const outputsFile = join(dir, 'outputs.json');
  const context = {
    local: 'true',
    stackName: options.stackName,
    localSageMakerRuntimeUrl: options.sageMakerRuntimeUrl,
    ...options.context,
  };
  await cdk([
    'deploy',
    options.stackName,
    '--require-approval',
    'never',
    '--outputs-file',
    outputsFile,
    ...contextArgs(context),
  ]);
  const outputs = JSON.parse(await readFile(outputsFile, 'utf8')) as Record<
    string,
    Record<string, string>
  >;
  await rm(dir, { recursive: true, force: true });
  const stack = outputs[options.stackName];
  if (!stack) throw new Error(`cdk deploy wrote no outputs for ${options.stackName}`);
  return {
    queueUrl: stack[StackOutput.queueUrl]!,
    dlqUrl: stack[StackOutput.dlqUrl]!,
    tableName: stack[StackOutput.tableName]!,
    resultsBucket: stack[StackOutput.resultsBucket]!,
    functionName: stack[StackOutput.functionName]!,
    endpointName: stack[StackOutput.endpointName]!,
    ...(stack[StackOutput.completionTopic]
      ? { completionTopicArn: stack[StackOutput.completionTopic] }
      : {}),
  };
}

/** Destroys a stack deployed with {@link deployLocal}. */
export async function destroyLocal(
  stackName: string,
  context: Readonly<Record<string, string>> = {},
): Promise<void> {
  await cdk([
    'destroy',
    stackName,
    '--force',
    ...contextArgs({ local: 'true', stackName, ...context }),
  ]);
}
