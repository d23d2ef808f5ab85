import { readFileSync } from 'node:fs';
import type { CurvePoint } from './modelCurve.js';
import {
  burstyWorkloads,
  coldStartSeconds,
  type ModeFigures,
  minimumBilledSecondsPerWake,
  priceScaleToZero,
} from './scaleToZero.js';

/** The serving modes, with the measured figures of results.json's 10M profile. */
export function modesFromResults(results: {
  readonly profiles: readonly {
    readonly costs: readonly {
      mode: string;
      lambda: number;
      sqs: number;
      dynamodb: number;
      meanItemsPerCall: number;
    }[];
  }[];
}): ModeFigures[] {
  const costs = results.profiles[0]!.costs;
  const pick = (name: string, direct = false): ModeFigures => {
    const c = costs.find((x) => x.mode === name)!;
    return {
      name,
      itemsPerCall: c.meanItemsPerCall,
      rest: direct ? null : { lambda: c.lambda, sqs: c.sqs, dynamodb: c.dynamodb },
    };
  };
  return [
    pick('one message per call (json rows)'),
    pick('direct InvokeEndpoint, one item a call, no pipeline', true),
    // The default setting's rows.
    pick('sagebatch, lossless rows'),
  ];
}

/** The scale-to-zero section of the report, as Markdown. */
export function scaleToZeroSection(curve: readonly CurvePoint[], modes: ModeFigures[]): string {
  const lines: string[] = [];
  for (const workload of burstyWorkloads) {
    lines.push(`### ${workload.name}`, '');
    lines.push(
      '| mode | scaling | instance-hours / month | total per 1M (ml.m5.xlarge) | total per 1M (ml.g5.xlarge) | of which held-request writes |',
      '|---|---|---|---|---|---|',
    );
    const base = priceScaleToZero(workload, curve, modes[0]!, 'always-on');
    for (const mode of modes) {
      const ways = mode.rest ? (['always-on', 'scale to zero'] as const) : (['always-on'] as const);
      for (const scaling of ways) {
        const c = priceScaleToZero(workload, curve, mode, scaling);
        const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;
        lines.push(
          `| ${mode.name} | ${scaling} | ${c.instanceHours.toFixed(0)} | $${c.totalM5.toFixed(3)} (${pct(c.totalM5, base.totalM5)}) | $${c.totalG5.toFixed(3)} (${pct(c.totalG5, base.totalG5)}) | $${c.holds.toFixed(3)} |`,
        );
      }
    }
    lines.push('');
  }
  lines.push(
    `Percentages: of one message per call, always-on. First-request latency after idle (cold start): about ${Math.round(coldStartSeconds / 60)} minutes; minimum billed per wake-up: ${Math.round(minimumBilledSecondsPerWake / 60)} instance-minutes beyond the busy time.`,
  );
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = JSON.parse(readFileSync(new URL('./results.json', import.meta.url), 'utf8'));
  console.log(scaleToZeroSection(results.curve, modesFromResults(results)));
}
