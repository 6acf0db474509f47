/**
 * The health probe: observe every pair (EC2 state, both firewalls' APIs, where the managed
 * objects point), decide (pure, `domain/health.ts`), then act: start the failover flow, alert,
 * or repair drift; record what must survive until the next round; publish metrics.
 *
 * One invocation runs several rounds (EventBridge fires once a minute; detection must be
 * sub-minute). Pairs are probed concurrently, and both firewalls of a pair concurrently, so a
 * round costs about the slowest firewall's timeout, not the sum.
 */
import type { Config, PairConfig, Role } from '../config/schema.js';
import { ROLES, otherRole } from '../config/schema.js';
import {
  decide,
  type ControllerSignals,
  type DecideOutput,
  type FirewallObservation,
  type InstanceObservation,
  type PairMemory,
} from '../domain/health.js';
import { driftFrom, effectiveOwner, objectLabel, observePlacement, type PairPlacement } from '../domain/placement.js';
import { errorMessage, StateConflictError } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { Ec2Port, InstanceInfo } from '../ports/ec2.js';
import type { FirewallApiFactory } from '../ports/firewall.js';
import type { FlowStarter, Notifier } from '../ports/messaging.js';
import type { LockStore, OwnerRecord, OwnerStore, ProbeStateStore } from '../ports/store.js';
import type { Telemetry } from '../observability/telemetry.js';
import { flowExecutionName, type FlowInput } from './flow-input.js';
import { observeFirewallApi } from './observe.js';

/** What the probe remembers per pair between rounds and invocations. */
export interface ProbeMemory extends PairMemory {
  /** The flow execution started for the current incident, to avoid starting it twice. */
  readonly incident?: {
    readonly since: number;
    readonly action: 'failover' | 'failback';
    readonly attempts: number;
    readonly execution: string;
    readonly startedAt: number;
  };
  /** Last alert sent, so the same condition is not notified every round. */
  readonly lastAlert?: { readonly code: string; readonly at: number };
  /** Last drift repair started. */
  readonly lastRepair?: { readonly execution: string; readonly at: number };
}

export type CanaryCheck = (host: string, port: number, timeoutMs: number) => Promise<boolean>;

export interface ProbeDeps {
  readonly config: Config;
  readonly ec2: Ec2Port;
  readonly firewalls: FirewallApiFactory;
  readonly store: ProbeStateStore<ProbeMemory> & OwnerStore & Pick<LockStore, 'get'>;
  readonly flows: FlowStarter;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly canary?: CanaryCheck;
}

/** How many times the probe restarts a failed flow for the same incident before leaving it to people. */
export const MAX_FLOW_ATTEMPTS = 3;
/** The same alert is repeated at most this often. */
export const ALERT_REPEAT_MS = 3_600_000;

export interface FirewallRoundResult {
  readonly role: Role;
  readonly name: string;
  readonly instanceId: string;
  readonly status: DecideOutput['statuses'][Role];
  readonly observation: FirewallObservation;
}

export interface PairRoundResult {
  readonly pair: string;
  readonly at: number;
  readonly owner: Role;
  readonly ownerSource: 'record' | 'aws' | 'assumed';
  readonly firewalls: readonly FirewallRoundResult[];
  readonly decision: DecideOutput['decision'];
  readonly tunnelsDown: readonly string[];
  /** Labels of managed objects not on the owner; `undefined` when placement could not be read. */
  readonly drift: readonly string[] | undefined;
  /** What the probe did about it. */
  readonly acted: readonly string[];
}

export interface ProbeOptions {
  /** Read-only: observe and decide, start nothing, notify nothing, store nothing (CLI `probe`). */
  readonly readOnly?: boolean;
  /** Only these pairs. */
  readonly pairs?: readonly string[];
}

/** One round over every (selected) pair, concurrently. */
export async function probeRound(deps: ProbeDeps, options: ProbeOptions = {}): Promise<PairRoundResult[]> {
  const pairs = deps.config.pairs.filter((p) => !options.pairs || options.pairs.includes(p.name));
  return Promise.all(pairs.map((pair) => probePair(deps, pair, options)));
}

