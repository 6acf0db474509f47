/**
 * The health decision: pure functions from probe observations (and what the probe remembers
 * from earlier rounds) to a status per firewall and one decision per pair.
 *
 * Nothing here does I/O or reads the clock: `now` and the remembered state are inputs, so every
 * decision can be replayed in a test. The rules, in the order they apply, are documented in
 * docs/architecture.md ("Health decision"); the important ones:
 * - one failed round is a blip: failover needs `failuresBeforeFailover` consecutive failures;
 * - a firewall that has not been seen ready since its instance started is "booting", not dead;
 * - auth and TLS errors alert, they never fail over by themselves;
 * - a down tunnel with a live API is "degraded": alert, unless `tunnelDown: failover`;
 * - when the controller cannot reach anything it is blind: it says so and does nothing;
 * - never fail over toward a standby known to be unusable, nor twice within the cooldown.
 */
import type { PairConfig, ProbePolicy, Role, TunnelConfig } from '../config/schema.js';
import { ROLES, otherRole } from '../config/schema.js';
import type { InstanceState, StatusCheck } from '../ports/ec2.js';
import type { TunnelStatus } from '../ports/firewall.js';

export const FIREWALL_STATUSES = [
  'healthy',
  'degraded',
  'booting',
  'unreachable',
  'auth-error',
  'untrusted',
  'stopped',
] as const;
export type FirewallStatus = (typeof FIREWALL_STATUSES)[number];

/**
 * How one API probe ended. `skipped`: not attempted because EC2 says the instance is not running.
 * `no-key`: not attempted because the controller could not read the API key (Secrets Manager):
 * nothing is known about the firewall.
 */
export const API_OUTCOMES = ['ok', 'timeout', 'unreachable', 'untrusted', 'auth', 'api-error', 'malformed', 'skipped', 'no-key'] as const;
export type ApiOutcomeKind = (typeof API_OUTCOMES)[number];

export interface ApiObservation {
  readonly outcome: ApiOutcomeKind;
  readonly latencyMs: number;
  /** Error name and message for failed outcomes (never secrets). */
  readonly error?: string;
  readonly swVersion?: string;
  readonly hostname?: string;
  readonly uptimeSeconds?: number;
  /** `show chassis-ready`; `undefined` when not asked. */
  readonly chassisReady?: boolean;
  /** Tunnels as the firewall reports them; `undefined` when not asked or not readable. */
  readonly tunnels?: readonly TunnelStatus[];
  /** The firewall answered but its tunnel state could not be read (too large, an API error, the budget). */
  readonly tunnelsError?: string;
  /** How the tunnel query failed (`timeout`, `api-error`, `malformed`...), to name the cause. */
  readonly tunnelsOutcome?: ApiOutcomeKind;
}

const OUTCOME_WORDS: Readonly<Record<ApiOutcomeKind, string>> = {
  ok: 'answered',
  timeout: 'API timeout',
  unreachable: 'API unreachable',
  untrusted: 'certificate not trusted',
  auth: 'API key refused',
  'api-error': 'API error',
  malformed: 'unreadable answer',
  skipped: 'not asked',
  'no-key': 'API key unreadable',
};

/** Why the tunnel state could not be read, in words: "API timeout while reading tunnels (...)". */
export function tunnelsUnreadableCause(api: Pick<ApiObservation, 'tunnelsError' | 'tunnelsOutcome'>): string {
  return `${OUTCOME_WORDS[api.tunnelsOutcome ?? 'api-error']} while reading tunnels${api.tunnelsError !== undefined ? ` (${api.tunnelsError})` : ''}`;
}

export interface InstanceObservation {
  /** `unknown` when the EC2 call failed. */
  readonly state: InstanceState | 'unknown';
  readonly launchTime?: number;
  readonly systemStatus?: StatusCheck;
  readonly instanceStatus?: StatusCheck;
}

export interface FirewallObservation {
  readonly at: number;
  readonly instance: InstanceObservation;
  readonly api: ApiObservation;
}

