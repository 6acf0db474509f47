/**
 * The standby drill: boot the (cold) standby, measure its boot, run the PAN-OS preflight on it
 * (the only time a stopped standby's configuration can be read), compare it with the active,
 * stop it again. Traffic is never touched: no route, EIP or DNS record is read for a change.
 *
 * 1. Take the pair's lock as `drill:<id>`. A drill's lock yields: a failover or failback takes it
 *    over at once (`acquireLock`), and the probe does not count it as a flow in progress.
 * 2. Confirm the active (the recorded owner) is healthy (or degraded by a tunnel only).
 * 3. Start the standby (a warm one already runs: no boot is measured). A start that fails
 *    (capacity, permissions) is a failed drill.
 * 4. Poll until ready (chassis ready, AutoCom done when required) every
 *    `readiness.pollIntervalSeconds`, within `readiness.deadlineSeconds`; the boot time is
 *    counted from the start request. Every poll first checks the lock: when a failover took it,
 *    the drill yields at once and leaves the booting standby to it (a head start).
 * 5. Preflight, PAN-OS side, on both firewalls (versions, licences, normalised configuration).
 * 6. Stop the standby it started (only while still holding the lock), release the lock, record
 *    the drill (boot time for the expected RTO), notify the result.
 *
 * A drill that ends `failed` leaves the standby stopped (it stops it if it started it).
 */
import type { PairConfig, Role } from '../config/schema.js';
import { otherRole } from '../config/schema.js';
import { drillHolder } from '../domain/drill.js';
import { classifyFirewall, emptyFirewallMemory } from '../domain/health.js';
import { errorMessage } from '../errors.js';
import type { Telemetry } from '../observability/telemetry.js';
import type { Clock } from '../ports/clock.js';
import type { Ec2Port, InstanceInfo } from '../ports/ec2.js';
import type { FirewallApiFactory } from '../ports/firewall.js';
import type { Notifier } from '../ports/messaging.js';
import type { DrillRecord, DrillStore, LockStore, OwnerStore } from '../ports/store.js';
import { leaseMs } from './flow/control-steps.js';
import { observe } from './flow/firewall-steps.js';
import { formatDuration } from './flow/notifications.js';
import { describeInstancesTolerant } from './instances.js';
import { observeFirewallApi } from './observe.js';
import { withRetry } from './pacing.js';
import { panosResults, readFirewall, type PreflightResult } from './preflight.js';
import type { FirewallFacts } from '../domain/panos-preflight.js';

export interface DrillDeps {
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly ec2: Ec2Port;
  readonly store: LockStore & OwnerStore & DrillStore;
  readonly notifier: Notifier;
  readonly firewalls: FirewallApiFactory;
}

export type DrillOutcome = DrillRecord['outcome'] | 'refused' | 'skipped-locked';

export interface DrillReport {
  readonly pair: string;
  readonly id: string;
  readonly outcome: DrillOutcome;
  readonly summary: string;
  readonly active: string;
  readonly standby: string;
  readonly startedAt: number;
  readonly endedAt: number;
  /** When the start was requested, and when the standby was seen ready (epoch ms). */
  readonly startRequestedAt?: number;
  readonly readyAt?: number;
  readonly bootSeconds?: number;
  /** Ready -> the drill's end (checks, stop, release): the drill's own overhead after the boot. */
  readonly afterReadyMs?: number;
  /** The PAN-OS checks run on both firewalls once the standby was ready. */
  readonly checks: readonly PreflightResult[];
  readonly stoppedStandby: boolean;
  readonly notes: readonly string[];
}

const HEALTHY_ENOUGH: ReadonlySet<string> = new Set(['healthy', 'degraded']);
/** Looks at the active before a drill is refused. */
const ACTIVE_LOOKS = 3;

async function describe(deps: DrillDeps, ids: string[]): Promise<Map<string, InstanceInfo | undefined>> {
  return withRetry(deps.clock, () => describeInstancesTolerant(deps.ec2, ids));
}

