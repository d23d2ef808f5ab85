/**
 * A codec turns a batch of items into one InvokeEndpoint request body and the endpoint's
 * answer back into exactly one output per item.
 *
 * Items arrive as JSON text, serialized once when the request was parsed: encoding is
 * string concatenation, so an item is never serialized twice.
 */
export interface Codec {
  /** The name used in configuration (`CODEC`). */
  readonly name: string;
  /** `ContentType` of the request body. */
  readonly contentType: string;
  /** `Accept` header for the response. */
  readonly accept: string;
  /** Bytes the codec adds around any batch (wrapper object, brackets). */
  readonly overheadBytes: number;
  /** Bytes the codec adds between two items. */
  readonly separatorBytes: number;
  /** Builds the request body from the items' JSON texts. */
  encode(items: readonly string[]): string;
  /**
   * Splits a response body into exactly `count` outputs, in item order, each as the JSON
   * text the model wrote (compacted, never reserialized: exact for any JSON value).
   * @throws DecodeError when the body is not in the codec's shape or holds another count.
   */
  decode(body: string, count: number): string[];
}