async function probePair(deps: ProbeDeps, pair: PairConfig, options: ProbeOptions): Promise<PairRoundResult> {
  const { clock, telemetry } = deps;
  const now = clock.now();
  const log = telemetry.log;

  const [instances, placement, stored, record, canaries] = await Promise.all([
    describe(deps, pair),
    readPlacement(deps, pair),
    options.readOnly ? Promise.resolve({ value: undefined, version: undefined }) : deps.store.loadProbeState(pair.name),
    deps.store.getOwner(pair.name),
    checkCanaries(deps, pair),
  ]);

  const { owner, ownerSource } = resolveOwner(record, placement);
  const observations = await observeBoth(deps, pair, owner, instances);
  const controller: ControllerSignals = { awsReachable: instances !== undefined, canariesReachable: canaries };
  const out = decide({
    pair,
    owner,
    ownerSince: record && record.changedBy !== 'bootstrap' ? record.since : undefined,
    observations,
    memory: stored.value,
    controller,
    now,
  });

  const drift = placement ? driftFrom(placement, owner).map(objectLabel) : undefined;
  const result: Omit<PairRoundResult, 'acted'> = {
    pair: pair.name,
    at: now,
    owner,
    ownerSource,
    firewalls: ROLES.map((role) => ({
      role,
      name: pair.firewalls[role].name,
      instanceId: pair.firewalls[role].instanceId,
      status: out.statuses[role],
      observation: observations[role],
    })),
    decision: out.decision,
    tunnelsDown: out.tunnelsDown,
    drift,
  };
  publishMetrics(deps, pair, result);
  log.info('probe round', {
    pair: pair.name,
    owner,
    primary: out.statuses.primary,
    secondary: out.statuses.secondary,
    action: out.decision.action,
    code: out.decision.code,
    reason: out.decision.reason,
    drift: drift?.length,
  });
  if (options.readOnly) return { ...result, acted: [] };

  const acted: string[] = [];
  let memory: ProbeMemory = { ...stored.value, ...out.memory };
  if (ownerSource === 'aws' && placement) {
    await deps.store.putOwner(pair.name, { owner, since: now, changedBy: 'bootstrap', reason: 'all managed objects point at it' });
    acted.push(`recorded ${owner} as owner (from AWS)`);
  }
  const lock = await deps.store.get(pair.name);
  const locked = lock !== undefined && lock.expiresAt > now;

  if (out.decision.action === 'failover' || out.decision.action === 'failback') {
    memory = await startFlowOnce(deps, pair, out, memory, locked, acted);
  } else {
    memory = { ...memory, incident: undefined };
    memory = await alertOnce(deps, pair, result, memory, acted);
    if (!locked && record && placement) memory = await handleDrift(deps, pair, out, placement, record, memory, acted);
  }

  try {
    await deps.store.saveProbeState(pair.name, memory, stored.version);
  } catch (e) {
    if (!(e instanceof StateConflictError)) throw e;
    // Another invocation probed the same pair at the same time (overlapping schedules): its
    // memory wins; ours is dropped rather than merged, which at worst delays detection one round.
    log.warn('probe state conflict', { pair: pair.name });
  }
  return { ...result, acted };
}

async function describe(deps: ProbeDeps, pair: PairConfig): Promise<Map<string, InstanceInfo> | undefined> {
  try {
    const list = await deps.ec2.describeInstances(ROLES.map((r) => pair.firewalls[r].instanceId));
    return new Map(list.map((i) => [i.instanceId, i]));
  } catch (e) {
    deps.telemetry.log.warn('describe instances failed', { pair: pair.name, error: errorMessage(e) });
    return undefined;
  }
}

async function readPlacement(deps: ProbeDeps, pair: PairConfig): Promise<PairPlacement | undefined> {
  try {
    const tables = [...new Set(pair.routes.map((r) => r.routeTableId))];
    const [routeTables, addresses] = await Promise.all([
      tables.length > 0 ? deps.ec2.describeRouteTables(tables) : Promise.resolve([]),
      pair.elasticIps.length > 0
        ? deps.ec2.describeAddresses(pair.elasticIps.map((e) => e.allocationId))
        : Promise.resolve([]),
    ]);
    return observePlacement(pair, routeTables, addresses);
  } catch (e) {
    deps.telemetry.log.warn('describe placement failed', { pair: pair.name, error: errorMessage(e) });
    return undefined;
  }
}

async function checkCanaries(deps: ProbeDeps, pair: PairConfig): Promise<boolean | undefined> {
  const canaries = pair.probe.canaries;
  if (canaries.length === 0 || !deps.canary) return undefined;
  const check = deps.canary;
  const results = await Promise.all(
    canaries.map((c) => check(c.host, c.port, pair.probe.timeoutSeconds * 1000).catch(() => false)),
  );
  return results.some(Boolean);
}

function resolveOwner(
  record: OwnerRecord | undefined,
  placement: PairPlacement | undefined,
): { owner: Role; ownerSource: PairRoundResult['ownerSource'] } {
  if (record) return { owner: record.owner, ownerSource: 'record' };
  const seen = placement ? effectiveOwner(placement) : 'none';
  if (seen === 'primary' || seen === 'secondary') return { owner: seen, ownerSource: 'aws' };
  return { owner: 'primary', ownerSource: 'assumed' };
}

