/**
 * The report of a rehearsal: the main flow's execution and history as the simulated Step
 * Functions keeps them (the same records `report --execution` reads from AWS), plus what only
 * the simulator can know: where everything pointed before the fault, when it was injected, and the
 * consistency check at the end.
 */
import type { Config } from '#shared/config/schema.js';
import type { ExecutionRecord, SfnHistoryEvent } from '#sim/world/sfn.js';
import type { ScenarioRun } from '#sim/scenario/run.js';
import { buildReport, type ExecutionFacts, type HistoryItem } from './build.js';
import type { ReportModel } from './model.js';
import { observedSnapshot } from './snapshot.js';
import { duration } from './time.js';

export function executionFacts(x: ExecutionRecord): ExecutionFacts {
  const parse = (t: string | undefined): unknown => {
    if (t === undefined) return undefined;
    try {
      return JSON.parse(t);
    } catch {
      return undefined;
    }
  };
  return {
    name: x.name,
    arn: x.executionArn,
    status: x.status,
    startedAt: x.startDate,
    endedAt: x.stopDate,
    input: parse(x.input),
    output: parse(x.output),
    error: x.error,
    cause: x.cause,
  };
}

export function historyItems(events: readonly SfnHistoryEvent[]): HistoryItem[] {
  return events.map((e) => ({ at: e.at, type: e.type, name: e.stateName, output: e.output }));
}

/** The flow a rehearsal is about: the first failover or failback, else the first flow (never the end's consistency re-run). */
export function mainExecution(run: ScenarioRun): ExecutionRecord | undefined {
  const all = run.system.world.sfn
    .listExecutions(run.system.stateMachineArn)
    .filter((x) => !x.name.startsWith('consistency-check-'))
    .sort((a, b) => a.startDate - b.startDate);
  const moving = all.find((x) => /"action":"(failover|failback)"/.test(x.input) || x.name.startsWith('alarm-'));
  return moving ?? all[0];
}

/**
 * `config`: the configuration as written (the simulator runs a copy whose management addresses
 * point at its local firewalls); default: the one the simulator ran.
 */
export function rehearsalReport(run: ScenarioRun, generatedAt = Date.now(), config: Config = run.system.config): ReportModel | undefined {
  const x = mainExecution(run);
  if (!x) return undefined;
  const system = run.system;
  const pair = system.pair();
  const r = run.report;
  const failureAt = r.failureAt === undefined ? undefined : run.startedAt + r.failureAt;
  const detectedAt = r.detectedAt === undefined ? undefined : run.startedAt + r.detectedAt;
  const end = system.clock.now();
  const facts = [
    { label: 'Scenario', value: `${run.scenario.name}: ${run.scenario.description}` },
    ...(r.detectionSeconds !== undefined ? [{ label: 'Failure → failover decision', value: `${r.detectionSeconds} s` }] : []),
    ...(r.totalSeconds !== undefined ? [{ label: 'Failure → traffic on the standby', value: duration(r.totalSeconds * 1000) }] : []),
    ...(r.overhead ? [{ label: 'Time the flow added beyond start and boot', value: `${r.overhead.totalSeconds.toFixed(1)} s (readiness lag ${r.overhead.readinessLagSeconds.toFixed(1)} s, cutover ${r.overhead.cutoverSeconds.toFixed(1)} s, fencing ${r.overhead.fenceSeconds.toFixed(1)} s, DNS ${r.overhead.dnsSeconds.toFixed(1)} s)` }] : []),
    { label: 'Clock', value: `simulated, ${system.clock.speed}x real time; nothing left this machine` },
  ];
  return buildReport({
    kind: 'rehearsal',
    config,
    execution: executionFacts(x),
    history: historyItems(system.world.sfn.history(x.executionArn)),
    generatedAt,
    title: `${pair.name} rehearsal: ${run.scenario.name}`,
    before: observedSnapshot(pair, run.initial.placement, run.initial.dns, run.startedAt, 'observed in the simulated AWS at T+0'),
    after: observedSnapshot(pair, run.final.placement, run.final.dns, end, 'observed at the end of the rehearsal'),
    // The rounds behind the decision are those the flow's input carries, as for a real flow.
    ...(failureAt === undefined ? { roundsNote: 'No fault was injected: the flow was started by the scenario.' } : {}),
    failureAt,
    decidedAt: detectedAt,
    verdict: {
      status: run.ok ? 'consistent' : 'inconsistent',
      detail: run.ok
        ? 'every managed route, EIP and DNS record points at one firewall, the recorded owner; no lock held; a re-run changed nothing'
        : 'the rehearsal failed its checks',
      problems: run.failures,
    },
    facts,
  });
}
