/**
 * The failover flow's input: the contract between its triggers (the probe, a CloudWatch alarm
 * through EventBridge, a person with the CLI or the console) and the state machine.
 *
 * Strict for our own payloads (unknown fields are an error: a typo in a manual trigger must not
 * be silently ignored), tolerant for AWS's alarm events, which are normalised into the same shape.
 */
import * as z from 'zod/mini';
import type { Config, PairConfig, Role } from '../config/schema.js';
import { ROLES, formatPath } from '../config/schema.js';
import { InputInvalidError, type ValidationIssue } from '../errors.js';
import { API_OUTCOMES, DECISION_ACTIONS, FIREWALL_STATUSES } from '../domain/health.js';
import { STREAK_DETAIL_MAX, STREAK_MAX_ROUNDS, STREAK_REASON_MAX, STREAK_TUNNEL_NAME_MAX, STREAK_TUNNELS_MAX } from '../domain/streak.js';

/**
 * `drill`: the standby drill (boot the standby, check it against the active, stop it again;
 * traffic untouched), started by a person (`source: manual`) or by the pair's drill schedule
 * (`source: drill`).
 */
export const FLOW_ACTIONS = ['failover', 'failback', 'reconcile', 'drill'] as const;
export type FlowAction = (typeof FLOW_ACTIONS)[number];

/** `drill`: the pair's drill schedule (EventBridge), automation like the probe; only with `action: drill`. */
export const FLOW_SOURCES = ['probe', 'alarm', 'manual', 'drift', 'drill'] as const;

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

/**
 * One failed round of the probe's streak (`shared/domain/streak.ts`): bounded in count and in
 * every string, because it travels through every step of the state machine.
 */
const failedRoundSchema = z.strictObject({
  at: z.int().check(z.minimum(0)),
  firewall: z.enum(ROLES),
  status: z.enum(FIREWALL_STATUSES),
  standby: z.enum(FIREWALL_STATUSES),
  api: z.enum(API_OUTCOMES),
  apiError: z.optional(text(STREAK_DETAIL_MAX)),
  ec2: text(STREAK_DETAIL_MAX),
  tunnelsDown: z.array(text(STREAK_TUNNEL_NAME_MAX)).check(z.maxLength(STREAK_TUNNELS_MAX, `at most ${STREAK_TUNNELS_MAX} tunnel names`)),
  action: z.enum(DECISION_ACTIONS),
  reason: text(STREAK_REASON_MAX),
});

export const flowInputSchema = z.strictObject({
  pair: z.string().check(z.minLength(1, 'must name a pair')),
  action: z.enum(FLOW_ACTIONS),
  reason: z._default(text(500), 'manual request'),
  /** Fail over even if the active firewall looks healthy (a person's decision). */
  force: z._default(z.boolean(), false),
  /** A person's flow while the pair is paused for maintenance: run it anyway (recorded and notified). */
  overridePause: z.optional(z.boolean()),
  /** Plan and report only: change nothing. */
  dryRun: z._default(z.boolean(), false),
  source: z._default(z.enum(FLOW_SOURCES), 'manual'),
  /** The firewall believed failed: if it is no longer the owner, the trigger is stale and a no-op. */
  from: z.optional(z.enum(ROLES)),
  incidentId: z.optional(text(200)),
  /** Who asked (IAM principal or name), for the notifications. */
  requestedBy: z.optional(text(200)),
  /**
   * The probe's failed rounds that led to its decision (the last ones, oldest first): only the
   * probe sends them; a person's or an alarm's trigger has none.
   */
  rounds: z.optional(z.array(failedRoundSchema).check(z.maxLength(STREAK_MAX_ROUNDS, `at most ${STREAK_MAX_ROUNDS} rounds (the last ones)`))),
});

export type FlowInput = z.input<typeof flowInputSchema>;
export type ValidFlowInput = z.output<typeof flowInputSchema>;

/** The parts of an EventBridge "CloudWatch Alarm State Change" event the controller reads. */
const alarmEventSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  time: z.optional(z.string()),
  detail: z.object({
    alarmName: z.string(),
    state: z.object({ value: z.string(), reason: z.optional(z.string()), timestamp: z.optional(z.string()) }),
    configuration: z.optional(
      z.object({
        metrics: z.optional(
          z.array(
            z.object({
              metricStat: z.optional(
                z.object({ metric: z.optional(z.object({ dimensions: z.optional(z.record(z.string(), z.string())) })) }),
              ),
            }),
          ),
        ),
      }),
    ),
  }),
});

function issuesOf(error: { issues: readonly z.core.$ZodIssue[] }): ValidationIssue[] {
  return error.issues.map((i) => ({
    path: formatPath(i.path),
    message:
      i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.message,
  }));
}

function pairOfInstance(config: Config, instanceId: string): { pair: PairConfig; role: Role } | undefined {
  for (const pair of config.pairs) {
    for (const role of ROLES) if (pair.firewalls[role].instanceId === instanceId) return { pair, role };
  }
  return undefined;
}

