import {
  InvokeEndpointCommand,
  type SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import pLimit, { type LimitFunction } from 'p-limit';
import { abortable } from './abortable.js';
import { backoffDelay, sleep } from './backoff.js';
import { classifyModelError } from './classifyModelError.js';
import type { Codec } from './codecs/index.js';
import { ErrorCode, type ErrorInfo } from './errorCodes.js';
import type { FailureKind, ModelCallError } from './errors.js';

/** What a model item needs: its JSON text. */
export interface ModelItem {
  readonly inputJson: string;
}

/** The fate of one item after all model calls for it. */
export type ItemOutcome =
  | {
      readonly status: 'ok';
      readonly output: unknown;
      /** Duration of the model call that produced the output, ms. */
      readonly latencyMs: number;
      /** Items in that model call. */
      readonly batchItems: number;
    }
  /** Isolated by bisection: the model fails this item on its own. */
  | { readonly status: 'failed'; readonly error: ErrorInfo }
  /** Still failing transiently when the time budget ran out: retry later. */
  | { readonly status: 'transient'; readonly message: string };

/** One InvokeEndpoint call, as reported by {@link ModelInvoker.invoke} (metrics, benchmarks). */
export interface ModelCallReport {
  readonly items: number;
  readonly bytes: number;
  readonly latencyMs: number;
  /** `ok`, or how the call failed. */
  readonly result: 'ok' | FailureKind;
}

/** Settings of a {@link ModelInvoker}. */
export interface ModelInvokerOptions {
  readonly client: SageMakerRuntimeClient;
  readonly endpointName: string;
  readonly codec: Codec;
  /** Most calls in flight at once. */
  readonly parallelism: number;
  /** Longest one call may take before it is aborted (and counted transient), ms. */
  readonly callTimeoutMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Randomness for backoff jitter; injectable for tests. */
  readonly random?: () => number;
}

/** Result of {@link ModelInvoker.invoke}. */
export interface InvokeResult {
  /** Aligned with the batches given: one outcome per item, in order. */
  readonly outcomes: ItemOutcome[][];
  /** Every InvokeEndpoint call made, retries and bisection included. */
  readonly calls: ModelCallReport[];
}

/** Time limits of one {@link ModelInvoker.invoke} run. */
export interface InvokeBudget {
  /** Aborts every call in flight (the function is about to time out). */
  readonly signal: AbortSignal;
  /** Epoch ms after which no new attempt starts. */
  readonly deadline: number;
}

type CallResult =
  | { readonly ok: true; readonly outputs: unknown[]; readonly latencyMs: number }
  | { readonly ok: false; readonly error: ModelCallError };

const terminalCode = {
  rejected: ErrorCode.MODEL_REJECTED,
  'bad-response': ErrorCode.MODEL_BAD_RESPONSE,
} as const;

/**
 * Sends planned batches to a SageMaker endpoint and returns one {@link ItemOutcome} per item.
 *
 * - Calls run with bounded parallelism across batches.
 * - Transient failures are retried with full-jitter backoff while the budget allows.
 * - A batch the model rejects (4xx) or answers badly is bisected: halves are retried until
 *   the failing items stand alone, so healthy neighbours still succeed. One poison item
 *   among n costs at most 2 * ceil(log2 n) extra calls.
 *
 * @example
 * ```ts
 * const invoker = new ModelInvoker({ client, endpointName: 'my-ep', codec: getCodec('hf-inputs'),
 *   parallelism: 4, callTimeoutMs: 60_000, retryBaseMs: 100, retryMaxMs: 5_000 });
 * const outcomes = await invoker.invoke(batches, { signal, deadline: Date.now() + 30_000 });
 * ```
 */
export class ModelInvoker {
  readonly #options: ModelInvokerOptions;
  readonly #limit: LimitFunction;

  constructor(options: ModelInvokerOptions) {
    this.#options = options;
    this.#limit = pLimit(options.parallelism);
  }

  /** Runs every batch within the budget. */
  async invoke(
    batches: readonly (readonly ModelItem[])[],
    budget: InvokeBudget,
  ): Promise<InvokeResult> {
    const calls: ModelCallReport[] = [];
    const outcomes = await Promise.all(
      batches.map((batch) => this.#runBatch(batch, budget, calls)),
    );
    return { outcomes, calls };
  }

  async #runBatch(
    items: readonly ModelItem[],
    budget: InvokeBudget,
    calls: ModelCallReport[],
  ): Promise<ItemOutcome[]> {
    const result = await this.#callWithRetries(items, budget, calls);
    if (result.ok) {
      return result.outputs.map((output) => ({
        status: 'ok',
        output,
        latencyMs: result.latencyMs,
        batchItems: items.length,
      }));
    }
    const { kind, message } = result.error;
    if (kind === 'transient') return items.map(() => ({ status: 'transient', message }));
    if (items.length === 1)
      return [{ status: 'failed', error: { code: terminalCode[kind], message } }];
    // Bisect: the model judged the batch as a whole; find which items it objects to.
    const middle = Math.ceil(items.length / 2);
    const halves = await Promise.all([
      this.#runBatch(items.slice(0, middle), budget, calls),
      this.#runBatch(items.slice(middle), budget, calls),
    ]);
    return halves.flat();
  }

  async #callWithRetries(
    items: readonly ModelItem[],
    budget: InvokeBudget,
    calls: ModelCallReport[],
  ): Promise<CallResult> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.#limit(() => this.#call(items, budget.signal, calls));
      if (result.ok || result.error.kind !== 'transient') return result;
      const wait = backoffDelay(attempt, {
        baseMs: this.#options.retryBaseMs,
        maxMs: this.#options.retryMaxMs,
        random: this.#options.random,
      });
      if (budget.signal.aborted || Date.now() + wait >= budget.deadline) return result;
      try {
        await sleep(wait, budget.signal);
      } catch {
        return result; // aborted while waiting: out of time
      }
    }
  }

  async #call(
    items: readonly ModelItem[],
    signal: AbortSignal,
    calls: ModelCallReport[],
  ): Promise<CallResult> {
    const { client, endpointName, codec, callTimeoutMs } = this.#options;
    const body = codec.encode(items.map((item) => item.inputJson));
    const started = performance.now();
    let result: CallResult;
    try {
      const callSignal = AbortSignal.any([signal, AbortSignal.timeout(callTimeoutMs)]);
      const command = new InvokeEndpointCommand({
        EndpointName: endpointName,
        Body: body,
        ContentType: codec.contentType,
        Accept: codec.accept,
      });
      const response = await abortable(
        client.send(command, { abortSignal: callSignal }),
        callSignal,
      );
      const text = Buffer.from(response.Body ?? new Uint8Array()).toString('utf8');
      const latencyMs = performance.now() - started;
      result = { ok: true, outputs: codec.decode(text, items.length), latencyMs };
    } catch (error) {
      result = { ok: false, error: classifyModelError(error) };
    }
    calls.push({
      items: items.length,
      bytes: Buffer.byteLength(body),
      latencyMs: performance.now() - started,
      result: result.ok ? 'ok' : result.error.kind,
    });
    return result;
  }
}
