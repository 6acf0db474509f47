/**
 * Orchestration end-to-end tests: one place that starts the simulator the way these tests need
 * it (short boots, short world transitions, a test-sized configuration) and reads the evidence
 * back (executions and their outcomes, notices, the world's event log).
 *
 * Everything the controller does still runs for real: the handlers, the ASL definition through
 * the local runner, the SDK clients over HTTP when `transport: 'wire'`.
 */
import { afterEach, expect } from 'vitest';
import type { Config, PairConfig, Role, RouteConfig } from '#shared/config/schema.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { SimSystem, type FirewallSetup, type SimSystemOptions } from '#sim/system.js';
import type { FirewallProfileInput } from '#sim/panos/index.js';
import type { WorldEvent } from '#sim/world/event-log.js';
import { deliveredTo } from '#sim/world/messaging.js';
import type { AlarmStateChangeEvent } from '#sim/world/cloudwatch.js';
import { validateConfig } from '#shared/config/load.js';
import { makeConfig } from '../../support/config.js';

export const PAIR = 'hq-egress';

/** The example deployment's identities (examples/hq-egress.yaml). */
export const IDS = {
  fwA: 'i-0a1b2c3d4e5f60001',
  fwB: 'i-0a1b2c3d4e5f60002',
  fwATrust: 'eni-0a000000000000011',
  fwAUntrust: 'eni-0a000000000000012',
  fwBTrust: 'eni-0b000000000000011',
  fwBUntrust: 'eni-0b000000000000012',
  rtbA: 'rtb-0aa00000000000001',
  rtbB: 'rtb-0aa00000000000002',
  eipIpsec: 'eipalloc-0e000000000000001',
  eipNat: 'eipalloc-0e000000000000002',
  zone: 'Z0123456789ABCDEFGHIJ',
} as const;

/**
 * A VM-Series that boots in about 20 simulated seconds instead of six minutes: the phases
 * (refused, 403, not ready, ready) keep their order, only the test gets shorter.
 */
export const FAST_BOOT = { refuseMs: 4_000, authDownMs: 4_000, readyMs: 14_000, negotiationMs: 3_000 } as const;

/** EC2 and Route 53 transitions shortened the same way. */
export const FAST_WORLD = { pendingMs: 4_000, stoppingMs: 5_000, statusInitMs: 20_000, dnsSyncMs: 3_000 } as const;

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Policy knobs every orchestration test shortens (polls of seconds, not minutes). */
const FAST_POLICY: DeepPartial<PairConfig> = {
  readiness: { pollIntervalSeconds: 2, deadlineSeconds: 300 },
  start: { retryIntervalSeconds: 5 },
  postVerify: { pollIntervalSeconds: 2, tunnelTimeoutSeconds: 60, dnsSyncTimeoutSeconds: 60 },
};

function merge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (Array.isArray(patch) || typeof patch !== 'object' || patch === null) return patch;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
  return out;
}

/** The example pair with the fast policy and then `patch` merged in (arrays replace). */
export function orchConfig(patch: DeepPartial<PairConfig> = {}): Config {
  return makeConfig(merge(FAST_POLICY, patch) as DeepPartial<PairConfig>);
}

export interface OrchOptions extends Partial<Omit<SimSystemOptions, 'config' | 'firewalls'>> {
  readonly config?: Config;
  /** Per firewall name; the fast boot timings are applied unless the profile sets its own. */
  readonly firewalls?: Readonly<Record<string, FirewallSetup>>;
}

function fastFirewall(setup: FirewallSetup = {}): FirewallSetup {
  const profile: FirewallProfileInput = { ...setup.profile, timings: { ...FAST_BOOT, ...setup.profile?.timings } };
  return { ...setup, profile };
}

/**
 * Starts the system. Defaults: `direct` transport, speed 40, no EventBridge schedule and no
 * alarm trigger (a test that needs the probe or the alarms turns them on), fast boots.
 */
export async function startOrch(options: OrchOptions = {}): Promise<SimSystem> {
  const config = options.config ?? orchConfig();
  const names = config.pairs.flatMap((p) => [p.firewalls.primary.name, p.firewalls.secondary.name]);
  const firewalls = Object.fromEntries(names.map((n) => [n, fastFirewall(options.firewalls?.[n])]));
  return SimSystem.start({
    transport: 'direct',
    speed: 40,
    schedule: false,
    alarmTrigger: false,
    ...options,
    worldTimings: { ...FAST_WORLD, ...options.worldTimings },
    config,
    firewalls,
  });
}

// ---- evidence -----------------------------------------------------------------------------------

export type Outcome = NonNullable<FlowState['result']>['outcome'] | `FAILED ${string}`;

export interface ExecutionView {
  readonly name: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly outcome: Outcome;
  readonly state: FlowState | undefined;
  readonly error: string | undefined;
  readonly cause: string | undefined;
  /** Task and end states entered, in order. */
  readonly states: readonly string[];
}

