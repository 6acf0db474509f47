/**
 * The flow's bookkeeping steps: validate the trigger, take and release the pair's lock,
 * record the owner, notify, and the two ways out (finish, abort). Abort is the one place
 * that guarantees what every failure path must leave behind: the lock released, a
 * notification naming the phase and the error, and AWS consistent (all managed objects on one
 * firewall).
 */
import type { PairConfig, Role } from '../../config/schema.js';
import { allPlacements, effectiveOwner, objectLabel } from '../../domain/placement.js';
import { CutoverFailedError, CutoverNotVerifiedError, errorMessage } from '../../errors.js';
import { holderExecution, isDrillHolder } from '../../domain/drill.js';
import type { ExecutionStatus } from '../../ports/messaging.js';
import { withRetry } from '../pacing.js';
import { parseFlowInput } from '../flow-input.js';
import { flowPauseGate, readPauseForFlow } from '../pause.js';
import { iso } from '../../domain/pause.js';
import { dnsUpsert, fence } from './aws-steps.js';
import { cutover } from './cutover.js';
import { readPlacement } from '../placement.js';
import type { ControlDeps } from './deps.js';
import { causeMessage, phaseNotification, type FlowNotifySettings, type NotifyPhase } from './notifications.js';

export { causeMessage } from './notifications.js';
import { assertLockHeld, beginPhase, lockHolder, originUsable, endPhase, failedPhase, pairOf, timeline, type FlowState } from './state.js';

/**
 * Lease of the pair's lock: twice the longest a flow can plausibly run for this pair (start
 * retries, readiness deadline, cutover with its retries, settling), capped at the state
 * machine's timeout. A live flow never loses its lock to expiry; a lock left by an execution
 * that ended is taken over at once (`holderEnded`), so the lease only matters when Step
 * Functions itself cannot be asked.
 */
export function leaseMs(pair: PairConfig): number {
  const types = 1 + pair.start.fallbackInstanceTypes.length;
  const seconds =
    pair.start.maxAttempts * pair.start.retryIntervalSeconds * types +
    pair.readiness.deadlineSeconds +
    pair.cutover.verifyTimeoutSeconds * 4 +
    Math.max(pair.postVerify.dnsSyncTimeoutSeconds, pair.postVerify.tunnelTimeoutSeconds) +
    900;
  return Math.min(2 * seconds, STATE_MACHINE_TIMEOUT_SECONDS) * 1000;
}

/** `TimeoutSeconds` of infra/state-machine.asl.json (a test keeps them equal). */
export const STATE_MACHINE_TIMEOUT_SECONDS = 3 * 3600;

export interface ValidateEvent {
  readonly input: unknown;
  readonly execution: string;
  /** `$$.StateMachine.Id`: the state machine running this flow. */
  readonly stateMachine?: string;
}

/** Phase 1: strict input validation; throws `InputInvalidError` naming what is wrong. */
export function validate(
  deps: Pick<ControlDeps, 'config' | 'clock'> & { readonly telemetry?: ControlDeps['telemetry'] },
  event: ValidateEvent,
  pauseRead: Awaited<ReturnType<typeof readPauseForFlow>> = { record: undefined },
): FlowState {
  const input = parseFlowInput(event.input, deps.config);
  const now = deps.clock.now();
  if ('error' in pauseRead) deps.telemetry?.log.warn('pause unreadable: not held back', { pair: input.pair, execution: event.execution, error: pauseRead.error });
  const pause = 'record' in pauseRead ? flowPauseGate(pauseRead.record, input, now) : undefined;
  if (pause?.overridden) {
    deps.telemetry?.log.warn('pause overridden', { pair: input.pair, execution: event.execution, requestedBy: input.requestedBy, pausedBy: pause.by, until: pause.until });
  }
  const outcome = pause ? (pause.skip ? 'paused: skipped' : pause.overridden ? 'paused: overridden' : 'paused: dry run') : 'ok';
  return {
    input,
    execution: event.execution,
    stateMachineArn: event.stateMachine,
    startedAt: now,
    ...(pause ? { pause } : {}),
    phases: { validate: { startedAt: now, endedAt: now, outcome } },
  };
}

/**
 * The Validate step: the input first (bad input changes nothing and reads nothing), then the
 * pair's maintenance pause. An automatic trigger (probe, alarm, drift repair, scheduled drill) is
 * marked to end as `skipped-paused`; a person's is refused (`PairPausedError`) unless it
 * overrides the pause, which is logged and reported. A pause that cannot be read holds nothing
 * back: the lock, taken next, needs the same table and fails loudly if it is unreachable.
 */