/** Per firewall memory between rounds. */
export interface FirewallMemory {
  readonly consecutiveFailures: number;
  /**
   * Epoch ms of the first failure of the current incident: kept through rounds in which the
   * firewall is booting (a restart in the middle of a failure is part of it) and cleared only
   * when it is seen ready again, so that a firewall that keeps restarting stays one incident,
   * with one execution name and one bounded count of flow attempts.
   */
  readonly failingSince?: number;
  readonly consecutiveTunnelFailures: number;
  /** Epoch ms the current streak of expected tunnels down began. */
  readonly tunnelsDownSince?: number;
  /** Epoch ms of the last round in which the firewall was healthy or degraded (ready). */
  readonly lastReadyAt?: number;
  /** Epoch ms since when it has been continuously healthy (for auto-failback hold). */
  readonly healthySince?: number;
  /** Epoch ms it was first seen ready after its instance last started (tunnels negotiate after it). */
  readonly readySinceStart?: number;
  readonly lastStatus?: FirewallStatus;
}

export interface PairMemory {
  readonly firewalls: Readonly<Record<Role, FirewallMemory>>;
  /** Epoch ms since when the controller has been blind. */
  readonly blindSince?: number;
}

export const emptyFirewallMemory: FirewallMemory = { consecutiveFailures: 0, consecutiveTunnelFailures: 0 };
export const emptyPairMemory: PairMemory = {
  firewalls: { primary: emptyFirewallMemory, secondary: emptyFirewallMemory },
};

