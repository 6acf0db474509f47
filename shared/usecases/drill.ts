/**
 * The standby drill, as steps of the failover state machine (`action: drill`): boot the (cold)
 * standby, measure its boot, run the PAN-OS preflight on it (the only time a stopped standby's
 * configuration can be read), compare it with the active, stop it again. Traffic is never
 * touched: no route, EIP or DNS record is read for a change, let alone moved.
 *
 * It shares the flow's Validate (strict input; the pair's maintenance pause: a scheduled drill is
 * skipped, a person's is refused unless it overrides the pause) and AcquireLock: one flow per pair
 * at a time, through the same lock. A drill holds it as `drill:<execution>` (`lockHolder`), and
 * that lock yields: a failover or failback takes it over at once (`acquireLock`), the probe does
 * not count it as a flow in progress, and the standby the drill is booting becomes the failover's
 * target (a head start). Every drill step that acts looks at the lock first: once it is not the
 * drill's any more, the drill stops acting (`yielded`) and leaves the standby to the failover.
 *
 *   DrillRecheck (flow-firewall)  the active must be healthy (or degraded by a tunnel): up to three looks
 *   DrillStart (flow-aws)         start the standby if it is stopped (a warm one already runs)
 *   DrillCheckReady (flow-firewall), every readiness.pollIntervalSeconds until ready or the deadline
 *   DrillChecks (flow-firewall)   the PAN-OS checks on both firewalls (versions, licence, configuration)
 *   DrillStop (flow-aws)          stop the standby again if the drill started it (never after yielding)
 *   DrillFinish (flow-control)    release the lock, record the drill, metrics, one notification
 *
 * A failed drill (not started, never ready, not stopped) leaves the standby stopped whenever it
 * can, and its execution ends FAILED.
 */
import type { NotificationsConfig, PairConfig, Role } from '../config/schema.js';
import { otherRole, ROLES } from '../config/schema.js';
import { classifyFirewall, emptyFirewallMemory } from '../domain/health.js';
import type { FirewallFacts } from '../domain/panos-preflight.js';
import { errorMessage } from '../errors.js';
import { composeText, DEFAULT_NOTIFICATIONS } from '../notify/compose.js';
import type { DrillKind } from '../notify/kinds.js';
import { executionConsoleUrl } from '../notify/render.js';
import { timeLeftMs } from '../ports/clock.js';
import type { InstanceInfo } from '../ports/ec2.js';
import type { Notification } from '../ports/messaging.js';
import type { DrillStore } from '../ports/store.js';
import type { AwsStepDeps, ControlDeps, FirewallStepDeps } from './flow/deps.js';
import { observe } from './flow/firewall-steps.js';
import { formatDuration } from './flow/notifications.js';
import { beginPhase, endPhase, lockHolder, pairOf, timeline, type DrillOutcome, type DrillProgress, type FlowState } from './flow/state.js';
import { describeInstancesTolerant } from './instances.js';
import { observeFirewallApi } from './observe.js';
import { isThrottleOrTransient, MIN_CALL_MS, withRetry } from './pacing.js';
import { PANOS_READ_TIMEOUT_MS, panosResults, readFirewall } from './preflight.js';

/** Looks at the active before a drill is refused: one slow answer is not a sick firewall. */
export const ACTIVE_LOOKS = 3;
const HEALTHY_ENOUGH: ReadonlySet<string> = new Set(['healthy', 'degraded']);
const LOOK_GAP_SECONDS = 5;
/** The looks end within this (and within the invocation's deadline), inside flow-firewall's timeout. */
const LOOKS_BUDGET_MS = 40_000;

function progress(state: FlowState): DrillProgress {
  if (!state.drill) throw new Error(`${state.execution}: the drill's re-check has not run`);
  return state.drill;
}

function withDrill(state: FlowState, patch: Partial<DrillProgress>, phases: FlowState['phases'] = state.phases): FlowState {
  return { ...state, phases, drill: { ...progress(state), ...patch } };
}

/** Whether the pair's lock is still this drill's (a failover may have taken it over). */
async function stillHeld(deps: { store: AwsStepDeps['store']; clock: AwsStepDeps['clock'] }, pair: PairConfig, state: FlowState): Promise<boolean> {
  const held = await withRetry(deps.clock, () => deps.store.get(pair.name));
  return held !== undefined && held.holder === lockHolder(state) && held.expiresAt > deps.clock.now();
}