async function observeBoth(
  deps: ProbeDeps,
  pair: PairConfig,
  owner: Role,
  instances: Map<string, InstanceInfo> | undefined,
): Promise<Record<Role, FirewallObservation>> {
  const one = async (role: Role): Promise<FirewallObservation> => {
    const fw = pair.firewalls[role];
    const info = instances?.get(fw.instanceId);
    const instance: InstanceObservation = instances
      ? info
        ? {
            state: info.state,
            launchTime: info.launchTime,
            systemStatus: info.systemStatus,
            instanceStatus: info.instanceStatus,
          }
        : { state: 'terminated' }
      : { state: 'unknown' };
    const at = deps.clock.now();
    // A stopped instance has no API: do not spend the timeout on it.
    if (instance.state !== 'running' && instance.state !== 'unknown') {
      return { at, instance, api: { outcome: 'skipped', latencyMs: 0 } };
    }
    const api = await observeFirewallApi(deps.firewalls, fw, deps.clock, {
      timeoutMs: pair.probe.timeoutSeconds * 1000,
      chassis: true,
      tunnels: role === owner && pair.tunnels.length > 0,
    });
    return { at, instance, api };
  };
  const [primary, secondary] = await Promise.all([one('primary'), one('secondary')]);
  return { primary, secondary };
}

function publishMetrics(deps: ProbeDeps, pair: PairConfig, r: Omit<PairRoundResult, 'acted'>): void {
  const m = deps.telemetry.metrics;
  for (const fw of r.firewalls) {
    const dims = { Pair: pair.name, Firewall: fw.name };
    const answered = fw.observation.api.outcome === 'ok';
    m.add('FirewallHealthy', 'Count', fw.status === 'healthy' ? 1 : 0, dims);
    m.add('FirewallReachable', 'Count', answered ? 1 : 0, dims);
    if (answered) m.add('ApiLatency', 'Milliseconds', fw.observation.api.latencyMs, dims);
    if (fw.role === r.owner && pair.tunnels.length > 0) {
      const expected = pair.tunnels.reduce((n, t) => n + Math.max(1, t.proxyIds.length), 0);
      m.add('TunnelsUp', 'Count', answered ? expected - r.tunnelsDown.length : 0, dims);
    }
  }
  const dims = { Pair: pair.name };
  m.add('ProbeRound', 'Count', 1, dims);
  m.add('FailoverDecision', 'Count', r.decision.action === 'failover' ? 1 : 0, dims);
  m.add('ProbeAlert', 'Count', r.decision.action === 'alert' ? 1 : 0, dims);
  m.add('ControllerBlind', 'Count', r.decision.code === 'controller-blind' ? 1 : 0, dims);
  if (r.drift) m.add('DriftedObjects', 'Count', r.drift.length, dims);
}

async function startFlowOnce(
  deps: ProbeDeps,
  pair: PairConfig,
  out: DecideOutput,
  memory: ProbeMemory,
  locked: boolean,
  acted: string[],
): Promise<ProbeMemory> {
  const action = out.decision.action === 'failback' ? 'failback' : 'failover';
  const since = out.decision.incidentSince ?? deps.clock.now();
  const prev = memory.incident?.since === since && memory.incident.action === action ? memory.incident : undefined;
  if (locked) {
    acted.push('flow already running for the pair (lock held)');
    return memory;
  }
  if (prev) {
    const status = await deps.flows.status(prev.execution);
    if (status === 'RUNNING' || status === undefined) {
      acted.push(`flow ${prev.execution} ${status === 'RUNNING' ? 'running' : 'starting'}`);
      return memory;
    }
    if (prev.attempts >= MAX_FLOW_ATTEMPTS) {
      acted.push(`flow attempts exhausted (${prev.attempts})`);
      return alertOnce(
        deps,
        pair,
        {
          pair: pair.name,
          decision: {
            action: 'alert',
            code: out.decision.code,
            reason: `${out.decision.reason}; ${prev.attempts} ${action} attempts ended without success (last: ${prev.execution} ${status}): a person must act`,
          },
        },
        memory,
        acted,
      );
    }
  }
  const attempt = (prev?.attempts ?? 0) + 1;
  const name = flowExecutionName(pair.name, action, since, attempt);
  const input: FlowInput = {
    pair: pair.name,
    action,
    reason: out.decision.reason,
    source: 'probe',
    from: out.decision.from,
    incidentId: `${pair.name}@${new Date(since).toISOString()}`,
  };
  const started = await deps.flows.start(name, input);
  deps.telemetry.log.info('flow started', { pair: pair.name, execution: name, action, alreadyExisted: started.alreadyExisted });
  acted.push(`${started.alreadyExisted ? 'flow already existed' : 'started'} ${name}`);
  return { ...memory, incident: { since, action, attempts: attempt, execution: name, startedAt: deps.clock.now() } };
}