export const DECISION_ACTIONS = ['none', 'alert', 'failover', 'failback'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

/** Stable reason codes (metrics, notifications, tests). */
export const REASON_CODES = [
  'active-healthy',
  'active-booting',
  'active-failing',
  'active-failed',
  'active-degraded',
  'active-settling',
  'active-tunnels-failed',
  'active-auth-error',
  'active-untrusted',
  'controller-blind',
  'both-unavailable',
  'standby-unusable',
  'standby-unhealthy',
  'cooldown',
  'failback-hold',
  'failback-due',
  'canary-down',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface Decision {
  readonly action: DecisionAction;
  readonly code: ReasonCode;
  /** One sentence for people. */
  readonly reason: string;
  /** Role the decision moves traffic away from (failover/failback). */
  readonly from?: Role;
  /** Epoch ms the incident began (first failure of the streak), for a stable execution name. */
  readonly incidentSince?: number;
}

export interface ControllerSignals {
  /** The EC2 Describe call of this round succeeded. */
  readonly awsReachable: boolean;
  /** Configured canaries answered; `undefined` when none are configured. */
  readonly canariesReachable?: boolean;
}

export interface DecideInput {
  readonly pair: PairConfig;
  /** Recorded owner (the active firewall). */
  readonly owner: Role;
  /**
   * Epoch ms when the owner took over through a failover or failback; `undefined` when it has
   * always been the owner. A failover back within `probe.cooldownSeconds` would be ping-pong.
   */
  readonly ownerSince: number | undefined;
  readonly observations: Readonly<Record<Role, FirewallObservation>>;
  readonly memory: PairMemory | undefined;
  readonly controller: ControllerSignals;
  readonly now: number;
  /** When the last round that decided for this pair ran (the streak's last link). */
  readonly lastDecidedAt?: number;
}

/**
 * A failure streak is only as good as its links: after a gap without a deciding round longer
 * than this (rounds that failed to run, a container that died, an invocation that stopped
 * early), or after a time the controller could not observe (blind, key unreadable), counting
 * starts again. The allowance covers the normal gap between two invocations, whatever the
 * pairs' timeouts: one invocation period plus two intervals, and at least three intervals.
 */
export const INVOCATION_PERIOD_MS = 60_000;
export function streakGapMs(policy: ProbePolicy): number {
  const interval = policy.intervalSeconds * 1000;
  return Math.max(3 * interval, INVOCATION_PERIOD_MS + 2 * interval);
}

/**
 * The counts start again; the incident does not (its start names the flow execution and
 * counts the attempts: a restart must not let the probe start flows without limit).
 */
function restartStreak(m: FirewallMemory): FirewallMemory {
  return { ...m, consecutiveFailures: 0, consecutiveTunnelFailures: 0 };
}

export interface DecideOutput {
  readonly statuses: Readonly<Record<Role, FirewallStatus>>;
  /** Expected tunnels of the active firewall that are down (names as configured). */
  readonly tunnelsDown: readonly string[];
  /** Why the active firewall's tunnel state could not be read, when it could not ("API timeout while reading tunnels (...)"). */
  readonly tunnelsUnreadable?: string;
  readonly decision: Decision;
  readonly memory: PairMemory;
}

const NOT_RUNNING: ReadonlySet<string> = new Set(['stopped', 'stopping', 'shutting-down', 'terminated']);
const NETWORK_FAILURES: ReadonlySet<ApiOutcomeKind> = new Set(['timeout', 'unreachable']);

/** Names (tunnel, or tunnel:proxy-id) of expected tunnels that are not up. */
export function expectedTunnelsDown(expected: readonly TunnelConfig[], seen: readonly TunnelStatus[]): string[] {
  const up = new Set(seen.filter((t) => t.up).map((t) => t.name));
  const down: string[] = [];
  for (const t of expected) {
    const names = t.proxyIds.length > 0 ? t.proxyIds.map((p) => `${t.name}:${p}`) : [t.name];
    for (const n of names) if (!up.has(n)) down.push(n);
  }
  return down;
}

/** Within the boot grace and not seen ready since the instance (re)started. */
function inBootWindow(obs: FirewallObservation, memory: FirewallMemory, policy: ProbePolicy): boolean {
  const launch = obs.instance.launchTime;
  if (launch === undefined) return false;
  if (obs.at - launch > policy.bootGraceSeconds * 1000) return false;
  return memory.lastReadyAt === undefined || memory.lastReadyAt < launch;
}

/** Status of one firewall from one round's observation. */
export function classifyFirewall(
  obs: FirewallObservation,
  memory: FirewallMemory,
  policy: ProbePolicy,
  expectedTunnels: readonly TunnelConfig[],
): { status: FirewallStatus; tunnelsDown: string[] } {
  const state = obs.instance.state;
  if (NOT_RUNNING.has(state)) return { status: 'stopped', tunnelsDown: [] };
  if (state === 'pending') return { status: 'booting', tunnelsDown: [] };
  const booting = inBootWindow(obs, memory, policy);
  switch (obs.api.outcome) {
    case 'ok': {
      // Answering but not chassis-ready: booting while it may still be booting; after that, its
      // dataplane is not up and it carries no traffic: a failure.
      if (obs.api.chassisReady === false) return { status: booting ? 'booting' : 'unreachable', tunnelsDown: [] };
      // Alive, tunnel state unreadable (a dataplane that hangs answers chassis-ready but not
      // the VPN queries): every expected tunnel counts as down, so only the tunnel policy
      // (alert by default, failover after tunnelFailuresBeforeFailover rounds) applies.
      if (obs.api.tunnelsError !== undefined && expectedTunnels.length > 0) {
        return { status: 'degraded', tunnelsDown: expectedTunnelsDown(expectedTunnels, []) };
      }
      const down = obs.api.tunnels ? expectedTunnelsDown(expectedTunnels, obs.api.tunnels) : [];
      return { status: down.length > 0 ? 'degraded' : 'healthy', tunnelsDown: down };
    }
    case 'auth':
      // During boot PAN-OS answers 403 even to a good key: the auth daemon is not up yet.
      return { status: booting ? 'booting' : 'auth-error', tunnelsDown: [] };
    case 'no-key':
      // The controller cannot authenticate: shown as an auth problem (or booting), never counted
      // on the active, never a reason to refuse the standby (decide, standbyProblem).
      return { status: booting ? 'booting' : 'auth-error', tunnelsDown: [] };
    case 'untrusted':
      return { status: 'untrusted', tunnelsDown: [] };
    case 'skipped':
      // Not attempted although EC2 did not say "not running" (EC2 unknown): no evidence either way.
      return { status: booting ? 'booting' : 'unreachable', tunnelsDown: [] };
    default:
      return { status: booting ? 'booting' : 'unreachable', tunnelsDown: [] };
  }
}

const FAILED: ReadonlySet<FirewallStatus> = new Set(['unreachable', 'stopped']);
const READY: ReadonlySet<FirewallStatus> = new Set(['healthy', 'degraded']);

function remember(
  prev: FirewallMemory,
  status: FirewallStatus,
  tunnelsDown: number,
  now: number,
  launchTime: number | undefined,
): FirewallMemory {
  const failed = FAILED.has(status);
  const ready = READY.has(status);
  const firstReadySinceStart =
    prev.readySinceStart !== undefined && (launchTime === undefined || prev.readySinceStart >= launchTime) ? prev.readySinceStart : now;
  return {
    readySinceStart: ready ? firstReadySinceStart : prev.readySinceStart,
    consecutiveFailures: failed ? prev.consecutiveFailures + 1 : 0,
    failingSince: failed ? (prev.failingSince ?? now) : status === 'booting' ? prev.failingSince : undefined,
    consecutiveTunnelFailures: status === 'degraded' && tunnelsDown > 0 ? prev.consecutiveTunnelFailures + 1 : 0,
    tunnelsDownSince: status === 'degraded' && tunnelsDown > 0 ? (prev.tunnelsDownSince ?? now) : undefined,
    lastReadyAt: ready ? now : prev.lastReadyAt,
    healthySince: status === 'healthy' ? (prev.healthySince ?? now) : undefined,
    lastStatus: status,
  };
}

/**
 * Whether the standby could take over: a stopped (cold) standby can be started; one that is
 * terminated, presents an untrusted certificate, refuses the key, or is running but dead is not.
 */
function standbyProblem(
  pair: PairConfig,
  status: FirewallStatus,
  obs: FirewallObservation,
): string | undefined {
  if (obs.instance.state === 'terminated' || obs.instance.state === 'shutting-down') return 'its instance is terminated';
  if (status === 'untrusted') return 'its certificate does not match the pinned one';
  if (status === 'auth-error' && obs.api.outcome !== 'no-key') return 'it refuses the API key';
  if (obs.instance.systemStatus === 'impaired' || obs.instance.instanceStatus === 'impaired') {
    return 'its EC2 status checks are impaired';
  }
  if (status === 'unreachable' && pair.standbyMode === 'warm') return 'it is running but its API does not answer';
  return undefined;
}

/** One round's view of the pair: both firewalls classified, their memories before and after it. */
interface Round {
  readonly standby: Role;
  readonly active: ReturnType<typeof classifyFirewall>;
  readonly passive: ReturnType<typeof classifyFirewall>;
  readonly statuses: Record<Role, FirewallStatus>;
  /** The memory the round starts from (streaks restarted after a gap or a blind time). */
  readonly prev: PairMemory;
  /** The firewalls' memories after this round. */
  readonly next: Record<Role, FirewallMemory>;
}

/** The pair decision for one round. */
export function decide(input: DecideInput): DecideOutput {
  const { pair, owner, observations, controller, now } = input;
  const round = classifyRound(input);
  const { active, prev, next } = round;

  // Nothing was seen of the active: the controller is blind, or it could not read the active's
  // API key (no call was made). Neither a failure nor a success: the active's counters are
  // frozen, and the streak starts again once it is observed (`blindSince`).
  const unseen =
    isBlind(observations, round.statuses, controller) ??
    (observations[owner].api.outcome === 'no-key'
      ? `the probe cannot read the API key of ${pair.firewalls[owner].name} (${observations[owner].api.error ?? 'Secrets Manager'}): it cannot observe it; no failover decision`
      : undefined);
  const ownerApi = observations[owner].api;
  const base = {
    statuses: round.statuses,
    tunnelsDown: active.tunnelsDown,
    ...(ownerApi.tunnelsError !== undefined && active.status === 'degraded' ? { tunnelsUnreadable: tunnelsUnreadableCause(ownerApi) } : {}),
  };
  const out = (decision: Decision): DecideOutput => ({
    ...base,
    decision,
    memory: { firewalls: next, blindSince: unseen ? (prev.blindSince ?? now) : undefined },
  });

  if (unseen) {
    next[owner] = { ...prev.firewalls[owner], lastStatus: active.status };
    return out({ action: 'alert', code: 'controller-blind', reason: unseen });
  }
  return out(activeDecision(input, round));
}

/** Classifies both firewalls and advances their memories, restarting the streaks after a gap or a blind time. */
function classifyRound(input: DecideInput): Round {
  const { pair, owner, observations, now } = input;
  const standby = otherRole(owner);
  const policy = pair.probe;
  const stored = input.memory ?? emptyPairMemory;
  const gap = input.lastDecidedAt !== undefined && now - input.lastDecidedAt > streakGapMs(policy);
  const prev: PairMemory =
    gap || stored.blindSince !== undefined
      ? { ...stored, firewalls: { primary: restartStreak(stored.firewalls.primary), secondary: restartStreak(stored.firewalls.secondary) } }
      : stored;

  const active = classifyFirewall(observations[owner], prev.firewalls[owner], policy, pair.tunnels);
  const passive = classifyFirewall(observations[standby], prev.firewalls[standby], policy, []);
  const statuses = { [owner]: active.status, [standby]: passive.status } as Record<Role, FirewallStatus>;
  const next = {
    [owner]: remember(prev.firewalls[owner], active.status, active.tunnelsDown.length, now, observations[owner].instance.launchTime),
    [standby]: remember(prev.firewalls[standby], passive.status, 0, now, observations[standby].instance.launchTime),
  } as Record<Role, FirewallMemory>;
  return { standby, active, passive, statuses, prev, next };
}

/** The decision from the active firewall's status, once the controller could observe it. */
function activeDecision(input: DecideInput, round: Round): Decision {
  const name = input.pair.firewalls[input.owner].name;
  switch (round.active.status) {
    case 'healthy':
      return healthyActiveDecision(input, round);
    case 'booting':
      return { action: 'none', code: 'active-booting', reason: `${name} is booting (not yet ready since its instance started)` };
    case 'auth-error':
      return { action: 'alert', code: 'active-auth-error', reason: `${name} refuses the API key (wrong or expired); no failover on auth errors alone` };
    case 'untrusted':
      return {
        action: 'alert',
        code: 'active-untrusted',
        reason: `${name} presents a certificate that does not match the pinned fingerprint; no key was sent, no failover on TLS errors alone`,
      };
    case 'degraded':
      return degradedActiveDecision(input, round);
    case 'unreachable':
    case 'stopped':
      return failingActiveDecision(input, round);
  }
}

/** A healthy active: failback when due, else alerts about an unhealthy warm standby or silent canaries. */
function healthyActiveDecision(input: DecideInput, round: Round): Decision {
  const { pair, owner, controller, now } = input;
  const { standby, passive, statuses, next } = round;
  const failback = failbackDecision(pair, owner, next.primary, statuses.primary, now);
  if (failback) return failback;
  if (pair.standbyMode === 'warm' && !READY.has(passive.status) && passive.status !== 'booting') {
    return { action: 'alert', code: 'standby-unhealthy', reason: `the warm standby ${pair.firewalls[standby].name} is ${passive.status}` };
  }
  if (controller.canariesReachable === false) {
    // Harmless today, fatal on the day the active dies: with every canary down the probe
    // would take the silence for its own blindness and never fail over.
    return {
      action: 'alert',
      code: 'canary-down',
      reason: `${pair.firewalls[owner].name} is healthy but no canary answers: if it failed now the probe would think itself blind and not fail over; fix the canaries or remove them`,
    };
  }
  return { action: 'none', code: 'active-healthy', reason: `${pair.firewalls[owner].name} is healthy` };
}

/** An active whose expected tunnels are down (or unreadable): settling, an alert, or a failover by the tunnel policy. */
function degradedActiveDecision(input: DecideInput, round: Round): Decision {
  const { pair, owner, observations, now } = input;
  const policy = pair.probe;
  const { active } = round;
  const activeMem = round.next[owner];
  // A tunnel state that could not be read is not "tunnels down": name the cause (an API
  // timeout sends people to the firewall, a down tunnel to the IPsec peer).
  const unreadable = observations[owner].api.tunnelsError !== undefined ? tunnelsUnreadableCause(observations[owner].api) : undefined;
  const names = unreadable !== undefined ? `tunnel state unknown: ${unreadable}; ${active.tunnelsDown.join(', ')} counted as down` : active.tunnelsDown.join(', ');
  // Right after a takeover, or right after the active firewall booted, its tunnels are still
  // negotiating (the flow's post-verify reports on a takeover's): not yet a reason to page.
  const settleMs = pair.postVerify.tunnelTimeoutSeconds * 1000;
  const launch = observations[owner].instance.launchTime;
  const bootedRecently = launch !== undefined && now - launch < policy.bootGraceSeconds * 1000 + settleMs;
  const readySince = activeMem.readySinceStart;
  if (input.ownerSince !== undefined && now - input.ownerSince < settleMs) {
    return {
      action: 'none',
      code: 'active-settling',
      reason: `${pair.firewalls[owner].name} took over ${Math.round((now - input.ownerSince) / 1000)} s ago; tunnels still coming up: ${names}`,
    };
  }
  if (bootedRecently && readySince !== undefined && now - readySince < settleMs) {
    return {
      action: 'none',
      code: 'active-settling',
      reason: `${pair.firewalls[owner].name} became ready ${Math.round((now - readySince) / 1000)} s ago after a start; tunnels still coming up: ${names}`,
    };
  }
  const enough = activeMem.consecutiveTunnelFailures >= policy.tunnelFailuresBeforeFailover;
  if (policy.tunnelDown === 'failover' && enough) {
    const what = unreadable !== undefined ? 'expected tunnels down or unreadable' : 'expected tunnels down';
    return failoverOrHold(input, round.statuses, 'active-tunnels-failed', `${what} for ${activeMem.consecutiveTunnelFailures} rounds: ${names}`, activeMem);
  }
  // One code for "the tunnels are not known to be up", so a timeout now and then during a
  // tunnel outage does not resolve and re-raise the alert; the reason names the cause.
  if (unreadable !== undefined) {
    return {
      action: 'alert',
      code: 'active-degraded',
      reason: `${pair.firewalls[owner].name} answers, but its tunnel state could not be read: ${unreadable}; ${active.tunnelsDown.join(', ')} counted as down`,
    };
  }
  return { action: 'alert', code: 'active-degraded', reason: `${pair.firewalls[owner].name} answers but expected tunnels are down: ${names}` };
}

/** An active that is unreachable or stopped: counted until the failure threshold, then a failover (or why not). */
function failingActiveDecision(input: DecideInput, round: Round): Decision {
  const { pair, owner, observations } = input;
  const policy = pair.probe;
  const activeMem = round.next[owner];
  const what = round.active.status === 'stopped' ? `its instance is ${observations[owner].instance.state}` : 'its API does not answer';
  if (activeMem.consecutiveFailures < policy.failuresBeforeFailover) {
    return {
      action: 'none',
      code: 'active-failing',
      reason: `${pair.firewalls[owner].name} failed ${activeMem.consecutiveFailures} of ${policy.failuresBeforeFailover} rounds (${what})`,
    };
  }
  return failoverOrHold(input, round.statuses, 'active-failed', `${pair.firewalls[owner].name} failed ${activeMem.consecutiveFailures} consecutive rounds (${what})`, activeMem);
}

/** A failover is due: made, unless the standby cannot take over or the owner took over within the cooldown. */
function failoverOrHold(
  input: DecideInput,
  statuses: Record<Role, FirewallStatus>,
  code: 'active-failed' | 'active-tunnels-failed',
  why: string,
  activeMem: FirewallMemory,
): Decision {
  const { pair, owner, now, observations, ownerSince } = input;
  const standby = otherRole(owner);
  const problem = standbyProblem(pair, statuses[standby], observations[standby]);
  if (problem) {
    const both = FAILED.has(statuses[standby]) || problem.includes('terminated');
    return {
      action: 'alert',
      code: both ? 'both-unavailable' : 'standby-unusable',
      reason: `${why}, but the standby ${pair.firewalls[standby].name} cannot take over: ${problem}`,
    };
  }
  const cooldownMs = pair.probe.cooldownSeconds * 1000;
  if (ownerSince !== undefined && now - ownerSince < cooldownMs) {
    return {
      action: 'alert',
      code: 'cooldown',
      reason: `${why}, but ${pair.firewalls[owner].name} took over only ${Math.round((now - ownerSince) / 1000)} s ago (cooldown ${pair.probe.cooldownSeconds} s): no automatic ping-pong, a person must decide`,
    };
  }
  return {
    action: 'failover',
    code,
    reason: why,
    from: owner,
    // One incident, one stable execution name, one attempt count, however many rounds it lasts.
    incidentSince: (code === 'active-tunnels-failed' ? activeMem.tunnelsDownSince : activeMem.failingSince) ?? now,
  };
}

function failbackDecision(
  pair: PairConfig,
  owner: Role,
  primaryMem: FirewallMemory,
  primaryStatus: FirewallStatus,
  now: number,
): Decision | undefined {
  if (owner !== 'secondary' || pair.failback.mode !== 'auto') return undefined;
  if (primaryStatus !== 'healthy' || primaryMem.healthySince === undefined) return undefined;
  const heldMs = now - primaryMem.healthySince;
  if (heldMs < pair.failback.holdSeconds * 1000) {
    return {
      action: 'none',
      code: 'failback-hold',
      reason: `${pair.firewalls.primary.name} healthy for ${Math.round(heldMs / 1000)} of ${pair.failback.holdSeconds} s before automatic failback`,
    };
  }
  return {
    action: 'failback',
    code: 'failback-due',
    reason: `${pair.firewalls.primary.name} healthy for ${Math.round(heldMs / 1000)} s (hold ${pair.failback.holdSeconds} s): automatic failback`,
    from: 'secondary',
    incidentSince: primaryMem.healthySince,
  };
}

/**
 * The controller is blind when it has no evidence that its own network works: the AWS call failed
 * and no firewall answered; every configured canary failed; or every running firewall failed at
 * the network level while more than one was expected to answer.
 * Returns the reason, or `undefined` when not blind.
 */
function isBlind(
  observations: Readonly<Record<Role, FirewallObservation>>,
  statuses: Readonly<Record<Role, FirewallStatus>>,
  controller: ControllerSignals,
): string | undefined {
  const all = [observations.primary, observations.secondary];
  const anyAnswered = all.some((o) => !NETWORK_FAILURES.has(o.api.outcome) && o.api.outcome !== 'skipped' && o.api.outcome !== 'no-key');
  if (anyAnswered) return undefined;
  if (!controller.awsReachable) {
    return 'the probe reaches neither the EC2 API nor any firewall: its own network is broken';
  }
  if (controller.canariesReachable === false) {
    return 'the probe reaches neither the canaries nor any firewall: its own network is broken';
  }
  // A firewall that is booting is not expected to answer (a cold standby just started refuses
  // connections for a minute): only firewalls that should answer tell anything about our network.
  const expectedToAnswer = ROLES.filter((r) => observations[r].instance.state === 'running' && statuses[r] !== 'booting').map(
    (r) => observations[r],
  );
  if (expectedToAnswer.length >= 2 && expectedToAnswer.every((o) => NETWORK_FAILURES.has(o.api.outcome))) {
    return 'both firewalls run but neither answers: the controller is blind (or both are down); no failover';
  }
  return undefined;
}