/** The instances' states, with the usual retries (an id EC2 no longer knows maps to `undefined`). */
async function describeWithRetry(deps: Pick<AwsStepDeps, 'clock' | 'ec2'>, ids: string[]): Promise<Map<string, InstanceInfo | undefined>> {
  return withRetry(deps.clock, () => describeInstancesTolerant(deps.ec2, ids));
}

/**
 * DrillRecheck: which firewall is active (the recorded owner, else where AWS points: the
 * primary), whether it is healthy enough to drill beside it, and whether the standby can be
 * started at all. Changes nothing.
 */
export async function drillRecheck(deps: FirewallStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const now = deps.clock.now();
  const phases = beginPhase(state, 'recheck', now);
  const record = await deps.store.getOwner(pair.name);
  const active: Role = record?.owner ?? 'primary';
  const standby = otherRole(active);
  const instances = await describeWithRetry(deps, ROLES.map((r) => pair.firewalls[r].instanceId));
  const standbyState = instances.get(pair.firewalls[standby].instanceId)?.state ?? 'not found';
  // The owner was carrying traffic (a flow saw it ready) since `record.since`.
  const memory = record?.owner === active ? { ...emptyFirewallMemory, lastReadyAt: record.since } : emptyFirewallMemory;
  let activeStatus = 'unknown';
  // Looks a few seconds apart, all within the task's time (DrillRecheck: 60 s in Lambda).
  const gapMs = Math.min(pair.readiness.pollIntervalSeconds, LOOK_GAP_SECONDS) * 1000;
  for (let look = 0; look < ACTIVE_LOOKS; look++) {
    const nextLookMs = gapMs + pair.probe.timeoutSeconds * 1000;
    if (look > 0 && (deps.clock.now() - now + nextLookMs > LOOKS_BUDGET_MS || timeLeftMs(deps.clock) < nextLookMs + MIN_CALL_MS)) break;
    if (look > 0) await deps.clock.sleep(gapMs);
    const info = look === 0 ? instances.get(pair.firewalls[active].instanceId) : (await describeWithRetry(deps, [pair.firewalls[active].instanceId])).get(pair.firewalls[active].instanceId);
    // Tunnels are not read: down tunnels only make the active `degraded`, which is drilled beside.
    const obs = await observe(deps, pair, active, info, false);
    activeStatus = classifyFirewall(obs, memory, pair.probe, []).status;
    if (HEALTHY_ENOUGH.has(activeStatus)) break;
  }
  const base: DrillProgress = { active, standby, activeStatus, standbyState, proceed: false, ready: false, deadlineExceeded: false, waitSeconds: 0, checks: 0, detail: '', yielded: false, stopped: false, notes: [] };
  let drill: DrillProgress;
  if (!HEALTHY_ENOUGH.has(activeStatus)) {
    drill = { ...base, outcome: 'refused', summary: `${pair.firewalls[active].name} (active) is ${activeStatus}: no drill while the active firewall is not healthy` };
  } else if (standbyState === 'not found' || standbyState === 'terminated' || standbyState === 'shutting-down') {
    drill = { ...base, failure: { error: 'TargetUnusableError', detail: `${pair.firewalls[standby].name} cannot be started: its instance is ${standbyState}` } };
  } else {
    drill = { ...base, proceed: true };
  }
  deps.telemetry.log.info('drill recheck', { pair: pair.name, execution: state.execution, active, activeStatus, standbyState, proceed: drill.proceed });
  return { ...state, target: standby, from: active, drill, phases: endPhase({ ...state, phases }, 'recheck', deps.clock.now(), drill.proceed ? 'proceed' : (drill.outcome ?? 'failed')) };
}

/**
 * DrillStart: starts a stopped standby (a warm or already running one is only checked). A start
 * that fails (capacity, permissions, a stop still under way) is a failed drill, not a retry loop:
 * the drill is no emergency.
 */