/** Runs one drill of `pair`; never throws for what goes wrong with the standby (that is a failed drill). */
export async function runDrill(deps: DrillDeps, pair: PairConfig, options: { id?: string } = {}): Promise<DrillReport> {
  const { clock } = deps;
  const startedAt = clock.now();
  const id = options.id ?? `${pair.name}-${new Date(startedAt).toISOString().replace(/[:.]/g, '-')}`;
  const holder = drillHolder(id);
  const log = deps.telemetry.log;
  const record = await deps.store.getOwner(pair.name);
  const activeRole: Role = record?.owner ?? 'primary';
  const standbyRole = otherRole(activeRole);
  const active = pair.firewalls[activeRole];
  const standby = pair.firewalls[standbyRole];
  const notes: string[] = [];
  const base = { pair: pair.name, id, active: active.name, standby: standby.name, startedAt };

  const lock = await deps.store.acquire(pair.name, holder, startedAt, leaseMs(pair));
  if (!lock.acquired) {
    return { ...base, outcome: 'skipped-locked', summary: `the pair's lock is held by ${lock.heldBy}: no drill`, endedAt: clock.now(), checks: [], stoppedStandby: false, notes };
  }
  const stillMine = async () => {
    const held = await deps.store.get(pair.name).catch(() => undefined);
    return held?.holder === holder && held.expiresAt > clock.now();
  };

  let startRequestedAt: number | undefined;
  let readyAt: number | undefined;
  let started = false;
  let checks: PreflightResult[] = [];
  let outcome: DrillOutcome;
  let summary: string;
  try {
    const instances = await describe(deps, [active.instanceId, standby.instanceId]);
    // One slow answer is not a sick firewall: up to three looks, a poll interval apart.
    const memory = record?.owner === activeRole ? { ...emptyFirewallMemory, lastReadyAt: record.since } : emptyFirewallMemory;
    let activeStatus = 'unknown';
    for (let look = 0; look < ACTIVE_LOOKS; look++) {
      if (look > 0) await clock.sleep(pair.readiness.pollIntervalSeconds * 1000);
      const activeObs = await observe(deps, pair, activeRole, instances.get(active.instanceId), pair.tunnels.length > 0);
      activeStatus = classifyFirewall(activeObs, memory, pair.probe, pair.tunnels).status;
      if (HEALTHY_ENOUGH.has(activeStatus)) break;
    }
    if (!HEALTHY_ENOUGH.has(activeStatus)) {
      outcome = 'refused';
      summary = `${active.name} (active) is ${activeStatus}: no drill while the active firewall is not healthy`;
    } else {
      const standbyInfo = instances.get(standby.instanceId);
      const result = await bootAndCheck(deps, pair, { activeRole, standbyRole, standbyInfo, stillMine, notes });
      ({ startRequestedAt, readyAt, started, checks, outcome, summary } = result);
    }
  } catch (e) {
    outcome = 'failed';
    summary = `drill failed: ${e instanceof Error ? e.name : 'Error'}: ${errorMessage(e)}`;
  }

  // A failed or finished drill leaves the standby as it found it: stopped (a cold standby).
  let stoppedStandby = false;
  if (started && outcome !== 'yielded') {
    if (await stillMine()) {
      try {
        await withRetry(clock, () => deps.ec2.stopInstance(standby.instanceId));
        stoppedStandby = true;
      } catch (e) {
        notes.push(`could not stop ${standby.name}: ${errorMessage(e)}: stop it by hand`);
        if (outcome === 'succeeded' || outcome === 'findings') {
          outcome = 'failed';
          summary = `${summary}; but ${standby.name} could not be stopped again`;
        }
      }
    } else {
      outcome = 'yielded';
      summary = `a failover took the pair's lock: ${standby.name} left running for it`;
    }
  }
  if (outcome !== 'yielded') await deps.store.release(pair.name, holder).catch((e: unknown) => notes.push(`lock not released: ${errorMessage(e)}`));
  const endedAt = clock.now();
  const bootSeconds = startRequestedAt !== undefined && readyAt !== undefined ? (readyAt - startRequestedAt) / 1000 : undefined;
  const report: DrillReport = {
    ...base,
    outcome,
    summary,
    endedAt,
    ...(startRequestedAt !== undefined ? { startRequestedAt } : {}),
    ...(readyAt !== undefined ? { readyAt, afterReadyMs: endedAt - readyAt } : {}),
    ...(bootSeconds !== undefined ? { bootSeconds } : {}),
    checks,
    stoppedStandby,
    notes,
  };
  if (outcome !== 'refused' && outcome !== 'skipped-locked') {
    await deps.store
      .recordDrill(pair.name, { startedAt, endedAt, standby: standby.name, outcome, summary, ...(bootSeconds !== undefined ? { bootSeconds } : {}) })
      .catch((e: unknown) => notes.push(`drill not recorded: ${errorMessage(e)}`));
  }
  log.info('drill', { pair: pair.name, drill: id, outcome, bootSeconds, summary });
  await deps.notifier.publish(drillNotification(pair, report)).catch((e: unknown) => log.error('notification failed', { pair: pair.name, error: errorMessage(e) }));
  return report;
}

interface BootResult {
  startRequestedAt: number | undefined;
  readyAt: number | undefined;
  started: boolean;
  checks: PreflightResult[];
  outcome: DrillOutcome;
  summary: string;
}

