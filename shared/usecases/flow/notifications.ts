/**
 * The flow's notifications: one subject line per event, a JSON body with everything (direction,
 * reason, per-phase durations, what moved, what failed and where) for machines, and the text
 * people read (shared/notify/), in the configured language.
 */
import type { NotificationsConfig, PairConfig, Role } from '../../config/schema.js';
import type { Notification } from '../../ports/messaging.js';
import { composeText, DEFAULT_NOTIFICATIONS } from '../../notify/compose.js';
import type { FlowKind } from '../../notify/kinds.js';
import { executionConsoleUrl } from '../../notify/render.js';
import type { TextContext } from '../../notify/texts.js';
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
    pause: state.pause && { ...state.pause, until: new Date(state.pause.until).toISOString() },
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

/** How the flow's notifications are written (the configuration's `notifications` section). */
export interface FlowNotifySettings {
  readonly notifications: NotificationsConfig;
  /** The flow runs in a CLI process (`--local`): there is no execution to link to. */
  readonly local?: boolean;
}

/** What Abort adds to a failure notice: the phase and what it found and did. */
export interface FailureReport {
  readonly phase: string;
  readonly consistency: readonly string[];
}

export function phaseNotification(
  pair: PairConfig,
  state: FlowState,
  phase: NotifyPhase,
  now: number,
  settings: FlowNotifySettings = { notifications: DEFAULT_NOTIFICATIONS },
  failure?: FailureReport,
): Notification {
  const act = state.input.action.toUpperCase();
  const p = `[pan-failover] ${pair.name}`;
  const target = state.target ? pair.firewalls[state.target].name : '?';
  let text: string;
  switch (phase) {
    case 'started':
      text = `${p} ${act} started: ${arrow(pair, state)}${state.input.dryRun ? ' (dry run)' : ''}${state.pause?.overridden ? ` (PAUSE OVERRIDDEN by ${state.input.requestedBy ?? '?'})` : ''}`;
      break;
    case 'starting':
      text = `${p} ${target} ${state.start?.state === 'running' ? 'already running' : 'starting'}; waiting until ready`;
      break;
    case 'ready':
      text = `${p} ${target} ready after ${formatDuration(bootMs(state))}`;
      break;
    case 'cutover':
      text = `${p} traffic moved to ${target}: ${state.cutover?.moved.length ?? 0} change(s) in ${formatDuration(state.cutover?.durationMs)}${state.fence?.action === 'failed' ? '; FENCING FAILED' : ''}`;
      break;
    case 'result':
      text = failure ? `${p} ${act} FAILED in phase ${failure.phase}: ${state.error?.Error ?? 'unknown error'}` : resultSubject(pair, state, now);
      break;
  }
  const kind = kindOf(state, phase, failure);
  const json = body(pair, state, phase, now);
  return {
    subject: subject(text),
    body: failure ? { ...json, failedPhase: failure.phase, consistency: failure.consistency } : json,
    attributes: { pair: pair.name, event: phase, action: state.input.action, outcome: state.result?.outcome ?? 'in-progress' },
    kind,
    text: composeText(settings.notifications, kind, textContext(pair, state, now, failure), {
      timeline: timelineLines(state),
      moved: movedLines(state),
      details: detailLines(state, failure),
      console: settings.local ? undefined : executionConsoleUrl(state.stateMachineArn, state.execution),
    }),
  };
}

function bootMs(state: FlowState): number | undefined {
  const boot = state.phases.boot;
  return boot?.endedAt !== undefined && boot.startedAt !== undefined ? boot.endedAt - (state.start?.requestedAt ?? boot.startedAt) : undefined;
}

function kindOf(state: FlowState, phase: NotifyPhase, failure: FailureReport | undefined): FlowKind {
  switch (phase) {
    case 'started':
      return 'flow-started';
    case 'starting':
      return 'flow-starting';
    case 'ready':
      return 'flow-ready';
    case 'cutover':
      return state.fence?.action === 'failed' ? 'flow-fencing-failed' : 'flow-cutover';
    case 'result':
      break;
  }
  if (failure) return 'flow-failed';
  switch (state.result?.outcome) {
    case 'succeeded':
      return state.recheck?.mode === 'noop' && (state.dns?.changes.length ?? 0) > 0 ? 'flow-dns-repaired' : 'flow-succeeded';
    case 'noop':
      return 'flow-not-needed';
    case 'dry-run':
      // Never published (a dry run notifies nobody: silentDryRun in control-steps.ts); if a
      // message is ever built for one, it says that nothing was changed.
      return 'flow-not-needed';
    case 'skipped-locked':
      return 'flow-skipped';
    case 'skipped-paused':
      return 'flow-skipped-paused';
    case 'failed':
    default:
      return 'flow-failed';
  }
}

