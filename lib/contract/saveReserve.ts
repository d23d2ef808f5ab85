/**
 * Time kept for the save phase per record, on top of `TIME_RESERVE_MS`: writing 10,000
 * rows takes 400 BatchWriteItem calls, so a fixed reserve that suits 100 records would let
 * a large invocation's writes run into its timeout. A contract value: the batcher budgets
 * by it and the construct checks at synth that a function timeout fits one model call
 * plus this reserve.
 */
export const saveReservePerRecordMs = 0.5;

/** The time an invocation keeps for recording the outcomes of `records` records. */
export const saveReserveMs = (baseMs: number, records: number) =>
  Math.ceil(baseMs + records * saveReservePerRecordMs);
