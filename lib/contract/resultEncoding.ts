/**
 * How a result row stores the model's output: the encodings a pipeline may choose, the
 * attributes each writes, and one decoder that reads every one of them.
 *
 * A pipeline asks for one {@link ResultEncoding}; each row records in `outputEncoding` the
 * {@link StoredEncoding} it actually holds, because an encoding that does not fit an output
 * falls back to one that does. Readers never need the pipeline's setting: the row says.
 *
 * | asked for    | stored as                                                              | exact?                                   |
 * |--------------|------------------------------------------------------------------------|------------------------------------------|
 * | `json`       | `output`: the model's JSON text (String), no `outputEncoding`: today's rows | yes, for any JSON                    |
 * | `compressed` | `json-gzip` (Binary: the same text, gzip) when smaller, else `json`    | yes, for any JSON                        |
 * | `lossless`   | `f32le` when every number of a rectangular numeric output is a float32, else as `compressed` | the values, for any JSON (see {@link encodeLossless}) |
 * | `float32`    | `f32le` (Binary, float32 little-endian) for arrays of finite numbers   | bit-identical for float32 model outputs; a double that is not a float32 is rounded to the nearest one (relative error <= 2^-24) |
 * | `float16`    | `f16le` (Binary, IEEE half little-endian) for numbers within +-65504   | relative error <= 2^-11 (0.049%), absolute <= 2^-25 below 2^-14 |
 * | `int8`       | `i8` (Binary: one float32 scale per innermost vector, then int8 values) | error <= max abs of the vector / 254   |
 *
 * The numeric encodings apply only to outputs that are arrays, possibly nested and then
 * rectangular, of finite numbers (an embedding, a batch of them, logits); any other output
 * falls back to `compressed`'s choice. Among the encodings that apply, the row keeps the
 * smallest (DynamoDB bills whole 1 KB write units on the row's total size), so a tiny
 * output stays plain JSON. `outputShape` (a List of Numbers) is written only for nested
 * arrays: a flat array's length follows from its byte count.
 *
 * Why gzip and not brotli: on 384-float embeddings (about 8 KB of JSON), gzip keeps 44% of
 * the text in about 0.2 ms, brotli 42% at quality 4 (0.13 ms) and 40% only at quality 11
 * (7 ms); the benchmark measures both on its real outputs. Both land on the same whole
 * write units for such rows, and gzip's CRC-32 and length trailer let the decoder reject a
 * damaged or truncated value instead of returning wrong text, which brotli (no checksum)
 * cannot. Any tool can read it too (`base64 -d | gunzip`).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { SagebatchError } from './errors.js';
import { fitsFloat16, fromFloat16Bits, toFloat16Bits } from './float16.js';
import { attributeValueBytes } from './itemSize.js';
import {
  fromNumericArray,
  MAX_DIMENSIONS,
  type NumericArray,
  shapeSize,
  toNumericArray,
} from './numericArray.js';

/** The encodings a pipeline may ask for (see the module notes). */
export const resultEncodings = [
  'json',
  'compressed',
  'lossless',
  'float32',
  'float16',
  'int8',
] as const;

/** One of {@link resultEncodings}. */
export type ResultEncoding = (typeof resultEncodings)[number];

/** Whether `value` names a {@link ResultEncoding}. */
export function isResultEncoding(value: unknown): value is ResultEncoding {
  return typeof value === 'string' && (resultEncodings as readonly string[]).includes(value);
}

/** What a row holds, as written in its `outputEncoding` attribute (absent means `json`). */
export const StoredEncoding = {
  json: 'json',
  jsonGzip: 'json-gzip',
  float32: 'f32le',
  float16: 'f16le',
  int8: 'i8',
} as const;

/** One of {@link StoredEncoding}'s values. */
export type StoredEncoding = (typeof StoredEncoding)[keyof typeof StoredEncoding];

const storedEncodings: readonly string[] = Object.values(StoredEncoding);

/** Names of the row attributes that hold an output. */
export const OutputAttribute = {
  output: 'output',
  encoding: 'outputEncoding',
  shape: 'outputShape',
} as const;

/** The output attributes of a row, as the DynamoDB Document Client writes and reads them. */
export interface OutputAttributes {
  /** JSON text (`json`) or the encoded bytes (every other encoding, a Binary attribute). */
  readonly output: string | Uint8Array;
  /** Absent for `json`, so `json` rows are exactly the rows sagebatch always wrote. */
  readonly outputEncoding?: StoredEncoding;
  /** Dimensions of a nested numeric output, outermost first; absent for a flat array. */
  readonly outputShape?: readonly number[];
}

