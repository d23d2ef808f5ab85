import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import { AwsLimits } from '../../contract/awsLimits.js';
import { parseBatch } from './batchFormats.js';
import { type BuiltinModelName, builtinModels } from './builtinModels.js';
import { Capacity, capacitySchema, noCapacityMessage } from './capacity.js';
import { type Faults, type FaultsInput, faultsSchema } from './faults.js';

/** Settings of an {@link EndpointEmulator}. */
export interface EndpointEmulatorOptions {
  /** Port to listen on; 0 picks a free one. @default 8080 */
  readonly port?: number;
  /** Address to bind. Use 0.0.0.0 when Lambda runs in containers (LocalStack). @default '127.0.0.1' */
  readonly host?: string;
  /** Built-in model to serve. @default 'text-stats' */
  readonly model?: BuiltinModelName;
  /** Forward calls to a SageMaker-contract container (`GET /ping`, `POST /invocations`) at this URL instead. */
  readonly proxyUrl?: string;
  /** Model calls served at once, like model workers on one instance. @default 1 */
  readonly concurrency?: number;
  readonly faults?: FaultsInput;
  /** Randomness of `unavailableRate`; injectable for tests. */
  readonly random?: () => number;
  /**
   * Starts as an inference component scaled to zero: every call is refused with SageMaker's
   * no-capacity error until `PUT /_emulator/capacity {"copies":1}` (or {@link EndpointEmulator.setCapacity}),
   * then after `startupMs`. @default always up
   */
  readonly capacity?: { readonly atZero?: boolean; readonly startupMs?: number };
  /** Time source of the capacity switch; injectable for tests. @default Date.now */
  readonly now?: () => number;
  /**
   * How long a call may wait for the model before the emulator answers for it, as SageMaker
   * does after 60 s: 424 ModelError with status 0. @default 60000
   */
  readonly modelResponseLimitMs?: number;
}

/** What the emulator served since the last reset. */
export interface EndpointStats {
  /** InvokeEndpoint requests received, failed ones included. */
  calls: number;
  /** Items in calls the model computed (calls failed as unavailable excluded). */
  items: number;
  /** Calls answered with outputs. */
  succeeded: number;
  unavailableErrors: number;
  modelErrors: number;
  /** Calls refused because the endpoint name is not one of `endpointNames`. */
  refused: number;
  /** Calls never answered (`hangAboveItems`). */
  hung: number;
  /** Calls refused because no copy of the model was up (scaled to zero or starting). */
  noCapacity: number;
  /** Time the model spent computing, summed over calls, ms. */
  busyMs: number;
  /** Number of computed calls by batch size. */
  batchSizes: Record<number, number>;
}

const emptyStats = (): EndpointStats => ({
  calls: 0,
  items: 0,
  succeeded: 0,
  unavailableErrors: 0,
  modelErrors: 0,
  refused: 0,
  hung: 0,
  noCapacity: 0,
  busyMs: 0,
  batchSizes: {},
});

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Writes an error the way SageMaker Runtime does: status, `x-amzn-ErrorType`, JSON body. */
function sendError(
  response: ServerResponse,
  status: number,
  type: string,
  body: Record<string, unknown>,
): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  response.end(JSON.stringify(body));
}

/**
 * SageMaker's message when the container did not answer within its 60 s limit (as reported
 * in https://github.com/aws/amazon-sagemaker-examples/issues/799: 424 ModelError, status 0).
 */
const containerTimeoutMessage =
  'Your invocation timed out while waiting for a response from container primary. Review the latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again.';

/** Raised inside a call when the model (or the proxied container) rejects the batch. */
class ModelRejection extends Error {
  constructor(
    readonly originalStatus: number,
    readonly originalMessage: string,
  ) {
    super(originalMessage);
  }
}

/**
 * A local stand-in for a SageMaker real-time endpoint, speaking the InvokeEndpoint wire
 * protocol that `@aws-sdk/client-sagemaker-runtime` uses (`POST /endpoints/{name}/invocations`,
 * SageMaker's error types and statuses). It serves a deterministic built-in model or
 * proxies to a SageMaker-contract container, injects faults, and counts what it served.
 *
 * Control routes (not part of SageMaker): `GET /_emulator/stats`, `POST /_emulator/reset`,
 * `PUT /_emulator/faults`, `GET`/`PUT /_emulator/capacity` (`{"copies":0|1,"startupMs":n}`).
 *
 * @example
 * ```ts
 * const endpoint = new EndpointEmulator({ port: 0, faults: { poisonMarker: 'POISON' } });
 * const url = await endpoint.start(); // AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=url
 * ```
 */
export class EndpointEmulator {
  readonly #options: EndpointEmulatorOptions;
  readonly #limit: LimitFunction;
  #faults: Faults;
  #stats = emptyStats();
  #server: Server | undefined;
  readonly #capacity: Capacity;

