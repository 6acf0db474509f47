/**
 * Steps that talk to the firewalls' management interfaces (they run in the VPC):
 * re-check before acting, the readiness wait, and the post-cutover verification.
 */
import type { PairConfig, Role } from '../../config/schema.js';
import { otherRole, READINESS_FAST_WINDOW_SECONDS, readinessCallsPerCheck } from '../../config/schema.js';
import {
  classifyFirewall,
  emptyFirewallMemory,
  type FirewallObservation,
  type FirewallStatus,
} from '../../domain/health.js';
import { effectiveOwner, planCutover } from '../../domain/placement.js';
import { InputInvalidError, ManagedResourceNotFoundError, TargetUnusableError } from '../../errors.js';
import type { InstanceInfo } from '../../ports/ec2.js';
import type { OwnerRecord } from '../../ports/store.js';
import { withRetry } from '../pacing.js';
import { describeInstancesTolerant } from '../instances.js';
import { observeFirewallApi } from '../observe.js';
import { readPlacement } from '../placement.js';
import type { FirewallStepDeps } from './deps.js';
import { assertLockHeld, beginPhase, directionOf, endPhase, pairOf, type FlowState, type RecheckMode } from './state.js';

async function describeOne(deps: FirewallStepDeps, instanceId: string): Promise<InstanceInfo | undefined> {
  const found = await withRetry(deps.clock, () => describeInstancesTolerant(deps.ec2, [instanceId]));
  return found.get(instanceId);
}

export async function observe(
  deps: Pick<FirewallStepDeps, 'clock' | 'firewalls'>,
  pair: PairConfig,
  role: Role,
  info: InstanceInfo | undefined,
  tunnels: boolean,
): Promise<FirewallObservation> {
  const at = deps.clock.now();
  const instance = info
    ? { state: info.state, launchTime: info.launchTime, systemStatus: info.systemStatus, instanceStatus: info.instanceStatus }
    : { state: 'terminated' as const };
  if (instance.state !== 'running') return { at, instance, api: { outcome: 'skipped', latencyMs: 0 } };
  const api = await observeFirewallApi(deps.firewalls, pair.firewalls[role], deps.clock, {
    timeoutMs: pair.probe.timeoutSeconds * 1000,
    chassis: true,
    tunnels,
  });
  return { at, instance, api };
}

const UNUSABLE_REASON: Partial<Record<FirewallStatus, string>> = {
  untrusted: 'its certificate does not match the pinned fingerprint',
  'auth-error': 'it refuses the API key',
};

function targetProblem(obs: FirewallObservation, status: FirewallStatus): string | undefined {
  const s = obs.instance.state;
  if (s === 'terminated' || s === 'shutting-down') return `its instance is ${s}`;
  if (obs.instance.systemStatus === 'impaired' || obs.instance.instanceStatus === 'impaired') return 'its EC2 status checks are impaired';
  const why = UNUSABLE_REASON[status];
  if (why) return why;
  // A running target that is neither booting nor answering will not become ready by waiting.
  if (status === 'unreachable' && s === 'running') return 'it runs but its API does not answer (and it is not booting)';
  return undefined;
}

/** The mode a re-check settles on, and why (empty: said from the plan once it is known). */
interface RecheckVerdict {
  readonly mode: RecheckMode;
  readonly reason: string;
}

/**
 * Phase 3. Decides the direction from the recorded owner and from AWS itself, and whether to
 * proceed: a stale trigger (the firewall it names is no longer the owner, or is healthy again)
 * ends as a no-op; an unusable target fails before anything is started.
 */