/** What {@link encodeOutput} chose for one output. */
export interface EncodedOutput {
  readonly encoding: StoredEncoding;
  /** Spread these into the row. */
  readonly attributes: OutputAttributes;
  /** Bytes the attributes add to the row, names included, by DynamoDB's item size rules. */
  readonly bytes: number;
  /** Whether decoding gives back exactly the model's value (false only for a rounded numeric form). */
  readonly exact: boolean;
}

/** A stored output that cannot be decoded: what was wrong, so a reader can report it. */
export class ResultDecodeError extends SagebatchError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ResultDecodeError';
  }
}

/** Bytes per value, and per innermost vector (int8's scale), of each numeric encoding. */
const numericLayout = {
  [StoredEncoding.float32]: { valueBytes: 4, vectorBytes: 0 },
  [StoredEncoding.float16]: { valueBytes: 2, vectorBytes: 0 },
  [StoredEncoding.int8]: { valueBytes: 1, vectorBytes: 4 },
} as const;

type NumericEncoding = keyof typeof numericLayout;

const numericFor = {
  float32: StoredEncoding.float32,
  float16: StoredEncoding.float16,
  int8: StoredEncoding.int8,
} as const satisfies Partial<Record<ResultEncoding, NumericEncoding>>;

function attributesBytes(attributes: OutputAttributes): number {
  let bytes = OutputAttribute.output.length + attributeValueBytes(attributes.output);
  if (attributes.outputEncoding !== undefined)
    bytes += OutputAttribute.encoding.length + attributeValueBytes(attributes.outputEncoding);
  if (attributes.outputShape !== undefined)
    bytes += OutputAttribute.shape.length + attributeValueBytes(attributes.outputShape);
  return bytes;
}

function encoded(attributes: OutputAttributes, exact: boolean): EncodedOutput {
  return {
    encoding: attributes.outputEncoding ?? StoredEncoding.json,
    attributes,
    bytes: attributesBytes(attributes),
    exact,
  };
}

/** Packs a numeric array; undefined when the encoding cannot hold its values. */
function packNumeric(array: NumericArray, encoding: NumericEncoding): Uint8Array | undefined {
  const { values, shape } = array;
  const { valueBytes, vectorBytes } = numericLayout[encoding];
  const vectorLength = shape.at(-1)!;
  const vectors = shapeSize(shape.slice(0, -1));
  const bytes = new Uint8Array(vectors * vectorBytes + values.length * valueBytes);
  const view = new DataView(bytes.buffer);
  if (encoding === StoredEncoding.float32) {
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    // A finite double beyond float32's range would become infinity: not this encoding's job.
    for (let i = 0; i < values.length; i++)
      if (!Number.isFinite(view.getFloat32(i * 4, true))) return undefined;
  } else if (encoding === StoredEncoding.float16) {
    for (let i = 0; i < values.length; i++) {
      if (!fitsFloat16(values[i]!)) return undefined;
      view.setUint16(i * 2, toFloat16Bits(values[i]!), true);
    }
  } else {
    // Symmetric per-vector scale: max |x| maps to 127, so the error is at most scale / 2.
    const start = vectors * vectorBytes;
    for (let v = 0; v < vectors; v++) {
      let max = 0;
      for (let i = 0; i < vectorLength; i++)
        max = Math.max(max, Math.abs(values[v * vectorLength + i]!));
      const scale = Math.fround(max / 127);
      // A scale beyond float32's range, or below its normal range (values under about 1e-36),
      // would lose the vector: such outputs keep another encoding.
      if (!Number.isFinite(scale) || (max > 0 && scale < 2 ** -126)) return undefined;
      view.setFloat32(v * 4, scale, true);
      for (let i = 0; i < vectorLength; i++) {
        const q = scale === 0 ? 0 : Math.round(values[v * vectorLength + i]! / scale);
        view.setInt8(start + v * vectorLength + i, Math.max(-127, Math.min(127, q)));
      }
    }
  }
  return bytes;
}

/**
 * Encodes one output, given as the model's JSON text, for a row of a pipeline that asked
 * for `encoding`. Returns the attributes to write (the smallest that applies, see the
 * module notes) and their size. `outputJson` must be valid JSON text (sagebatch passes what
 * the model wrote, already validated); it is parsed only for the numeric encodings.
 *
 * @example
 * const { attributes, bytes } = encodeOutput('[0.25,-1.5]', 'float32');
 * const row = { id, status: 'SUCCEEDED', ...attributes };
 */
