/**
 * The health probe: observe every pair (EC2 state, both firewalls' APIs, where the managed
 * objects point), decide (pure, `domain/health.ts`), then act: start the failover flow, alert,
 * or repair drift; record what must survive until the next round; publish metrics.
 *
 * Rounds run several times a minute (EventBridge starts a window once a minute; detection must
 * be sub-minute): `probe-loop.ts` says when. Pairs are probed concurrently, and both firewalls of a pair concurrently, so a
 * round costs about the slowest firewall's timeout, not the sum.
 */
import type { Config, PairConfig, Role } from '../config/schema.js';
import { ROLES, otherRole } from '../config/schema.js';
import {
  decide,
  type DecideOutput,
  type FirewallObservation,
  type FirewallStatus,
  type InstanceObservation,
  type PairMemory,
} from '../domain/health.js';
import { nextStreak, type FailedRound } from '../domain/streak.js';
import { driftFrom, effectiveOwner, objectLabel, observePlacement, type PairPlacement } from '../domain/placement.js';
import { errorMessage, isPanFailoverError, ManagedResourceNotFoundError, StateConflictError } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { Ec2Port, InstanceInfo } from '../ports/ec2.js';
import type { FirewallApiFactory } from '../ports/firewall.js';
import type { FlowStarter, Notification, Notifier } from '../ports/messaging.js';
import type { LockStore, OwnerRecord, OwnerStore, PauseRecord, PauseStore, ProbeStateStore, Versioned } from '../ports/store.js';
import { describePause, iso, pauseState } from '../domain/pause.js';
import { endExpiredPause } from './pause.js';
import type { Telemetry } from '../observability/telemetry.js';
import { flowExecutionName, type FlowInput } from './flow-input.js';
import { holderEnded } from './flow/control-steps.js';
import { isDrillHolder } from '../domain/drill.js';
import { describeInstancesTolerant } from './instances.js';
import { readPlacement } from './placement.js';
import { observeFirewallApi } from './observe.js';
import { composeText } from '../notify/compose.js';
import { alertKind, DECISION_ALERTS, type AlertCode } from '../notify/kinds.js';
import { executionConsoleUrl, stateMachineConsoleUrl } from '../notify/render.js';
import type { TextContext } from '../notify/texts.js';
import { isThrottleOrTransient, withRetry } from './pacing.js';
import { afterRound, EARLY_TOLERANCE_MS, isoSeconds, loopGrid, parseLoopRoundEvent, roundDueAt, roundPlan } from './probe-loop.js';

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
  /** Alert code -> when it was last sent: each condition is notified once (again after an hour). */
  readonly alerts?: Readonly<Record<string, number>>;
  /** Epoch ms of the last round that decided for this pair (to tell overlapping invocations apart). */
  readonly lastRoundAt?: number;
  /** Last drift repair started. */
  readonly lastRepair?: { readonly execution: string; readonly at: number };
  /** The active firewall's current failure streak (`domain/streak.ts`): carried in the failover's input. */
  readonly streak?: readonly FailedRound[];
}

export type CanaryCheck = (host: string, port: number, timeoutMs: number) => Promise<boolean>;

export interface ProbeDeps {
  readonly config: Config;
  readonly ec2: Ec2Port;
  readonly firewalls: FirewallApiFactory;
  readonly store: ProbeStateStore<ProbeMemory> & OwnerStore & Pick<LockStore, 'get'> & PauseStore;
  readonly flows: FlowStarter;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly canary?: CanaryCheck;
  /** The deployed state machine, for the console link in alerts. */
  readonly stateMachineArn?: string;
}

/**
 * Status as a number, so one metric per firewall can be graphed and alarmed on: higher is worse;
 * 0-2 carry or may soon carry traffic, 3 and up do not.
 */
export const STATUS_CODES: Readonly<Record<FirewallStatus, number>> = {
  healthy: 0,
  degraded: 1,
  booting: 2,
  stopped: 3,
  'auth-error': 4,
  untrusted: 5,
  unreachable: 6,
};

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
  /** The pair's maintenance pause, while it holds (the probe starts no flow for the pair). */
  readonly paused?: { readonly until: number; readonly by: string; readonly reason: string };
}

export interface ProbeOptions {
  /** Read-only: observe and decide, start nothing, notify nothing, store nothing (CLI `probe`). */
  readonly readOnly?: boolean;
  /** Only these pairs. */
  readonly pairs?: readonly string[];
  /** Told of each pair whose round failed (the CLI reports it as "could not check"). */
  readonly onPairError?: (pair: string, error: unknown) => void;
}