export async function recheck(deps: FirewallStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const { input } = state;
  const now = deps.clock.now();
  const phases = beginPhase(state, 'recheck', now);

  const [placement, record, instances] = await Promise.all([
    withRetry(deps.clock, () => readPlacement(deps.ec2, pair)),
    deps.store.getOwner(pair.name),
    withRetry(deps.clock, () => describeInstancesTolerant(deps.ec2, [pair.firewalls.primary.instanceId, pair.firewalls.secondary.instanceId])),
  ]);
  const awsOwner = effectiveOwner(placement);
  const recorded = record?.owner;
  const current: Role = recorded ?? (awsOwner === 'primary' || awsOwner === 'secondary' ? awsOwner : 'primary');

  const { target, ...chosen } = chooseTarget(pair, input, current, awsOwner);
  const from = otherRole(target);
  const { fromStatus, targetStatus, targetObs } = await observeDirection(deps, pair, input, from, target, instances, record);
  const statuses = { [from]: fromStatus, [target]: targetStatus } as Record<Role, FirewallStatus>;

  const plan = planCutover(pair, placement, target);
  const alreadyThere = plan.changes.length === 0 && plan.blockers.length === 0;
  const verdict = chosen.mode === 'proceed' ? (proceedVerdict(pair, input, { from, target, fromStatus, targetStatus, recorded, alreadyThere }) ?? chosen) : chosen;
  const { mode } = verdict;
  let { reason } = verdict;

  if (mode !== 'noop' && !input.dryRun) assertCanMove(pair, target, targetObs, targetStatus, plan.blockers);
  if (mode === 'proceed' && reason === '') {
    reason = `${input.action}: ${pair.firewalls[from].name} (${fromStatus}) -> ${pair.firewalls[target].name} (${targetStatus}), ${plan.changes.length} object(s) to move`;
  }
  deps.telemetry.log.info('recheck', { pair: pair.name, execution: state.execution, mode, target, reason });
  return {
    ...state,
    target,
    from,
    recheck: {
      mode,
      reason,
      recordedOwner: recorded,
      awsOwner,
      statuses,
      // Only a repair that finds routes and EIPs already on the recorded owner goes on to its DNS.
      repairDns: input.action === 'reconcile' && mode === 'noop' && alreadyThere && recorded === target,
    },
    phases: endPhase({ ...state, phases }, 'recheck', deps.clock.now(), mode),
  };
}

/** The target of the requested action from the current owner; a failover whose origin is no longer the owner is stale (or an interrupted move). */
function chooseTarget(pair: PairConfig, input: FlowState['input'], current: Role, awsOwner: ReturnType<typeof effectiveOwner>): RecheckVerdict & { target: Role } {
  switch (input.action) {
    case 'failover': {
      if (input.from === undefined || input.from === current) return { target: otherRole(current), mode: 'proceed', reason: '' };
      // The firewall the trigger names is no longer the owner: a failover already happened.
      const mode = awsOwner === current ? 'noop' : 'proceed';
      const reason =
        mode === 'noop'
          ? `stale trigger: ${pair.firewalls[input.from].name} is no longer the active firewall (${pair.firewalls[current].name} is)`
          : `completing an interrupted move to ${pair.firewalls[current].name}`;
      return { target: current, mode, reason };
    }
    case 'failback':
      return { target: 'primary', mode: 'proceed', reason: '' };
    case 'reconcile':
      return { target: current, mode: 'proceed', reason: '' };
    case 'drill':
      // A drill has its own re-check (DrillRecheck, shared/usecases/drill.ts): it moves nothing.
      throw new InputInvalidError('flow state', [{ path: 'input.action', message: 'a drill runs DrillRecheck, not Recheck' }]);
  }
}

/** Observes both firewalls now and classifies them (the origin with the tunnels a failover cares about). */
async function observeDirection(
  deps: FirewallStepDeps,
  pair: PairConfig,
  input: FlowState['input'],
  from: Role,
  target: Role,
  byId: ReadonlyMap<string, InstanceInfo | undefined>,
  record: OwnerRecord | undefined,
): Promise<{ fromStatus: FirewallStatus; targetStatus: FirewallStatus; targetObs: FirewallObservation }> {
  const [fromObs, targetObs] = await Promise.all([
    observe(deps, pair, from, byId.get(pair.firewalls[from].instanceId), input.action === 'failover' && pair.tunnels.length > 0),
    observe(deps, pair, target, byId.get(pair.firewalls[target].instanceId), false),
  ]);
  // The recorded owner was carrying traffic (a flow saw it ready) since `record.since`: if that is
  // after its instance started, its silence now is a failure, not a boot.
  const fromMemory = record?.owner === from ? { ...emptyFirewallMemory, lastReadyAt: record.since } : emptyFirewallMemory;
  const fromStatus = classifyFirewall(fromObs, fromMemory, pair.probe, input.action === 'failover' ? pair.tunnels : []).status;
  const targetStatus = classifyFirewall(targetObs, emptyFirewallMemory, pair.probe, []).status;
  return { fromStatus, targetStatus, targetObs };
}

