/**
 * Everything the controller left behind in a run, as one searchable text: its logs, the
 * timeline, SNS messages, the metrics it published, the executions (inputs, outputs, errors,
 * histories), the world's event log (DynamoDB items, faults, changes) and the AWS simulator's
 * request log. The secrets test searches it for the API keys.
 */
import type { SimSystem } from '#sim/system.js';
import type { MetricDatum } from '#sim/world/cloudwatch.js';

export interface MetricCapture {
  readonly published: { namespace: string | undefined; data: readonly MetricDatum[] }[];
  stop(): void;
}

/**
 * Records every PutMetricData the system makes (the simulated CloudWatch keeps datapoints, not
 * what was sent). Observes only: each call goes on to the real world method unchanged.
 */
export function captureMetrics(system: SimSystem): MetricCapture {
  const cw = system.world.cloudwatch;
  const original = cw.putMetricData.bind(cw);
  const published: MetricCapture['published'] = [];
  cw.putMetricData = (namespace, data) => {
    published.push({ namespace, data: structuredClone([...data]) });
    original(namespace, data);
  };
  return {
    published,
    stop: () => {
      cw.putMetricData = original;
    },
  };
}

function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Error) return { name: v.name, message: v.message, stack: v.stack, cause: v.cause };
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  });
}

/** Named parts, so a failing search says where the secret was found. */
export function collectEvidence(
  system: SimSystem,
  metrics: MetricCapture,
  extra: Record<string, unknown> = {},
): Record<string, string> {
  return {
    logs: safeJson(system.logs),
    timeline: safeJson(system.timeline),
    sns: safeJson(system.world.sns.messages()),
    metrics: safeJson(metrics.published),
    executions: safeJson(system.executions),
    sfnRecords: safeJson(system.world.sfn.listExecutions(system.stateMachineArn)),
    worldEvents: safeJson(system.world.events.list()),
    awsRequests: safeJson(system.aws?.recentRequests() ?? []),
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, safeJson(v)])),
  };
}

/** The forms a key could leak in: as is, URL-encoded, and its random core alone. */
export function leakForms(key: string): string[] {
  const core = key.replace(/^LUFRPT1?-sim-/, '').replace(/=+$/, '');
  return [...new Set([key, encodeURIComponent(key), core])].filter((f) => f.length >= 12);
}

/** `part: form` for every place a form of `secret` appears. */
export function findLeaks(evidence: Record<string, string>, secret: string): string[] {
  const hits: string[] = [];
  for (const [part, text] of Object.entries(evidence)) {
    for (const form of leakForms(secret))
      if (text.includes(form))
        hits.push(`${part} contains ${form === secret ? 'the key' : 'a form of the key'}`);
  }
  return hits;
}
