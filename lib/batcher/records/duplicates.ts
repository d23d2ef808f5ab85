import type { EnvelopeResult } from '../../contract/envelope.js';

/**
 * The one decision about records of one delivery that carry the same request id (a
 * producer retry, a redrive racing the original, or two different bodies with one id):
 * the first record whose body is valid (else the first record) is the request; every
 * other record with that id is its duplicate and shares its fate. Duplicates are never
 * computed, written or dead-lettered on their own, so one id can never show a SUCCEEDED
 * row and a DLQ message from the same delivery.
 *
 * @returns for each record, the index of the record whose fate it shares (itself for the
 *   record that represents its id).
 */
export function primaryRecords(envelopes: readonly EnvelopeResult[]): number[] {
  // One map, id -> its deciding record so far: the first valid one, else the first.
  const decides = new Map<string, number>();
  const ids = envelopes.map((envelope, i) => {
    const id = envelope.ok ? envelope.request.id : envelope.id;
    const so = decides.get(id);
    if (so === undefined || (envelope.ok && !envelopes[so]!.ok)) decides.set(id, i);
    return id;
  });
  return ids.map((id) => decides.get(id)!);
}
