/**
 * Shared helpers of the detection / decision / security end-to-end tests: start the whole
 * simulated system with short boots, and read what happened from the evidence the system
 * leaves (the probe's logs, the world's event log, SNS, the executions).
 */
import type { Config, PairConfig } from '#shared/config/schema.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { SimSystem, type ConsistencyReport, type FirewallSetup, type SimSystemOptions } from '#sim/system.js';
import type { FirewallProfileInput } from '#sim/panos/index.js';
import type { WorldEvent } from '#sim/world/event-log.js';
import { makeConfig } from '../../support/config.js';

/**
 * A boot of about one simulated minute instead of six: enough to cross every phase (reset,
 * 403 while the auth daemon is down, chassis not ready, ready, tunnel negotiation) without
 * spending wall time on it.
 */
export const FAST_BOOT: FirewallProfileInput = {
  timings: { refuseMs: 10_000, authDownMs: 5_000, readyMs: 30_000, negotiationMs: 5_000 },
};

export const FW_A = 'fw-a';
export const FW_B = 'fw-b';

export interface DetectSystemOptions extends Partial<Omit<SimSystemOptions, 'config'>> {
  readonly config?: Config;
}

/**
 * Starts the system on the example deployment (fw-a active, fw-b cold standby). Defaults:
 * direct transport, speed 30, fast boots for both firewalls; per-firewall setups are merged
 * over the fast boot.
 */
export function startSystem(options: DetectSystemOptions = {}): Promise<SimSystem> {
  const { config, firewalls, ...rest } = options;
  const merged: Record<string, FirewallSetup> = {};
  for (const name of [FW_A, FW_B, ...Object.keys(firewalls ?? {})]) {
    const setup = firewalls?.[name] ?? {};
    merged[name] = { ...setup, profile: { ...FAST_BOOT, ...setup.profile } };
  }
  return SimSystem.start({
    speed: 30,
    transport: 'direct',
    ...rest,
    config: config ?? makeConfig(),
    firewalls: merged,
  });
}

/** One `probe round` log line of the health probe. */
export interface ProbeRound {
  readonly at: number;
  readonly owner: string;
  readonly primary: string;
  readonly secondary: string;
  readonly action: string;
  readonly code: string;
  readonly reason: string;
}

export function probeRounds(system: SimSystem, since = 0): ProbeRound[] {
  return system.logs
    .filter((l) => l.fn === 'health-probe' && l.message === 'probe round' && l.at >= since)
    .map((l) => {
      const f = l.fields as Record<string, unknown>;
      return {
        at: l.at,
        owner: String(f.owner),
        primary: String(f.primary),
        secondary: String(f.secondary),
        action: String(f.action),
        code: String(f.code),
        reason: String(f.reason),
      };
    });
}

/** Waits (simulated time) until `count` probe rounds have been logged since `since`. */
export async function waitForRounds(
  system: SimSystem,
  count: number,
  since: number,
  timeoutMs = 10 * 60_000,
): Promise<ProbeRound[]> {
  const ok = await system.waitUntil(() => probeRounds(system, since).length >= count, timeoutMs, 500);
  if (!ok)
    throw new Error(
      `only ${probeRounds(system, since).length} of ${count} probe rounds within ${timeoutMs / 1000} s`,
    );
  return probeRounds(system, since);
}

/** Waits until a probe round matching `predicate` is logged since `since`; returns it. */
export async function waitForRound(
  system: SimSystem,
  predicate: (r: ProbeRound) => boolean,
  since: number,
  timeoutMs = 5 * 60_000,
): Promise<ProbeRound> {
  const find = () => probeRounds(system, since).find(predicate);
  const ok = await system.waitUntil(() => find() !== undefined, timeoutMs, 250);
  const found = find();
  if (!ok || !found)
    throw new Error(
      `no matching probe round within ${timeoutMs / 1000} s; rounds: ${describeRounds(probeRounds(system, since))}`,
    );
  return found;
}

export function describeRounds(rounds: readonly ProbeRound[]): string {
  return rounds.map((r) => `${r.primary}/${r.secondary}->${r.action}(${r.code})`).join(', ');
}

/** Changes of a managed route's target (an unchanged ReplaceRoute is not a move). */
export function routeMoves(system: SimSystem): WorldEvent[] {
  return system.world.events.list({ type: 'ec2.route.replaced' }).filter((e) => e.data.changed === true);
}

export function eipMoves(system: SimSystem): WorldEvent[] {
  return system.world.events.list({ type: 'ec2.eip.associated' });
}

