import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { fnv1a32 } from '../lib/dev/endpointEmulator/builtinModels.js';

/** Token counters of a model server, as bench/model_server.py reports them at `GET /stats`. */
export interface TokenStats {
  readonly calls: number;
  readonly items: number;
  readonly real_tokens: number;
  readonly padded_tokens: number;
}

/** Cost of a simulated call: `baseMs + perPaddedTokenMs x items x longest item's tokens`. */
export interface PaddingCost {
  readonly baseMs: number;
  readonly perPaddedTokenMs: number;
}

const maxTokens = 256;
/** Words plus the two special tokens a BERT-style tokenizer adds, truncated like the model. */
const tokensOf = (text: string) => Math.min(maxTokens, text.split(/\s+/).length + 2);

/**
 * A stand-in for bench/model_server.py for `npm run bench -- --quick` (no Python): the same
 * SageMaker contract and counters, one call at a time, and a call costs what a model padding
 * to the longest item costs. Outputs are deterministic per item, `{ tokens, checksum }`.
 */
export async function startPaddingModel(
  cost: PaddingCost,
): Promise<{ url: string; stop: () => Promise<void> }> {
  let stats = { calls: 0, items: 0, real_tokens: 0, padded_tokens: 0 };
  let worker: Promise<unknown> = Promise.resolve();
  const server: Server = createServer(async (request, response) => {
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method === 'GET' && request.url === '/ping') return reply(200, {});
    if (request.method === 'GET' && request.url === '/stats') return reply(200, stats);
    if (request.method === 'POST' && request.url === '/stats/reset') {
      stats = { calls: 0, items: 0, real_tokens: 0, padded_tokens: 0 };
      return reply(200, {});
    }
    if (request.method !== 'POST' || request.url !== '/invocations')
      return reply(404, { message: 'not found' });
    const inputs = (JSON.parse(Buffer.concat(chunks).toString()) as { inputs?: unknown }).inputs;
    if (!Array.isArray(inputs) || !inputs.every((t) => typeof t === 'string'))
      return reply(400, { message: 'expected {"inputs": ["sentence", ...]}' });
    const tokens = inputs.map(tokensOf);
    const longest = Math.max(...tokens);
    const run = worker.then(async () => {
      stats.calls += 1;
      stats.items += inputs.length;
      stats.real_tokens += tokens.reduce((a, b) => a + b, 0);
      stats.padded_tokens += inputs.length * longest;
      await delay(cost.baseMs + cost.perPaddedTokenMs * inputs.length * longest);
    });
    worker = run;
    await run;
    reply(
      200,
      inputs.map((text, i) => ({ tokens: tokens[i], checksum: fnv1a32(text) })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
