/**
 * Steps that only call AWS APIs (they run outside the VPC, so they never depend on the network
 * path the failover repairs): dry-run plan, starting the target, the cutover, fencing, DNS.
 */
import type { PairConfig } from '../../config/schema.js';
import { desiredRecord, sameValues } from '../../domain/consistency.js';
import { changeLabel, planCutover } from '../../domain/placement.js';
import {
  errorMessage,
  InstanceStateConflictError,
  InsufficientCapacityError,
  StandbyNotReadyError,
  TargetUnusableError,
} from '../../errors.js';
import type { DnsRecordValue } from '../../ports/dns.js';
import { describeInstancesTolerant } from '../instances.js';
import { isThrottleOrTransient, withRetry } from '../pacing.js';
import { cutover } from './cutover.js';
import { readPlacement } from '../placement.js';
import type { AwsStepDeps } from './deps.js';
import { beginPhase, directionOf, endPhase, originUsable, pairOf, type FlowState } from './state.js';

/** Seconds to wait before asking again while the target is still `stopping`. */
const STOPPING_POLL_SECONDS = 5;

/** The record's wanted value on `target` (the one rule: `domain/consistency.ts`). */
export { desiredRecord };

function sameRecord(a: DnsRecordValue | undefined, b: DnsRecordValue): boolean {
  return a !== undefined && a.ttl === b.ttl && sameValues(a.values, b.values);
}

function fencingApplies(pair: PairConfig, state: FlowState): boolean {
  if (pair.fencing === 'none' || state.input.action === 'reconcile') return false;
  // After a failback in warm mode the secondary is the running warm standby again.
  if (state.input.action === 'failback' && pair.standbyMode === 'warm') return false;
  return true;
}

/** Dry run: what would change. Reads only. */
export async function plan(deps: AwsStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const { target, from } = directionOf(state);
  const now = deps.clock.now();
  const placement = await withRetry(deps.clock, () => readPlacement(deps.ec2, pair));
  const cut = planCutover(pair, placement, target);
  const instances = await withRetry(deps.clock, () =>
    describeInstancesTolerant(deps.ec2, [pair.firewalls[target].instanceId, pair.firewalls[from].instanceId]),
  );
  const stateOf = (id: string) => instances.get(id)?.state ?? 'not found';
  const instanceActions: string[] = [];
  const t = pair.firewalls[target];
  if (stateOf(t.instanceId) !== 'running') instanceActions.push(`start ${t.instanceId} (${t.name}, now ${stateOf(t.instanceId)})`);
  const f = pair.firewalls[from];
  if (fencingApplies(pair, state) && stateOf(f.instanceId) !== 'stopped') {
    instanceActions.push(`stop ${f.instanceId} (${f.name}, now ${stateOf(f.instanceId)}) to fence it`);
  }
  const dns: string[] = [];
  for (const rec of pair.dnsRecords) {
    const want = desiredRecord(pair, rec, target);
    const have = await withRetry(deps.clock, () => deps.dns.getRecord(rec.hostedZoneId, rec.name, rec.type));
    if (!sameRecord(have, want)) dns.push(`UPSERT ${rec.name} ${rec.type} ${have?.values.join(',') ?? '(absent)'} -> ${want.values.join(',')} (TTL ${want.ttl})`);
  }
  const noop = state.recheck?.mode === 'noop';
  return {
    ...state,
    phases: endPhase({ ...state, phases: beginPhase(state, 'plan', now) }, 'plan', deps.clock.now()),
    plan: {
      changes: noop ? [] : cut.changes.map(changeLabel),
      dns: noop ? [] : dns,
      instances: noop ? [] : instanceActions,
      blockers: cut.blockers,
    },
  };
}

/**
 * Phase 4, one attempt: start the target if it is stopped. A `stopping` instance is waited out;
 * `InsufficientInstanceCapacity` is retried `start.maxAttempts` times per instance type, then the
 * next fallback type is set (the instance is stopped, so its type can change) and tried.
 */
