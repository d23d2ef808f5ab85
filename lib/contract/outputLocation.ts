/**
 * Where an output too large for its row is kept: an object in the pipeline's results
 * bucket, named by the row's `outputLocation` attribute (`s3://<bucket>/<key>`). The
 * function writes the object, then the row; readers follow the pointer. The object's body
 * is the encoded output (the row's `outputEncoding` and `outputShape` say how to read it),
 * exactly the bytes a row's `output` attribute would have held.
 */
import { ResultDecodeError, type StoredOutput } from './resultEncoding.js';
import { resultObjectPrefix } from './settings.js';

/** Name of the row attribute pointing at an offloaded output. */
export const outputLocationAttribute = 'outputLocation';

/**
 * Largest object one PutObject takes (5 GB, Amazon S3 User Guide, "Uploading objects"):
 * an output beyond it is the only one the pipeline cannot store (OUTPUT_TOO_LARGE).
 */
export const maxResultObjectBytes = 5 * 1024 ** 3;

/**
 * The key of the object holding request `id`'s output, written by invocation `writerId`.
 *
 * - One key per write: a later delivery of the same id never replaces the object an
 *   earlier SUCCEEDED row points to (first success wins for the bytes too); an object
 *   whose row was not written is left to the bucket's lifecycle expiration.
 * - The id is percent-encoded beyond `A-Z a-z 0-9 _ -`: request ids may hold `.` and `:`,
 *   and a key segment `.` or `..` would be a dot segment that HTTP stacks normalize away.
 */
export function resultObjectKey(id: string, writerId: string): string {
  return `${resultObjectPrefix}${escapeSegment(id)}/${escapeSegment(writerId)}`;
}

function escapeSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, (c) =>
    // encodeURIComponent leaves `.` and a few marks alone: encode every byte here.
    [...Buffer.from(c, 'utf8')]
      .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
}

/** An object's place: bucket and key. */
export interface ObjectLocation {
  readonly bucket: string;
  readonly key: string;
}

/** The `outputLocation` value for an object. */
export function formatOutputLocation({ bucket, key }: ObjectLocation): string {
  return `s3://${bucket}/${key}`;
}

/**
 * The bucket and key an `outputLocation` names. Throws a {@link ResultDecodeError} for
 * anything that is not an `s3://<bucket>/results/...` URI.
 */
export function parseOutputLocation(location: unknown): ObjectLocation {
  const match = typeof location === 'string' ? /^s3:\/\/([^/]+)\/(.+)$/.exec(location) : null;
  if (!match || !match[2]!.startsWith(resultObjectPrefix))
    throw new ResultDecodeError(
      `${outputLocationAttribute} must be s3://<bucket>/${resultObjectPrefix}..., found ${JSON.stringify(location)?.slice(0, 300)}`,
    );
  return { bucket: match[1]!, key: match[2]! };
}

/**
 * The stored output of an offloaded row: its `outputEncoding` and `outputShape` with the
 * object's bytes as `output` (as text for a JSON row, whose object holds the UTF-8 text),
 * ready for `decodeOutput`. Throws a {@link ResultDecodeError} for text that is not UTF-8.
 */
export function offloadedOutput(
  row: { readonly outputEncoding?: unknown; readonly outputShape?: unknown },
  body: Uint8Array,
): StoredOutput {
  const { outputEncoding, outputShape } = row;
  let output: string | Uint8Array = body;
  if (outputEncoding === undefined) {
    try {
      output = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch (error) {
      throw new ResultDecodeError('the output object of a json row is not UTF-8 text', {
        cause: error,
      });
    }
  }
  return {
    output,
    ...(outputEncoding === undefined ? {} : { outputEncoding }),
    ...(outputShape === undefined ? {} : { outputShape }),
  };
}