export function encodeOutput(outputJson: string, encoding: ResultEncoding): EncodedOutput {
  if (encoding === 'lossless') return encodeLossless(outputJson);
  let best = encoded({ output: outputJson }, true);
  if (encoding === 'json') return best;
  // A short text gains a few bytes at most (gzip adds 18 of its own): not worth the ~10 µs
  // a gzipSync call costs, which for small outputs was a third of the handler's CPU.
  if (outputJson.length >= minCompressChars) {
    const gzip = gzipped(outputJson);
    if (gzip.bytes < best.bytes) best = gzip;
  }
  if (encoding === 'compressed') return best;
  return encodeNumeric(outputJson, numericFor[encoding], best);
}

/**
 * The numeric form of an output when it applies and is smaller than `best` (the JSON
 * form already chosen), else `best`.
 */
function encodeNumeric(
  outputJson: string,
  numericEncoding: NumericEncoding,
  best: EncodedOutput,
): EncodedOutput {
  const array = toNumericArray(JSON.parse(outputJson));
  if (array === undefined) return best;
  const packed = packNumeric(array, numericEncoding);
  if (packed === undefined) return best;
  const numeric = encoded(
    {
      output: packed,
      outputEncoding: numericEncoding,
      ...(array.shape.length > 1 ? { outputShape: array.shape } : {}),
    },
    false,
  );
  if (numeric.bytes >= best.bytes) return best;
  // Exact when unpacking gives every value back (float32 model outputs in f32le, say).
  // Computed only when asked: the function writing rows never reads it.
  return {
    ...numeric,
    get exact() {
      const back = unpackNumeric(packed, numericEncoding, array.shape);
      return array.values.every((v, i) => Object.is(v, back[i]));
    },
  };
}

const gzipped = (outputJson: string): EncodedOutput =>
  encoded(
    { output: new Uint8Array(gzipSync(outputJson)), outputEncoding: StoredEncoding.jsonGzip },
    true,
  );

/** Whether the first character of `text` past JSON whitespace is `[`. */
function startsWithArray(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // JSON whitespace: space, tab, line feed, carriage return (RFC 8259, section 2).
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    return c === 0x5b;
  }
  return false;
}

/**
 * `values` as float32 little-endian bytes when every one of them is a float32 (packing
 * gives it back exactly: Math.fround(x) === x, -0 included), else undefined. A double
 * beyond float32's range fails the same check (it would pack as infinity).
 */
function packExactFloat32(values: readonly number[]): Uint8Array | undefined {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    view.setFloat32(i * 4, x, true);
    // `===` suffices: -0 packs as -0 (Math.fround(-0) is -0), and a value that rounds to a
    // zero of either sign differs from a nonzero x.
    if (view.getFloat32(i * 4, true) !== x) return undefined;
  }
  return bytes;
}

/**
 * Beside `f32le`, gzip is tried only for text of at most this many characters per packed
 * byte (8 a value, separators included: small integers, short decimals), where it may win.
 * A float32 model writes most values as the double they are, 10 to 20 characters
 * (`-0.034483954310417175,`), which gzip leaves at about 44% (bench/REPORT.md), 8 bytes
 * and more a value against f32le's 4: the ~150 µs gzip of an embedding is skipped there.
 */
const gzipTryCharsPerPackedByte = 2;

/**
 * The `lossless` encoding: per output, the smallest form that gives a reader back the
 * model's values exactly, as JSON.parse reads them (IEEE 754 doubles, -0 kept):
 *
 * - `f32le` (+ `outputShape` for a nested array) when the output is a rectangular array of
 *   numbers that are all float32 values (every float32 model's output, integers up to
 *   2^24 in magnitude, 0.5, -0 ...), its text is 256 characters or more, and the packed
 *   row is smaller than the text;
 * - otherwise what `compressed` picks: `json-gzip` when smaller, else the text (and gzip
 *   is also tried beside `f32le` when the text is short per value, where it may win).
 *
 * What differs from `compressed` is the text a reader gets, never a value:
 * {@link decodeOutputText} of an `f32le` row is `JSON.stringify(JSON.parse(modelText))`,
 * every number in JavaScript's shortest round-trip form for a double (`1.0` reads back as
 * `1`, `1.52587890625e-05` (2^-16) as `0.0000152587890625`, `-0` as `0` (decodeOutput keeps
 * -0), and a float32 written as the double it is, `0.10000000149011612`, reads back
 * unchanged; float32's own shortest text `0.1` is a double that is not a float32, so such
 * an output keeps its text). The model's exact
 * text, digits a double cannot hold included, is kept only by `json` and `compressed`.
 * Only outputs whose text starts with `[` are parsed: objects and strings never pay it.
 */