interface AlertSubject {
  readonly pair: string;
  readonly decision: { readonly action: string; readonly code: string; readonly reason: string };
}

async function alertOnce(
  deps: ProbeDeps,
  pair: PairConfig,
  r: AlertSubject,
  memory: ProbeMemory,
  acted: string[],
): Promise<ProbeMemory> {
  const now = deps.clock.now();
  const last = memory.lastAlert;
  if (r.decision.action !== 'alert') {
    if (!last) return memory;
    await notify(deps, {
      subject: `pan-failover ${pair.name}: resolved (${last.code})`,
      body: { pair: pair.name, event: 'alert-resolved', code: last.code, now: r.decision.reason, at: new Date(now).toISOString() },
    });
    acted.push(`notified resolution of ${last.code}`);
    return { ...memory, lastAlert: undefined };
  }
  if (last && last.code === r.decision.code && now - last.at < ALERT_REPEAT_MS) return memory;
  await notify(deps, {
    subject: `pan-failover ${pair.name}: ALERT ${r.decision.code}`,
    body: { pair: pair.name, event: 'alert', code: r.decision.code, reason: r.decision.reason, at: new Date(now).toISOString() },
  });
  acted.push(`alerted ${r.decision.code}`);
  return { ...memory, lastAlert: { code: r.decision.code, at: now } };
}

async function notify(deps: ProbeDeps, n: { subject: string; body: Record<string, unknown> }): Promise<void> {
  try {
    await deps.notifier.publish(n);
  } catch (e) {
    // A notification failure must not stop the probe; the metrics still carry the state.
    deps.telemetry.log.error('notification failed', { subject: n.subject, error: errorMessage(e) });
  }
}

async function handleDrift(
  deps: ProbeDeps,
  pair: PairConfig,
  out: DecideOutput,
  placement: PairPlacement,
  record: OwnerRecord,
  memory: ProbeMemory,
  acted: string[],
): Promise<ProbeMemory> {
  const drifted = driftFrom(placement, record.owner);
  if (drifted.length === 0) return memory;
  const labels = drifted.map(objectLabel);
  const ownerStatus = out.statuses[record.owner];
  const canRepair = pair.driftRepair === 'repair' && (ownerStatus === 'healthy' || ownerStatus === 'degraded');
  if (!canRepair) {
    const why =
      pair.driftRepair === 'repair'
        ? `not repaired: the recorded owner ${pair.firewalls[record.owner].name} is ${ownerStatus}`
        : 'driftRepair is "report"';
    return alertOnce(
      deps,
      pair,
      {
        pair: pair.name,
        decision: { action: 'alert', code: 'drift', reason: `${labels.length} managed object(s) not on ${pair.firewalls[record.owner].name}: ${labels.join('; ')} (${why})` },
      },
      memory,
      acted,
    );
  }
  const now = deps.clock.now();
  const name = flowExecutionName(pair.name, 'reconcile', Math.floor(now / 60_000) * 60_000, 1);
  const input: FlowInput = {
    pair: pair.name,
    action: 'reconcile',
    reason: `drift: ${labels.join('; ')}`,
    source: 'drift',
    from: otherRole(record.owner),
  };
  const started = await deps.flows.start(name, input);
  await notify(deps, {
    subject: `pan-failover ${pair.name}: drift detected, repairing toward ${pair.firewalls[record.owner].name}`,
    body: { pair: pair.name, event: 'drift', owner: record.owner, drifted: labels, execution: name },
  });
  acted.push(`${started.alreadyExisted ? 'repair already started' : 'started repair'} ${name}`);
  return { ...memory, lastRepair: { execution: name, at: now } };
}

/** Runs rounds for one invocation window (EventBridge fires every minute). */
export async function runProbeInvocation(
  deps: ProbeDeps,
  options: { windowMs?: number; remainingMs?: () => number } = {},
): Promise<PairRoundResult[][]> {
  const { clock } = deps;
  const windowMs = options.windowMs ?? 60_000;
  const interval = Math.min(...deps.config.pairs.map((p) => p.probe.intervalSeconds)) * 1000;
  const maxTimeout = Math.max(...deps.config.pairs.map((p) => p.probe.timeoutSeconds)) * 1000;
  const start = clock.now();
  const rounds: PairRoundResult[][] = [];
  for (let k = 0; ; k++) {
    const roundStart = start + k * interval;
    // Leave the last round time to finish before the next scheduled invocation.
    if (k > 0 && roundStart - start + maxTimeout + 1000 > windowMs) break;
    if (options.remainingMs && k > 0 && options.remainingMs() < maxTimeout * 2 + 2000) break;
    const wait = roundStart - clock.now();
    if (wait > 0) await clock.sleep(wait);
    rounds.push(await probeRound(deps));
  }
  return rounds;
}
