import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { abortable } from '../common/abortable.js';
import type { ObjectLocation } from '../contract/outputLocation.js';
import { maxDecodedOutputBytes } from '../contract/resultEncoding.js';

/** The part of an S3 client the results bucket uses: tests pass a mock, nothing else. */
export type S3Port = Pick<S3Client, 'send'>;

/** One output to keep in the bucket: its key and the encoded bytes. */
export interface ResultObject {
  readonly key: string;
  readonly body: Uint8Array;
}

/** Options of one {@link ResultBucket.put} call. */
export interface BucketCallOptions {
  /** Stops issuing requests and aborts those in flight: their objects count as not stored. */
  readonly signal?: AbortSignal;
  /** Told about each error a request ended with (after the SDK's own retries), for logs. */
  readonly onError?: (error: unknown) => void;
}

/** Settings of a {@link ResultBucket}. */
export interface ResultBucketOptions {
  readonly client: S3Port;
  readonly bucketName: string;
  /** PutObject calls in flight at once, default 16. */
  readonly parallelism?: number;
}

/**
 * The S3 bucket receiving outputs too large for their result row (see
 * lib/contract/outputLocation.ts). The function only puts objects; readers get them with
 * {@link readResultObject}. Encryption is the bucket's default (the construct sets it),
 * so a put names none and works with either SSE-S3 or SSE-KMS.
 */
export class ResultBucket {
  readonly #client: S3Port;
  readonly #parallelism: number;
  /** The bucket's name, for the rows' `outputLocation`. */
  readonly name: string;

  constructor(options: ResultBucketOptions) {
    this.#client = options.client;
    this.name = options.bucketName;
    this.#parallelism = options.parallelism ?? 16;
  }

  /**
   * Puts every object (PutObject, the SDK retrying throttling and 5xx); never throws.
   * Returns the keys that were not stored: their rows must not be written.
   */
  async put(
    objects: readonly ResultObject[],
    options: BucketCallOptions = {},
  ): Promise<Set<string>> {
    const limit = pLimit(this.#parallelism);
    const unstored = new Set<string>();
    await Promise.all(
      objects.map((object) =>
        limit(async () => {
          if (options.signal?.aborted) {
            unstored.add(object.key);
            return;
          }
          try {
            await abortable(
              this.#client.send(
                new PutObjectCommand({
                  Bucket: this.name,
                  Key: object.key,
                  Body: object.body,
                  ContentLength: object.body.byteLength,
                  // The body is the row's encoded bytes, never HTTP-compressed content: no
                  // Content-Encoding, so no client decompresses it behind the reader's back.
                  ContentType: 'application/octet-stream',
                }),
                { abortSignal: options.signal },
              ),
              options.signal,
            );
          } catch (error) {
            options.onError?.(error);
            unstored.add(object.key);
          }
        }),
      ),
    );
    return unstored;
  }
}

/** Reads one results object (GetObject): the encoded bytes its row describes. */
export async function readResultObject(
  client: S3Port,
  location: ObjectLocation,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const response = await client.send(
    new GetObjectCommand({ Bucket: location.bucket, Key: location.key }),
    { abortSignal: signal },
  );
  if (response.Body === undefined)
    throw new Error(`s3://${location.bucket}/${location.key} has no body`);
  // Checked before reading: an object is an encoded output, never larger than what a
  // reader may decode, so a larger one is not ours to load into memory.
  if ((response.ContentLength ?? 0) > maxDecodedOutputBytes) {
    await response.Body.transformToWebStream()
      .cancel()
      .catch(() => undefined); // frees the connection; nothing to report if it cannot
    throw new Error(
      `s3://${location.bucket}/${location.key} holds ${response.ContentLength} bytes, more than an output may (${maxDecodedOutputBytes})`,
    );
  }
  return response.Body.transformToByteArray();
}