const SPLIT = /split \(|left as they are|could not converge/;

function textContext(pair: PairConfig, state: FlowState, now: number, failure: FailureReport | undefined): TextContext {
  const from = state.from ? pair.firewalls[state.from].name : undefined;
  const to = state.target ? pair.firewalls[state.target].name : undefined;
  const fromStatus = state.from ? state.recheck?.statuses[state.from] : undefined;
  const onTarget = state.ready?.ready === true || (state.cutover?.moved.length ?? 0) > 0;
  const split = failure?.consistency.some((n) => SPLIT.test(n)) ?? false;
  const trafficOn = split ? `${from ?? '?'} and ${to ?? '?'} (split)` : onTarget ? to : from;
  const n = (state.plan?.changes.length ?? 0) + (state.plan?.dns.length ?? 0) + (state.plan?.instances.length ?? 0);
  return {
    pair: pair.name,
    action: state.input.action,
    from,
    to,
    dryRun: state.input.dryRun,
    alreadyRunning: state.start?.state === 'running',
    duration: state.result ? formatDuration(now - state.startedAt) : state.cutover && !state.ready ? formatDuration(state.cutover.durationMs) : formatDuration(bootMs(state) ?? state.cutover?.durationMs),
    count: state.result?.outcome === 'dry-run' ? n : (state.cutover?.moved.length ?? 0),
    phase: failure?.phase ?? (state.result?.outcome === 'failed' ? failedPhase(state) : undefined),
    error: state.error?.Error,
    reason: state.recheck?.reason,
    trafficOn,
    outage: !split && !onTarget && fromStatus !== undefined && fromStatus !== 'healthy' && fromStatus !== 'degraded',
    tunnelsDown: state.verify?.tunnelsDown,
    planned: state.input.force === true && state.input.source === 'manual',
    holder: state.lock?.heldBy,
    instanceId: state.from ? pair.firewalls[state.from].instanceId : undefined,
    records: (state.dns?.changes ?? []).map((c) => c.record).join('; '),
    ...(state.pause ? { until: iso(state.pause.until), by: state.pause.by } : {}),
    ...(state.pause?.overridden ? { pauseOverriddenBy: state.input.requestedBy ?? '?' } : {}),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function timelineLines(state: FlowState): string[] {
  return timeline(state).map((t) => `${new Date(t.startedAt).toISOString().slice(11, 19)}  ${t.phase.padEnd(8)} ${formatDuration(t.durationMs).padStart(7)}  ${t.outcome ?? 'running'}`);
}

function movedLines(state: FlowState): string[] {
  return [
    ...(state.cutover?.moved ?? []),
    ...(state.dns?.changes ?? []).map((c) => `DNS ${c.record} (${c.status})`),
    ...(state.fence && state.fence.action !== 'none' ? [`fencing: ${state.fence.detail}`] : []),
  ];
}

function detailLines(state: FlowState, failure: FailureReport | undefined): string[] {
  return [
    `reason: ${state.input.reason}${state.input.requestedBy ? ` (requested by ${state.input.requestedBy})` : ''}`,
    ...(state.error ? [`${state.error.Error}: ${causeMessage(state.error.Cause)}`] : []),
    ...(state.ready && !state.ready.ready ? [`ready.detail: ${state.ready.detail}`] : []),
    ...(failure?.consistency ?? []),
  ];
}

/** Extracts a readable message from a Catch's Cause (a Lambda error payload is JSON). */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: a plain cause.
  }
  return cause;
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
    case 'skipped-paused':
      return `${p} ${act} skipped: pair paused until ${state.pause ? new Date(state.pause.until).toISOString().replace(/\.\d{3}Z$/, 'Z') : '?'} by ${state.pause?.by ?? '?'}`;
    case 'failed':
    default:
      return `${p} ${act} FAILED in phase ${failedPhase(state)}: ${state.error?.Error ?? 'unknown error'}`;
  }
}