export async function startTarget(deps: AwsStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const { target } = directionOf(state);
  const fw = pair.firewalls[target];
  const now = deps.clock.now();
  const phases = beginPhase(state, 'start', now);
  const prev = state.start ?? { done: false, state: 'unknown', attempts: 0, typeIndex: 0, waitSeconds: 0, notes: [] };
  const info = (await withRetry(deps.clock, () => describeInstancesTolerant(deps.ec2, [fw.instanceId]))).get(fw.instanceId);
  if (!info || info.state === 'terminated' || info.state === 'shutting-down') {
    throw new TargetUnusableError(`${fw.name}: instance ${fw.instanceId} is ${info?.state ?? 'not found'}`);
  }
  const original = prev.instanceType ?? info.instanceType;
  const types = [original, ...pair.start.fallbackInstanceTypes.filter((t) => t !== original)];
  // The readiness deadline is for the boot: time spent waiting for capacity is not the boot's.
  const capacityWaitMs = (prev.capacityWaitMs ?? 0) + (prev.state === 'capacity' && prev.lastTryAt !== undefined ? Math.max(0, now - prev.lastTryAt) : 0);
  const base = { ...prev, instanceType: original, requestedAt: prev.requestedAt ?? now, lastTryAt: now, capacityWaitMs };
  const finish = (s: string, notes: readonly string[] = base.notes): FlowState => {
    const at = deps.clock.now();
    return {
      ...state,
      phases: endPhase({ ...state, phases }, 'start', at, s === 'running' ? 'already running' : 'ok'),
      start: { ...base, done: true, state: s, waitSeconds: 0, notes, runningAt: s === 'running' ? at : undefined },
    };
  };
  const again = (s: string, waitSeconds: number, extra: Partial<typeof base> = {}): FlowState => ({
    ...state,
    phases,
    start: { ...base, ...extra, done: false, state: s, waitSeconds },
  });

  // Waiting for a stop to finish counts against the readiness deadline: it is part of "start".
  const waitStopping = (): FlowState => {
    const waited = deps.clock.now() - base.requestedAt;
    if (waited >= pair.readiness.deadlineSeconds * 1000) {
      throw new StandbyNotReadyError(
        `${fw.name} (${fw.instanceId}) still stopping ${Math.round(waited / 1000)} s after the start request (deadline ${pair.readiness.deadlineSeconds} s): it cannot be started`,
      );
    }
    return again('stopping', STOPPING_POLL_SECONDS);
  };

  if (info.state === 'running' || info.state === 'pending') return finish(info.state);
  if (info.state === 'stopping') return waitStopping();

  try {
    // Only throttling is retried here: no capacity, or still stopping, is the flow's loop's job,
    // spaced by start.retryIntervalSeconds and counted against start.maxAttempts.
    const after = await withRetry(deps.clock, () => deps.ec2.startInstance(fw.instanceId), {
      attempts: 3,
      baseDelayMs: 500,
      maxDelayMs: 4000,
      retryIf: isThrottleOrTransient,
    });
    return finish(after, [...base.notes, `StartInstances on ${info.instanceType}`]);
  } catch (e) {
    if (e instanceof InstanceStateConflictError) return waitStopping();
    if (!(e instanceof InsufficientCapacityError)) throw e;
    const attempts = base.attempts + 1;
    const note = `no capacity for ${info.instanceType} (attempt ${attempts} of ${pair.start.maxAttempts})`;
    if (attempts < pair.start.maxAttempts) {
      return again('capacity', pair.start.retryIntervalSeconds, { attempts, notes: [...base.notes, note] });
    }
    const notes = [...base.notes, note];
    // The next fallback type that can carry this firewall's ENIs and addresses (VM-Series needs
    // every ENI it was built with: one for management plus the dataplane ones).
    const enis = info.networkInterfaces.length;
    const addresses = Math.max(1, ...info.networkInterfaces.map((n) => n.privateIps.length));
    for (let nextIndex = base.typeIndex + 1; nextIndex < types.length; nextIndex++) {
      const nextType = types[nextIndex] as string;
      const [spec] = await withRetry(deps.clock, () => deps.ec2.describeInstanceTypes([nextType]));
      if (!spec || spec.maxNetworkInterfaces < enis || spec.ipv4AddressesPerInterface < addresses) {
        notes.push(
          `${nextType} skipped: ${spec ? `${spec.maxNetworkInterfaces} ENIs x ${spec.ipv4AddressesPerInterface} addresses` : 'unknown type'}, this firewall needs ${enis} x ${addresses}`,
        );
        continue;
      }
      await withRetry(deps.clock, () => deps.ec2.setInstanceType(fw.instanceId, nextType));
      return again('capacity', 1, { attempts: 0, typeIndex: nextIndex, notes: [...notes, `instance type changed to ${nextType}`] });
    }
    const skipped = notes.filter((n) => n.includes(' skipped: '));
    throw new InsufficientCapacityError(
      'StartInstances',
      `${fw.name} (${fw.instanceId}) could not start: no capacity for ${types.join(', ')} after ${pair.start.maxAttempts} attempts each${skipped.length > 0 ? ` (${skipped.join('; ')})` : ''}`,
      'InsufficientInstanceCapacity',
      { cause: e },
    );
  }
}