export async function drillStart(deps: AwsStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const d = progress(state);
  const fw = pair.firewalls[d.standby];
  const now = deps.clock.now();
  const phases = beginPhase(state, 'start', now);
  if (!(await stillHeld(deps, pair, state))) return withDrill(state, { yielded: true }, endPhase({ ...state, phases }, 'start', deps.clock.now(), 'yielded'));
  if (d.standbyState !== 'stopped') {
    return withDrill(state, { notes: [...d.notes, `${fw.name} was already ${d.standbyState}: no boot measured, left as it was`] }, endPhase({ ...state, phases }, 'start', deps.clock.now(), `already ${d.standbyState}`));
  }
  try {
    await withRetry(deps.clock, () => deps.ec2.startInstance(fw.instanceId), { attempts: 3, baseDelayMs: 500, maxDelayMs: 4000, retryIf: isThrottleOrTransient });
  } catch (e) {
    const name = e instanceof Error ? e.name : 'Error';
    return withDrill(
      state,
      { startRequestedAt: now, failure: { error: name, detail: `${fw.name} could not be started: ${name}: ${errorMessage(e)}` } },
      endPhase({ ...state, phases }, 'start', deps.clock.now(), `failed: ${name}`),
    );
  }
  const deadlineAt = now + pair.readiness.deadlineSeconds * 1000;
  return withDrill(state, { startRequestedAt: now, deadlineAt }, endPhase({ ...state, phases }, 'start', deps.clock.now()));
}

/**
 * DrillCheckReady, one poll: the lock first (a failover that took it over is now in charge of
 * the standby), then ready = running, API answering, chassis ready, AutoCom done when required.
 */
export async function drillCheckReady(deps: FirewallStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const d = progress(state);
  const fw = pair.firewalls[d.standby];
  const now = deps.clock.now();
  const phases = beginPhase(state, 'boot', now);
  if (!(await stillHeld(deps, pair, state))) {
    deps.telemetry.log.warn('drill yields: a failover took the lock', { pair: pair.name, execution: state.execution });
    return withDrill(state, { yielded: true, detail: `a failover took the pair's lock while ${fw.name} was booting: it goes on as the failover's target` }, endPhase({ ...state, phases }, 'boot', deps.clock.now(), 'yielded'));
  }
  const deadlineAt = d.deadlineAt ?? (phases.boot?.startedAt ?? now) + pair.readiness.deadlineSeconds * 1000;
  const info = (await describeWithRetry(deps, [fw.instanceId])).get(fw.instanceId);
  let ready = false;
  let detail: string;
  if (info?.state === 'running') {
    const api = await observeFirewallApi(deps.firewalls, fw, deps.clock, { timeoutMs: pair.probe.timeoutSeconds * 1000, chassis: true, autoCommit: pair.readiness.requireAutoCommit });
    if (api.outcome !== 'ok') detail = `API ${api.outcome}${api.outcome === 'auth' ? ' (normal during boot)' : ''}`;
    else if (api.chassisReady !== true) detail = 'chassis-ready: no';
    else if (pair.readiness.requireAutoCommit && api.autoCommit !== 'done') detail = `AutoCom ${api.autoCommit ?? 'not finished'}`;
    else {
      ready = true;
      detail = `ready (PAN-OS ${api.swVersion ?? 'unknown'})`;
    }
  } else {
    detail = `instance ${info?.state ?? 'not found'}`;
  }
  const after = deps.clock.now();
  const stoppedByItself = info !== undefined && (info.state === 'stopped' || info.state === 'terminated' || info.state === 'shutting-down') && d.startRequestedAt !== undefined;
  const deadlineExceeded = !ready && (after >= deadlineAt || stoppedByItself);
  const checks = d.checks + 1;
  if (ready) {
    return withDrill(state, { ready, readyAt: after, deadlineAt, checks, detail }, endPhase({ ...state, phases }, 'boot', after));
  }
  if (deadlineExceeded) {
    const why = stoppedByItself
      ? `${fw.name} stopped by itself while booting (${detail})`
      : `${fw.name} not ready within ${pair.readiness.deadlineSeconds}s (last: ${detail})`;
    return withDrill(state, { deadlineAt, deadlineExceeded, checks, detail, failure: { error: 'StandbyNotReadyError', detail: why } }, endPhase({ ...state, phases }, 'boot', after, 'deadline'));
  }
  return withDrill(state, { deadlineAt, checks, detail, waitSeconds: Math.max(1, Math.round(pair.readiness.pollIntervalSeconds - (after - now) / 1000)) }, phases);
}