export function snsSubjects(system: SimSystem): string[] {
  return system.world.sns.messages().map((m) => m.subject ?? '');
}

export interface FlowRun {
  readonly name: string;
  readonly status: string;
  readonly action: string | undefined;
  readonly outcome: string | undefined;
  readonly state: FlowState | undefined;
  readonly error: string | undefined;
  /** States the execution entered, in order (a failed execution has no output to tell it). */
  readonly states: readonly string[];
}

/** Every execution the simulator's Step Functions ran to its end, with its final state. */
export function flowRuns(system: SimSystem): FlowRun[] {
  // A failed execution has no output: its action comes from its input (what the trigger asked).
  const inputs = new Map(
    system.world.sfn.listExecutions(system.stateMachineArn).map((r) => [r.name, r.input]),
  );
  const actionOf = (name: string): string | undefined => {
    try {
      return (JSON.parse(inputs.get(name) ?? '{}') as { action?: string }).action;
    } catch {
      return undefined;
    }
  };
  return system.executions.map((x) => {
    const state = x.result.output as FlowState | undefined;
    return {
      name: x.name,
      status: x.result.status,
      action: state?.input.action ?? actionOf(x.name),
      outcome: x.result.status === 'FAILED' ? 'failed' : state?.result?.outcome,
      state,
      error: x.result.error ? `${x.result.error.name}: ${x.result.error.cause}` : undefined,
      states: x.result.history.map((h) => h.state),
    };
  });
}

/** Executions the world started (probe, alarm or manual), whatever their end. */
export function startedExecutions(system: SimSystem): WorldEvent[] {
  return system.world.events.list({ type: 'sfn.execution.started' });
}

/** Waits until the recorded owner and every managed object are on `role` and no execution runs. */
export async function waitForOwner(
  system: SimSystem,
  role: 'primary' | 'secondary',
  timeoutMs = 10 * 60_000,
): Promise<void> {
  const ok = await system.waitUntil(
    async () => {
      if (system.runningExecutions().length > 0) return false;
      const record = await system.ownerRecord();
      return record?.owner === role;
    },
    timeoutMs,
    1000,
  );
  if (!ok) {
    const record = await system.ownerRecord();
    throw new Error(
      `owner not ${role} within ${timeoutMs / 1000} s (recorded ${record?.owner ?? 'none'}; flows: ${JSON.stringify(flowRuns(system).map((f) => [f.name, f.outcome, f.error]))}; rounds: ${describeRounds(probeRounds(system).slice(-8))})`,
    );
  }
}

/** The failure-modes consistency check, after the scenario's AWS faults are cleared. */
export async function consistencyAfter(system: SimSystem): Promise<ConsistencyReport> {
  system.world.faults.clear();
  return system.consistency();
}

export function instanceState(system: SimSystem, instanceId: string): string {
  system.world.settle();
  return system.world.ec2.instanceNow(instanceId).state;
}

/** ENI ids each role's managed routes point at. */
export function routeTargets(pair: PairConfig, role: 'primary' | 'secondary'): Set<string> {
  return new Set(pair.routes.map((r) => r.targets[role]));
}

/**
 * Failures of the machinery itself: a probe invocation that threw (the schedule logs it on the
 * timeline), a simulated firewall's or the AWS simulator's internal errors. A test expects none.
 */
export function machineryFailures(system: SimSystem): string[] {
  const out = system.timeline
    .filter((e) => e.source === 'system' && e.message.startsWith('probe invocation failed'))
    .map((e) => e.message);
  for (const fw of system.firewalls.values())
    out.push(...fw.internalErrors().map((e) => `${fw.name}: ${String(e)}`));
  out.push(...(system.aws?.internalErrors() ?? []).map((e) => `aws simulator: ${String(e)}`));
  return out;
}

/** Waits for the first healthy round of the primary (the probe has bootstrapped the owner). */
export async function waitForSteadyState(system: SimSystem): Promise<ProbeRound> {
  return waitForRound(system, (r) => r.primary === 'healthy' && r.code === 'active-healthy', 0, 60_000);
}

/** Sum of a controller metric (namespace PanFailover) over the whole run. */
export function metricSum(
  system: SimSystem,
  name: string,
  dimensions: Readonly<Record<string, string>>,
): number {
  const now = system.clock.now();
  const [result] = system.world.cloudwatch.getMetricData(
    [{ id: 'm', metric: { namespace: 'PanFailover', name, dimensions }, periodSeconds: 60, stat: 'Sum' }],
    now - 24 * 3_600_000,
    now + 60_000,
  );
  return (result?.values ?? []).reduce((a, b) => a + b, 0);
}
