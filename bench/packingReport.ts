import type { PackingComparison, PackingRun, RoundRatio } from './packingRun.js';
import type { TunerCheck } from './tunerCheck.js';

/** What the packing part of a benchmark run measured. */
export interface PackingResults {
  readonly mode: 'full' | 'quick';
  readonly model: string;
  readonly machine: string;
  readonly date: string;
  readonly commit: string;
  /** When the tuner check ran, if not with the comparisons (`--only tuner`). */
  readonly tunerRun?: { readonly date: string; readonly commit: string };
  readonly comparisons: PackingComparison[];
  readonly tuner: TunerCheck | undefined;
}

const f = (n: number, digits = 2) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (r: RoundRatio) => `**${f(r.median)}x** (${f(r.min)}–${f(r.max)})`;
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[(s.length >> 1) - 1]! + s[s.length >> 1]!) / 2;
};
const runs = (c: PackingComparison, packing: 'fifo' | 'length'): PackingRun[] =>
  c.rounds.map((r) => r[packing]);
const pick = (c: PackingComparison, packing: 'fifo' | 'length', of: (r: PackingRun) => number) =>
  median(runs(c, packing).map(of));
const padding = (r: PackingRun) => r.paddedTokens / r.realTokens;

/** The query/passage comparison, the one the targets are set on. */
const queryPassage = (p: PackingResults) => p.comparisons.find((c) => c.corpus === 'query-passage');

/** The report section: FIFO vs length-aware packing, and the tuner against a sweep. */
export function renderPackingSection(p: PackingResults): string {
  const qp = queryPassage(p);
  const lines: string[] = [
    '## Packing: FIFO vs length-aware',
    '',
    `- model: ${p.model}; the model server pads every call to its longest item, as a Hugging Face endpoint does, and counts real and padded tokens`,
    `- machine: ${p.machine}; date: ${p.date}, commit ${p.commit}; rerun: \`npm run bench -- --only packing\``,
    ...(p.tunerRun && p.tunerRun.commit !== p.commit
      ? [
          `- the tuner check ran apart: date: ${p.tunerRun.date}, commit ${p.tunerRun.commit}; rerun: \`npm run bench -- --only tuner\``,
        ]
      : []),
    '- the real handler, same inputs, same `modelBatchMaxItems` and token budget (`MODEL_BATCH_MAX_TOKENS` default), only `MODEL_BATCH_PACKING` differs; rounds interleaved (FIFO, length, FIFO, length, ...) in one run; medians, with the range over rounds',
    '',
  ];
  if (qp) {
    lines.push(
      '| target (query/passage mix) | result | target | |',
      '|---|---|---|---|',
      `| items/s, length-aware / FIFO | ${ratio(qp.speedup)} | at least 1.7x | ${verdict(qp.speedup.median >= 1.7)} |`,
      `| padded / real tokens, length-aware | **${f(pick(qp, 'length', padding))}** | at most 1.15 | ${verdict(pick(qp, 'length', padding) <= 1.15)} |`,
    );
    if (p.tuner)
      lines.push(
        `| tuner's settings, items/s / the sweep's best | ${ratio(p.tuner.share)} | at least 95% | ${verdict(p.tuner.share.median >= 0.95)} |`,
      );
    lines.push('');
  }
  for (const c of p.comparisons) {
    const row = (label: string, of: (r: PackingRun) => string) =>
      `| ${label} | ${c.rounds.map((r) => of(r.fifo)).join(' / ')} | ${c.rounds.map((r) => of(r.length)).join(' / ')} |`;
    const mid = (label: string, of: (r: PackingRun) => number, digits = 2) =>
      `| ${label} | ${f(pick(c, 'fifo', of), digits)} | ${f(pick(c, 'length', of), digits)} |`;
    lines.push(
      `### ${c.corpus}: ${c.requests} requests, events of ${c.eventSize}, at most ${c.modelBatchMaxItems} items a call`,
      '',
      '| median over rounds | FIFO | length-aware |',
      '|---|---|---|',
      mid('items/s', (r) => r.itemsPerSecond, 1),
      mid('padded / real tokens', padding),
      mid('real tokens', (r) => r.realTokens, 0),
      mid('padded tokens', (r) => r.paddedTokens, 0),
      mid('model calls', (r) => r.modelCalls, 0),
      mid('endpoint busy seconds', (r) => r.endpointBusySeconds),
      mid('endpoint cost per 1M requests ($)', (r) => r.cost.sagemaker, 3),
      mid('total cost per 1M requests ($)', (r) => r.cost.total, 3),
      `| quality: min cosine vs one at a time (worst round) | ${Math.min(...runs(c, 'fifo').map((r) => r.minCosine)).toFixed(7)} | ${Math.min(...runs(c, 'length').map((r) => r.minCosine)).toFixed(7)} |`,
      row('items/s, each round', (r) => f(r.itemsPerSecond, 1)),
      '',
      `Length-aware / FIFO items/s per round: ${ratio(c.speedup)}. Failed records: ${c.rounds.reduce((n, r) => n + r.fifo.failedRecords + r.length.failedRecords, 0)}. Input JSON bytes per real token: ${f(c.inputBytes / c.rounds[0]!.fifo.realTokens)} (the planner estimates 4).`,
      '',
    );
  }
  if (p.tuner) {
    const t = p.tuner;
    const { shape, cost } = t.report;
    lines.push(
      `### The tuner against a sweep (bound: ${t.maxCallMs} ms a call)`,
      '',
      `\`sagebatch tune\`'s logic ran against the local endpoint emulator proxying the model (${t.report.samples.length} call shapes measured), with the query/passage corpus as its sample. Fitted cost of a call: ${f(cost.baseMs)} ms + ${f(cost.perItemMs, 4)} ms/item + ${f(cost.perTokenMs * 1_000, 3)} µs/padded token + ${f(cost.perTokenSquaredMs * 1e6, 3)} ns/(item x tokens²), largest error ${f(t.report.fitError * 100, 1)}%. Recommended: **${shape.maxItems} items, ${shape.maxTokens} tokens a call, parallelism ${t.report.parallelism}** (predicted ${f(shape.itemsPerSecond, 1)} items/s; slowest possible call ${f(shape.worstCallMs, 0)} ms).`,
      '',
      'The sweep runs the real handler with length-aware packing on the same corpus, one invocation and one call at a time:',
      '',
      '| max items | max tokens | items/s | longest call (ms) | within bound |',
      '|---|---|---|---|---|',
      ...t.sweep.map(
        (s) =>
          `| ${s.maxItems}${s.recommended ? ' (tuner)' : ''} | ${s.maxTokens} | ${f(s.itemsPerSecond, 1)} | ${f(s.maxCallMs, 0)} | ${s.withinBound ? 'yes' : 'no'} |`,
      ),
      '',
      `Best within the bound in the sweep: ${t.best.maxItems} items, ${t.best.maxTokens} tokens. Tuner / best, rounds interleaved: ${ratio(t.share)}.`,
      '',
    );
  }
  return lines.join('\n');
}
