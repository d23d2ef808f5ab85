/**
 * What sagebatch's users import: the producer client (send requests, wait for their
 * results), jobs (a file of requests submitted, watched, read back and cancelled together), the dead-letter admin (read and redrive failed requests), and the contract
 * types those return.
 *
 * @example
 * ```ts
 * import { SagebatchClient } from './lib/client/index.js';
 * const client = new SagebatchClient({ sqs, dynamo, queueUrl, tableName });
 * const ids = await client.submit([{ input: { text: 'great product' } }]);
 * const { results, pending } = await client.waitForResults(ids, { timeoutMs: 60_000 });
 * ```
 */

export { compactNames, readResultRow } from '../contract/compactRow.js';
export {
  type CompletionEvent,
  CompletionEventAttribute,
  CompletionEventType,
  type JobCompletedEvent,
  parseRequestCompletedEvent,
  type RequestCompletedEvent,
  type WaitTarget,
  waitFilterPolicy,
} from '../contract/completionEvent.js';
export { ErrorCode, type ErrorInfo } from '../contract/errorCodes.js';
export { ConfigError, SagebatchError } from '../contract/errors.js';
export { FINAL_STATUSES, type FinalStatus, isFinalStatus } from '../contract/finalStatus.js';
export { type JobItem, JobState } from '../contract/job.js';
export { DeadLetterAttribute } from '../contract/messageAttributes.js';
export {
  decodeOutput,
  ResultDecodeError,
  type ResultEncoding,
  resultEncodings,
  StoredEncoding,
} from '../contract/resultEncoding.js';
export { type ResultRow, ResultStatus } from '../contract/resultRow.js';
export { StackOutput } from '../contract/stackOutputs.js';
export { type InvalidLine, InvalidLinesError } from '../jobs/jobLines.js';
export type { JobCounts, JobProgress } from '../jobs/jobProgress.js';
export { openCompletionSubscription, waitQueuePrefix } from './completionSubscription.js';
export { type DeadLetterMessage, readDeadLetters, redriveDeadLetters } from './deadLetterAdmin.js';
export {
  type RequestResult,
  type RequestResultText,
  SagebatchClient,
  type SagebatchClientOptions,
  SubmitError,
  type SubmitRequest,
  type WaitMode,
  type WaitOptions,
  type WaitProgress,
  type WaitResult,
} from './SagebatchClient.js';
export {
  checkLines,
  defaultInstancePricePerHour,
  type JobResultLine,
  type JobStatus,
  type JobSubmitOptions,
  type JobSubmitReport,
  type LineSource,
  SagebatchJobs,
  type SagebatchJobsOptions,
} from './SagebatchJobs.js';