export async function validateStep(deps: Pick<ControlDeps, 'config' | 'clock' | 'store' | 'telemetry'>, event: ValidateEvent): Promise<FlowState> {
  const input = parseFlowInput(event.input, deps.config);
  return validate(deps, event, await readPauseForFlow(deps.store, input.pair));
}

/** Phase 2: single-flight per pair. Not acquiring it is a normal outcome (another execution works). */
export async function acquireLock(deps: ControlDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const now = deps.clock.now();
  const lease = deps.lockLeaseMs ?? leaseMs(pair);
  const holder = lockHolder(state);
  let res = await deps.store.acquire(pair.name, holder, now, lease);
  if (!res.acquired && isDrillHolder(res.heldBy) && (state.input.action === 'failover' || state.input.action === 'failback')) {
    // A standby drill only boots the standby: a failover (or failback) takes its lock at once,
    // and the standby it is booting becomes the target (a head start). The drill yields. A
    // repair or another drill waits, like for any flow.
    deps.telemetry.log.warn('taking over a drill lock', { pair: pair.name, execution: state.execution, drill: res.heldBy });
    res = await deps.store.takeOver(pair.name, holder, res.heldBy, now, lease);
  }
  const statusOf = state.stateMachineArn && deps.executions ? deps.executions(state.stateMachineArn) : undefined;
  if (!res.acquired && statusOf && (await holderEnded((n) => statusOf.status(n), holderExecution(res.heldBy)))) {
    // The holder ended without releasing (aborted by a person, or timed out): its lock is stale.
    deps.telemetry.log.warn('taking over a stale lock', { pair: pair.name, execution: state.execution, staleHolder: res.heldBy });
    res = await deps.store.takeOver(pair.name, holder, res.heldBy, now, lease);
  }
  deps.telemetry.log.info('lock', { pair: pair.name, execution: state.execution, acquired: res.acquired, heldBy: res.acquired ? undefined : res.heldBy });
  const phases = endPhase({ ...state, phases: beginPhase(state, 'lock', now) }, 'lock', deps.clock.now(), res.acquired ? 'acquired' : `held by ${res.heldBy}`);
  return {
    ...state,
    phases,
    lock: res.acquired
      ? { acquired: true, expiresAt: res.expiresAt }
      : { acquired: false, heldBy: res.heldBy, expiresAt: res.expiresAt },
  };
}

/** True when the lock's holder is an execution that is known to have ended. */
export async function holderEnded(
  statusOf: (execution: string) => Promise<ExecutionStatus | undefined>,
  holder: string,
): Promise<boolean> {
  try {
    const status = await statusOf(holder);
    // PENDING_REDRIVE: a person asked to redrive it; it is about to run again.
    return status !== undefined && status !== 'RUNNING' && status !== 'PENDING_REDRIVE';
  } catch {
    // Unknown is not ended: never steal a lock on a guess.
    return false;
  }
}


/** Records the new owner; from here the probe guards it. */
export async function recordOwner(deps: ControlDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const target = state.target ?? 'primary';
  const now = deps.clock.now();
  await assertLockHeld(deps, pair, state, 'not recording an owner');
  const previous = await deps.store.getOwner(pair.name);
  if (previous?.owner === target) {
    // Same owner (a drift repair, a completed re-run): it has been the owner since then, and the
    // cooldown and the settling window count from then, not from now.
    return { ...state, phases: endPhase({ ...state, phases: beginPhase(state, 'record', now) }, 'record', deps.clock.now(), `${target} (unchanged)`) };
  }
  await deps.store.putOwner(pair.name, {
    owner: target,
    since: now,
    changedBy: state.execution,
    reason: `${state.input.action}: ${state.input.reason}`,
  });
  return { ...state, phases: endPhase({ ...state, phases: beginPhase(state, 'record', now) }, 'record', deps.clock.now(), target) };
}

function notifySettings(deps: ControlDeps): FlowNotifySettings {
  return { notifications: deps.config.notifications, local: deps.local };
}

/**
 * Phase notifications never hold a failover back: a failed publish is logged, not thrown.
 * A dry run never notifies (it would page people for nothing): not its plan, not its failure.
 */
