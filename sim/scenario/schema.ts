/**
 * Scenarios as data: a topology (the deployment's configuration), faults, and a timeline of
 * events in simulated time, plus what must hold at the end. `scenarios/*.yaml` are examples;
 * `pan-failover rehearse --scenario FILE` runs any of them.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatPath } from '#shared/config/schema.js';
import { ConfigInvalidError } from '#shared/errors.js';

/** `90s`, `7m`, `1h30m`, `1500ms` or a number of seconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let matched = '';
  for (const m of value.matchAll(re)) {
    const n = Number(m[1]);
    const unit = m[2];
    total += unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
    matched += m[0];
  }
  if (matched !== value.replace(/\s+/g, '') || matched === '') throw new Error(`"${value}" is not a duration (e.g. 90s, 7m, 1h30m)`);
  return total;
}

const duration = z.union([z.number().min(0), z.string()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

const instanceAction = z.strictObject({
  crash: z.string().optional(),
  stop: z.string().optional(),
  start: z.string().optional(),
  terminate: z.string().optional(),
  impair: z.string().optional(),
});

const eventSchema = z
  .strictObject({
    at: duration,
    /** Free text shown in the timeline. */
    note: z.string().optional(),
    /** EC2 instance events, by firewall name. */
    instance: instanceAction.optional(),
    /** PAN-OS simulator faults per firewall name (`dead`, `hung`, `authFails`, ...). */
    firewall: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    /** AWS simulator faults (`latency`, `throttle`, `errors`, `capacity`, `lag`, ...), or `clear`. */
    aws: z.union([z.literal('clear'), z.record(z.string(), z.unknown())]).optional(),
    /** A flow trigger as a person sends it (StartExecution input). */
    trigger: z.record(z.string(), z.unknown()).optional(),
    /** A person (or another tool) points a managed route at a firewall by hand. */
    drift: z.strictObject({ routeTableId: z.string(), destination: z.string(), to: z.enum(['primary', 'secondary']) }).optional(),
  })
  .refine((e) => [e.instance, e.firewall, e.aws, e.trigger, e.drift, e.note].some((x) => x !== undefined), {
    message: 'an event needs one of instance, firewall, aws, trigger, drift, note',
  });

export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string().default(''),
  /** Configuration file (relative to the scenario file); default: the shipped example. */
  config: z.string().optional(),
  /**
   * Settings laid over every pair of that configuration before it is validated (objects merged
   * key by key, anything else replaced), e.g. `{ standbyMode: warm, probe: { intervalSeconds: 5 } }`.
   */
  pairSettings: z.record(z.string(), z.unknown()).optional(),
  speed: z.number().min(1).max(2000).default(25),
  seed: z.number().int().default(1),
  transport: z.enum(['wire', 'direct']).default('wire'),
  firewalls: z.record(z.string(), z.strictObject({ profile: z.record(z.string(), z.unknown()).optional(), faults: z.record(z.string(), z.unknown()).optional() })).default({}),
  aws: z.strictObject({ faults: z.record(z.string(), z.unknown()).optional(), timings: z.record(z.string(), z.number()).optional() }).default({}),
  unmanagedRoutes: z.array(z.strictObject({ routeTableId: z.string(), destination: z.string() })).default([]),
  crash: z.strictObject({ step: z.string(), afterMutations: z.number().int().min(1), times: z.number().int().min(1).optional() }).optional(),
  events: z.array(eventSchema).default([]),
  expect: z
    .strictObject({
      /** Role that must own every managed object at the end. */
      owner: z.enum(['primary', 'secondary']).optional(),
      /** Stop waiting (and fail if the expectations do not hold) at this simulated time. */
      within: duration.default(20 * 60_000),
      /** Simulated seconds from the first failure event to the failover decision. */
      maxDetectionSeconds: z.number().positive().optional(),
      /** Successful failovers/failbacks expected (e.g. exactly 1). */
      flows: z.number().int().min(0).optional(),
      /** Simulated seconds from the first failure event to the end of the cutover (all traffic on the new owner). */
      maxTotalSeconds: z.number().positive().optional(),
      /** Firewall (by name) whose instance must be stopped by the flow's fencing at the end. */
      fenced: z.string().optional(),
    })
    .default({ within: 20 * 60_000 }),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioEvent = Scenario['events'][number];

export function parseScenario(raw: unknown, source: string): Scenario {
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) {
    throw new ConfigInvalidError(source, r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })));
  }
  return r.data;
}

export async function loadScenario(path: string): Promise<Scenario> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new ConfigInvalidError(path, [{ path: '', message: `cannot read the file (${e.code ?? 'unreadable'})` }]);
  });
  return parseScenario(parseYaml(text), path);
}
