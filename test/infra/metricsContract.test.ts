import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { BatchingPipeline, type BatchingPipelineProps } from '../../infra/BatchingPipeline.js';
import type { ModelCallReport } from '../../lib/batcher/invoke/modelInvoker.js';
import type { PersistReport } from '../../lib/batcher/persist/persistOutcomes.js';
import { countHandlerError } from '../../lib/batcher/reportAllFailedOnError.js';
import { createTelemetry, recordInvocationMetrics } from '../../lib/batcher/telemetry.js';
import { env, model, noBundling } from './synth.js';

/** A synthesized template: CloudFormation JSON, read loosely. */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON of any shape
type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

/** A metric as CloudWatch identifies it: namespace, name and the full dimension set. */
interface MetricKey {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Record<string, string>;
}
const keyOf = (m: MetricKey) =>
  `${m.namespace}|${m.name}|${JSON.stringify(Object.entries(m.dimensions).sort())}`;

/** Replaces CloudFormation intrinsics with a placeholder, keeping literal text. */
const flatten = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'Fn::Join' in value) {
    const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map(flatten).join(separator);
  }
  return 'TOKEN';
};

/** Every metric the pipeline's alarms and dashboard query, in the batcher's namespace. */
function referencedMetrics(template: Template, namespace: string): MetricKey[] {
  const found: MetricKey[] = [];
  const dims = (list: { Name: string; Value: unknown }[] = []) =>
    Object.fromEntries(list.map((d) => [d.Name, flatten(d.Value)]));
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type === 'AWS::CloudWatch::Alarm') {
      const p = resource.Properties;
      if (p.MetricName)
        found.push({ namespace: p.Namespace, name: p.MetricName, dimensions: dims(p.Dimensions) });
      for (const m of p.Metrics ?? []) {
        const stat = m.MetricStat?.Metric;
        if (stat)
          found.push({
            namespace: stat.Namespace,
            name: stat.MetricName,
            dimensions: dims(stat.Dimensions),
          });
      }
    }
    if (resource.Type === 'AWS::CloudWatch::Dashboard') {
      const body = JSON.parse(flatten(resource.Properties.DashboardBody));
      for (const widget of body.widgets) {
        for (const metric of widget.properties?.metrics ?? []) {
          const [ns, name, ...rest] = metric.filter((part: unknown) => typeof part === 'string');
          if (typeof ns !== 'string' || !name) continue; // math expressions
          const dimensions: Record<string, string> = {};
          for (let i = 0; i + 1 < rest.length; i += 2) dimensions[rest[i]] = rest[i + 1];
          found.push({ namespace: ns, name, dimensions });
        }
      }
    }
  }
  return found.filter((m) => m.namespace === namespace);
}

/** The function's environment as the construct gives it; resource names become placeholders. */
function functionEnvironment(template: Template): Record<string, string> {
  const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
  return Object.fromEntries(
    Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>).map(
      ([name, value]) => [name, typeof value === 'string' ? value : 'placeholder'],
    ),
  );
}

/** What the real telemetry code emits for one busy invocation, run with `environment`. */
function emittedMetrics(environment: Record<string, string>): MetricKey[] {
  const { metrics } = createTelemetry(environment);
  const calls: ModelCallReport[] = [
    { items: 8, bytes: 800, latencyMs: 40, result: 'ok' },
    { items: 8, bytes: 800, latencyMs: 900, result: 'unavailable' },
    { items: 8, bytes: 800, latencyMs: 300, result: 'model-error' },
    { items: 8, bytes: 800, latencyMs: 5, result: 'systemic' },
  ];
  const report: PersistReport = {
    retry: new Set(['m1']),
    succeeded: 8,
    failed: 2,
    cancelled: 0,
    clientFailures: 1,
    pipelineFailures: 1,
    retried: 1,
    duplicates: 1,
    requeued: 0,
    deadLetterRaces: 0,
  };
  recordInvocationMetrics(metrics, 12, calls, { ...report, heldAgeSeconds: 42 });
  // What the safety net of either function adds when it answers an invocation.
  countHandlerError(metrics);
  const emf = metrics.serializeMetrics() as unknown as Record<string, unknown> & {
    _aws: {
      CloudWatchMetrics: {
        Namespace: string;
        Dimensions: string[][];
        Metrics: { Name: string }[];
      }[];
    };
  };
  return emf._aws.CloudWatchMetrics.flatMap((directive) =>
    directive.Dimensions.flatMap((set) =>
      directive.Metrics.map((m) => ({
        namespace: directive.Namespace,
        name: m.Name,
        dimensions: Object.fromEntries(set.map((d) => [d, String(emf[d])])),
      })),
    ),
  );
}

