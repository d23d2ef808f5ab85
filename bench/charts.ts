import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CostPerMillion } from './cost.js';
import type { CurvePoint } from './modelCurve.js';

async function render(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

/** Items/s against batch size, with the pipeline's achieved rate as a rule. */
export function curveChart(
  points: readonly CurvePoint[],
  pipelineItemsPerSecond: number,
): Promise<string> {
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Model throughput by batch size',
    width: 480,
    height: 280,
    layer: [
      {
        data: {
          values: points.map((p) => ({ batchSize: p.batchSize, itemsPerSecond: p.itemsPerSecond })),
        },
        mark: { type: 'line', point: true },
        encoding: {
          x: {
            field: 'batchSize',
            type: 'quantitative',
            scale: { type: 'log', base: 2 },
            title: 'items per call',
          },
          y: { field: 'itemsPerSecond', type: 'quantitative', title: 'items / s' },
        },
      },
      {
        data: { values: [{ y: pipelineItemsPerSecond, label: 'sagebatch pipeline' }] },
        mark: { type: 'rule', strokeDash: [6, 4], color: '#d62728' },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
    ],
  });
}

/** Stacked cost per 1M requests, by service, for each mode. */
export function costChart(costs: Record<string, CostPerMillion>): Promise<string> {
  const values = Object.entries(costs).flatMap(([mode, c]) =>
    (['sagemaker', 'lambda', 'sqs', 'dynamodb'] as const).map((service) => ({
      mode,
      service,
      dollars: c[service],
    })),
  );
  return render({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Cost per 1M requests (USD, us-east-1 list prices)',
    width: 360,
    height: 280,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'mode', type: 'nominal', title: null, sort: null },
      y: { field: 'dollars', type: 'quantitative', title: 'USD per 1M requests', stack: 'zero' },
      color: { field: 'service', type: 'nominal' },
    },
  });
}
