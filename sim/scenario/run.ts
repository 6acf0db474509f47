/**
 * Plays a scenario on the simulator: starts the system, applies the timeline's events at their
 * simulated times, waits until the expectations hold (or the deadline passes), checks the
 * failure-modes consistency rule, and builds the report.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadConfigFile, validateConfig } from '#shared/config/load.js';
import { readConfigText } from '#shared/config/load-json.js';
import type { Config, Role } from '#shared/config/schema.js';
import { effectiveOwner, type PairPlacement } from '#shared/domain/placement.js';
import { SimSystem, type ConsistencyReport, type TimelineEvent } from '../system.js';
import { buildReport, type RehearsalReport } from './report.js';
import type { Scenario, ScenarioEvent } from './schema.js';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_CONFIG = resolve(PROJECT_ROOT, 'examples', 'hq-egress.yaml');

export interface RunOptions {
  /** Directory the scenario's relative paths are resolved from. */
  readonly baseDir?: string;
  readonly speed?: number;
  readonly transport?: 'wire' | 'direct';
  readonly onEvent?: (e: TimelineEvent) => void;
  /** Called with the simulated time the scenario's clock starts from (its T+0). */
  readonly onStart?: (at: number) => void;
  /** Leave the system running after the run (the caller closes it). */
  readonly keepOpen?: boolean;
}

export interface ScenarioRun {
  readonly scenario: Scenario;
  readonly system: SimSystem;
  readonly report: RehearsalReport;
  readonly consistency: ConsistencyReport;
  /** Expectations and consistency hold. */
  readonly ok: boolean;
  /** Requests the controller sent to the AWS simulator, by operation (wire transport), as one line. */
  aws(): string;
  readonly failures: readonly string[];
  /** Simulated time the scenario started (its T+0). */
  readonly startedAt: number;
  /** Where the managed routes and EIPs pointed, and the DNS records' values, at T+0 (for the report). */
  readonly initial: { readonly placement: PairPlacement; readonly dns: Readonly<Record<string, readonly string[] | undefined>> };
  /** The same at the end, after the consistency check. */
  readonly final: { readonly placement: PairPlacement; readonly dns: Readonly<Record<string, readonly string[] | undefined>> };
}

export async function scenarioConfig(scenario: Scenario, baseDir = PROJECT_ROOT): Promise<Config> {
  const path = scenario.config ? resolve(baseDir, scenario.config) : DEFAULT_CONFIG;
  const settings = scenario.pairSettings;
  if (settings === undefined) return loadConfigFile(path);
  const raw = parseYaml(await readConfigText(path)) as { pairs?: unknown };
  if (raw === null || typeof raw !== 'object' || !Array.isArray(raw.pairs)) return loadConfigFile(path);
  const pairs = raw.pairs.map((p: unknown) => overlay(p, settings));
  return validateConfig({ ...raw, pairs }, `${path} with the scenario's pairSettings`);
}

/** `over` laid on `base`: plain objects merged key by key, anything else replaced. */
export function overlay(base: unknown, over: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = overlay(base[k], v);
  return out;
}

function instanceOf(system: SimSystem, fwName: string): string {
  for (const pair of system.config.pairs) {
    for (const role of ['primary', 'secondary'] as const) if (pair.firewalls[role].name === fwName) return pair.firewalls[role].instanceId;
  }
  throw new Error(`scenario names an unknown firewall "${fwName}"`);
}

function roleTarget(system: SimSystem, routeTableId: string, destination: string, role: Role): string {
  const route = system.pair().routes.find((r) => r.routeTableId === routeTableId && r.destination === destination);
  if (!route) throw new Error(`scenario drift names an unmanaged route ${destination} in ${routeTableId}`);
  return route.targets[role];
}

/** Applies one timeline event to the world, the firewalls or the controller's trigger. */
export function applyEvent(system: SimSystem, e: ScenarioEvent): string {
  const done: string[] = [];
  if (e.note) done.push(e.note);
  const inst = e.instance;
  if (inst) {
    const ec2 = system.world.ec2;
    if (inst.crash) {
      ec2.crashInstance(instanceOf(system, inst.crash));
      done.push(`instance of ${inst.crash} crashes (stops by itself)`);
    }
    if (inst.stop) {
      ec2.stopInstances([instanceOf(system, inst.stop)]);
      done.push(`a person stops ${inst.stop}`);
    }
    if (inst.start) {
      ec2.startInstances([instanceOf(system, inst.start)]);
      done.push(`a person starts ${inst.start}`);
    }
    if (inst.terminate) {
      ec2.terminateInstance(instanceOf(system, inst.terminate));
      done.push(`${inst.terminate} is terminated`);
    }
    if (inst.impair) {
      system.world.faults.set({ instances: { [instanceOf(system, inst.impair)]: { impaired: true } } });
      done.push(`EC2 status checks of ${inst.impair} fail`);
    }
  }
  for (const [name, faults] of Object.entries(e.firewall ?? {})) {
    system.firewall(name).setFaults(faults);
    done.push(`${name}: ${JSON.stringify(faults)}`);
  }
  if (e.aws === 'clear') {
    system.world.faults.clear();
    done.push('AWS faults cleared');
  } else if (e.aws) {
    system.world.faults.set(e.aws);
    done.push(`AWS faults: ${Object.keys(e.aws).join(', ')}`);
  }
  if (e.trigger) {
    const arn = system.startFlow(e.trigger);
    done.push(`manual trigger ${JSON.stringify(e.trigger)} -> ${arn.split(':').at(-1) ?? ''}`);
  }
  if (e.drift) {
    const eni = roleTarget(system, e.drift.routeTableId, e.drift.destination, e.drift.to);
    system.world.ec2.replaceRoute(e.drift.routeTableId, e.drift.destination, { networkInterfaceId: eni });
    done.push(`a person points ${e.drift.destination} in ${e.drift.routeTableId} at the ${e.drift.to}`);
  }
  return done.join('; ');
}