function synthPipelines(pipelines: Record<string, BatchingPipelineProps>): Template {
  const app = new App({ context: noBundling });
  const stack = new Stack(app, 'Metrics', { env });
  for (const [id, props] of Object.entries(pipelines)) new BatchingPipeline(stack, id, props);
  return app.synth().getStackByName('Metrics').template as Template;
}

describe('metrics contract: scale to zero', () => {
  it('emits NoCapacityHolds and a per-kind NoCapacityInvocations, and never counts them as model errors', () => {
    const { metrics } = createTelemetry({});
    const calls: ModelCallReport[] = [
      { items: 8, bytes: 800, latencyMs: 5, result: 'no-capacity' },
    ];
    const report: PersistReport = {
      retry: new Set(['m1']),
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      clientFailures: 0,
      pipelineFailures: 0,
      retried: 8,
      duplicates: 0,
      requeued: 0,
      deadLetterRaces: 0,
    };
    recordInvocationMetrics(metrics, 8, calls, {
      ...report,
      noCapacityHolds: 8,
      heldAgeSeconds: 90,
    });
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown>;
    expect(emf.NoCapacityHolds).toBe(8);
    expect(emf.NoCapacityInvocations).toBe(1);
    expect(emf.ModelErrors).toBe(0);
    expect(emf.ModelAnswerErrors).toBe(0);
    expect(emf.HeldRequestAge).toBe(90);
    expect(emf.SystemicErrors).toBe(0);
  });
});

describe('metrics contract between the construct and the batcher', () => {
  it.each([
    ['an existing endpoint', { endpointName: 'sentiment' }],
    ['a created endpoint', { model }],
  ])(
    'every metric the alarms and dashboard of a pipeline with %s query is emitted with that namespace and those dimensions',
    (_, props) => {
      const template = synthPipelines({ Pipeline: props });
      const environment = functionEnvironment(template);
      const namespace = environment.POWERTOOLS_METRICS_NAMESPACE!;
      const referenced = referencedMetrics(template, namespace);
      expect(referenced.length).toBeGreaterThan(10);
      const emitted = new Set(emittedMetrics(environment).map(keyOf));

      const missing = referenced.filter((m) => !emitted.has(keyOf(m)));
      expect(missing).toEqual([]);
      // The model error rate counts the model's own error answers, never throttling or busy calls.
      const names = referenced.map((m) => m.name);
      expect(names).toContain('ModelAnswerErrors');
      expect(names).not.toContain('ModelErrors');
      for (const m of referenced) {
        expect(m.dimensions).toEqual({ service: environment.POWERTOOLS_SERVICE_NAME });
      }
    },
  );

  it('catches telemetry that ignores the service name the construct gives (negative control)', () => {
    const template = synthPipelines({ Pipeline: { endpointName: 'sentiment' } });
    const environment = functionEnvironment(template);
    const referenced = referencedMetrics(template, environment.POWERTOOLS_METRICS_NAMESPACE!);
    // The bug this contract guards against: a fixed service dimension instead of the pipeline's.
    const { POWERTOOLS_SERVICE_NAME: _, ...withoutService } = environment;
    const emitted = new Set(emittedMetrics(withoutService).map(keyOf));
    expect(referenced.filter((m) => !emitted.has(keyOf(m)))).toEqual(referenced);
  });

  it('two pipelines in one account never share a metric', () => {
    const template = synthPipelines({
      Sentiment: { endpointName: 'sentiment' },
      Embeddings: { endpointName: 'embeddings' },
    });
    const functions = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    const services = functions.map(
      (f) => f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME as string,
    );
    expect(new Set(services).size).toBe(2);
    const referenced = referencedMetrics(template, 'Sagebatch');
    for (const service of services) {
      const emitted = emittedMetrics({
        POWERTOOLS_SERVICE_NAME: service,
        POWERTOOLS_METRICS_NAMESPACE: 'Sagebatch',
      });
      // What one pipeline emits is queried by that pipeline's alarms and dashboard only.
      for (const metric of emitted) expect(metric.dimensions.service).toBe(service);
      const queriedHere = referenced.filter((m) => m.dimensions.service === service);
      expect(queriedHere.length).toBeGreaterThan(10);
    }
    expect(referenced.every((m) => services.includes(m.dimensions.service!))).toBe(true);
  });
});