/** Phase 6. */
export async function cutoverStep(deps: AwsStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const { target } = directionOf(state);
  const started = deps.clock.now();
  const phases = beginPhase(state, 'cutover', started);
  const out = await cutover(deps.ec2, pair, target, deps.clock, { rollback: originUsable(state) });
  const ended = deps.clock.now();
  deps.telemetry.log.info('cutover done', { pair: pair.name, execution: state.execution, moved: out.moved.length, calls: out.calls });
  return {
    ...state,
    phases: endPhase({ ...state, phases }, 'cutover', ended, `${out.moved.length} moved, ${out.unchanged} already in place`),
    cutover: { ...out, durationMs: ended - started },
  };
}

/** Phase 8: stop the old owner (per the fencing policy). A failure is reported, never undoes the cutover. */
export async function fence(deps: AwsStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const { from } = directionOf(state);
  const now = deps.clock.now();
  const phases = beginPhase(state, 'fence', now);
  const fw = pair.firewalls[from];
  if (!fencingApplies(pair, state)) {
    return {
      ...state,
      phases: endPhase({ ...state, phases }, 'fence', now, 'not applicable'),
      fence: { action: 'none', detail: `fencing ${pair.fencing === 'none' ? 'disabled' : 'not applicable'} for ${state.input.action}` },
    };
  }
  const current = (await withRetry(deps.clock, () => describeInstancesTolerant(deps.ec2, [fw.instanceId]))).get(fw.instanceId);
  if (!current || current.state === 'terminated' || current.state === 'shutting-down') {
    return {
      ...state,
      phases: endPhase({ ...state, phases }, 'fence', deps.clock.now(), 'not needed'),
      fence: { action: 'none', detail: `${fw.name} (${fw.instanceId}) is ${current?.state ?? 'gone'}: nothing to fence` },
    };
  }
  try {
    const after = await withRetry(deps.clock, () => deps.ec2.stopInstance(fw.instanceId));
    return {
      ...state,
      phases: endPhase({ ...state, phases }, 'fence', deps.clock.now()),
      fence: { action: 'stopped', detail: `${fw.name} (${fw.instanceId}) ${after}` },
    };
  } catch (e) {
    deps.telemetry.log.error('fencing failed', { pair: pair.name, execution: state.execution, error: errorMessage(e) });
    return {
      ...state,
      phases: endPhase({ ...state, phases }, 'fence', deps.clock.now(), 'FAILED'),
      fence: { action: 'failed', detail: `could not stop ${fw.name} (${fw.instanceId}): ${errorMessage(e)}; stop it by hand` },
    };
  }
}

/** Phase 7: UPSERT the records that do not hold the target's value yet. */
export async function dnsUpsert(deps: AwsStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const { target } = directionOf(state);
  const now = deps.clock.now();
  const phases = beginPhase(state, 'dns', now);
  const changes: { record: string; changeId: string; status: string }[] = [];
  const skipped: string[] = [];
  for (const rec of pair.dnsRecords) {
    const want = desiredRecord(pair, rec, target);
    const have = await withRetry(deps.clock, () => deps.dns.getRecord(rec.hostedZoneId, rec.name, rec.type));
    if (sameRecord(have, want)) {
      skipped.push(`${rec.name} ${rec.type} already ${want.values.join(',')}`);
      continue;
    }
    const res = await withRetry(deps.clock, () =>
      deps.dns.upsertRecord(rec.hostedZoneId, want, `pan-failover ${state.execution}`),
    );
    changes.push({ record: `${rec.name} ${rec.type} -> ${want.values.join(',')}`, changeId: res.changeId, status: res.status });
  }
  const done = changes.every((c) => c.status === 'INSYNC');
  const at = deps.clock.now();
  return {
    ...state,
    phases: done ? endPhase({ ...state, phases }, 'dns', at, changes.length === 0 ? 'nothing to change' : 'INSYNC') : phases,
    dns: { done, changes, skipped, timedOut: false, insyncAt: done ? at : undefined },
  };
}

/** Phase 7, one poll: INSYNC yet? Late sync is reported, never blocks the result. */
export async function dnsStatus(deps: AwsStepDeps, state: FlowState): Promise<FlowState> {
  const pair = pairOf(deps.config, state);
  const dns = state.dns;
  if (!dns || dns.done) return state;
  const changes = await Promise.all(
    dns.changes.map(async (c) =>
      c.status === 'INSYNC' ? c : { ...c, status: await withRetry(deps.clock, () => deps.dns.getChangeStatus(c.changeId)) },
    ),
  );
  const now = deps.clock.now();
  const insync = changes.every((c) => c.status === 'INSYNC');
  const startedAt = state.phases.dns?.startedAt ?? now;
  const timedOut = !insync && now - startedAt >= pair.postVerify.dnsSyncTimeoutSeconds * 1000;
  const done = insync || timedOut;
  return {
    ...state,
    phases: done ? endPhase(state, 'dns', now, insync ? 'INSYNC' : 'still PENDING (reported)') : state.phases,
    dns: { ...dns, changes, done, timedOut, insyncAt: insync ? now : undefined },
  };
}
