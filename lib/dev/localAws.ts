/** The emulator's edge URL when nothing else is configured (an IP: S3 then uses path-style URLs). */
export const defaultEmulatorUrl = 'http://127.0.0.1:4566';

/** The local SageMaker endpoint emulator's port when `SAGEBATCH_ENDPOINT_PORT` is not set. */
export const defaultEndpointPort = 8080;

/** The account LocalStack and MiniStack present. */
export const emulatorAccount = '000000000000';

/**
 * Environment for AWS SDKs and the CDK CLI talking to the local emulator: the user's
 * `AWS_ENDPOINT_URL` if set (for example a LocalStack elsewhere), else {@link defaultEmulatorUrl},
 * with the emulator's test credentials unless credentials are already set.
 */
export function localAwsEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const region = base.AWS_REGION ?? base.AWS_DEFAULT_REGION ?? 'us-east-1';
  return {
    ...base,
    AWS_ENDPOINT_URL: base.AWS_ENDPOINT_URL ?? defaultEmulatorUrl,
    AWS_ACCESS_KEY_ID: base.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: base.AWS_SECRET_ACCESS_KEY ?? 'test',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    // No network but the emulator: the CDK CLI must not look for notices or versions.
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

/** SDK client settings for the local emulator. */
export function localClientConfig(env: NodeJS.ProcessEnv = localAwsEnv()) {
  return {
    endpoint: env.AWS_ENDPOINT_URL,
    region: env.AWS_REGION,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'test',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'test',
    },
  };
}

/**
 * Where the local endpoint emulator listens, and the host the deployed function uses to
 * reach it. MiniStack runs functions as local processes (127.0.0.1 works); LocalStack runs
 * them in containers: set `SAGEBATCH_ENDPOINT_BIND=0.0.0.0` and
 * `SAGEBATCH_ENDPOINT_HOST=host.docker.internal` (or the Docker bridge address).
 */
export function localEndpointHosts(env: NodeJS.ProcessEnv = process.env): {
  bind: string;
  host: string;
} {
  return {
    bind: env.SAGEBATCH_ENDPOINT_BIND ?? '127.0.0.1',
    host: env.SAGEBATCH_ENDPOINT_HOST ?? '127.0.0.1',
  };
}

/**
 * The port of the local endpoint emulator the demo starts and the CLI's `endpoint` and
 * `stats` use: `SAGEBATCH_ENDPOINT_PORT`, else {@link defaultEndpointPort}. With this and
 * `AWS_ENDPOINT_URL` set, two checkouts run side by side.
 */
export function localEndpointPort(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.SAGEBATCH_ENDPOINT_PORT;
  if (value === undefined || value === '') return defaultEndpointPort;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new Error(
      `SAGEBATCH_ENDPOINT_PORT must be a port number 1-65535 (got ${JSON.stringify(value)})`,
    );
  return port;
}

/**
 * The variables a printed command needs to reach the same emulators as this process:
 * `AWS_ENDPOINT_URL` and `SAGEBATCH_ENDPOINT_PORT` when they differ from the defaults, as a
 * shell prefix (empty when both are the defaults).
 */
export function localEnvPrefix(env: NodeJS.ProcessEnv = process.env): string {
  const parts: string[] = [];
  const aws = localAwsEnv(env).AWS_ENDPOINT_URL;
  if (aws !== defaultEmulatorUrl) parts.push(`AWS_ENDPOINT_URL=${aws}`);
  const port = localEndpointPort(env);
  if (port !== defaultEndpointPort) parts.push(`SAGEBATCH_ENDPOINT_PORT=${port}`);
  return parts.map((part) => `${part} `).join('');
}