/**
 * For a move that would proceed: nothing to do when everything is already on the recorded
 * target, finishing when it is there but not recorded, and no failover away from a firewall
 * that is not failing (unless forced), no repair toward an owner that is not ready.
 * `undefined`: proceed as chosen.
 */
function proceedVerdict(
  pair: PairConfig,
  input: FlowState['input'],
  seen: { from: Role; target: Role; fromStatus: FirewallStatus; targetStatus: FirewallStatus; recorded: Role | undefined; alreadyThere: boolean },
): RecheckVerdict | undefined {
  const { from, target, fromStatus, targetStatus, recorded, alreadyThere } = seen;
  if (alreadyThere && recorded === target) {
    return { mode: 'noop', reason: `every managed object already points at ${pair.firewalls[target].name}, the recorded owner` };
  }
  if (alreadyThere) {
    // Moved, but not recorded (a run interrupted after the cutover): finish the job.
    return { mode: 'complete', reason: `managed objects already on ${pair.firewalls[target].name}; recording and fencing` };
  }
  if (input.action === 'failover' && !input.force) {
    const tunnelsMatter = input.source === 'probe' && pair.probe.tunnelDown === 'failover';
    const fromOk = fromStatus === 'healthy' || (fromStatus === 'degraded' && !tunnelsMatter);
    if (fromOk) {
      return { mode: 'noop', reason: `re-checked: ${pair.firewalls[from].name} is ${fromStatus}; no failover away from a healthy firewall (use force to override)` };
    }
    if (fromStatus === 'booting' || fromStatus === 'auth-error' || fromStatus === 'untrusted') {
      return { mode: 'noop', reason: `re-checked: ${pair.firewalls[from].name} is ${fromStatus}, which is not a failure; no failover (use force to override)` };
    }
    return undefined;
  }
  if (input.action === 'reconcile' && targetStatus !== 'healthy' && targetStatus !== 'degraded') {
    return { mode: 'noop', reason: `drift not repaired: the recorded owner ${pair.firewalls[target].name} is ${targetStatus}` };
  }
  return undefined;
}

/** Refuses a move (before anything is started) to a target that cannot take the traffic, or when a managed object is missing. */
function assertCanMove(pair: PairConfig, target: Role, targetObs: FirewallObservation, targetStatus: FirewallStatus, blockers: readonly string[]): void {
  const problem = targetProblem(targetObs, targetStatus);
  if (problem) {
    throw new TargetUnusableError(`${pair.firewalls[target].name} cannot take the traffic: ${problem}`, {
      details: { target, status: targetStatus },
    });
  }
  if (blockers.length > 0) {
    throw new ManagedResourceNotFoundError('re-check', blockers.join('; '), undefined, { details: { blockers } });
  }
}

/**
 * Phase 5, one poll: ready = instance running, API answering, chassis-ready yes, AutoCom done,
 * and the expected PAN-OS version (a different version fails at once: waiting will not fix it).
 * 403 and connection errors during boot are "not yet", never a failure.
 */