/** DrillChecks: the preflight's PAN-OS checks on both firewalls, the standby read while it runs. */
export async function drillChecks(deps: FirewallStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const d = progress(state);
  const now = deps.clock.now();
  const phases = beginPhase(state, 'check', now);
  const instances = await describeWithRetry(deps, ROLES.map((r) => pair.firewalls[r].instanceId));
  // Five reads one after the other per firewall (system info, licences, three config reads):
  // each bounded so that all of them end before the invocation's deadline.
  const readTimeoutMs = Math.max(MIN_CALL_MS, Math.min(PANOS_READ_TIMEOUT_MS, Math.floor(timeLeftMs(deps.clock) / 5)));
  const facts = {} as Record<Role, FirewallFacts>;
  await Promise.all(
    ROLES.map(async (role) => {
      const fw = pair.firewalls[role];
      const instance = instances.get(fw.instanceId);
      facts[role] = { role, firewall: fw, instance, reading: await readFirewall(deps, fw, instance, readTimeoutMs) };
    }),
  );
  const results = panosResults(pair, facts, deps.clock.now(), d.active).map((r) => ({ check: r.check, subject: r.subject, status: r.status, detail: r.detail, ...(r.fix !== undefined ? { fix: r.fix } : {}) }));
  const failed = results.filter((r) => r.status === 'fail' || r.status === 'unknown').length;
  return withDrill(state, { results }, endPhase({ ...state, phases }, 'check', deps.clock.now(), failed > 0 ? `${failed} failed` : 'ok'));
}

/**
 * DrillStop: stops the standby again if the drill found it stopped (whatever it is doing now:
 * pending, running), but only while the lock is still the drill's: after a take-over the
 * standby is the failover's target and is left alone.
 */
export async function drillStop(deps: AwsStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const d = progress(state);
  const fw = pair.firewalls[d.standby];
  const now = deps.clock.now();
  const phases = beginPhase(state, 'stop', now);
  if (d.yielded || !(await stillHeld(deps, pair, state))) {
    return withDrill(state, { yielded: true }, endPhase({ ...state, phases }, 'stop', deps.clock.now(), `not stopped: a failover holds the pair`));
  }
  if (d.standbyState !== 'stopped') return withDrill(state, {}, endPhase({ ...state, phases }, 'stop', deps.clock.now(), `left ${d.standbyState}, as found`));
  const info = (await describeWithRetry(deps, [fw.instanceId])).get(fw.instanceId);
  if (!info || info.state === 'stopped' || info.state === 'stopping' || info.state === 'terminated' || info.state === 'shutting-down') {
    return withDrill(state, { stopped: info?.state === 'stopped' || info?.state === 'stopping' }, endPhase({ ...state, phases }, 'stop', deps.clock.now(), `already ${info?.state ?? 'gone'}`));
  }
  try {
    await withRetry(deps.clock, () => deps.ec2.stopInstance(fw.instanceId));
  } catch (e) {
    const name = e instanceof Error ? e.name : 'Error';
    const detail = `${fw.name} could not be stopped again: ${name}: ${errorMessage(e)}: stop it by hand (aws ec2 stop-instances --instance-ids ${fw.instanceId})`;
    return withDrill(state, { failure: d.failure ?? { error: name, detail }, notes: [...d.notes, detail] }, endPhase({ ...state, phases }, 'stop', deps.clock.now(), `failed: ${name}`));
  }
  return withDrill(state, { stopped: true, stopRequested: true }, endPhase({ ...state, phases }, 'stop', deps.clock.now(), 'stopping'));
}

/** The drill's verdict from its progress (and a Catch's error, if a step failed outright). */
export function drillVerdict(pair: PairConfig, state: FlowState): { outcome: DrillOutcome; summary: string; bootSeconds?: number } {
  const d = progress(state);
  const standby = pair.firewalls[d.standby].name;
  const bootSeconds = d.startRequestedAt !== undefined && d.readyAt !== undefined ? (d.readyAt - d.startRequestedAt) / 1000 : undefined;
  const boot = bootSeconds !== undefined ? ` after ${formatDuration(bootSeconds * 1000)}` : '';
  const withBoot = (x: { outcome: DrillOutcome; summary: string }) => (bootSeconds !== undefined ? { ...x, bootSeconds } : x);
  if (d.outcome === 'refused') return { outcome: 'refused', summary: d.summary ?? 'no drill' };
  if (d.yielded) return withBoot({ outcome: 'yielded', summary: `a failover took the pair's lock: ${standby} was left to it${d.readyAt !== undefined ? ` (ready${boot})` : ' (booting)'}` });
  const stopProblem = d.notes.find((n) => n.includes('could not be stopped again'));
  const left = d.stopRequested ? `; ${standby} stopped again` : d.stopped ? `; ${standby} left stopped` : '';
  if (state.error) return withBoot({ outcome: 'failed', summary: `${state.error.Error}: ${causeText(state.error.Cause)}${left}` });
  if (d.failure) return withBoot({ outcome: 'failed', summary: `${d.failure.detail}${left}` });
  const results = d.results ?? [];
  const failed = results.filter((r) => r.status === 'fail' || r.status === 'unknown');
  const warned = results.filter((r) => r.status === 'warn').length;
  if (stopProblem) return withBoot({ outcome: 'failed', summary: stopProblem });
  if (failed.length === 0) {
    return withBoot({ outcome: 'succeeded', summary: `${standby} ready${boot}; ${results.length} checks, none failed${warned > 0 ? ` (${warned} warning(s))` : ''}` });
  }
  const list = failed.slice(0, 3).map((r) => `${r.check} ${r.subject}`).join('; ');
  return withBoot({ outcome: 'drift', summary: `${standby} ready${boot}; ${failed.length} check(s) failed: ${list}${failed.length > 3 ? '; ...' : ''}` });
}