export async function notify(deps: ControlDeps, state: FlowState, phase: NotifyPhase): Promise<void> {
  const pair = pairOf(deps.config, state);
  if (silentDryRun(deps, state, phase)) return;
  try {
    await deps.notifier.publish(phaseNotification(pair, state, phase, deps.clock.now(), notifySettings(deps)));
  } catch (e) {
    deps.telemetry.log.error('notification failed', { pair: pair.name, execution: state.execution, phase, error: errorMessage(e) });
  }
}

function publishFlowMetrics(deps: ControlDeps, pair: PairConfig, state: FlowState, now: number): void {
  const m = deps.telemetry.metrics;
  const outcome = state.result?.outcome ?? 'failed';
  m.add('FlowResult', 'Count', 1, { Pair: pair.name, Action: state.input.action, Outcome: outcome });
  if (outcome === 'succeeded' || outcome === 'failed') {
    m.add('FlowDuration', 'Seconds', (now - state.startedAt) / 1000, { Pair: pair.name, Action: state.input.action });
    if (state.input.action === 'failover') m.add('Failovers', 'Count', 1, { Pair: pair.name, Outcome: outcome });
    for (const t of timeline(state)) {
      if (t.durationMs !== undefined) m.add('FlowPhaseDuration', 'Seconds', t.durationMs / 1000, { Pair: pair.name, Phase: t.phase });
    }
  }
}

async function releaseIfHeld(deps: ControlDeps, pair: PairConfig, state: FlowState): Promise<void> {
  if (!state.lock?.acquired) return;
  const released = await deps.store.release(pair.name, lockHolder(state));
  if (!released) deps.telemetry.log.warn('lock already gone at release', { pair: pair.name, execution: state.execution });
}

/** Phase 10: release, report. Also the end of no-op, dry-run and lock-skipped executions. */
export async function finish(deps: ControlDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const now = deps.clock.now();
  await releaseIfHeld(deps, pair, state);
  let result: NonNullable<FlowState['result']>;
  if (state.pause?.skip) {
    result = {
      outcome: 'skipped-paused',
      summary: `${pair.name} is paused until ${iso(state.pause.until)} by ${state.pause.by} (${state.pause.reason}): nothing changed; the ${state.input.source} trigger was: ${state.input.reason}`,
    };
  } else if (state.input.dryRun) {
    const n = (state.plan?.changes.length ?? 0) + (state.plan?.dns.length ?? 0) + (state.plan?.instances.length ?? 0);
    result = {
      outcome: 'dry-run',
      summary: state.recheck?.mode === 'noop' ? `nothing to do: ${state.recheck.reason}` : `${n} change(s) would be made; nothing was changed`,
    };
  } else if (state.lock && !state.lock.acquired) {
    result = { outcome: 'skipped-locked', summary: `another execution (${state.lock.heldBy ?? '?'}) holds ${pair.name}: nothing changed` };
  } else if (state.recheck?.mode === 'noop' && (state.dns?.changes.length ?? 0) > 0) {
    result = { outcome: 'succeeded', summary: `DNS repaired: ${(state.dns?.changes ?? []).map((c) => c.record).join('; ')}` };
  } else if (state.recheck?.mode === 'noop') {
    result = { outcome: 'noop', summary: state.recheck.reason };
  } else {
    result = { outcome: 'succeeded', summary: `${state.target ? pair.firewalls[state.target].name : '?'} is active` };
  }
  // A phase left open (a DNS change submitted by a repair, not waited for) ends here.
  const phases = Object.fromEntries(
    Object.entries(state.phases).map(([k, v]) => [k, v && v.endedAt === undefined ? { ...v, endedAt: now, outcome: v.outcome ?? 'submitted, not waited for' } : v]),
  ) as FlowState['phases'];
  const done: FlowState = { ...state, result, phases: endPhase({ ...state, phases: beginPhase({ ...state, phases }, 'finish', now) }, 'finish', now) };
  publishFlowMetrics(deps, pair, done, now);
  deps.telemetry.log.info('flow finished', { pair: pair.name, execution: state.execution, outcome: result.outcome, summary: result.summary });
  // A trigger that lost the race is not news (the winner reports), nor is a repair that found
  // nothing to repair.
  const quiet = result.outcome === 'skipped-locked' || (result.outcome === 'noop' && state.input.action === 'reconcile');
  if (!quiet) await notifySafely(deps, pair, done);
  return done;
}