  constructor(options: EndpointEmulatorOptions = {}) {
    this.#options = options;
    this.#limit = pLimit(options.concurrency ?? 1);
    this.#faults = faultsSchema.parse(options.faults ?? {});
    this.#capacity = new Capacity(options.capacity, options.now);
  }

  /** Starts listening; resolves to the base URL. */
  async start(): Promise<string> {
    const server = createServer((request, response) => {
      this.#route(request, response).catch((error: unknown) => {
        if (!response.headersSent)
          sendError(response, 500, 'InternalFailure', { message: String(error) });
      });
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port ?? 8080, this.#options.host ?? '127.0.0.1', () => resolve());
    });
    return this.url;
  }

  /** The base URL, once started. */
  get url(): string {
    const address = this.#server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the endpoint emulator is not started');
    const host =
      this.#options.host === undefined || this.#options.host === '0.0.0.0'
        ? '127.0.0.1'
        : this.#options.host;
    return `http://${host}:${address.port}`;
  }

  /** Stops listening and closes open connections. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A copy of the counters. */
  stats(): EndpointStats {
    return structuredClone(this.#stats);
  }

  /** Zeroes the counters (and the `unavailableFirstCalls` count). */
  reset(): void {
    this.#stats = emptyStats();
  }

  /** Replaces the fault settings. */
  setFaults(faults: FaultsInput): void {
    this.#faults = faultsSchema.parse(faults);
  }

  /** Sets the capacity switch (see {@link EndpointEmulatorOptions.capacity}). */
  setCapacity(input: { readonly copies: number; readonly startupMs?: number }) {
    return this.#capacity.set(input);
  }

  /** The capacity switch's state. */
  get capacity() {
    return this.#capacity.state();
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0]!;
    if (request.method === 'GET' && path === '/ping') return this.#ping(response);
    const invocation = /^\/endpoints\/([^/]+)\/invocations$/.exec(path);
    if (request.method === 'POST' && invocation)
      return this.#invoke(request, response, decodeURIComponent(invocation[1]!));
    if (request.method === 'GET' && path === '/_emulator/stats')
      return this.#json(response, this.#stats);
    if (request.method === 'POST' && path === '/_emulator/reset') {
      this.reset();
      return this.#json(response, this.#stats);
    }
    if (request.method === 'GET' && path === '/_emulator/capacity')
      return this.#json(response, this.#capacity.state());
    if (request.method === 'PUT' && path === '/_emulator/capacity') {
      const parsed = capacitySchema.safeParse(
        JSON.parse((await readBody(request)).toString('utf8') || '{}'),
      );
      if (!parsed.success) {
        return sendError(response, 400, 'ValidationError', {
          message: `invalid capacity: ${parsed.error.issues[0]?.message}`,
        });
      }
      return this.#json(response, this.#capacity.set(parsed.data));
    }
    if (request.method === 'PUT' && path === '/_emulator/faults') {
      const parsed = faultsSchema.safeParse(
        JSON.parse((await readBody(request)).toString('utf8') || '{}'),
      );
      if (!parsed.success)
        return sendError(response, 400, 'ValidationError', {
          message: parsed.error.issues[0]?.message,
        });
      this.#faults = parsed.data;
      return this.#json(response, this.#faults);
    }
    sendError(response, 404, 'UnknownOperationException', {
      message: `${request.method} ${path} is not an InvokeEndpoint route`,
    });
  }

  #json(response: ServerResponse, value: unknown): void {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(value));
  }

  async #ping(response: ServerResponse): Promise<void> {
    if (this.#options.proxyUrl) {
      const upstream = await fetch(new URL('/ping', this.#options.proxyUrl)).catch(() => undefined);
      response.writeHead(upstream?.ok ? 200 : 503);
      response.end();
      return;
    }
    response.writeHead(200);
    response.end();
  }

  async #invoke(
    request: IncomingMessage,
    response: ServerResponse,
    endpointName: string,
  ): Promise<void> {
    const body = (await readBody(request)).toString('utf8');
    const contentType = request.headers['content-type'];
    const stats = this.#stats;
    stats.calls += 1;
    const faults = this.#faults;
    if (faults.endpointNames && !faults.endpointNames.includes(endpointName)) {
      stats.refused += 1;
      // SageMaker's own answer for a missing endpoint or a wrong name.
      return sendError(response, 400, 'ValidationError', {
        message: `Endpoint ${endpointName} of account 000000000000 not found.`,
      });
    }
    if (!this.#capacity.available) {
      stats.noCapacity += 1;
      // SageMaker's answer for an inference component with no copy (scaled to zero).
      return sendError(response, 400, 'ValidationError', { message: noCapacityMessage });
    }
    const random = this.#options.random ?? Math.random;
    if (
      stats.calls <= faults.unavailableFirstCalls ||
      (faults.unavailableRate > 0 && random() < faults.unavailableRate)
    ) {
      stats.unavailableErrors += 1;
      if (faults.unavailableStatus === 429) {
        return sendError(response, 429, 'ModelNotReadyException', {
          message: 'Model is not ready (injected fault)',
        });
      }
      return sendError(response, 503, 'ServiceUnavailable', {
        message: 'Service unavailable (injected fault)',
      });
    }
    let batch: ReturnType<typeof parseBatch>;
    try {
      batch = parseBatch(body, contentType);
    } catch (error) {
      stats.modelErrors += 1;
      return this.#modelError(
        response,
        400,
        `cannot read the request: ${(error as Error).message}`,
      );
    }
    if (faults.hangAboveItems !== undefined && batch.items.length > faults.hangAboveItems) {
      stats.hung += 1;
      // The model never answers: SageMaker answers for it once its limit has passed, unless
      // the caller gave up first.
      const limitMs = this.#options.modelResponseLimitMs ?? AwsLimits.invokeEndpointModelResponseMs;
      const stop = new AbortController();
      const closed = new Promise((resolve) => response.once('close', resolve));
      const timedOut = delay(limitMs, true, { signal: stop.signal }).catch(() => false);
      const limitPassed = await Promise.race([closed.then(() => false), timedOut]);
      stop.abort();
      if (limitPassed && !response.writableEnded) {
        stats.modelErrors += 1;
        this.#modelError(response, 0, containerTimeoutMessage);
      }
      return;
    }
    try {
      const { body: answer, contentType: answerType } = await this.#limit(() =>
        this.#compute(body, contentType, batch),
      );
      response.writeHead(200, {
        'content-type': answerType,
        'x-amzn-invoked-production-variant': 'AllTraffic',
      });
      response.end(answer);
    } catch (error) {
      // Every failure inside the container (a rejection, an exception such as a stack
      // overflow on a deeply nested input, a container that cannot be reached) reaches the
      // caller the way SageMaker wraps it: a 424 ModelError, never SageMaker's own 500.
      stats.modelErrors += 1;
      if (error instanceof ModelRejection) {
        this.#modelError(response, error.originalStatus, error.originalMessage);
      } else {
        const e = error instanceof Error ? error : new Error(String(error));
        this.#modelError(response, 500, `${e.name}: ${e.message}`.slice(0, 1_000));
      }
    }
  }

  /** Runs one call on the model (one worker slot), counting its busy time. */
  async #compute(
    body: string,
    contentType: string | undefined,
    batch: ReturnType<typeof parseBatch>,
  ) {
    const stats = this.#stats;
    const faults = this.#faults;
    const started = performance.now();
    try {
      const texts = batch.items.map((item) => JSON.stringify(item));
      const latency = faults.latencyBaseMs + faults.latencyPerItemMs * batch.items.length;
      if (latency > 0) await delay(latency);
      if (faults.poisonMarker && texts.some((text) => text.includes(faults.poisonMarker!))) {
        throw new ModelRejection(
          faults.poisonStatus,
          faults.poisonStatus >= 500
            ? `unexpected exception on an input (contains ${faults.poisonMarker})`
            : `input rejected by the model (contains ${faults.poisonMarker})`,
        );
      }
      let answer: { body: string; contentType: string };
      if (this.#options.proxyUrl) {
        const upstream = await fetch(new URL('/invocations', this.#options.proxyUrl), {
          method: 'POST',
          body,
          headers: {
            'content-type': contentType ?? 'application/json',
            accept: 'application/json',
          },
        });
        const text = await upstream.text();
        if (!upstream.ok) throw new ModelRejection(upstream.status, text.slice(0, 1_000));
        answer = {
          body: text,
          contentType: upstream.headers.get('content-type') ?? 'application/json',
        };
      } else {
        const model = builtinModels[this.#options.model ?? 'text-stats'];
        const outputs = batch.items.map(model);
        if (
          faults.shortAnswerMarker &&
          texts.some((text) => text.includes(faults.shortAnswerMarker!))
        )
          outputs.pop();
        answer = batch.respond(outputs);
      }
      stats.items += batch.items.length;
      stats.succeeded += 1;
      stats.batchSizes[batch.items.length] = (stats.batchSizes[batch.items.length] ?? 0) + 1;
      return answer;
    } finally {
      stats.busyMs += performance.now() - started;
    }
  }

  /**
   * A container failure as SageMaker reports it: 424 ModelError with the container's status
   * and message, and the log stream to look at.
   * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html#API_runtime_InvokeEndpoint_Errors
   */
  #modelError(response: ServerResponse, originalStatus: number, originalMessage: string): void {
    const serverSide = originalStatus < 400 || originalStatus === 429 || originalStatus >= 500;
    sendError(response, 424, 'ModelError', {
      Message: `Received ${serverSide ? 'server' : 'client'} error (${originalStatus}) from primary with message "${originalMessage}".`,
      OriginalStatusCode: originalStatus,
      OriginalMessage: originalMessage,
      LogStreamArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/sagemaker/Endpoints/local',
    });
  }
}