export async function checkReady(deps: FirewallStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const { target } = directionOf(state);
  const now = deps.clock.now();
  const phases = beginPhase(state, 'boot', now);
  // Counted from the start request, less the waits for capacity (a stop in progress counts).
  const begun = state.start?.requestedAt !== undefined ? state.start.requestedAt + (state.start.capacityWaitMs ?? 0) : (phases.boot?.startedAt ?? now);
  const deadlineAt = state.ready?.deadlineAt ?? begun + pair.readiness.deadlineSeconds * 1000;
  const checks = (state.ready?.checks ?? 0) + 1;

  const info = await describeOne(deps, pair.firewalls[target].instanceId);
  let ready = false;
  let detail: string;
  let swVersion: string | undefined;
  // The target's web server answered (even a 403 or "chassis not ready"): it is close, poll fast.
  let answered = false;
  // Requests this check sent to the target (an error may have come at any of them: count them all).
  let calls = 0;
  if (!info || info.state === 'terminated' || info.state === 'shutting-down') {
    throw new TargetUnusableError(`${pair.firewalls[target].name}: instance ${info?.state ?? 'not found'} while waiting for it`);
  }
  const restarts = state.ready?.restarts ?? 0;
  let restart = false;
  if (info.state === 'stopped' && deps.clock.now() < deadlineAt) {
    // Started, then stopped again by itself (an EBS/KMS problem, a capacity reclaim): start it
    // again, twice at most, within the same deadline.
    if (restarts >= MAX_RESTARTS) {
      throw new TargetUnusableError(`${pair.firewalls[target].name}: instance stopped again after ${restarts} restarts while booting`);
    }
    restart = true;
    detail = 'instance stopped while booting: starting it again';
  } else if (info.state !== 'running') {
    detail = `instance ${info.state}`;
  } else {
    const api = await observeFirewallApi(deps.firewalls, pair.firewalls[target], deps.clock, {
      timeoutMs: pair.probe.timeoutSeconds * 1000,
      chassis: true,
      autoCommit: pair.readiness.requireAutoCommit,
    });
    swVersion = api.swVersion;
    answered = API_ANSWERED.has(api.outcome);
    calls = api.outcome === 'ok' ? 1 + (api.chassisReady !== undefined ? 1 : 0) + (api.autoCommit !== undefined ? 1 : 0) : readinessCallsPerCheck(pair.readiness);
    if (api.outcome === 'untrusted') {
      throw new TargetUnusableError(`${pair.firewalls[target].name}: certificate does not match the pinned fingerprint (no key sent)`);
    }
    if (api.outcome !== 'ok') detail = `API ${api.outcome}${api.outcome === 'auth' ? ' (normal during boot)' : ''}`;
    else if (api.chassisReady !== true) detail = 'chassis-ready: no';
    else if (pair.readiness.requireAutoCommit && api.autoCommit === 'failed') {
      throw new TargetUnusableError(`${pair.firewalls[target].name}: the AutoCom job failed after boot`);
    } else if (pair.readiness.requireAutoCommit && api.autoCommit !== 'done') detail = 'AutoCom job not finished';
    else if (pair.readiness.expectedSoftwareVersion && api.swVersion !== pair.readiness.expectedSoftwareVersion) {
      throw new TargetUnusableError(
        `${pair.firewalls[target].name} runs PAN-OS ${api.swVersion ?? 'unknown'}, expected ${pair.readiness.expectedSoftwareVersion}`,
      );
    } else {
      ready = true;
      detail = `ready (PAN-OS ${api.swVersion ?? 'unknown'})`;
    }
  }
  if (ready) {
    // The last gate before the cutover: the pair must still be this execution's (a take-over
    // after it was thought ended, or a redrive of an old execution, must not cut over).
    await assertLockHeld(deps, pair, state, 'not cutting over');
  }
  const after = deps.clock.now();
  // A restarted instance boots again from "connections refused".
  const answeredAt = restart ? undefined : (state.ready?.answeredAt ?? (answered ? now : undefined));
  const pollFast = answeredAt !== undefined && after - answeredAt < READINESS_FAST_WINDOW_SECONDS * 1000;
  const deadlineExceeded = !ready && after >= deadlineAt;
  if (deadlineExceeded) {
    detail = `${pair.firewalls[target].name} not ready ${Math.round((after - begun) / 1000)} s after the start request (deadline ${pair.readiness.deadlineSeconds} s); last: ${detail}`;
  }
  return {
    ...state,
    phases: ready
      ? endPhase({ ...state, phases }, 'boot', after)
      : deadlineExceeded
        ? endPhase({ ...state, phases }, 'boot', after, 'deadline')
        : phases,
    ready: {
      ready,
      deadlineAt,
      deadlineExceeded,
      // A check that asked the firewall nothing (instance stopping, say) does not poll fast.
      waitSeconds: readinessWaitSeconds(pair, pollFast && calls > 0, after - now, calls),
      ...(answeredAt !== undefined ? { answeredAt } : {}),
      checks,
      detail,
      swVersion,
      readyAt: ready ? after : undefined,
      restart,
      restarts: restarts + (restart ? 1 : 0),
    },
    // A restart goes through StartTarget again: it must not see the first start as done.
    ...(restart && state.start ? { start: { ...state.start, done: false } } : {}),
  };
}