/**
 * One round over every (selected) pair, concurrently. A pair whose round fails (its state could
 * not be read, say) is logged and counted; the other pairs' rounds go on unharmed.
 */
export async function probeRound(deps: ProbeDeps, options: ProbeOptions = {}): Promise<PairRoundResult[]> {
  const pairs = deps.config.pairs.filter((p) => !options.pairs || options.pairs.includes(p.name));
  // One set of Describe calls for every pair of the round, whatever their number.
  const aws = observeAws(deps, pairs);
  const settled = await Promise.allSettled(pairs.map((pair) => probePair(deps, pair, options, aws)));
  const results: PairRoundResult[] = [];
  settled.forEach((r, i) => {
    const pair = pairs[i]?.name ?? '?';
    if (r.status === 'fulfilled') results.push(r.value);
    else {
      deps.telemetry.log.error('probe round failed', { pair, error: errorMessage(r.reason) });
      deps.telemetry.metrics.add('ProbeError', 'Count', 1, { Pair: pair });
      options.onPairError?.(pair, r.reason);
    }
  });
  return results;
}

/** What one round reads of a pair before observing its firewalls. */
interface PairReading {
  readonly instances: Map<string, InstanceInfo> | undefined;
  readonly awsReachable: boolean;
  readonly placement: PairPlacement | undefined;
  readonly stored: Versioned<ProbeMemory | undefined>;
  readonly record: OwnerRecord | undefined;
  readonly canaries: boolean | undefined;
  readonly pause: Versioned<PauseRecord | undefined>;
}