/** Every finished execution of the simulator's state machine, in the order they ended. */
export function executions(system: SimSystem): ExecutionView[] {
  return system.executions.map(({ name, result }) => {
    const state = result.status === 'SUCCEEDED' ? (result.output as FlowState) : undefined;
    return {
      name,
      status: result.status,
      outcome: state?.result?.outcome ?? (`FAILED ${result.error?.name ?? '?'}` as const),
      state,
      error: result.error?.name,
      cause: result.error?.cause,
      states: result.history.map((h) => h.state),
    };
  });
}

export function execution(system: SimSystem, name: string): ExecutionView {
  const found = executions(system).find((e) => e.name === name);
  if (!found) throw new Error(`no finished execution ${name}; finished: ${executions(system).map((e) => e.name).join(', ')}`);
  return found;
}

/** How many times an execution entered `state`. */
export function entered(view: ExecutionView, state: string): number {
  return view.states.filter((s) => s === state).length;
}

export interface Notice {
  readonly at: number;
  readonly subject: string;
  /** What SQS, Lambda and HTTPS subscribers receive: the JSON. */
  readonly body: Record<string, unknown>;
  /** What e-mail subscribers receive: plain text. */
  readonly email: string;
}

export function notices(system: SimSystem): Notice[] {
  return system.world.sns.messages().map((m) => ({
    at: m.timestamp,
    subject: m.subject ?? '',
    body: JSON.parse(deliveredTo(m, 'sqs')) as Record<string, unknown>,
    email: deliveredTo(m, 'email'),
  }));
}

/** The result notice of one execution (the body names its execution). */
export function resultNotice(system: SimSystem, executionName: string): Notice {
  const found = notices(system).filter((n) => n.body.execution === executionName && n.body.event === 'result');
  if (found.length !== 1) throw new Error(`expected one result notice for ${executionName}, found ${found.length}`);
  return found[0] as Notice;
}

/** Route and EIP changes that really changed something, in order. */
export interface Move {
  readonly at: number;
  readonly seq: number;
  /** `route <dest> in <rtb>` or `EIP <alloc>`. */
  readonly object: string;
  readonly kind: 'replaced' | 'created' | 'associated';
  readonly to: string;
  readonly toPrivateIp?: string;
}

/** Moves at or after simulated time `since`, and recorded after event number `afterSeq`. */
export function moves(system: SimSystem, since = 0, afterSeq = 0): Move[] {
  return system.world.events
    .list({ type: ['ec2.route.replaced', 'ec2.route.created', 'ec2.eip.associated'], since })
    .filter((e) => e.seq > afterSeq)
    .flatMap((e): Move[] => {
      const d = e.data as Record<string, unknown>;
      if (e.type === 'ec2.eip.associated') {
        return [{ at: e.at, seq: e.seq, object: `EIP ${String(d.allocationId)}`, kind: 'associated', to: String(d.networkInterfaceId), toPrivateIp: String(d.privateIp) }];
      }
      if (e.type === 'ec2.route.replaced' && d.changed !== true) return [];
      return [{
        at: e.at,
        seq: e.seq,
        object: `route ${String(d.destination)} in ${String(d.routeTableId)}`,
        kind: e.type === 'ec2.route.created' ? 'created' : 'replaced',
        to: String(d.to),
      }];
    });
}

/** Which side of the pair an ENI belongs to (`undefined`: neither). */
export function sideOfEni(pair: PairConfig, eni: string): Role | undefined {
  for (const role of ['primary', 'secondary'] as const) {
    if (pair.routes.some((r) => r.targets[role] === eni) || pair.elasticIps.some((e) => e[role].networkInterfaceId === eni)) return role;
  }
  return undefined;
}

/**
 * Objects that moved back toward `from` after having reached `to`: "moved twice in opposite
 * directions". Empty when every object went one way only.
 */
export function reversals(system: SimSystem, pair: PairConfig, from: Role, to: Role, since = 0): string[] {
  const reached = new Set<string>();
  const back: string[] = [];
  for (const m of moves(system, since)) {
    const side = sideOfEni(pair, m.to);
    if (side === to) reached.add(m.object);
    else if (side === from && reached.has(m.object)) back.push(`${m.object} back to ${m.to} at seq ${m.seq}`);
  }
  return back;
}

/** Instance state transitions of one instance (`stopped -> pending`, ...). */
export function instanceStates(system: SimSystem, instanceId: string, since = 0): string[] {
  return system.world.events
    .list({ type: 'ec2.instance.state', resource: instanceId, since })
    .map((e) => {
      const to = (e.data as { to?: unknown }).to;
      return typeof to === 'string' ? to : e.message;
    });
}

export function worldEvents(system: SimSystem, type: WorldEvent['type'], since = 0): WorldEvent[] {
  return system.world.events.list({ type, since });
}

