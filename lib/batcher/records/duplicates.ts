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
  const firstValid = new Map<string, number>();
  const first = new Map<string, number>();
  envelopes.forEach((envelope, i) => {
    const id = envelope.ok ? envelope.request.id : envelope.id;
    if (!first.has(id)) first.set(id, i);
    if (envelope.ok && !firstValid.has(id)) firstValid.set(id, i);
  });
  return envelopes.map((envelope) => {
    const id = envelope.ok ? envelope.request.id : envelope.id;
    return firstValid.get(id) ?? first.get(id)!;
  });
}