/** True (and logged) when `state` is a dry run's: it notifies nobody, whatever happens. */
function silentDryRun(deps: ControlDeps, state: FlowState, what: string): boolean {
  if (!state.input.dryRun) return false;
  deps.telemetry.log.info('dry run: no notification', { pair: state.input.pair, execution: state.execution, what });
  return true;
}

async function notifySafely(deps: ControlDeps, pair: PairConfig, state: FlowState): Promise<void> {
  if (silentDryRun(deps, state, 'result')) return;
  try {
    await deps.notifier.publish(phaseNotification(pair, state, 'result', deps.clock.now(), notifySettings(deps)));
  } catch (e) {
    deps.telemetry.log.error('notification failed', { pair: pair.name, execution: state.execution, error: errorMessage(e) });
  }
}

/** Abort runs within its task timeout: its convergence verifies for at most this long. */
export const CONVERGE_VERIFY_MS = 120_000;

/** What converging found (each object's side before it acted) and did (its change labels). */
type Converged = { side: Role | undefined; note: string; forward?: Role; found: NonNullable<FlowState['abort']>['found']; moved: readonly string[] };

/**
 * Converges a split pair onto one firewall: forward onto the target once it was found ready
 * (the origin is the firewall that failed: never move traffic back onto it), otherwise back onto
 * the origin, but only if the re-check found the origin able to carry traffic (a split left by an
 * earlier execution must not be "repaired" onto a dead firewall). Returns the side everything
 * ended on, or `undefined` when it could not finish, with `forward` set when the objects it
 * could move are on the ready target (the notification says what is where; "not yet visible" is
 * not a failure to undo).
 */
async function converge(
  deps: ControlDeps,
  pair: PairConfig,
  state: FlowState,
): Promise<Converged> {
  const placement = await withRetry(deps.clock, () => readPlacement(deps.ec2, pair));
  const owner = effectiveOwner(placement);
  const found = allPlacements(placement).map((p) => ({ object: objectLabel(p), side: p.side }));
  const result = (r: Omit<Converged, 'found' | 'moved'>, moved: readonly string[] = []): Converged => ({ ...r, found, moved });
  if (owner === 'primary' || owner === 'secondary') return result({ side: owner, note: `consistent on ${pair.firewalls[owner].name}` });
  const split = allPlacements(placement).map((p) => `${objectLabel(p)} -> ${p.side}`);
  const forward = state.ready?.ready === true && state.target !== undefined;
  // A repair never moves anything away from the recorded owner (its target).
  if (!forward && state.input.action === 'reconcile') {
    return result({ side: undefined, note: `managed objects are split (${owner}); a repair whose owner was not found ready leaves them` });
  }
  const origin = state.from ?? 'primary';
  if (!forward && !originUsable(state)) {
    return result({
      side: undefined,
      note: `managed objects are split (${split.join('; ')}); left as they are: ${pair.firewalls[origin].name} was not found able to carry traffic and the target was not found ready`,
    });
  }
  const side: Role = forward && state.target ? state.target : origin;
  try {
    // Forward: never put anything back on the origin, even if some moves fail again.
    const done = await cutover(deps.ec2, pair, side, deps.clock, { verifyTimeoutMs: CONVERGE_VERIFY_MS, rollback: !forward });
    return result({ side, note: `managed objects were split; converged on ${pair.firewalls[side].name}` }, done.moved);
  } catch (e) {
    const what = e instanceof CutoverNotVerifiedError ? 'moved, not yet visible in Describe' : 'could not converge';
    // What a failed converge moved and left moved (forward: kept on the target); a rollback's moves went back.
    const kept = e instanceof CutoverFailedError ? (e.details as { keptOnTarget?: unknown }).keptOnTarget : undefined;
    return result(
      {
        side: undefined,
        note: `managed objects were split (${split.join('; ')}); ${what} on ${pair.firewalls[side].name}: ${errorMessage(e)}`,
        ...(forward ? { forward: side } : {}),
      },
      Array.isArray(kept) ? kept.filter((k): k is string => typeof k === 'string') : [],
    );
  }
}

/**
 * After a failure once the flow held the pair: leave AWS consistent. Whatever is split is
 * converged; if everything ended on the target (the cutover had done its work, or converging
 * finished it), the flow's remaining duties are done here too: fence the old owner, record the
 * new one, point the DNS records at it (without waiting for INSYNC). If converging forward could
 * not finish, the ready target carries what could be moved and is recorded as the owner (the
 * probe then reports the rest as drift); nothing is fenced while objects still point at the
 * origin.
 */
