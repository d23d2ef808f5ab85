import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultBucket, readResultObject } from '../../../lib/aws/resultBucket.js';
import { maxDecodedOutputBytes } from '../../../lib/contract/resultEncoding.js';
import { offline } from '../../helpers/factories.js';
import { fakeBucket } from '../../helpers/fakes.js';

let bucket: ReturnType<typeof fakeBucket>;
afterEach(() => bucket.mock.restore());

const adapter = () =>
  new ResultBucket({ client: new S3Client(offline), bucketName: 'results', parallelism: 2 });

describe('ResultBucket', () => {
  it('puts each object as raw bytes and reads it back unchanged', async () => {
    bucket = fakeBucket();
    const body = new Uint8Array([0x1f, 0x8b, 0, 255]);
    const unstored = await adapter().put([
      { key: 'results/a/1', body },
      { key: 'results/b/1', body: new Uint8Array(0) },
    ]);
    expect(unstored).toEqual(new Set());
    expect(bucket.puts[0]).toMatchObject({
      Bucket: 'results',
      Key: 'results/a/1',
      ContentLength: 4,
      ContentType: 'application/octet-stream',
    });
    // gzip bytes are the row's encoding, not HTTP content encoding: nothing may inflate them.
    expect(bucket.puts[0]!.ContentEncoding).toBeUndefined();
    const back = await readResultObject(new S3Client(offline), {
      bucket: 'results',
      key: 'results/a/1',
    });
    expect([...back]).toEqual([...body]);
  });

  it('refuses to load an object larger than any output before reading its body', async () => {
    bucket = fakeBucket();
    bucket.objects.set('results/results/huge/1', new Uint8Array(maxDecodedOutputBytes + 1));
    await expect(
      readResultObject(new S3Client(offline), { bucket: 'results', key: 'results/huge/1' }),
    ).rejects.toThrow(/holds 33554433 bytes, more than an output may/);
  });

  it('reports what it could not store, and why, without throwing', async () => {
    bucket = fakeBucket({ failPut: (key) => key.endsWith('bad') });
    const errors: string[] = [];
    const unstored = await adapter().put(
      [
        { key: 'results/ok', body: new Uint8Array(1) },
        { key: 'results/bad', body: new Uint8Array(1) },
      ],
      { onError: (error) => errors.push((error as Error).name) },
    );
    expect(unstored).toEqual(new Set(['results/bad']));
    expect(errors).toEqual(['InternalError']);
    expect(bucket.objects.has('results/results/ok')).toBe(true);
  });

  it('stores nothing once the save phase is aborted', async () => {
    bucket = fakeBucket();
    const controller = new AbortController();
    controller.abort();
    const unstored = await adapter().put([{ key: 'results/late', body: new Uint8Array(1) }], {
      signal: controller.signal,
    });
    expect(unstored).toEqual(new Set(['results/late']));
    expect(bucket.puts).toEqual([]);
  });
});
