/** The emulator's edge URL when nothing else is configured (an IP: S3 then uses path-style URLs). */
export const defaultEmulatorUrl = 'http://127.0.0.1:4566';

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