/** One pair's round: read, observe, decide, log and publish; then record and act on the decision (unless read-only). */
async function probePair(deps: ProbeDeps, pair: PairConfig, options: ProbeOptions, aws: Promise<AwsView>): Promise<PairRoundResult> {
  const now = deps.clock.now();
  const reading = await readPairState(deps, pair, options, aws);
  const { stored, record, placement, pause } = reading;
  const pauseNow = pauseState(pause.value, now);
  const paused = pauseNow === 'active' && pause.value ? { until: pause.value.until, by: pause.value.by, reason: pause.value.reason } : undefined;

  const { owner, ownerSource } = resolveOwner(record, placement);
  const observations = await observeBoth(deps, pair, owner, reading.instances);
  const out = decide({
    pair,
    owner,
    ownerSince: record && record.changedBy !== 'bootstrap' ? record.since : undefined,
    observations,
    memory: stored.value,
    controller: { awsReachable: reading.awsReachable, canariesReachable: reading.canaries },
    now,
    lastDecidedAt: stored.value?.lastRoundAt,
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
    ...(paused ? { paused } : {}),
  };
  publishMetrics(deps, pair, result);
  logRound(deps, result, out);
  if (options.readOnly) return { ...result, acted: [] };
  // A pair decides at most once per its own interval: two invocations interleaving their rounds
  // (a duplicate EventBridge delivery), or an invocation ticking at a shorter interval of another
  // pair, would otherwise count failures faster than the policy says. A round too close to the
  // last deciding one (either way: clocks of two containers may differ) observes only.
  const lastRound = stored.value?.lastRoundAt;
  if (lastRound !== undefined && Math.abs(now - lastRound) < pair.probe.intervalSeconds * 1000 * MIN_DECIDING_GAP) {
    return { ...result, acted: [`nothing: another invocation probed this pair ${Math.round((now - lastRound) / 1000)} s ago`] };
  }
  const acted = await recordAndAct(deps, pair, reading, { out, owner, ownerSource, now, pauseNow, observations });
  return { ...result, acted };
}

/** Deciding rounds of one pair are at least this fraction of its interval apart (timer jitter allowed). */
export const MIN_DECIDING_GAP = 0.8;

/** The round's EC2 view of the pair, with what the store remembers of it (nothing in read-only mode), its owner record, canaries and pause. */
async function readPairState(deps: ProbeDeps, pair: PairConfig, options: ProbeOptions, aws: Promise<AwsView>): Promise<PairReading> {
  const [{ instances, awsReachable, placements }, stored, record, canaries, pause] = await Promise.all([
    aws,
    options.readOnly ? Promise.resolve({ value: undefined, version: undefined }) : deps.store.loadProbeState(pair.name),
    deps.store.getOwner(pair.name),
    checkCanaries(deps, pair),
    deps.store.getPause(pair.name),
  ]);
  return { instances, awsReachable, placement: placements.get(pair.name), stored, record, canaries, pause };
}

/** The round's one log line: owner, statuses, decision, drift and pause. */
function logRound(deps: ProbeDeps, result: Omit<PairRoundResult, 'acted'>, out: DecideOutput): void {
  deps.telemetry.log.info('probe round', {
    pair: result.pair,
    owner: result.owner,
    primary: out.statuses.primary,
    secondary: out.statuses.secondary,
    action: out.decision.action,
    code: out.decision.code,
    reason: out.decision.reason,
    roundAt: new Date(result.at).toISOString(),
    drift: result.drift?.length,
    ...(result.paused ? { pausedUntil: iso(result.paused.until) } : {}),
  });
}

/**
 * Decide what to do, record it (conditional write), and only then do it: two overlapping
 * invocations (EventBridge may deliver twice, a slow round may overlap the next minute) cannot
 * both alert or both start a flow, because only one of them wins the write. Returns what was done.
 */
async function recordAndAct(
  deps: ProbeDeps,
  pair: PairConfig,
  reading: PairReading,
  round: { out: DecideOutput; owner: Role; ownerSource: PairRoundResult['ownerSource']; now: number; pauseNow: ReturnType<typeof pauseState>; observations: Readonly<Record<Role, FirewallObservation>> },
): Promise<string[]> {
  const { stored, record, placement, pause } = reading;
  const { out, owner, ownerSource, now, pauseNow, observations } = round;
  const lock = await deps.store.get(pair.name);
  // A standby drill's lock does not hold the pair: a failover takes it over (the drill yields).
  const held = lock !== undefined && lock.expiresAt > now && !isDrillHolder(lock.holder) && !(await holderEnded((n) => deps.flows.status(n), lock.holder));
  const plan = await planActions(deps, pair, {
    out,
    memory: { ...stored.value, ...out.memory, lastRoundAt: now, streak: nextStreak(stored.value?.streak, { now, owner, observations, out }) },
    locked: held,
    holder: lock?.holder,
    // An unanswered lookup is not "unknown holder": only Step Functions saying it has no such execution is.
    holderKnown: lock !== undefined && held ? (await deps.flows.status(lock.holder).catch(() => 'RUNNING' as const)) !== undefined : true,
    record,
    ownerSource,
    owner,
    placement,
    now,
    pause: pauseNow === 'active' ? pause.value : undefined,
  });
  if (pauseNow === 'expired' && pause.value) plan.intents.unshift({ kind: 'end-pause', pause: { value: pause.value, version: pause.version } });
  try {
    await deps.store.saveProbeState(pair.name, plan.memory, stored.version);
  } catch (e) {
    if (!(e instanceof StateConflictError)) throw e;
    deps.telemetry.log.warn('probe state conflict: another invocation acts on this round', { pair: pair.name });
    return ['nothing: another probe invocation recorded this round first'];
  }
  const { acted, failedAlerts } = await execute(deps, pair, plan.intents);
  if (failedAlerts.length > 0) await forgetFailedAlerts(deps, pair, plan.memory, stored.version, failedAlerts, stored.value?.alerts ?? {});
  return acted;
}

/**
 * A notification that could not be sent must be tried again next round: put its code back as it
 * was before this round (a second conditional write; if another invocation wrote in between, it
 * has taken over and ours is dropped).
 */
async function forgetFailedAlerts(
  deps: ProbeDeps,
  pair: PairConfig,
  saved: ProbeMemory,
  savedOnVersion: number | undefined,
  codes: readonly string[],
  before: Readonly<Record<string, number>>,
): Promise<void> {
  const alerts: Record<string, number> = { ...saved.alerts };
  for (const code of codes) {
    const was = before[code];
    if (was === undefined) delete alerts[code];
    else alerts[code] = was;
  }
  try {
    await deps.store.saveProbeState(pair.name, { ...saved, alerts }, (savedOnVersion ?? 0) + 1);
  } catch (e) {
    if (!(e instanceof StateConflictError)) throw e;
  }
}

type Intent =
  | { readonly kind: 'start-flow'; readonly name: string; readonly input: FlowInput }
  | { readonly kind: 'notify'; readonly notification: Notification; readonly alertCode?: string }
  | { readonly kind: 'record-owner'; readonly record: OwnerRecord }
  | { readonly kind: 'end-pause'; readonly pause: Versioned<PauseRecord> }
  | { readonly kind: 'note'; readonly text: string };

interface PlanInput {
  readonly out: DecideOutput;
  readonly memory: ProbeMemory;
  readonly locked: boolean;
  readonly holder: string | undefined;
  /** Step Functions knows the lock's holder (a running execution); a CLI `--local` run is not known. */
  readonly holderKnown: boolean;
  readonly record: OwnerRecord | undefined;
  readonly ownerSource: PairRoundResult['ownerSource'];
  readonly owner: Role;
  readonly placement: PairPlacement | undefined;
  readonly now: number;
  /** The pair's maintenance pause, while it holds: no flow of any kind is started. */
  readonly pause: PauseRecord | undefined;
}

async function planActions(
  deps: ProbeDeps,
  pair: PairConfig,
  input: PlanInput,
): Promise<{ memory: ProbeMemory; intents: Intent[] }> {
  const { out, locked, record, placement, now } = input;
  const intents: Intent[] = [];
  let memory = input.memory;
  if (input.ownerSource === 'aws' && placement && !locked) {
    intents.push({ kind: 'record-owner', record: { owner: input.owner, since: now, changedBy: 'bootstrap', reason: 'all managed objects point at it' } });
  }
  const active: ActiveAlert[] = [];
  if (locked && out.decision.code !== 'controller-blind') {
    // A flow is working on the pair: its own notifications tell the story; drift is expected
    // mid-cutover. But a lock whose holder Step Functions does not know (a CLI --local run that
    // was interrupted) must not silence a needed failover without anyone being told.
    intents.push({ kind: 'note', text: `flow in progress (lock held by ${input.holder ?? '?'}): no repair` });
    if ((out.decision.action === 'failover' || out.decision.action === 'failback') && !input.holderKnown) {
      active.push({
        code: 'failover-blocked-by-lock',
        reason: `${out.decision.reason}; but the pair's lock is held by ${input.holder ?? '?'}, which Step Functions does not know (an interrupted CLI run?): no ${out.decision.action} until it is released or expires`,
        context: { holder: input.holder, action: out.decision.action },
      });
      return { memory: planAlerts(deps, pair, input.owner, active, memory, now, intents, { keepOthers: true }), intents };
    }
    return { memory, intents };
  }
  if ((out.decision.action === 'failover' || out.decision.action === 'failback') && input.pause) {
    // Paused: observed, recorded and told, but nothing is started. The incident is not recorded
    // as begun: when the pause ends and the failure is still there, the failover starts then.
    const held = `the pair is ${describePause(input.pause, now)}`;
    intents.push({ kind: 'note', text: `${out.decision.action} due, not started: ${held}` });
    if (out.decision.action === 'failover') {
      active.push({
        code: 'failover-paused',
        reason: `${out.decision.reason}; no failover: ${held}. To fail over now: pan-failover failover -p ${pair.name} --force`,
        context: { until: iso(input.pause.until), by: input.pause.by },
      });
    }
  } else if (out.decision.action === 'failover' || out.decision.action === 'failback') {
    memory = await planFlow(deps, pair, out, memory, intents, active);
  } else {
    memory = { ...memory, incident: undefined };
    const code = DECISION_ALERTS[out.decision.code];
    if (out.decision.action === 'alert' && code !== undefined) active.push({ code, reason: out.decision.reason, context: decisionContext(out) });
    if (record && placement) memory = await planDrift(deps, pair, out, placement, record, memory, now, intents, active, input.pause);
  }
  return { memory: planAlerts(deps, pair, input.owner, active, memory, now, intents), intents };
}

interface ActiveAlert {
  readonly code: AlertCode;
  readonly reason: string;
  /** Facts for the text people read (shared/notify/texts.ts). */
  readonly context?: Partial<TextContext>;
  /** The execution the alert is about (its console link). */
  readonly execution?: string;
}

/** The facts of a decision that the alert's text names. */
function decisionContext(out: DecideOutput): Partial<TextContext> {
  return { tunnelsDown: out.tunnelsDown, ...(out.tunnelsUnreadable !== undefined ? { cause: out.tunnelsUnreadable } : {}) };
}

/** An alert (or its resolution) as people and machines receive it. */
function alertNotification(
  deps: ProbeDeps,
  pair: PairConfig,
  owner: Role,
  now: number,
  alert: { readonly code: string; readonly reason?: string; readonly context?: Partial<TextContext>; readonly resolved?: boolean; readonly execution?: string },
): Notification {
  const resolved = alert.resolved === true;
  const event = resolved ? 'alert-resolved' : 'alert';
  const kind = resolved ? 'alert-resolved' : alertKind(alert.code as AlertCode);
  const context: TextContext = {
    pair: pair.name,
    active: pair.firewalls[owner].name,
    standby: pair.firewalls[otherRole(owner)].name,
    code: alert.code,
    ...alert.context,
  };
  return {
    subject: resolved ? `[pan-failover] ${pair.name}: resolved (${alert.code})` : `[pan-failover] ${pair.name}: ALERT ${alert.code}`,
    body: { pair: pair.name, event, code: alert.code, ...(alert.reason !== undefined ? { reason: alert.reason } : {}), at: new Date(now).toISOString() },
    attributes: { pair: pair.name, event, code: alert.code },
    kind,
    text: composeText(deps.config.notifications, kind, context, {
      details: alert.reason !== undefined ? [alert.reason] : [],
      console: alert.execution !== undefined ? executionConsoleUrl(deps.stateMachineArn, alert.execution) : stateMachineConsoleUrl(deps.stateMachineArn),
    }),
  };
}

async function planFlow(
  deps: ProbeDeps,
  pair: PairConfig,
  out: DecideOutput,
  memory: ProbeMemory,
  intents: Intent[],
  active: ActiveAlert[],
): Promise<ProbeMemory> {
  const now = deps.clock.now();
  const action = out.decision.action === 'failback' ? 'failback' : 'failover';
  const since = out.decision.incidentSince ?? now;
  const prev = memory.incident?.since === since && memory.incident.action === action ? memory.incident : undefined;
  const flowInput = (): FlowInput => ({
    pair: pair.name,
    action,
    reason: out.decision.reason,
    source: 'probe',
    from: out.decision.from,
    incidentId: `${pair.name}@${new Date(since).toISOString()}`,
    // The failed rounds behind a failover (the flow's record and its report show them).
    ...(action === 'failover' && memory.streak?.length ? { rounds: [...memory.streak] } : {}),
  });
  if (prev) {
    const status = await deps.flows.status(prev.execution);
    if (status === 'RUNNING') {
      intents.push({ kind: 'note', text: `flow ${prev.execution} running` });
      return memory;
    }
    if (status === undefined) {
      // Recorded but not known to Step Functions: the start failed (throttled, network). Start
      // it again under the same name: if it did start after all, Step Functions makes it a no-op.
      intents.push({ kind: 'start-flow', name: prev.execution, input: flowInput() });
      return memory;
    }
    if (prev.attempts >= MAX_FLOW_ATTEMPTS) {
      active.push({
        code: 'flow-attempts-exhausted',
        reason: `${out.decision.reason}; ${prev.attempts} ${action} attempts ended without success (last: ${prev.execution} ${status}): a person must act`,
        context: { action, count: prev.attempts },
        execution: prev.execution,
      });
      return memory;
    }
  }
  const attempt = (prev?.attempts ?? 0) + 1;
  const name = flowExecutionName(pair.name, action, since, attempt);
  intents.push({ kind: 'start-flow', name, input: flowInput() });
  return { ...memory, incident: { since, action, attempts: attempt, execution: name, startedAt: now } };
}

/**
 * Each standing condition is notified once (again after an hour), and its resolution once when
 * it clears; several conditions (say an auth error and a drift) are tracked separately.
 */
function planAlerts(
  deps: ProbeDeps,
  pair: PairConfig,
  owner: Role,
  active: readonly ActiveAlert[],
  memory: ProbeMemory,
  now: number,
  intents: Intent[],
  options: { keepOthers?: boolean } = {},
): ProbeMemory {
  const sent: Record<string, number> = { ...memory.alerts };
  for (const a of active) {
    const last = sent[a.code];
    if (last !== undefined && now - last < ALERT_REPEAT_MS) continue;
    intents.push({ kind: 'notify', alertCode: a.code, notification: alertNotification(deps, pair, owner, now, a) });
    sent[a.code] = now;
  }
  const activeCodes = new Set<string>(active.map((a) => a.code));
  for (const code of Object.keys(sent)) {
    if (activeCodes.has(code) || options.keepOthers) continue;
    intents.push({ kind: 'notify', notification: alertNotification(deps, pair, owner, now, { code, resolved: true }) });
    delete sent[code];
  }
  return { ...memory, alerts: sent };
}

/** After a repair that failed, wait this long before trying again (meanwhile: one drift alert). */
export const REPAIR_RETRY_MS = 15 * 60_000;

async function planDrift(
  deps: ProbeDeps,
  pair: PairConfig,
  out: DecideOutput,
  placement: PairPlacement,
  record: OwnerRecord,
  memory: ProbeMemory,
  now: number,
  intents: Intent[],
  active: ActiveAlert[],
  pause: PauseRecord | undefined,
): Promise<ProbeMemory> {
  const drifted = driftFrom(placement, record.owner);
  if (drifted.length === 0) return memory;
  const labels = drifted.map(objectLabel);
  const ownerName = pair.firewalls[record.owner].name;
  const ownerStatus = out.statuses[record.owner];
  const canRepair = pair.driftRepair === 'repair' && (ownerStatus === 'healthy' || ownerStatus === 'degraded') && pause === undefined;
  if (!canRepair) {
    const why =
      pair.driftRepair !== 'repair'
        ? 'driftRepair is "report"'
        : pause
          ? `not repaired: the pair is ${describePause(pause, now)}`
          : `not repaired: the recorded owner ${ownerName} is ${ownerStatus}`;
    active.push({ code: 'drift', reason: `${labels.length} managed object(s) not on ${ownerName}: ${labels.join('; ')} (${why})` });
    return memory;
  }
  // One repair execution per minute at most: the name is the minute.
  const name = flowExecutionName(pair.name, 'reconcile', Math.floor(now / 60_000) * 60_000, 1);
  if (memory.lastRepair?.execution === name) return memory;
  const last = memory.lastRepair;
  if (last && now - last.at < REPAIR_RETRY_MS) {
    const status = await deps.flows.status(last.execution).catch(() => undefined);
    if (status === 'RUNNING') return memory;
    if (status === 'FAILED' || status === 'TIMED_OUT' || status === 'ABORTED') {
      // The repair itself fails (a deleted route, a denied permission): say so once, not every minute.
      active.push({
        code: 'drift',
        reason: `${labels.length} managed object(s) not on ${ownerName}: ${labels.join('; ')} (the repair ${last.execution} ended ${status}; next try in ${Math.round((REPAIR_RETRY_MS - (now - last.at)) / 60_000)} min)`,
      });
      return memory;
    }
  }
  intents.push({
    kind: 'start-flow',
    name,
    input: { pair: pair.name, action: 'reconcile', reason: `drift: ${labels.join('; ')}`, source: 'drift', from: otherRole(record.owner) },
  });
  intents.push({
    kind: 'notify',
    notification: {
      subject: `[pan-failover] ${pair.name}: drift detected, repairing toward ${ownerName}`,
      body: { pair: pair.name, event: 'drift', owner: record.owner, drifted: labels, execution: name },
      attributes: { pair: pair.name, event: 'drift' },
      kind: 'drift-repairing',
      text: composeText(
        deps.config.notifications,
        'drift-repairing',
        { pair: pair.name, active: ownerName, standby: pair.firewalls[otherRole(record.owner)].name },
        { moved: labels, console: executionConsoleUrl(deps.stateMachineArn, name) },
      ),
    },
  });
  return { ...memory, lastRepair: { execution: name, at: now } };
}

async function execute(
  deps: ProbeDeps,
  pair: PairConfig,
  intents: readonly Intent[],
): Promise<{ acted: string[]; failedAlerts: string[] }> {
  const acted: string[] = [];
  const failedAlerts: string[] = [];
  for (const intent of intents) {
    try {
      switch (intent.kind) {
        case 'note':
          acted.push(intent.text);
          break;
        case 'end-pause': {
          const line = await endExpiredPause(deps, pair.name, intent.pause.value, intent.pause.version, deps.config.notifications);
          if (line !== undefined) acted.push(line);
          break;
        }
        case 'record-owner':
          if (await deps.store.putOwner(pair.name, intent.record, { ifAbsent: true })) {
            acted.push(`recorded ${intent.record.owner} as owner (${intent.record.reason})`);
          }
          break;
        case 'start-flow': {
          const started = await deps.flows.start(intent.name, intent.input);
          deps.telemetry.log.info('flow started', { pair: pair.name, execution: intent.name, action: intent.input.action, alreadyExisted: started.alreadyExisted });
          acted.push(`${started.alreadyExisted ? 'already started' : 'started'} ${intent.name}`);
          break;
        }
        case 'notify':
          await deps.notifier.publish(intent.notification);
          acted.push(`notified: ${intent.notification.subject}`);
          break;
      }
    } catch (e) {
      // One failed action must not stop the others nor the probe; the metrics still carry the state.
      deps.telemetry.log.error('probe action failed', { pair: pair.name, action: intent.kind, error: errorMessage(e) });
      acted.push(`FAILED ${intent.kind}: ${errorMessage(e)}`);
      if (intent.kind === 'notify' && intent.alertCode !== undefined) failedAlerts.push(intent.alertCode);
    }
  }
  return { acted, failedAlerts };
}

/** Whether a failed AWS call got an HTTP answer at all (throttling, a 5xx): the network works. */
function awsAnswered(e: unknown): boolean {
  if (!isPanFailoverError(e)) return false;
  if (e.name !== 'AwsTransientError') return true;
  const status = (e.cause as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number';
}

/** What EC2 says for the round, for every pair of it. */
interface AwsView {
  /** Instance id -> its state; an id EC2 no longer knows is absent. `undefined`: the call failed. */
  readonly instances: Map<string, InstanceInfo> | undefined;
  readonly awsReachable: boolean;
  /** Pair name -> where its managed objects point; `undefined` when that could not be read. */
  readonly placements: ReadonlyMap<string, PairPlacement | undefined>;
}

/**
 * The round's EC2 reads, batched across pairs: one DescribeInstances (and its status call) for
 * every firewall, one DescribeRouteTables and one DescribeAddresses for every pair's managed
 * objects (the adapter splits them in chunks EC2 accepts). Never rejects.
 */
async function observeAws(deps: ProbeDeps, pairs: readonly PairConfig[]): Promise<AwsView> {
  const [described, placements] = await Promise.all([describeRoundInstances(deps, pairs), readPlacements(deps, pairs)]);
  return { ...described, placements };
}

/**
 * Instance states, and whether the EC2 API could be reached at all. An answer of any kind
 * (throttling, access denied) proves the probe's network works; only a transport failure
 * (no answer) is evidence of a broken network. An instance EC2 no longer knows (terminated and
 * gone) costs its own pairs nothing: `describeInstancesTolerant` asks again id by id.
 */
async function describeRoundInstances(
  deps: ProbeDeps,
  pairs: readonly PairConfig[],
): Promise<{ instances: Map<string, InstanceInfo> | undefined; awsReachable: boolean }> {
  const ids = [...new Set(pairs.flatMap((pair) => ROLES.map((r) => pair.firewalls[r].instanceId)))];
  if (ids.length === 0) return { instances: new Map(), awsReachable: true };
  try {
    const found = await withRetry(deps.clock, () => describeInstancesTolerant(deps.ec2, ids), {
      attempts: 2,
      baseDelayMs: 300,
      maxDelayMs: 1000,
      retryIf: isThrottleOrTransient,
    });
    return { instances: new Map([...found].filter((e): e is [string, InstanceInfo] => e[1] !== undefined)), awsReachable: true };
  } catch (e) {
    for (const pair of pairs) deps.telemetry.log.warn('describe instances failed', { pair: pair.name, error: errorMessage(e) });
    return { instances: undefined, awsReachable: awsAnswered(e) };
  }
}

/**
 * Placement of every pair from one DescribeRouteTables and one DescribeAddresses. If that fails
 * (one pair's route table deleted makes EC2 refuse the whole call), each pair is read on its own,
 * so that only the broken pair goes without.
 */
async function readPlacements(deps: ProbeDeps, pairs: readonly PairConfig[]): Promise<Map<string, PairPlacement | undefined>> {
  if (pairs.length <= 1) return new Map(await Promise.all(pairs.map(async (p) => [p.name, await readPlacementOrNone(deps, p)] as const)));
  const tables = [...new Set(pairs.flatMap((p) => p.routes.map((r) => r.routeTableId)))];
  const allocations = [...new Set(pairs.flatMap((p) => p.elasticIps.map((e) => e.allocationId)))];
  try {
    const [routeTables, addresses] = await Promise.all([
      tables.length > 0 ? deps.ec2.describeRouteTables(tables) : Promise.resolve([]),
      allocations.length > 0 ? deps.ec2.describeAddresses(allocations) : Promise.resolve([]),
    ]);
    return new Map(pairs.map((p) => [p.name, observePlacement(p, routeTables, addresses)]));
  } catch (e) {
    if (e instanceof ManagedResourceNotFoundError) return new Map(await Promise.all(pairs.map(async (p) => [p.name, await readPlacementOrNone(deps, p)] as const)));
    // Throttled, unreachable: the same for every pair; asking again pair by pair would only add calls.
    for (const pair of pairs) deps.telemetry.log.warn('describe placement failed', { pair: pair.name, error: errorMessage(e) });
    return new Map(pairs.map((p) => [p.name, undefined]));
  }
}

/** One pair's placement, or `undefined` (logged) when it cannot be read. */
async function readPlacementOrNone(deps: ProbeDeps, pair: PairConfig): Promise<PairPlacement | undefined> {
  try {
    return await readPlacement(deps.ec2, pair);
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
    // Every metric is billed per name and dimensions for the hours in which it is written: only
    // those an alarm or the dashboard reads (infra/deployment.ts). FirewallStatusCode says healthy
    // (0) and answering; it is not written for a cold standby that is stopped, as it should be,
    // so a quiet month pays for the active's status only (the dashboard says what no line means).
    if (!isStoppedColdStandby(pair, r, fw)) m.add('FirewallStatusCode', 'None', STATUS_CODES[fw.status], dims);
    if (answered) m.add('ApiLatency', 'Milliseconds', fw.observation.api.latencyMs, dims);
    if (fw.role === r.owner && pair.tunnels.length > 0) {
      const expected = pair.tunnels.reduce((n, t) => n + Math.max(1, t.proxyIds.length), 0);
      m.add('TunnelsUp', 'Count', answered ? expected - r.tunnelsDown.length : 0, dims);
    }
  }
  const dims = { Pair: pair.name };
  m.add('ProbeRound', 'Count', 1, dims);
  // Events, written only when they happen: CloudWatch bills a custom metric for the hours in
  // which it is written, so a quiet month pays nothing for these five. Their alarms treat
  // missing data as not breaching, and the probe-silent alarm watches ProbeRound, not them.
  for (const [name, value] of eventMetrics(r)) if (value > 0) m.add(name, 'Count', value, dims);
}

/** A cold standby in its expected state: stopped, and not the pair's owner. */
function isStoppedColdStandby(pair: PairConfig, r: Pick<PairRoundResult, 'owner'>, fw: Pick<FirewallRoundResult, 'role' | 'status'>): boolean {
  return pair.standbyMode === 'cold' && fw.role !== r.owner && fw.status === 'stopped';
}

/** The pair's event metrics of one round and their values (0: not written). */
function eventMetrics(r: Omit<PairRoundResult, 'acted'>): [string, number][] {
  return [
    ['FailoverDecision', r.decision.action === 'failover' ? 1 : 0],
    ['ProbeAlert', r.decision.action === 'alert' ? 1 : 0],
    ['ControllerBlind', r.decision.code === 'controller-blind' ? 1 : 0],
    ['Paused', r.paused ? 1 : 0],
    ['DriftedObjects', r.drift?.length ?? 0],
  ];
}

/**
 * Runs a whole window's rounds in one invocation, sleeping between them (`probe-loop.ts`: the
 * deployed probe loop runs them one invocation each instead).
 */
export async function runProbeInvocation(
  deps: ProbeDeps,
  options: { windowMs?: number; remainingMs?: () => number } = {},
): Promise<PairRoundResult[][]> {
  const { clock } = deps;
  const plan = roundPlan(deps.config, options.windowMs);
  const start = clock.now();
  const rounds: PairRoundResult[][] = [];
  for (let k = 0; ; k++) {
    const roundStart = roundDueAt(plan, start, k);
    if (roundStart === undefined) break;
    const wait = roundStart - clock.now();
    // The round must finish inside the Lambda's time, counting the wait before it starts.
    if (options.remainingMs && k > 0 && options.remainingMs() - Math.max(0, wait) < plan.maxTimeoutMs * 2 + 2000) break;
    if (wait > 0) await clock.sleep(wait);
    rounds.push(await probeRound(deps));
  }
  return rounds;
}

/**
 * One round of the deployed probe loop (infra/probe-loop.asl.json): round `event.round` of the
 * window the loop's execution started, on the window's grid (`loopGrid`), then when the next is
 * due. A round invoked early is not run but given its due time; a round the window has no room
 * for is not run (a hand-made event).
 */
export async function runLoopRound(deps: ProbeDeps, event: unknown): Promise<{ results: PairRoundResult[] | undefined; round: number; next?: string }> {
  const { round, startedAt } = parseLoopRoundEvent(event);
  const plan = roundPlan(deps.config);
  const grid = loopGrid(startedAt);
  const due = roundDueAt(plan, grid, round);
  if (due === undefined) return { results: undefined, round };
  // Not yet (the first round, invoked as the execution starts, before the grid's first second):
  // the loop waits for it and invokes this round again.
  if (due - deps.clock.now() > EARLY_TOLERANCE_MS) return { results: undefined, round, next: isoSeconds(due) };
  const results = await probeRound(deps);
  return { results, ...afterRound(plan, grid, round) };
}
