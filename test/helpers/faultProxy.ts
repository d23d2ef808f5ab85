import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  dynamoDbError,
  dynamoDbErrors,
  sqsError,
  sqsErrors,
  type WireError,
} from './awsRules/wireErrors.js';

/**
 * How often each fault is injected, per request, drawn from a seeded generator. The rates
 * are checked in this order on one draw: throttling, server error, slow answer (so their sum
 * is the share of requests touched, at most 1); a BatchWriteItem of two or more items not
 * touched so draws again for `partialBatchWriteRate`.
 */
export interface FaultSchedule {
  /** Seed of the generator: the same seed draws the same sequence of decisions. */
  readonly seed: number;
  /** Throttling answers (DynamoDB 400, SQS 403/400), never forwarded. */
  readonly throttleRate: number;
  /** Server errors (500), never forwarded. */
  readonly serverErrorRate: number;
  /** Answers held back for `slowMs` (uniform 0..slowMs), then forwarded. */
  readonly slowRate: number;
  readonly slowMs: number;
  /** BatchWriteItem calls of which only part is forwarded, the rest returned as UnprocessedItems. */
  readonly partialBatchWriteRate: number;
}

/** What the proxy did, per `service.Operation` (e.g. `DynamoDB.BatchWriteItem`). */
export interface FaultCounts {
  requests: number;
  /** Answered by the emulator (slow and partial ones included). */
  forwarded: number;
  throttled: number;
  serverErrors: number;
  slow: number;
  partial: number;
  /** Write requests returned as UnprocessedItems. */
  unprocessedItems: number;
}

type Service = 'DynamoDB' | 'SQS';

/** A seeded 32-bit generator (mulberry32): uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const noFaults: FaultSchedule = {
  seed: 1,
  throttleRate: 0,
  serverErrorRate: 0,
  slowRate: 0,
  slowMs: 0,
  partialBatchWriteRate: 0,
};

interface WriteRequests {
  RequestItems: Record<string, unknown[]>;
  [key: string]: unknown;
}

/**
 * A small HTTP proxy on 127.0.0.1 in front of the AWS emulator, for the deployed function's
 * DynamoDB and SQS traffic (`AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SQS` pointed at
 * it through `sagebatch:localAwsProxyUrl`). It recognises the service and operation by
 * `x-amz-target` (both speak AWS JSON 1.0) and, per its seeded {@link FaultSchedule}, answers
 * with AWS's own throttling and server-error shapes (test/helpers/awsRules/wireErrors.ts)
 * instead of forwarding, forwards late, or forwards only part of a BatchWriteItem and returns
 * the rest as `UnprocessedItems`, as DynamoDB does when some puts fail on throttling.
 * Everything else passes through unchanged.
 *
 * Injected errors are answered before anything is forwarded: like AWS's throttling, the
 * refused request had no effect.
 *
 * @example
 * ```ts
 * const proxy = new FaultProxy({ target: 'http://127.0.0.1:4566' });
 * const url = await proxy.start();
 * proxy.setSchedule({ seed: 7, throttleRate: 0.1, serverErrorRate: 0.05, slowRate: 0.05, slowMs: 800, partialBatchWriteRate: 0.3 });
 * ```
 */
export class FaultProxy {
  readonly #target: URL;
  readonly #server: Server;
  #schedule: FaultSchedule = noFaults;
  #random = seededRandom(noFaults.seed);
  readonly #counts = new Map<string, FaultCounts>();