async function bootAndCheck(
  deps: DrillDeps,
  pair: PairConfig,
  ctx: { activeRole: Role; standbyRole: Role; standbyInfo: InstanceInfo | undefined; stillMine: () => Promise<boolean>; notes: string[] },
): Promise<BootResult> {
  const { clock } = deps;
  const standby = pair.firewalls[ctx.standbyRole];
  const out: BootResult = { startRequestedAt: undefined, readyAt: undefined, started: false, checks: [], outcome: 'failed', summary: '' };
  const state = ctx.standbyInfo?.state;
  if (state === undefined || state === 'terminated' || state === 'shutting-down') {
    out.summary = `${standby.name} cannot be started: instance ${state ?? 'not found'}`;
    return out;
  }
  if (state === 'running' || state === 'pending') {
    ctx.notes.push(`${standby.name} was already ${state}: no boot measured, left running`);
  } else {
    out.startRequestedAt = clock.now();
    try {
      await withRetry(clock, () => deps.ec2.startInstance(standby.instanceId));
      out.started = true;
    } catch (e) {
      out.summary = `${standby.name} could not be started: ${e instanceof Error ? e.name : 'Error'}: ${errorMessage(e)}`;
      // Whatever the start left behind (a pending instance) is stopped again.
      out.started = true;
      return out;
    }
  }

  const deadlineAt = (out.startRequestedAt ?? clock.now()) + pair.readiness.deadlineSeconds * 1000;
  const pollMs = pair.readiness.pollIntervalSeconds * 1000;
  let last = 'not checked';
  for (;;) {
    if (!(await ctx.stillMine())) {
      out.outcome = 'yielded';
      out.summary = `a failover took the pair's lock while ${standby.name} was booting: it goes on as the failover's target`;
      return out;
    }
    const info = (await describe(deps, [standby.instanceId])).get(standby.instanceId);
    if (info?.state === 'running') {
      const api = await observeFirewallApi(deps.firewalls, standby, clock, {
        timeoutMs: pair.probe.timeoutSeconds * 1000,
        chassis: true,
        autoCommit: pair.readiness.requireAutoCommit,
      });
      const ready = api.outcome === 'ok' && api.chassisReady === true && (!pair.readiness.requireAutoCommit || api.autoCommit === 'done');
      if (ready) {
        out.readyAt = clock.now();
        break;
      }
      last = api.outcome !== 'ok' ? `API ${api.outcome}` : api.chassisReady !== true ? 'chassis-ready: no' : `AutoCom ${api.autoCommit ?? '?'}`;
    } else {
      last = `instance ${info?.state ?? 'not found'}`;
    }
    if (clock.now() + pollMs > deadlineAt) {
      out.summary = `${standby.name} not ready within ${pair.readiness.deadlineSeconds}s (last: ${last})`;
      return out;
    }
    await clock.sleep(pollMs);
  }

  // Ready: the preflight's PAN-OS checks on both firewalls, the standby read while it runs.
  const ids = [pair.firewalls.primary.instanceId, pair.firewalls.secondary.instanceId];
  const instances = await describe(deps, ids);
  const facts = {} as Record<Role, FirewallFacts>;
  await Promise.all(
    (['primary', 'secondary'] as const).map(async (role) => {
      const fw = pair.firewalls[role];
      const instance = instances.get(fw.instanceId);
      facts[role] = { role, firewall: fw, instance, reading: await readFirewall(deps, fw, instance) };
    }),
  );
  out.checks = panosResults(pair, facts, clock.now(), ctx.activeRole);
  const failed = out.checks.filter((r) => r.status === 'fail' || r.status === 'unknown');
  const boot = out.startRequestedAt !== undefined ? ` after ${formatDuration(out.readyAt - out.startRequestedAt)}` : '';
  if (failed.length === 0) {
    out.outcome = 'succeeded';
    out.summary = `${standby.name} ready${boot}; ${out.checks.length} checks, none failed${out.checks.some((r) => r.status === 'warn') ? ` (${out.checks.filter((r) => r.status === 'warn').length} warnings)` : ''}`;
  } else {
    out.outcome = 'findings';
    out.summary = `${standby.name} ready${boot}; ${failed.length} check(s) failed: ${failed
      .slice(0, 3)
      .map((r) => `${r.check} ${r.subject}`)
      .join('; ')}${failed.length > 3 ? '; ...' : ''}`;
  }
  return out;
}

export function drillNotification(pair: PairConfig, r: DrillReport): { subject: string; body: Record<string, unknown>; attributes: Record<string, string> } {
  const word = { succeeded: 'succeeded', findings: 'FOUND PROBLEMS', failed: 'FAILED', yielded: 'yielded to a failover', refused: 'not run', 'skipped-locked': 'not run' }[r.outcome];
  const text = `[pan-failover] ${pair.name} DRILL ${word}: ${r.summary}`;
  return {
    subject: text.replace(/[^\x20-\x7e]/g, ' ').slice(0, 100),
    body: {
      pair: pair.name,
      event: 'drill',
      drill: r.id,
      outcome: r.outcome,
      summary: r.summary,
      active: r.active,
      standby: r.standby,
      bootSeconds: r.bootSeconds,
      stoppedStandby: r.stoppedStandby,
      failedChecks: r.checks.filter((c) => c.status === 'fail' || c.status === 'unknown').map((c) => ({ check: c.check, subject: c.subject, detail: c.detail, fix: c.fix })),
      notes: r.notes,
      startedAt: new Date(r.startedAt).toISOString(),
      endedAt: new Date(r.endedAt).toISOString(),
    },
    attributes: { pair: pair.name, event: 'drill', action: 'drill', outcome: r.outcome },
  };
}
