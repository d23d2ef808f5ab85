/**
 * What the save phase of one invocation costs, in calls and waves of calls, at an assumed
 * latency per call. The phase runs three chains of AWS batch calls, each `parallelism`
 * calls at a time: the result rows (BatchWriteItem, 25 rows a call, 25 in flight), then
 * the DLQ messages of the FAILED ones (SendMessageBatch, 10 a call, 16 in flight), then the
 * backoff of the records left for redelivery (ChangeMessageVisibilityBatch, 10 a call, 16
 * in flight). The worst case counts every record in each chain. Not counted: the re-read
 * and the `deadLetteredAt` mark around each DLQ message (a FAILED record costs them only
 * once); an invocation where thousands of records fail at once may run past this reserve,
 * and what it could not record is delivered again, never lost.
 *
 * A contract value: the batcher budgets by it and the construct checks at synth that a
 * function timeout fits one model call plus this reserve.
 */
export const SaveCalls = {
  /**
   * Latency assumed per SQS or DynamoDB call, ms: in-Region calls answer in single-digit to
   * tens of ms; 50 leaves room for a slow tail and one SDK retry.
   */
  latencyMs: 50,
  rowsPerWrite: 25,
  writesInFlight: 25,
  messagesPerCall: 10,
  sqsCallsInFlight: 16,
} as const;

/**
 * The time an invocation keeps for recording the outcomes of `records` records: `baseMs`
 * (TIME_RESERVE_MS, for retries and anything slower than assumed) plus the waves of calls
 * of the three save chains at `latencyMs` a call. 10,000 records: 16 + 63 + 63 waves, 7.1 s
 * at 50 ms; the old fixed 0.5 ms a record (5 s) covered 1,000 sequential visibility calls
 * only below 5 ms a call.
 */
export function saveReserveMs(
  baseMs: number,
  records: number,
  latencyMs: number = SaveCalls.latencyMs,
): number {
  const waves = (perCall: number, inFlight: number) =>
    Math.ceil(Math.ceil(records / perCall) / inFlight);
  const rows = waves(SaveCalls.rowsPerWrite, SaveCalls.writesInFlight);
  const sqs = waves(SaveCalls.messagesPerCall, SaveCalls.sqsCallsInFlight);
  return Math.ceil(baseMs + (rows + 2 * sqs) * latencyMs);
}