function causeText(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // A plain cause.
  }
  return cause;
}

/**
 * DrillFinish: releases the lock (unless a failover holds it now), records the drill (its boot
 * time feeds the expected RTO of `status`), publishes its metrics and one notification. A failed
 * drill sets `error`, and its execution ends FAILED.
 */
export async function drillFinish(deps: ControlDeps & { readonly store: DrillStore }, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const now = deps.clock.now();
  const notes: string[] = [];
  if (state.lock?.acquired) {
    const released = await deps.store.release(pair.name, lockHolder(state)).catch((e: unknown) => {
      notes.push(`lock not released (it expires by itself): ${errorMessage(e)}`);
      return true;
    });
    if (!released) deps.telemetry.log.info('drill lock already gone at release (taken over)', { pair: pair.name, execution: state.execution });
  }
  // DrillRecheck itself failed (its Catch set `error`): nothing was started; name the firewalls as it would have.
  const owner = state.drill ? undefined : ((await deps.store.getOwner(pair.name).catch(() => undefined))?.owner ?? 'primary');
  const drilled: FlowState =
    state.drill || owner === undefined
      ? state
      : {
          ...state,
          drill: { active: owner, standby: otherRole(owner), activeStatus: 'unknown', standbyState: 'unknown', proceed: false, ready: false, deadlineExceeded: false, waitSeconds: 0, checks: 0, detail: '', yielded: false, stopped: false, notes: [] },
        };
  const verdict = drillVerdict(pair, drilled);
  const d = progress(drilled);
  try {
    await deps.store.recordDrill(pair.name, {
      execution: state.execution,
      startedAt: state.startedAt,
      endedAt: deps.clock.now(),
      standby: pair.firewalls[d.standby].name,
      outcome: verdict.outcome,
      source: state.input.source,
      summary: verdict.summary,
      ...(verdict.bootSeconds !== undefined ? { bootSeconds: verdict.bootSeconds } : {}),
    });
  } catch (e) {
    notes.push(`drill not recorded (status will not show it): ${errorMessage(e)}`);
    deps.telemetry.log.error('drill not recorded', { pair: pair.name, execution: state.execution, error: errorMessage(e) });
  }
  const drill: DrillProgress = { ...d, notes: [...d.notes, ...notes], outcome: verdict.outcome, summary: verdict.summary, ...(verdict.bootSeconds !== undefined ? { bootSeconds: verdict.bootSeconds } : {}) };
  const failed = verdict.outcome === 'failed';
  const done: FlowState = {
    ...drilled,
    drill,
    ...(failed && !drilled.error ? { error: { Error: d.failure?.error ?? 'DrillFailedError', Cause: verdict.summary } } : {}),
    result: { outcome: failed ? 'failed' : verdict.outcome === 'refused' ? 'noop' : 'succeeded', summary: verdict.summary },
    phases: endPhase({ ...drilled, phases: beginPhase(drilled, 'finish', now) }, 'finish', deps.clock.now()),
  };
  const m = deps.telemetry.metrics;
  m.add('DrillResult', 'Count', 1, { Pair: pair.name, Outcome: verdict.outcome });
  if (verdict.bootSeconds !== undefined) m.add('DrillBootTime', 'Seconds', verdict.bootSeconds, { Pair: pair.name });
  // The drill schedule's alarm watches this one: 1 for a scheduled drill that failed, 0 otherwise.
  if (state.input.source === 'drill') m.add('ScheduledDrillFailed', 'Count', failed ? 1 : 0, { Pair: pair.name });
  deps.telemetry.log.info('drill finished', { pair: pair.name, execution: state.execution, outcome: verdict.outcome, bootSeconds: verdict.bootSeconds, summary: verdict.summary });
  try {
    await deps.notifier.publish(drillNotification(pair, done, deps.clock.now(), { notifications: deps.config.notifications, local: deps.local }));
  } catch (e) {
    deps.telemetry.log.error('notification failed', { pair: pair.name, execution: state.execution, error: errorMessage(e) });
  }
  return done;
}

