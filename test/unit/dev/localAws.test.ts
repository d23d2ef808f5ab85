import { describe, expect, it } from 'vitest';
import {
  defaultEndpointPort,
  localAwsEnv,
  localEndpointPort,
  localEnvPrefix,
} from '../../../lib/dev/localAws.js';

describe('local emulator settings', () => {
  it('places the SDKs and the CDK CLI where AWS_ENDPOINT_URL says, else on :4566', () => {
    expect(localAwsEnv({}).AWS_ENDPOINT_URL).toBe('http://127.0.0.1:4566');
    expect(localAwsEnv({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4571' }).AWS_ENDPOINT_URL).toBe(
      'http://127.0.0.1:4571',
    );
  });

  it('reads the local endpoint port from SAGEBATCH_ENDPOINT_PORT, else 8080', () => {
    expect(localEndpointPort({})).toBe(defaultEndpointPort);
    expect(localEndpointPort({ SAGEBATCH_ENDPOINT_PORT: '8571' })).toBe(8571);
    for (const bad of ['0', '70000', 'http://x:1', '80.5'])
      expect(() => localEndpointPort({ SAGEBATCH_ENDPOINT_PORT: bad })).toThrow(
        /SAGEBATCH_ENDPOINT_PORT must be a port number/,
      );
  });

  it('prefixes printed commands with exactly the settings that differ from the defaults', () => {
    expect(localEnvPrefix({})).toBe('');
    expect(localEnvPrefix({ SAGEBATCH_ENDPOINT_PORT: '8080' })).toBe('');
    expect(
      localEnvPrefix({
        AWS_ENDPOINT_URL: 'http://127.0.0.1:4571',
        SAGEBATCH_ENDPOINT_PORT: '8571',
      }),
    ).toBe('AWS_ENDPOINT_URL=http://127.0.0.1:4571 SAGEBATCH_ENDPOINT_PORT=8571 ');
  });
});
