import {
  InvokeEndpointCommand,
  type SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import pLimit, { type LimitFunction } from 'p-limit';
import { abortable } from '../../common/abortable.js';
import { type RetryPolicy, retryDelay } from '../../common/retryPolicy.js';
import { AwsLimits } from '../../contract/awsLimits.js';
import { ErrorCode, errorInfo } from '../../contract/errorCodes.js';
import { type FailureKind, ModelCallError } from '../../contract/errors.js';
import { type Clock, systemClock } from '../clock.js';
import type { Codec } from '../codecs/index.js';
import { classifyModelError } from './classifyModelError.js';

/** What a model item needs: its JSON text, and the time after which it must not be sent. */
export interface ModelItem {
  readonly inputJson: string;
  /** Epoch ms; checked before every attempt. */
  readonly deadline?: number | undefined;
}

/**
 * Why an item is left for a later delivery:
 * - `unavailable`: the endpoint stayed busy or unreachable for the whole time budget;
 * - `model-error`: the model failed on this item alone with a server error (a poison pill,
 *   or an endpoint failing everything): final on the queue's last delivery;
 * - `systemic`: the circuit breaker opened (endpoint missing, access denied): the item was
 *   not sent, and must wait in the queue until the configuration is fixed;
 * - `no-capacity`: the endpoint has no copy of the model (scaled to zero): held until the
 *   scale-out from zero brings one up.
 */
export type RetryReason = 'unavailable' | 'model-error' | 'systemic' | 'no-capacity';

/** The fate of one item after all model calls for it. */
export type ItemOutcome =
  | {
      readonly status: 'ok';
      /** The model's output for this item, exactly as the model wrote it. */
      readonly outputJson: string;
      /** Duration of the model call that produced the output, ms. */
      readonly latencyMs: number;
      /** Items in that model call. */
      readonly batchItems: number;
    }
  /** Isolated by splitting: the model refuses this item (4xx) or answers it badly. */
  | { readonly status: 'failed'; readonly error: { code: ErrorCode; message: string } }
  /** Not answered in this invocation: deliver again later. */
  | { readonly status: 'retry'; readonly reason: RetryReason; readonly message: string }
  /** Its deadline passed before an attempt could send it. */
  | { readonly status: 'expired' };

/** One InvokeEndpoint attempt, as reported by {@link ModelInvoker.invoke} (metrics, logs, benchmarks). */
export interface ModelCallReport {
  readonly items: number;
  readonly bytes: number;
  readonly latencyMs: number;
  /**
   * `ok`, how the call failed, or `aborted` when the invocation's own time budget cut it off
   * (then the endpoint's answer, if any, was never seen: not counted as a model invocation).
   */
  readonly result: 'ok' | FailureKind | 'aborted';
  /** The error's SDK name and status, when it failed (never a payload). */
  readonly errorName?: string;
  readonly status?: number | undefined;
}

/** Settings of a {@link ModelInvoker}. */
export interface ModelInvokerOptions {
  readonly client: Pick<SageMakerRuntimeClient, 'send'>;
  readonly endpointName: string;
  /** The inference component to call on the endpoint (scale to zero); unset: the endpoint's model. */
  readonly inferenceComponentName?: string | undefined;
  readonly codec: Codec;
  /** Most calls in flight at once. */
  readonly parallelism: number;
  /**
   * Longest one call may take before it is aborted, ms. Above SageMaker's 60 s model
   * response limit, a call that times out got no answer at all (SageMaker answers a slow
   * container itself by then): `unavailable`. At or below it, the model was slower than the
   * bound the user set on this batch: `model-error`, so the batch is split.
   */
  readonly callTimeoutMs: number;
  /** Makes the signal that ends one call after `ms`; injectable for tests. @default AbortSignal.timeout */
  readonly callTimeout?: (ms: number) => AbortSignal;
  /** Delays between tries of a busy endpoint (the invocation's budget bounds how many). */
  readonly retry: RetryPolicy;
  /** Attempts at one batch that fails with model errors before it is split, default 2. */
  readonly modelErrorAttempts?: number;
  /** Time source; injectable for tests. */
  readonly clock?: Clock;
}

/** Result of {@link ModelInvoker.invoke}. */
export interface InvokeResult {
  /** Aligned with the batches given: one outcome per item, in order. */
  readonly outcomes: ItemOutcome[][];
  /** Every InvokeEndpoint attempt, retries, splits and aborted ones included. */
  readonly calls: ModelCallReport[];
  /** The error that opened the circuit breaker, if one did. */
  readonly systemic: ModelCallError | undefined;
  /** The no-capacity answer that stopped the calls (scaled to zero), if one did. */
  readonly noCapacity?: ModelCallError | undefined;
}

/** Time limits of one {@link ModelInvoker.invoke} run. */
export interface InvokeBudget {
  /** Aborts every call in flight (the function is about to time out). */
  readonly signal: AbortSignal;
  /** Epoch ms after which no new attempt starts. */
  readonly deadline: number;
}

type CallResult =
  | { readonly ok: true; readonly outputs: string[]; readonly latencyMs: number }
  | { readonly ok: false; readonly error: ModelCallError; readonly aborted: boolean };

/** State shared by every batch of one invocation. */
interface Run {
  readonly budget: InvokeBudget;
  readonly calls: ModelCallReport[];
  /** Set by the first systemic error: the circuit breaker is open, nothing more is sent. */
  systemic: ModelCallError | undefined;
  /** Set by the first no-capacity answer: the endpoint is at zero, nothing more is sent. */
  noCapacity?: ModelCallError | undefined;
}

/**
 * What a call that timed out on the client says. SageMaker answers every call within its
 * 60 s model response limit, with a ModelError (status 0) when the container is slower
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html,
 * which recommends a 70 s socket timeout): silence past that limit is the network or the
 * service, not evidence against the input, so it is retried like a busy endpoint and
 * never split. A timeout the user set at or below the limit bounds the model's own work on
 * the batch: like a 5xx, a batch too large for the model is then the usual cause.
 */
export const timeoutKind = (callTimeoutMs: number): 'unavailable' | 'model-error' =>
  callTimeoutMs > AwsLimits.invokeEndpointModelResponseMs ? 'unavailable' : 'model-error';

const finalCode = {
  rejected: ErrorCode.MODEL_REJECTED,
  'bad-response': ErrorCode.MODEL_BAD_RESPONSE,
} as const;

/**
 * Sends planned batches to a SageMaker endpoint and returns one {@link ItemOutcome} per item.
 *
 * - Calls run with bounded parallelism across batches.
 * - Every attempt first drops the items whose deadline has passed (`expired`).
 * - `unavailable` errors (throttling, a busy 429/503 container, ModelNotReady, no answer
 *   past SageMaker's 60 s limit) are retried with full-jitter backoff while the budget
 *   allows, at the same size: splitting would add calls to an overloaded endpoint.
 * - A batch the model rejects (4xx) or answers badly is split in halves until the failing
 *   items stand alone, so healthy neighbours still succeed: one poison item among n costs
 *   at most 2 * ceil(log2 n) extra calls.
 * - A batch failing with model errors (5xx ModelError, SageMaker's 60 s timeout) is retried briefly,
 *   then split the same way: a poison pill or a batch too large for the model never
 *   retries forever at the same size.
 * - A systemic error opens a circuit breaker: no further call in this invocation, every
 *   item not yet answered is left for redelivery.
 *
 * @example
 * ```ts
 * const invoker = new ModelInvoker({ client, endpointName: 'my-ep', codec: getCodec('hf-inputs'),
 *   parallelism: 4, callTimeoutMs: 70_000, retry: defaultRetryPolicy });
 * const { outcomes } = await invoker.invoke(batches, { signal, deadline: Date.now() + 30_000 });
 * ```
 */
export class ModelInvoker {
  readonly #options: ModelInvokerOptions;
  readonly #limit: LimitFunction;
  readonly #clock: Clock;

  constructor(options: ModelInvokerOptions) {
    this.#options = options;
    this.#limit = pLimit(options.parallelism);
    this.#clock = options.clock ?? systemClock;
  }

  /** Runs every batch within the budget. */
  async invoke(
    batches: readonly (readonly ModelItem[])[],
    budget: InvokeBudget,
  ): Promise<InvokeResult> {
    const run: Run = { budget, calls: [], systemic: undefined };
    const outcomes = await Promise.all(batches.map((batch) => this.#runBatch(batch, run, 0, 0)));
    return { outcomes, calls: run.calls, systemic: run.systemic, noCapacity: run.noCapacity };
  }

  async #runBatch(
    items: readonly ModelItem[],
    run: Run,
    attempt: number,
    modelErrors: number,
    previous?: string,
  ): Promise<ItemOutcome[]> {
    if (items.length === 0) return [];
    // Deadlines hold to the end: an item whose deadline passed while it waited is not sent.
    const now = this.#clock.now();
    if (items.some((item) => item.deadline !== undefined && item.deadline <= now)) {
      const live = items.filter((item) => item.deadline === undefined || item.deadline > now);
      const answers = await this.#runBatch(live, run, attempt, modelErrors, previous);
      let next = 0;
      return items.map((item) =>
        item.deadline !== undefined && item.deadline <= now
          ? { status: 'expired' }
          : answers[next++]!,
      );
    }

    const result = await this.#limit(() => this.#attempt(items, run));
    if (result.ok) {
      return result.outputs.map((outputJson) => ({
        status: 'ok',
        outputJson,
        latencyMs: result.latencyMs,
        batchItems: items.length,
      }));
    }
    const { kind, message } = result.error;
    const retry = (reason: RetryReason, why = message): ItemOutcome[] =>
      items.map(() => ({ status: 'retry', reason, message: why }));

    // Cut off by the budget: the cause worth reporting is the error that made it retry.
    if (result.aborted) return retry('unavailable', previous ?? message);
    switch (kind) {
      case 'systemic':
        return retry('systemic', run.systemic?.message ?? message);
      case 'no-capacity':
        return retry('no-capacity', run.noCapacity?.message ?? message);
      case 'unavailable':
        return (await this.#backoff(attempt, run))
          ? this.#runBatch(items, run, attempt + 1, modelErrors, message)
          : retry('unavailable');
      case 'model-error': {
        const attempts = this.#options.modelErrorAttempts ?? 2;
        if (modelErrors + 1 < attempts && (await this.#backoff(attempt, run))) {
          return this.#runBatch(items, run, attempt + 1, modelErrors + 1, message);
        }
        // Alone and still failing: a poison pill, unless the endpoint fails everything.
        if (items.length === 1) return retry('model-error');
        return this.#split(items, run);
      }
      case 'rejected':
      case 'bad-response':
        if (items.length === 1) {
          return [{ status: 'failed', error: errorInfo(finalCode[kind], message) }];
        }
        return this.#split(items, run);
    }
  }

  /** The model judged the batch as a whole: try each half on its own. */
  async #split(items: readonly ModelItem[], run: Run): Promise<ItemOutcome[]> {
    const middle = Math.ceil(items.length / 2);
    const halves = await Promise.all([
      this.#runBatch(items.slice(0, middle), run, 0, 0),
      this.#runBatch(items.slice(middle), run, 0, 0),
    ]);
    return halves.flat();
  }

  /** Waits before retry number `attempt`; false when the budget cannot cover the wait. */
  async #backoff(attempt: number, run: Run): Promise<boolean> {
    const wait = retryDelay(this.#options.retry, attempt);
    const { signal, deadline } = run.budget;
    if (signal.aborted || run.systemic || run.noCapacity || this.#clock.now() + wait >= deadline)
      return false;
    try {
      await this.#clock.sleep(wait, signal);
      return true;
    } catch {
      return false; // aborted while waiting: out of time
    }
  }

  /** One attempt, unless the circuit is open or the budget is spent by the time a slot frees up. */
  async #attempt(items: readonly ModelItem[], run: Run): Promise<CallResult> {
    if (run.systemic) return { ok: false, error: run.systemic, aborted: false };
    if (run.noCapacity) return { ok: false, error: run.noCapacity, aborted: false };
    const { signal, deadline } = run.budget;
    if (signal.aborted || this.#clock.now() >= deadline) {
      const error = new ModelCallError('unavailable', 'out of time before the call could start');
      return { ok: false, error, aborted: true };
    }
    const result = await this.#call(items, signal, run.calls);
    if (!result.ok && result.error.kind === 'systemic') run.systemic ??= result.error;
    if (!result.ok && result.error.kind === 'no-capacity') run.noCapacity ??= result.error;
    return result;
  }

  async #call(
    items: readonly ModelItem[],
    signal: AbortSignal,
    calls: ModelCallReport[],
  ): Promise<CallResult> {
    const { client, endpointName, codec, callTimeoutMs } = this.#options;
    const body = codec.encode(items.map((item) => item.inputJson));
    const started = performance.now();
    const timeout = (this.#options.callTimeout ?? AbortSignal.timeout)(callTimeoutMs);
    let result: CallResult;
    try {
      const callSignal = AbortSignal.any([signal, timeout]);
      const command = new InvokeEndpointCommand({
        EndpointName: endpointName,
        ...(this.#options.inferenceComponentName
          ? { InferenceComponentName: this.#options.inferenceComponentName }
          : {}),
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
      if (signal.aborted) {
        result = { ok: false, error: classifyModelError(error), aborted: true };
      } else if (timeout.aborted) {
        const timedOut = new ModelCallError(
          timeoutKind(callTimeoutMs),
          `no answer within ${callTimeoutMs} ms (MODEL_CALL_TIMEOUT_MS)`,
          undefined,
          { errorName: 'TimeoutError' },
        );
        result = { ok: false, error: timedOut, aborted: false };
      } else {
        result = { ok: false, error: classifyModelError(error), aborted: false };
      }
    }
    calls.push({
      items: items.length,
      bytes: Buffer.byteLength(body),
      latencyMs: performance.now() - started,
      ...(result.ok
        ? { result: 'ok' }
        : {
            result: result.aborted ? 'aborted' : result.error.kind,
            errorName: result.error.errorName,
            status: result.error.status,
          }),
    });
    return result;
  }
}