/** Outcomes that mean the target's management web server answered (it is past "connection refused"). */
const API_ANSWERED: ReadonlySet<string> = new Set(['ok', 'auth', 'api-error', 'malformed']);

/**
 * Seconds between the start of one readiness check and the next, before and after the target's
 * API first answers. Until then (instance pending, connections refused, for a minute or more of a
 * cold boot) every `readiness.pollIntervalSeconds`; from the first answer on (for
 * `READINESS_FAST_WINDOW_SECONDS`), one second per request the check sent (2 while the chassis is
 * not ready, 3 with the AutoCom job; at most `readinessCallsPerCheck`), never slower than the
 * configured interval: readiness is noticed within seconds while the booting firewall gets at
 * most one request per second.
 */
export function readinessPollSeconds(pair: PairConfig, answered: boolean, calls = readinessCallsPerCheck(pair.readiness)): number {
  const configured = pair.readiness.pollIntervalSeconds;
  return answered ? Math.min(configured, Math.max(1, calls)) : configured;
}

/**
 * The Wait before the next check: polls start every `readinessPollSeconds` whatever a check
 * took (so readiness is noticed at most one poll late), rounded up so two checks never start
 * closer than that (Step Functions waits whole seconds), and at least 1 s.
 */
export function readinessWaitSeconds(pair: PairConfig, answered: boolean, checkMs: number, calls?: number): number {
  return Math.max(1, Math.ceil(readinessPollSeconds(pair, answered, calls) - checkMs / 1000));
}

/** Times a target that stops by itself while booting is started again. */
export const MAX_RESTARTS = 2;

/**
 * Phase 9, one poll: the new owner answers and its expected tunnels come up within
 * `postVerify.tunnelTimeoutSeconds`. Reported, never rolled back.
 */
export async function postVerify(deps: FirewallStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const { target } = directionOf(state);
  const now = deps.clock.now();
  const phases = beginPhase(state, 'verify', now);
  if (state.verify?.done) return state;
  const startedAt = phases.verify?.startedAt ?? now;
  const api = await observeFirewallApi(deps.firewalls, pair.firewalls[target], deps.clock, {
    timeoutMs: pair.probe.timeoutSeconds * 1000,
    chassis: true,
    tunnels: pair.tunnels.length > 0,
  });
  const healthy = api.outcome === 'ok' && api.chassisReady === true;
  const up = new Set((api.tunnels ?? []).filter((t) => t.up).map((t) => t.name));
  const expected = pair.tunnels.flatMap((t) => (t.proxyIds.length > 0 ? t.proxyIds.map((p) => `${t.name}:${p}`) : [t.name]));
  const tunnelsUp = expected.filter((n) => up.has(n));
  const tunnelsDown = expected.filter((n) => !up.has(n));
  const after = deps.clock.now();
  const timedOut = after - startedAt >= pair.postVerify.tunnelTimeoutSeconds * 1000;
  const done = (healthy && tunnelsDown.length === 0) || timedOut;
  const outcome = healthy && tunnelsDown.length === 0 ? 'ok' : `incomplete: ${healthy ? '' : 'API not healthy; '}${tunnelsDown.length} tunnel(s) down`;
  return {
    ...state,
    phases: done ? endPhase({ ...state, phases }, 'verify', after, outcome) : phases,
    verify: {
      done,
      waitSeconds: pair.postVerify.pollIntervalSeconds,
      healthy,
      tunnelsUp,
      tunnelsDown,
      timedOut: timedOut && !(healthy && tunnelsDown.length === 0),
      checks: (state.verify?.checks ?? 0) + 1,
    },
  };
}
