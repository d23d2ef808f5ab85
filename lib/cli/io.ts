import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RequestResult, SubmitRequest } from '../client/index.js';
import { SagebatchError } from '../contract/errors.js';

/** Reads non-empty lines from a file, or from stdin when no file is given or it is `-`. */
export async function readLines(file: string | undefined): Promise<string[]> {
  const input = file && file !== '-' ? createReadStream(file) : process.stdin;
  const lines: string[] = [];
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() !== '') lines.push(line.trim());
  }
  return lines;
}

/** Parses JSON Lines of `{ "id"?, "input", "deadline"? }`, naming the first bad line. */
export function parseRequests(lines: string[]): SubmitRequest[] {
  return lines.map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new SagebatchError(`line ${i + 1} is not JSON; each line must be {"input": ...}`);
    }
    if (typeof value !== 'object' || value === null || !('input' in value)) {
      throw new SagebatchError(`line ${i + 1} has no "input"; each line must be {"input": ...}`);
    }
    return value as SubmitRequest;
  });
}

const cell = (value: unknown, width: number) => {
  const text = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
};

/** Formats results as an aligned table or as JSON Lines; ids without a row show as PENDING. */
export function formatResults(
  ids: string[],
  results: Map<string, RequestResult>,
  format: 'table' | 'jsonl',
): string {
  if (format === 'jsonl') {
    return ids.map((id) => JSON.stringify(results.get(id) ?? { id, status: 'PENDING' })).join('\n');
  }
  const header = `${cell('ID', 38)} ${cell('STATUS', 10)} ${cell('ITEMS', 6)} ${cell('OUTPUT / ERROR', 60)}`;
  const rows = ids.map((id) => {
    const r = results.get(id);
    const detail =
      r?.status === 'SUCCEEDED' ? r.output : r?.error ? `${r.error.code}: ${r.error.message}` : '';
    return `${cell(id, 38)} ${cell(r?.status ?? 'PENDING', 10)} ${cell(r?.batchItems, 6)} ${cell(detail, 60)}`;
  });
  return [header, ...rows].join('\n');
}
