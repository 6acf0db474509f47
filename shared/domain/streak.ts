/**
 * The failure streak behind a failover decision: the last rounds in which the active firewall
 * failed (what the probe counted), kept by the probe between rounds and carried in the flow's
 * input when the probe starts a failover, so that the flow's record and its report show why it
 * started: when each round ran, which firewall failed, and what failed (its API, its tunnels, its
 * EC2 status).
 *
 * Bounded in count and in every string: it travels through every step of the state machine and
 * is stored with the probe's memory. Pure: no I/O, no clock.
 */
import type { Role } from '../config/schema.js';
import type { ApiOutcomeKind, DecideOutput, DecisionAction, FirewallMemory, FirewallObservation, FirewallStatus } from './health.js';

/** At most this many rounds are kept (the last ones): more than any sensible `failuresBeforeFailover`. */
export const STREAK_MAX_ROUNDS = 10;
/** Longest `reason` kept (the decision's sentence). */
export const STREAK_REASON_MAX = 300;
/** Longest `apiError` and `ec2` kept. */
export const STREAK_DETAIL_MAX = 200;
/** At most this many tunnel names per round, each at most `STREAK_TUNNEL_NAME_MAX` long. */
export const STREAK_TUNNELS_MAX = 8;
export const STREAK_TUNNEL_NAME_MAX = 128;

/** One failed round of the active firewall, as the probe saw it. */
export interface FailedRound {
  /** Epoch ms the round began. */
  readonly at: number;
  /** The firewall that failed (the active one, the owner in that round). */
  readonly firewall: Role;
  /** Its status in that round (`unreachable`, `stopped`, `degraded` with tunnels down). */
  readonly status: FirewallStatus;
  /** The other firewall's status in that round. */
  readonly standby: FirewallStatus;
  /** How the probe's API call to the failed firewall ended. */
  readonly api: ApiOutcomeKind;
  /** The API error, shortened (never a secret: the probe's error texts carry none). */
  readonly apiError?: string;
  /** EC2's view: the instance state and its status checks (`running; checks system ok, instance impaired`). */
  readonly ec2: string;
  /** Expected tunnels that were down (names as configured; the first `STREAK_TUNNELS_MAX`). */
  readonly tunnelsDown: string[];
  /** What the round decided (`none` while counting, `failover` at the end). */
  readonly action: DecisionAction;
  /** The decision's sentence, shortened. */
  readonly reason: string;
}

/** `text` cut to `max` characters (an ellipsis marks the cut). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** EC2's view of an instance in one phrase. */
export function ec2Phrase(obs: FirewallObservation): string {
  const i = obs.instance;
  const checks = i.systemStatus !== undefined || i.instanceStatus !== undefined ? `; checks system ${i.systemStatus ?? '-'}, instance ${i.instanceStatus ?? '-'}` : '';
  return clip(`${i.state}${checks}`, STREAK_DETAIL_MAX);
}

/** How many consecutive failed rounds the decision counts for a firewall (API or tunnels). */
function counted(m: FirewallMemory | undefined): number {
  return Math.max(m?.consecutiveFailures ?? 0, m?.consecutiveTunnelFailures ?? 0);
}

export interface StreakRoundInput {
  readonly now: number;
  /** The active firewall of the round (the recorded owner). */
  readonly owner: Role;
  readonly observations: Readonly<Record<Role, FirewallObservation>>;
  readonly out: DecideOutput;
}

/**
 * The streak after one round: the round is added when the decision counted it as a failure of
 * the active firewall; the streak is as long as the decision's own count (at most
 * `STREAK_MAX_ROUNDS`), so a success, a restart of the count (a gap, a blind spell) or a change
 * of owner shortens or clears it exactly as the decision's counters do. A round in which the
 * controller saw nothing (blind) adds nothing and keeps what there was.
 */
export function nextStreak(previous: readonly FailedRound[] | undefined, round: StreakRoundInput): FailedRound[] {
  const { owner, out, observations, now } = round;
  const prev = (previous ?? []).filter((r) => r.firewall === owner);
  if (out.decision.code === 'controller-blind') return prev.slice(-STREAK_MAX_ROUNDS);
  const count = Math.min(counted(out.memory.firewalls[owner]), STREAK_MAX_ROUNDS);
  if (count === 0) return [];
  const status = out.statuses[owner];
  const failedNow = status === 'unreachable' || status === 'stopped' || (status === 'degraded' && out.tunnelsDown.length > 0);
  if (!failedNow) return prev.slice(-count);
  const obs = observations[owner];
  const entry: FailedRound = {
    at: now,
    firewall: owner,
    status,
    standby: out.statuses[owner === 'primary' ? 'secondary' : 'primary'],
    api: obs.api.outcome,
    ...(obs.api.error !== undefined ? { apiError: clip(obs.api.error, STREAK_DETAIL_MAX) } : {}),
    ec2: ec2Phrase(obs),
    tunnelsDown: out.tunnelsDown.slice(0, STREAK_TUNNELS_MAX).map((t) => clip(t, STREAK_TUNNEL_NAME_MAX)),
    action: out.decision.action,
    reason: clip(out.decision.reason, STREAK_REASON_MAX),
  };
  return [...prev, entry].slice(-count);
}

/** What failed in one round, in words: "API timeout (connect ETIMEDOUT); EC2 running; tunnels down: a, b". */
export function failedPhrase(r: FailedRound): string {
  const parts: string[] = [];
  if (r.api !== 'ok') parts.push(`API ${r.api}${r.apiError ? ` (${r.apiError})` : ''}`);
  parts.push(`EC2 ${r.ec2}`);
  if (r.tunnelsDown.length > 0) parts.push(`tunnels down: ${r.tunnelsDown.join(', ')}`);
  return parts.join('; ');
}