async function makeConsistent(deps: ControlDeps, pair: PairConfig, state: FlowState, errorName: string): Promise<{ notes: string[]; abort: NonNullable<FlowState['abort']> }> {
  const notes: string[] = [];
  const { side, note, forward, found, moved } = await converge(deps, pair, state);
  notes.push(note);
  const made = { notes, abort: { found, moved, ...(side !== undefined ? { side } : {}) } };
  const owner = side ?? forward;
  if (owner === undefined) return made;
  // Record where the traffic is first: a failure below must not leave the probe guarding the
  // old owner (it would take the new one's objects for drift).
  const record = await deps.store.getOwner(pair.name);
  const recordedBefore = record?.owner ?? state.from;
  if (owner !== recordedBefore) {
    await deps.store.putOwner(pair.name, {
      owner,
      since: deps.clock.now(),
      changedBy: state.execution,
      reason: side === undefined ? `partly converged after ${errorName}` : `converged after ${errorName}`,
    });
    notes.push(`recorded ${pair.firewalls[owner].name} as owner${side === undefined ? ' (it carries what could be moved)' : ''}`);
  }
  if (side === undefined || side !== state.target) return made;
  // Everything is on the target: finish what the flow had left (each step is idempotent, each
  // reported on its own).
  if (record?.owner !== side) {
    try {
      const fenced = await fence(deps, state);
      if (fenced.fence && fenced.fence.action !== 'none') notes.push(`fencing: ${fenced.fence.detail}`);
    } catch (e) {
      notes.push(`fencing failed: ${errorMessage(e)}`);
    }
  }
  try {
    const dns = await dnsUpsert(deps, state);
    if (dns.dns && dns.dns.changes.length > 0) notes.push(`DNS: ${dns.dns.changes.map((c) => c.record).join('; ')}`);
  } catch (e) {
    notes.push(`DNS update failed (pan-failover repair puts it right): ${errorMessage(e)}`);
  }
  return made;
}

/** Any failure: nothing half-moved, lock released, the phase and the error reported. */
export async function abort(deps: ControlDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const phase = failedPhase(state);
  const errorName = state.error?.Error ?? 'UnknownError';
  const message = causeMessage(state.error?.Cause);
  const notes: string[] = [];
  let aborted: FlowState['abort'];
  // A step that dies part-way never returns its state, so the cutover may have begun without
  // the state saying so: look at AWS itself whenever the flow held the pair and meant to move
  // things (a no-op flow leaves whatever it found, drift included, to the probe and to people).
  const meantToMove = state.recheck?.mode === 'proceed' || state.recheck?.mode === 'complete';
  if (state.lock?.acquired && state.target && !state.input.dryRun && meantToMove) {
    try {
      // Only the lock's holder changes AWS: after a lost lock (a take-over, a redriven
      // execution) another execution owns the pair.
      const held = await deps.store.get(pair.name);
      if (held?.holder === lockHolder(state)) {
        const made = await makeConsistent(deps, pair, state, errorName);
        notes.push(...made.notes);
        aborted = made.abort;
      } else notes.push(`AWS left as it is: the pair's lock is ${held ? `held by ${held.holder}` : 'not held'}, not by this execution`);
    } catch (e) {
      notes.push(`consistency check failed: ${errorMessage(e)}`);
    }
  }
  try {
    await releaseIfHeld(deps, pair, state);
  } catch (e) {
    notes.push(`lock release failed (it expires by itself): ${errorMessage(e)}`);
  }
  const now = deps.clock.now();
  const failed: FlowState = {
    ...state,
    error: { Error: errorName, Cause: message || errorName },
    ...(aborted ? { abort: aborted } : {}),
    phases: endPhase(state, phase, now, `failed: ${errorName}`),
    result: {
      outcome: 'failed',
      summary: `${errorName} in phase ${phase}: ${message}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`,
    },
  };
  deps.telemetry.log.error('flow failed', { pair: pair.name, execution: state.execution, phase, error: errorName, message, notes });
  publishFlowMetrics(deps, pair, failed, now);
  if (silentDryRun(deps, failed, 'failure')) return failed;
  try {
    await deps.notifier.publish(phaseNotification(pair, failed, 'result', now, notifySettings(deps), { phase, consistency: notes }));
  } catch (e) {
    deps.telemetry.log.error('notification failed', { pair: pair.name, execution: state.execution, error: errorMessage(e) });
  }
  return failed;
}