export const DRILL_KIND: Readonly<Record<DrillOutcome, DrillKind>> = {
  succeeded: 'drill-succeeded',
  drift: 'drill-drift',
  failed: 'drill-failed',
  yielded: 'drill-yielded',
  refused: 'drill-refused',
};

const SUBJECT_WORD: Readonly<Record<DrillOutcome, string>> = {
  succeeded: 'succeeded',
  drift: 'FOUND DRIFT',
  failed: 'FAILED',
  yielded: 'yielded to a failover',
  refused: 'not run',
};

/** The drill's one notification: subject, JSON body for machines, the text people read. */
export function drillNotification(pair: PairConfig, state: FlowState, now: number, settings: { notifications: NotificationsConfig; local?: boolean } = { notifications: DEFAULT_NOTIFICATIONS }): Notification {
  const d = progress(state);
  const outcome = d.outcome ?? 'failed';
  const kind = DRILL_KIND[outcome];
  const standby = pair.firewalls[d.standby];
  const failedChecks = (d.results ?? []).filter((c) => c.status === 'fail' || c.status === 'unknown');
  return {
    subject: `[pan-failover] ${pair.name} DRILL ${SUBJECT_WORD[outcome]}: ${d.summary ?? ''}`.replace(/[^\x20-\x7e]/g, ' ').slice(0, 100),
    body: {
      pair: pair.name,
      execution: state.execution,
      event: 'drill',
      action: 'drill',
      source: state.input.source,
      requestedBy: state.input.requestedBy,
      outcome,
      summary: d.summary,
      active: pair.firewalls[d.active].name,
      standby: standby.name,
      bootSeconds: d.bootSeconds,
      stoppedStandby: d.stopped,
      failedChecks: failedChecks.map((c) => ({ check: c.check, subject: c.subject, detail: c.detail, fix: c.fix })),
      warnings: (d.results ?? []).filter((c) => c.status === 'warn').map((c) => ({ check: c.check, subject: c.subject, detail: c.detail })),
      notes: d.notes,
      error: state.error,
      timeline: timeline(state).map((t) => ({ phase: t.phase, startedAt: new Date(t.startedAt).toISOString(), durationSeconds: t.durationMs === undefined ? undefined : Math.round(t.durationMs / 100) / 10, outcome: t.outcome })),
      startedAt: new Date(state.startedAt).toISOString(),
      at: new Date(now).toISOString(),
    },
    attributes: { pair: pair.name, event: 'drill', action: 'drill', outcome },
    kind,
    text: composeText(
      settings.notifications,
      kind,
      {
        pair: pair.name,
        active: pair.firewalls[d.active].name,
        standby: standby.name,
        instanceId: standby.instanceId,
        duration: d.bootSeconds !== undefined ? formatDuration(d.bootSeconds * 1000) : undefined,
        count: outcome === 'drift' ? failedChecks.length : (d.results ?? []).length,
        error: state.error?.Error ?? d.failure?.error,
        reason: d.summary,
        stopped: d.stopped,
        ...(state.pause?.overridden ? { pauseOverriddenBy: state.input.requestedBy ?? '?' } : {}),
      },
      {
        details: [
          ...(d.summary ? [d.summary] : []),
          ...failedChecks.map((c) => `${c.status.toUpperCase()} ${c.check} ${c.subject}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`),
          ...d.notes,
        ],
        timeline: timeline(state).map((t) => `${new Date(t.startedAt).toISOString().slice(11, 19)}  ${t.phase.padEnd(8)} ${formatDuration(t.durationMs).padStart(7)}  ${t.outcome ?? 'running'}`),
        console: settings.local ? undefined : executionConsoleUrl(state.stateMachineArn, state.execution),
      },
    ),
  };
}