  constructor(options: { readonly target: string }) {
    this.#target = new URL(options.target);
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: ${error.message}`);
      });
    });
  }

  /** Listens on 127.0.0.1 (a free port) and returns the proxy's URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Starts (or, with rates of 0, stops) injecting faults; resets the generator to the seed. */
  setSchedule(schedule: FaultSchedule): void {
    this.#schedule = schedule;
    this.#random = seededRandom(schedule.seed);
  }

  /** Counts per `service.Operation`, and their sum under `total`. */
  stats(): Record<string, FaultCounts> {
    const total = emptyCounts();
    const out: Record<string, FaultCounts> = {};
    for (const [key, counts] of [...this.#counts].sort()) {
      out[key] = { ...counts };
      for (const field of Object.keys(total) as (keyof FaultCounts)[])
        total[field] += counts[field];
    }
    out.total = total;
    return out;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const [prefix, operation] = target.split('.');
    const service: Service | undefined =
      prefix === 'DynamoDB_20120810' ? 'DynamoDB' : prefix === 'AmazonSQS' ? 'SQS' : undefined;
    if (!service || !operation) {
      await this.#forward(req, body, res);
      return;
    }
    const counts = this.#countsOf(`${service}.${operation}`);
    counts.requests++;
    const s = this.#schedule;
    const draw = this.#random();
    if (draw < s.throttleRate) {
      counts.throttled++;
      send(res, this.#throttle(service));
      return;
    }
    if (draw < s.throttleRate + s.serverErrorRate) {
      counts.serverErrors++;
      send(
        res,
        service === 'DynamoDB'
          ? dynamoDbError(dynamoDbErrors.internalServerError, randomUUID())
          : sqsError(sqsErrors.internalError, randomUUID()),
      );
      return;
    }
    if (draw < s.throttleRate + s.serverErrorRate + s.slowRate) {
      counts.slow++;
      await new Promise((resolve) => setTimeout(resolve, this.#random() * s.slowMs));
    } else if (
      service === 'DynamoDB' &&
      operation === 'BatchWriteItem' &&
      this.#random() < s.partialBatchWriteRate &&
      (await this.#partialBatchWrite(req, body, res, counts))
    ) {
      return;
    }
    counts.forwarded++;
    await this.#forward(req, body, res);
  }

  #throttle(service: Service): WireError {
    const first = this.#random() < 0.5;
    if (service === 'DynamoDB')
      return dynamoDbError(
        first ? dynamoDbErrors.provisionedThroughputExceeded : dynamoDbErrors.throttling,
        randomUUID(),
      );
    return sqsError(first ? sqsErrors.requestThrottled : sqsErrors.throttling, randomUUID());
  }

  /**
   * Forwards a seeded share of a BatchWriteItem's writes (at least one) and answers with the
   * others added to the emulator's `UnprocessedItems`. A single write is not split (false):
   * DynamoDB throttles the whole call then, which the throttling rate covers.
   * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
   */
  async #partialBatchWrite(
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    counts: FaultCounts,
  ): Promise<boolean> {
    const input = JSON.parse(body.toString('utf8')) as WriteRequests;
    const writes = Object.entries(input.RequestItems).flatMap(([table, items]) =>
      items.map((item) => ({ table, item })),
    );
    if (writes.length < 2) return false;
    const held = 1 + Math.floor(this.#random() * (writes.length - 1));
    const order = writes.map((w) => ({ w, key: this.#random() })).sort((a, b) => a.key - b.key);
    const heldBack = order.slice(0, held).map((o) => o.w);
    const kept = order.slice(held).map((o) => o.w);
    const group = (list: typeof writes) => {
      const out: Record<string, unknown[]> = {};
      for (const { table, item } of list) out[table] = [...(out[table] ?? []), item];
      return out;
    };
    const forwarded = Buffer.from(JSON.stringify({ ...input, RequestItems: group(kept) }));
    const answer = await this.#exchange(req, forwarded);
    if (answer.status !== 200) {
      sendRaw(res, answer);
      return true;
    }
    const output = JSON.parse(answer.body.toString('utf8')) as {
      UnprocessedItems?: Record<string, unknown[]>;
    };
    const unprocessed = output.UnprocessedItems ?? {};
    for (const [table, items] of Object.entries(group(heldBack)))
      unprocessed[table] = [...(unprocessed[table] ?? []), ...items];
    counts.partial++;
    counts.forwarded++;
    counts.unprocessedItems += heldBack.length;
    const headers = { ...answer.headers };
    delete headers['content-length'];
    // The body changed: a checksum of the emulator's body would no longer match it.
    delete headers['x-amz-crc32'];
    sendRaw(res, {
      status: 200,
      headers,
      body: Buffer.from(JSON.stringify({ ...output, UnprocessedItems: unprocessed })),
    });
    return true;
  }

  async #forward(req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
    sendRaw(res, await this.#exchange(req, body));
  }

  /** Sends the request (headers as received, body as given) to the emulator; its whole answer. */
  #exchange(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, 'content-length': String(body.length) };
      const out = request(
        {
          host: this.#target.hostname,
          port: this.#target.port,
          method: req.method,
          path: req.url,
          headers,
        },
        (answer) => {
          readBody(answer).then(
            (data) =>
              resolve({
                status: answer.statusCode ?? 502,
                headers: answer.headers as Record<string, string | string[]>,
                body: data,
              }),
            reject,
          );
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }

  #countsOf(key: string): FaultCounts {
    let counts = this.#counts.get(key);
    if (!counts) {
      counts = emptyCounts();
      this.#counts.set(key, counts);
    }
    return counts;
  }
}

function emptyCounts(): FaultCounts {
  return {
    requests: 0,
    forwarded: 0,
    throttled: 0,
    serverErrors: 0,
    slow: 0,
    partial: 0,
    unprocessedItems: 0,
  };
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function send(res: ServerResponse, error: WireError): void {
  res.writeHead(error.status, {
    ...error.headers,
    'content-length': String(Buffer.byteLength(error.body)),
  });
  res.end(error.body);
}

function sendRaw(
  res: ServerResponse,
  answer: { status: number; headers: Record<string, string | string[]>; body: Buffer },
): void {
  const headers: Record<string, string | string[]> = {
    ...answer.headers,
    'content-length': String(answer.body.length),
  };
  delete headers['transfer-encoding'];
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}
