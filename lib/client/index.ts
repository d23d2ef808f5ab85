/**
 * What sagebatch's users import: the producer client (send requests, wait for their
 * results), the dead-letter admin (read and redrive failed requests), and the contract
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
export { openCompletionSubscription, waitQueuePrefix } from './completionSubscription.js';
export { type DeadLetterMessage, readDeadLetters, redriveDeadLetters } from './deadLetterAdmin.js';
export {
  type RequestResult,
  SagebatchClient,
  type SagebatchClientOptions,
  SubmitError,
  type SubmitRequest,
  type WaitMode,
  type WaitOptions,
  type WaitProgress,
  type WaitResult,
} from './SagebatchClient.js';