/** Changes a person would call "something changed": routes, EIPs, DNS, instance states. */
export function changesSince(system: SimSystem, since: number): WorldEvent[] {
  return system.world.events
    .list({ since })
    .filter(
      (e) =>
        e.type === 'ec2.route.created' ||
        e.type === 'ec2.eip.associated' ||
        e.type === 'ec2.eip.disassociated' ||
        e.type === 'ec2.instance.type' ||
        e.type === 'ec2.instance.state' ||
        e.type === 'route53.change.submitted' ||
        (e.type === 'ec2.route.replaced' && (e.data as Record<string, unknown>).changed === true),
    );
}

/** Waits (simulated time) until no execution runs; false if one still runs after `timeoutMs`. */
export function settle(system: SimSystem, timeoutMs = 600_000): Promise<boolean> {
  return system.waitUntil(() => system.runningExecutions().length === 0, timeoutMs, 1000);
}

/**
 * The EventBridge event CloudWatch sends when a firewall's EC2 status-check alarm goes to ALARM
 * (the shape `sim/world/cloudwatch.ts` emits, as AWS documents it).
 */
export function statusCheckAlarmEvent(system: SimSystem, role: Role, at = system.clock.now()): AlarmStateChangeEvent {
  const pair = system.pair();
  const fw = pair.firewalls[role];
  const time = new Date(at).toISOString();
  const alarmName = `pan-failover-${pair.name}-${fw.name}-status-check`;
  return {
    version: '0',
    id: `orch-${at}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: system.world.accountId,
    time,
    region: system.world.region,
    resources: [`arn:aws:cloudwatch:${system.world.region}:${system.world.accountId}:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: {
        value: 'ALARM',
        reason: 'Threshold Crossed: 2 out of the last 2 datapoints were greater than or equal to the threshold (1.0).',
        reasonData: '{}',
        timestamp: time,
      },
      previousState: { value: 'OK', reason: 'Threshold Crossed', reasonData: '{}', timestamp: time },
      configuration: {
        description: `EC2 status checks of ${fw.name} failing`,
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: { namespace: 'AWS/EC2', name: 'StatusCheckFailed', dimensions: { InstanceId: fw.instanceId } },
              period: 60,
              stat: 'Maximum',
            },
            returnData: true,
          },
        ],
      },
    },
  };
}

/** A short, readable dump for assertion messages. */
export function story(system: SimSystem): string {
  const outcomes = executions(system).map((e) => `${e.name}: ${e.outcome}${e.cause ? ` (${e.cause.slice(0, 200)})` : ''}`);
  const subjects = notices(system).map((n) => n.subject);
  return [`executions:\n  ${outcomes.join('\n  ')}`, `notices:\n  ${subjects.join('\n  ')}`].join('\n');
}

/** Waits until no instance is `pending` or `stopping` (a fence's stop still completing). */
export function instancesAtRest(system: SimSystem, timeoutMs = 120_000): Promise<boolean> {
  const moving = () => system.world.ec2.instanceIds().some((id) => ['pending', 'stopping'].includes(system.world.ec2.instanceNow(id).state));
  return system.waitUntil(() => !moving(), timeoutMs, 1000);
}

/**
 * The failure-modes consistency rule, judged without the scenario's AWS faults. It waits for
 * instance transitions already under way (a fence's stop): the check's re-run counts instance
 * state events as changes, and a stop requested before it would otherwise be charged to it.
 */
export async function expectConsistentOn(system: SimSystem, owner: Role): Promise<void> {
  system.world.faults.clear();
  expect(await settle(system)).toBe(true);
  expect(await instancesAtRest(system)).toBe(true);
  const report = await system.consistency();
  expect(report.problems, story(system)).toEqual([]);
  expect(report.owner).toBe(owner);
}

/**
 * Makes the running controller manage `route` although the world has no such route: what a
 * person deleting a managed route by hand leaves behind. The simulated EC2 has no DeleteRoute,
 * so the world is started from a configuration without the route and the controller's run
 * configuration (the one its handlers read on every invocation) is swapped for one with it.
 */
export function manageRouteMissingFromWorld(system: SimSystem, route: RouteConfig): void {
  const raw = JSON.parse(JSON.stringify(system.config)) as { pairs: { routes: RouteConfig[] }[] };
  raw.pairs[0]?.routes.push(route);
  const config = validateConfig(raw, 'run configuration with a route deleted by hand');
  (system as unknown as { config: Config }).config = config;
}

/**
 * The one simulated system a test of a file runs: `start` it (or `adopt` one a scenario run
 * started), read it with `sys()`; it is closed after each test, so a test never inherits the
 * previous one's system.
 */
export interface OrchSlot {
  readonly start: (options?: OrchOptions) => Promise<SimSystem>;
  readonly adopt: (system: SimSystem) => SimSystem;
  readonly sys: () => SimSystem;
}

export function orchSlot(): OrchSlot {
  let current: SimSystem | undefined;
  afterEach(async () => {
    const closing = current;
    current = undefined;
    await closing?.close();
  });
  return {
    start: async (options) => {
      current = await startOrch(options);
      return current;
    },
    adopt: (system) => {
      current = system;
      return system;
    },
    sys: () => {
      if (!current) throw new Error('system not started');
      return current;
    },
  };
}
