/**
 * What people read: one subject line per event and a JSON body with everything else
 * (direction, reason, per-phase durations, what moved, what failed and where).
 */
import type { PairConfig, Role } from '../../config/schema.js';
import type { Notification } from '../../ports/messaging.js';
import { failedPhase, timeline, type FlowState } from './state.js';

export const NOTIFY_PHASES = ['started', 'starting', 'ready', 'cutover', 'result'] as const;
export type NotifyPhase = (typeof NOTIFY_PHASES)[number];

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

function fwRef(pair: PairConfig, role: Role | undefined): Record<string, string> | undefined {
  if (!role) return undefined;
  const fw = pair.firewalls[role];
  return { role, name: fw.name, instanceId: fw.instanceId, availabilityZone: fw.availabilityZone };
}

function arrow(pair: PairConfig, state: FlowState): string {
  if (!state.target || !state.from) return '';
  return `${pair.firewalls[state.from].name} -> ${pair.firewalls[state.target].name}`;
}

/** Subject lines are at most 100 printable ASCII characters (SNS e-mail subject limit). */
function subject(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, ' ').slice(0, 100);
}

export function body(pair: PairConfig, state: FlowState, event: string, now: number): Record<string, unknown> {
  return {
    pair: pair.name,
    execution: state.execution,
    event,
    action: state.input.action,
    source: state.input.source,
    reason: state.input.reason,
    requestedBy: state.input.requestedBy,
    force: state.input.force,
    dryRun: state.input.dryRun,
    from: fwRef(pair, state.from),
    to: fwRef(pair, state.target),
    recheck: state.recheck,
    start: state.start && { state: state.start.state, attempts: state.start.attempts, notes: state.start.notes },
    ready: state.ready && { detail: state.ready.detail, checks: state.ready.checks, swVersion: state.ready.swVersion },
    cutover: state.cutover,
    fence: state.fence,
    dns: state.dns && { changes: state.dns.changes, skipped: state.dns.skipped, timedOut: state.dns.timedOut },
    verify: state.verify && { healthy: state.verify.healthy, tunnelsUp: state.verify.tunnelsUp, tunnelsDown: state.verify.tunnelsDown, timedOut: state.verify.timedOut },
    plan: state.plan,
    result: state.result,
    error: state.error,
    timeline: timeline(state).map((t) => ({
      phase: t.phase,
      startedAt: new Date(t.startedAt).toISOString(),
      durationSeconds: t.durationMs === undefined ? undefined : Math.round(t.durationMs / 100) / 10,
      outcome: t.outcome,
    })),
    totalSeconds: Math.round((now - state.startedAt) / 100) / 10,
    at: new Date(now).toISOString(),
  };
}

export function phaseNotification(pair: PairConfig, state: FlowState, phase: NotifyPhase, now: number): Notification {
  const act = state.input.action.toUpperCase();
  const p = `[pan-failover] ${pair.name}`;
  const target = state.target ? pair.firewalls[state.target].name : '?';
  let text: string;
  switch (phase) {
    case 'started':
      text = `${p} ${act} started: ${arrow(pair, state)}${state.input.dryRun ? ' (dry run)' : ''}`;
      break;
    case 'starting':
      text = `${p} ${target} ${state.start?.state === 'running' ? 'already running' : 'starting'}; waiting until ready`;
      break;
    case 'ready':
      text = `${p} ${target} ready after ${formatDuration(state.phases.boot?.endedAt !== undefined && state.phases.boot.startedAt !== undefined ? state.phases.boot.endedAt - (state.start?.requestedAt ?? state.phases.boot.startedAt) : undefined)}`;
      break;
    case 'cutover':
      text = `${p} traffic moved to ${target}: ${state.cutover?.moved.length ?? 0} change(s) in ${formatDuration(state.cutover?.durationMs)}${state.fence?.action === 'failed' ? '; FENCING FAILED' : ''}`;
      break;
    case 'result':
      text = resultSubject(pair, state, now);
      break;
  }
  return {
    subject: subject(text),
    body: body(pair, state, phase, now),
    attributes: { pair: pair.name, event: phase, action: state.input.action, outcome: state.result?.outcome ?? 'in-progress' },
  };
}

function resultSubject(pair: PairConfig, state: FlowState, now: number): string {
  const p = `[pan-failover] ${pair.name}`;
  const act = state.input.action.toUpperCase();
  const total = formatDuration(now - state.startedAt);
  switch (state.result?.outcome) {
    case 'succeeded':
      if (state.recheck?.mode === 'noop' && (state.dns?.changes.length ?? 0) > 0) {
        return `${p} ${act}: DNS records put back on ${state.target ? pair.firewalls[state.target].name : '?'}`;
      }
      return `${p} ${act} succeeded: ${state.target ? pair.firewalls[state.target].name : '?'} is active (${total})`;
    case 'noop':
      return `${p} ${act} not needed: ${state.recheck?.reason ?? ''}`;
    case 'dry-run':
      return `${p} ${act} dry run: ${(state.plan?.changes.length ?? 0) + (state.plan?.dns.length ?? 0) + (state.plan?.instances.length ?? 0)} change(s) would be made`;
    case 'skipped-locked':
      return `${p} ${act} skipped: another execution holds the pair`;
    case 'failed':
    default:
      return `${p} ${act} FAILED in phase ${failedPhase(state)}: ${state.error?.Error ?? 'unknown error'}`;
  }
}