function encodeLossless(outputJson: string): EncodedOutput {
  let best = encoded({ output: outputJson }, true);
  // Under 256 characters the text stays, unparsed, as under `compressed`: packing could save
  // at most ~230 bytes, and such a row (at most ~750 bytes with a 256-character id) is one
  // write unit either way, while parsing a short array costs ~3 µs a record.
  if (outputJson.length < minCompressChars) return best;
  const array = startsWithArray(outputJson) ? toNumericArray(JSON.parse(outputJson)) : undefined;
  const packed = array === undefined ? undefined : packExactFloat32(array.values);
  if (array !== undefined && packed !== undefined) {
    const numeric = encoded(
      {
        output: packed,
        outputEncoding: StoredEncoding.float32,
        ...(array.shape.length > 1 ? { outputShape: array.shape } : {}),
      },
      true,
    );
    if (numeric.bytes < best.bytes) best = numeric;
    if (outputJson.length > packed.byteLength * gzipTryCharsPerPackedByte) return best;
  }
  const gzip = gzipped(outputJson);
  return gzip.bytes < best.bytes ? gzip : best;
}

function unpackNumeric(bytes: Uint8Array, encoding: NumericEncoding, shape: readonly number[]) {
  const count = shapeSize(shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Array<number>(count);
  if (encoding === StoredEncoding.float32) {
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
  } else if (encoding === StoredEncoding.float16) {
    for (let i = 0; i < count; i++) values[i] = fromFloat16Bits(view.getUint16(i * 2, true));
  } else {
    const vectorLength = shape.at(-1)!;
    const vectors = shapeSize(shape.slice(0, -1));
    const start = vectors * 4;
    for (let v = 0; v < vectors; v++) {
      const scale = view.getFloat32(v * 4, true);
      for (let i = 0; i < vectorLength; i++) {
        const k = v * vectorLength + i;
        values[k] = view.getInt8(start + k) * scale;
      }
    }
  }
  return values;
}

/** The shape a numeric row holds: `outputShape`, or for a flat array the one its byte count gives. */
function storedShape(
  bytes: Uint8Array,
  encoding: NumericEncoding,
  outputShape: unknown,
): readonly number[] {
  const { valueBytes, vectorBytes } = numericLayout[encoding];
  let shape: readonly number[];
  if (outputShape === undefined) {
    // Flat: one vector, so int8 carries one scale ahead of the values.
    const valuesBytes = bytes.byteLength - vectorBytes;
    if (valuesBytes < 0 || valuesBytes % valueBytes !== 0)
      throw new ResultDecodeError(
        `output (${encoding}) holds ${bytes.byteLength} bytes, which is not ${vectorBytes ? `${vectorBytes} + ` : ''}a multiple of ${valueBytes}: the value is damaged or was written by something else`,
      );
    shape = [valuesBytes / valueBytes];
  } else {
    if (
      !Array.isArray(outputShape) ||
      outputShape.length === 0 ||
      outputShape.length > MAX_DIMENSIONS ||
      !outputShape.every((d) => Number.isSafeInteger(d) && d >= 0)
    )
      throw new ResultDecodeError(
        `outputShape must be a list of 1 to ${MAX_DIMENSIONS} non-negative integers, found ${JSON.stringify(outputShape)?.slice(0, 200)}`,
      );
    shape = outputShape as number[];
  }
  // An empty innermost dimension lets a tiny value claim any number of empty arrays.
  const arrays = shapeSize(shape.slice(0, -1));
  if (arrays > Math.max(1, bytes.byteLength) || arrays * 8 > maxDecodedOutputBytes)
    throw new ResultDecodeError(
      `outputShape [${shape.join(', ')}] describes ${arrays} arrays for ${bytes.byteLength} bytes: the value is damaged or was written by something else`,
    );
  const expected = arrays * vectorBytes + shapeSize(shape) * valueBytes;
  if (expected !== bytes.byteLength)
    throw new ResultDecodeError(
      `output (${encoding}) holds ${bytes.byteLength} bytes, but shape [${shape.join(', ')}] needs ${expected}: the value is damaged or was written by something else`,
    );
  return shape;
}

/**
 * Most bytes a reader decodes one output to (decompressed JSON text, or the arrays a shape
 * builds). A real output is a slice of one InvokeEndpoint response (at most 6 MB on a
 * real-time endpoint), so anything larger is damaged or hostile data, refused before it
 * can exhaust a reader's memory: a 100 KB gzip value can expand to gigabytes.
 */
export const maxDecodedOutputBytes = 32 * 1024 * 1024;

/** Outputs whose JSON text is shorter than this stay text under `compressed` (see {@link encodeOutput}). */
export const minCompressChars = 256;

/** A stored row's output attributes, as read (anything may be missing or of the wrong type). */
export interface StoredOutput {
  readonly output?: unknown;
  readonly outputEncoding?: unknown;
  readonly outputShape?: unknown;
}

function binary(row: StoredOutput, encoding: string): Uint8Array {
  if (!(row.output instanceof Uint8Array))
    throw new ResultDecodeError(
      `outputEncoding is "${encoding}" but output is ${typeof row.output === 'string' ? 'a String' : typeof row.output}, not a Binary attribute`,
    );
  return row.output;
}

function parseJson(text: string, encoding: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ResultDecodeError(`output (${encoding}) is not valid JSON text`, { cause: error });
  }
}