/**
 * Validates a trigger against the schema and the configuration (the pair must exist).
 * Alarm events are accepted in EventBridge's shape: the alarm must be in ALARM state and name
 * an instance of a managed pair through its `InstanceId` dimension.
 */
export function parseFlowInput(raw: unknown, config: Config): ValidFlowInput {
  const alarm = alarmEventSchema.safeParse(raw);
  const candidate = alarm.success ? fromAlarm(alarm.data, config) : raw;
  const parsed = flowInputSchema.safeParse(candidate);
  if (!parsed.success) throw new InputInvalidError('flow input', issuesOf(parsed.error));
  if (!config.pairs.some((p) => p.name === parsed.data.pair)) {
    const known = config.pairs.map((p) => p.name).join(', ');
    throw new InputInvalidError('flow input', [{ path: 'pair', message: `unknown pair "${parsed.data.pair}" (configured: ${known})` }]);
  }
  const issues = [...drillInputIssues(parsed.data), ...roundsIssues(parsed.data)];
  if (issues.length > 0) throw new InputInvalidError('flow input', issues);
  return parsed.data;
}

/**
 * A drill never moves traffic: it has nothing to force, to plan or to name as failed, and only a
 * person or the drill schedule starts one (the schedule starts nothing else).
 */
function drillInputIssues(input: ValidFlowInput): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (input.action === 'drill') {
    if (input.source !== 'manual' && input.source !== 'drill') issues.push({ path: 'source', message: `a drill is started by a person (manual) or by the drill schedule (drill), not by "${input.source}"` });
    if (input.force) issues.push({ path: 'force', message: 'a drill moves no traffic: there is nothing to force (overridePause runs it during a pause)' });
    if (input.dryRun) issues.push({ path: 'dryRun', message: 'a drill has no dry run: it only boots, checks and stops the standby (preflight is the read-only check)' });
    if (input.from !== undefined) issues.push({ path: 'from', message: 'a drill names no failed firewall' });
  } else if (input.source === 'drill') {
    issues.push({ path: 'source', message: `source "drill" (the drill schedule) only starts action "drill", not "${input.action}"` });
  }
  return issues;
}

/** The probe's rounds come from the probe, in time order, about the firewall the failover leaves. */
function roundsIssues(input: ValidFlowInput): ValidationIssue[] {
  const rounds = input.rounds;
  if (rounds === undefined) return [];
  if (input.source !== 'probe') return [{ path: 'rounds', message: `only the health probe sends its failed rounds, not a "${input.source}" trigger` }];
  const issues: ValidationIssue[] = [];
  rounds.forEach((r, i) => {
    const before = rounds[i - 1];
    if (before !== undefined && r.at < before.at) issues.push({ path: `rounds[${i}].at`, message: 'rounds must be in time order (oldest first)' });
    if (input.from !== undefined && r.firewall !== input.from) issues.push({ path: `rounds[${i}].firewall`, message: `a round of ${r.firewall}, but the trigger names ${input.from} as the failed firewall` });
  });
  return issues;
}

function fromAlarm(event: z.infer<typeof alarmEventSchema>, config: Config): unknown {
  const { alarmName, state } = event.detail;
  if (state.value !== 'ALARM') {
    throw new InputInvalidError('alarm event', [{ path: 'detail.state.value', message: `alarm ${alarmName} is ${state.value}, not ALARM: nothing to do` }]);
  }
  const dims = (event.detail.configuration?.metrics ?? []).flatMap((m) => Object.entries(m.metricStat?.metric?.dimensions ?? {}));
  const instanceId = dims.find(([k]) => k === 'InstanceId')?.[1];
  // The alarms that start the flow are EC2 status checks of one instance: the instance names the
  // pair and the side. (Alarm names carry the deployment's stage and are not read.)
  const byInstance = instanceId ? pairOfInstance(config, instanceId) : undefined;
  if (!byInstance) {
    throw new InputInvalidError('alarm event', [
      {
        path: 'detail.configuration.metrics',
        message: `alarm ${alarmName} names no managed instance (${instanceId ? `InstanceId ${instanceId} is in no configured pair` : 'no InstanceId dimension'}): only the EC2 status-check alarms of the configured firewalls start a flow`,
      },
    ]);
  }
  const pair = byInstance.pair;
  return {
    pair: pair.name,
    action: 'failover',
    reason: `CloudWatch alarm ${alarmName}: ${state.reason ?? 'ALARM'}`.slice(0, 500),
    source: 'alarm',
    from: byInstance.role,
    incidentId: `${alarmName}@${state.timestamp ?? event.time ?? ''}`.slice(0, 200),
  };
}

function compactTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Deterministic execution name: the same incident and attempt always gives the same name, so
 * a repeated trigger is a no-op (Step Functions names are unique per state machine for 90 days).
 */
export function flowExecutionName(pair: string, action: string, incidentMs: number, attempt: number): string {
  const name = `${pair}-${action}-${compactTime(incidentMs)}-${attempt}`;
  return name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}