/** Values of the pair's DNS records in the simulated Route 53, by `name type`. */
export function dnsValues(system: SimSystem, pair = system.pair()): Record<string, readonly string[] | undefined> {
  return Object.fromEntries(
    pair.dnsRecords.map((r) => [`${r.name} ${r.type}`, (system.world.route53.resolve(r.name, r.type) as { values?: readonly string[] } | undefined)?.values]),
  );
}

async function expectationsHold(system: SimSystem, scenario: Scenario, eventsDone: boolean): Promise<boolean> {
  if (!eventsDone) return false;
  if (system.runningExecutions().length > 0) return false;
  const want = scenario.expect.owner;
  if (want === undefined) return true;
  const owner = effectiveOwner(await system.placement());
  if (owner !== want) return false;
  const record = await system.ownerRecord();
  return record?.owner === want || (record === undefined && want === 'primary');
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioRun> {
  const config = await scenarioConfig(scenario, options.baseDir);
  const system = await SimSystem.start({
    config,
    speed: options.speed ?? scenario.speed,
    seed: scenario.seed,
    transport: options.transport ?? scenario.transport,
    firewalls: Object.fromEntries(
      Object.entries(scenario.firewalls).map(([k, v]) => [k, { profile: v.profile, faults: v.faults }]),
    ),
    awsFaults: scenario.aws.faults,
    worldTimings: scenario.aws.timings,
    unmanagedRoutes: scenario.unmanagedRoutes,
    crash: scenario.crash,
    onEvent: options.onEvent,
  });
  const start = system.clock.now();
  const initial = { placement: await system.placement(), dns: dnsValues(system) };
  options.onStart?.(start);
  let eventsDone = scenario.events.length === 0;
  const events = [...scenario.events].sort((a, b) => a.at - b.at);
  const player = (async () => {
    for (const e of events) {
      const wait = start + e.at - system.clock.now();
      if (wait > 0) await system.clock.sleep(wait);
      const text = applyEvent(system, e);
      system.emit({ at: system.clock.now(), source: 'scenario', message: text, data: { event: e } });
    }
    eventsDone = true;
  })();
  const failures: string[] = [];
  try {
    const held = await system.waitUntil(() => expectationsHold(system, scenario, eventsDone), scenario.expect.within, 5000);
    await player;
    if (!held) failures.push(`expectations not met within ${Math.round(scenario.expect.within / 1000)} s of simulated time`);
  } catch (e) {
    failures.push(`scenario failed: ${(e as Error).message}`);
  }
  // The consistency rule is about the end state, read without the scenario's AWS faults.
  system.world.faults.clear();
  const consistency = await system.consistency();
  const final = { placement: await system.placement(), dns: dnsValues(system) };
  if (!consistency.consistent) failures.push(...consistency.problems.map((p) => `inconsistent: ${p}`));
  const report = buildReport(system, scenario, start);
  if (scenario.expect.maxDetectionSeconds !== undefined) {
    const d = report.detectionSeconds;
    if (d === undefined) failures.push('no failover decision was detected');
    else if (d > scenario.expect.maxDetectionSeconds) failures.push(`detection took ${d} s (limit ${scenario.expect.maxDetectionSeconds} s)`);
  }
  if (scenario.expect.maxTotalSeconds !== undefined) {
    const t = report.totalSeconds;
    if (t === undefined) failures.push('the traffic never reached the new owner (no cutover)');
    else if (t > scenario.expect.maxTotalSeconds) failures.push(`failure to traffic on the new owner took ${t} s (limit ${scenario.expect.maxTotalSeconds} s)`);
  }
  if (scenario.expect.fenced !== undefined) {
    const name = scenario.expect.fenced;
    const state = system.world.ec2.describeInstances({ ids: [instanceOf(system, name)], current: true })[0]?.state;
    const fenced = report.flows.some((f) => f.outcome === 'succeeded' && f.state?.fence?.action === 'stopped' && f.state.from !== undefined && system.pair(f.state.input.pair).firewalls[f.state.from].name === name);
    if (!fenced) failures.push(`${name} was not fenced by a flow (no successful flow stopped it)`);
    if (state !== 'stopped' && state !== 'stopping') failures.push(`${name}'s instance is ${state ?? 'gone'} at the end, not stopped`);
  }
  if (scenario.expect.flows !== undefined && report.flows.filter((f) => f.outcome === 'succeeded').length !== scenario.expect.flows) {
    failures.push(`expected ${scenario.expect.flows} successful flow(s), saw ${report.flows.filter((f) => f.outcome === 'succeeded').length}`);
  }
  for (const line of new Set(system.iamDenials().map((d) => `IAM denied ${d.principal}: ${d.action} on ${d.resource}`))) failures.push(line);
  // Reported as failures above: the report is printed, the close does not throw.
  if (!options.keepOpen) await system.close({ denialsReported: true });
  const aws = () => {
    const counts = system.aws?.requestCounts() ?? {};
    return Object.entries(counts)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  };
  return { scenario, system, report, consistency, ok: failures.length === 0, failures, aws, startedAt: start, initial, final };
}
