/**
 * The server side of the codecs: read a batched request body into items and write the
 * outputs back in the same shape, as a model container would.
 */

/** A request body read into items, and how to answer it. */
export interface ParsedBatch {
  readonly items: unknown[];
  readonly respond: (outputs: unknown[]) => { body: string; contentType: string };
}

/** Reads a request as json-instances, hf-inputs or JSON Lines; throws with a reason otherwise. */
export function parseBatch(body: string, contentType: string | undefined): ParsedBatch {
  if (contentType?.includes('jsonlines')) {
    const items = body
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as unknown);
    return {
      items,
      respond: (outputs) => ({
        body: outputs.map((o) => JSON.stringify(o)).join('\n'),
        contentType: 'application/jsonlines',
      }),
    };
  }
  const parsed = JSON.parse(body) as { instances?: unknown; inputs?: unknown };
  if (Array.isArray(parsed.instances)) {
    return {
      items: parsed.instances,
      respond: (outputs) => ({
        body: JSON.stringify({ predictions: outputs }),
        contentType: 'application/json',
      }),
    };
  }
  if (Array.isArray(parsed.inputs)) {
    return {
      items: parsed.inputs,
      respond: (outputs) => ({ body: JSON.stringify(outputs), contentType: 'application/json' }),
    };
  }
  throw new Error('expected {"instances":[...]}, {"inputs":[...]} or JSON Lines');
}