/** The JSON text of a `json` or `json-gzip` row, or undefined for a numeric one. */
function storedText(row: StoredOutput, encoding: string): string | undefined {
  if (encoding === StoredEncoding.json) {
    if (typeof row.output !== 'string')
      throw new ResultDecodeError(
        `a json row's output must be a String attribute, found ${row.output instanceof Uint8Array ? 'a Binary' : typeof row.output}`,
      );
    return row.output;
  }
  if (encoding === StoredEncoding.jsonGzip) {
    let raw: Buffer;
    try {
      raw = gunzipSync(binary(row, encoding), { maxOutputLength: maxDecodedOutputBytes });
    } catch (error) {
      if (error instanceof ResultDecodeError) throw error;
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
        throw new ResultDecodeError(
          `output (json-gzip) decompresses to more than ${maxDecodedOutputBytes} bytes: refused as damaged or hostile`,
          { cause: error },
        );
      throw new ResultDecodeError(
        `output (json-gzip) does not decompress (${(error as Error).message}): the value is damaged or is not gzip`,
        { cause: error },
      );
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch (error) {
      throw new ResultDecodeError('output (json-gzip) decompresses to invalid UTF-8', {
        cause: error,
      });
    }
  }
  return undefined;
}

function encodingOf(row: StoredOutput): string {
  const encoding = row.outputEncoding ?? StoredEncoding.json;
  if (typeof encoding !== 'string' || !storedEncodings.includes(encoding))
    throw new ResultDecodeError(
      `unknown outputEncoding ${JSON.stringify(encoding)?.slice(0, 100)} (this reader knows ${storedEncodings.join(', ')}): upgrade sagebatch to read this row`,
    );
  if (row.output === undefined) throw new ResultDecodeError('the row has no output attribute');
  return encoding;
}

/**
 * The output a row holds, whatever its encoding: the parsed JSON value for `json` and
 * `json-gzip`, nested arrays of numbers for the numeric encodings. Throws a
 * {@link ResultDecodeError} naming what is wrong for anything malformed (unknown encoding,
 * wrong attribute type, damaged bytes, a shape that does not match).
 */
export function decodeOutput(row: StoredOutput): unknown {
  const encoding = encodingOf(row);
  const text = storedText(row, encoding);
  if (text !== undefined) return parseJson(text, encoding);
  const numeric = encoding as NumericEncoding;
  const bytes = binary(row, encoding);
  const shape = storedShape(bytes, numeric, row.outputShape);
  return fromNumericArray(shape, unpackNumeric(bytes, numeric, shape));
}

/**
 * The output a row holds as JSON text: exactly the model's text for `json` and
 * `json-gzip` (numbers beyond double precision included), the decoded numbers written by
 * `JSON.stringify` for the numeric encodings. Throws like {@link decodeOutput}.
 */
export function decodeOutputText(row: StoredOutput): string {
  const encoding = encodingOf(row);
  const text = storedText(row, encoding);
  if (text !== undefined) {
    parseJson(text, encoding);
    return text;
  }
  return JSON.stringify(decodeOutput(row));
}
