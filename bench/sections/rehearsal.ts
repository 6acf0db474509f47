/**
 * Figure 4, the default rehearsal (`scenarios/rehearsal.yaml`, what `npm start` plays) through
 * `runScenario` over the wire: detection time (target 40 s), failure to traffic on the standby,
 * the time the flow adds beyond instance start and PAN-OS boot against its bound (one readiness
 * poll interval plus the cutover), the wall time. Also collects what the cost model counts: state
 * transitions of each execution, the controller's AWS requests, probe rounds, SNS messages.
 */
import { dirname, resolve } from 'node:path';
import { loadDefinition } from '#shared/adapters/sfn-local/runner.js';
import type { RehearsalReport } from '#sim/scenario/report.js';
import { PROJECT_ROOT, runScenario } from '#sim/scenario/run.js';
import { loadScenario } from '#sim/scenario/schema.js';
import { countTransitions } from '../lib/sfn-transitions.js';
import { median, statusOf, table, type BenchContext, type Figure, type SectionResult } from '../lib/report.js';

export const REHEARSAL_SCENARIO = resolve(PROJECT_ROOT, 'scenarios', 'rehearsal.yaml');
const DETECTION_TARGET_S = 40;
/**
 * Half the scenario's own x30: the flow's steps take real milliseconds, which the clock turns
 * into simulated seconds; at x15 a 100 ms step costs 1.5 s, not 3 s, of the overhead measured.
 */
export const REHEARSAL_SPEED = 15;
const READINESS_LAG_TARGET_S = 3;
const OVERHEAD_TARGET_S = 5;

export interface ExecutionFacts {
  readonly name: string;
  readonly action: string;
  readonly status: string;
  /** States entered (billed transitions), Choice and Pass states included. */
  readonly transitions: number;
  /** Task states run by a Lambda function (the flow functions' invocations). */
  readonly lambdaTasks: number;
}

export interface RehearsalFacts {
  readonly scenario: string;
  readonly ok: boolean;
  readonly failures: readonly string[];
  readonly wallSeconds: number;
  readonly speed: number;
  readonly report: RehearsalReport;
  readonly executions: readonly ExecutionFacts[];
  readonly awsRequests: Readonly<Record<string, number>>;
  readonly probeRounds: number;
  readonly snsMessages: number;
  readonly simulatedSeconds: number;
}

export async function collectRehearsal(): Promise<RehearsalFacts> {
  const scenario = await loadScenario(REHEARSAL_SCENARIO);
  const definition = loadDefinition();
  const wall0 = performance.now();
  let t0 = 0;
  const run = await runScenario(scenario, { baseDir: dirname(REHEARSAL_SCENARIO), transport: 'wire', speed: REHEARSAL_SPEED, keepOpen: true, onStart: (at) => (t0 = at) });
  const wallSeconds = (performance.now() - wall0) / 1000;
  try {
    const { system } = run;
    const executions = system.executions.map((x) => {
      const input = (x.result.output as { input?: { action?: string } } | undefined)?.input;
      return {
        name: x.name,
        action: input?.action ?? '?',
        status: x.result.status,
        transitions: countTransitions(definition, x.result.history).entered,
        lambdaTasks: x.result.history.filter((h) => h.type === 'Task').length,
      };
    });
    return {
      scenario: scenario.name,
      ok: run.ok,
      failures: run.failures,
      wallSeconds,
      speed: system.clock.speed,
      report: run.report,
      executions,
      awsRequests: system.aws?.requestCounts() ?? {},
      probeRounds: system.logs.filter((l) => l.fn === 'health-probe' && l.message === 'probe round').length,
      snsMessages: system.world.sns.messages().length,
      simulatedSeconds: (system.clock.now() - t0) / 1000,
    };
  } finally {
    await run.system.close();
  }
}

function medianOf(values: readonly (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? undefined : median(known);
}

/** Readiness lag plus cutover: the part of the overhead with a bound. */
function waitingOf(r: RehearsalReport): number | undefined {
  return r.overhead ? r.overhead.readinessLagSeconds + r.overhead.cutoverSeconds : undefined;
}

/** What the flow adds beyond the standby's boot: readiness lag + cutover + fencing + DNS. */
function beyondBootOf(r: RehearsalReport): number | undefined {
  const o = r.overhead;
  return o ? o.readinessLagSeconds + o.cutoverSeconds + o.fenceSeconds + o.dnsSeconds : undefined;
}

function printRun(out: BenchContext['out'], f: RehearsalFacts): void {
  const r = f.report;
  out(`Scenario "${f.scenario}" over the wire (real SDK clients -> AWS simulator), clock x${f.speed}: ${f.ok ? 'expectations held, consistent' : 'FAILED'}`);
  for (const failure of f.failures) out(`  - ${failure}`);
  for (const m of r.milestones) out(`  T+${(m.at / 1000).toFixed(1).padStart(6)} s  ${m.label}`);
  const o = r.overhead;
  if (o) {
    out(
      `  flow overhead beyond instance start and boot: ${o.totalSeconds.toFixed(1)} s = pre-start ${o.preStartSeconds.toFixed(1)} s + readiness lag ${o.readinessLagSeconds.toFixed(1)} s + cutover ${o.cutoverSeconds.toFixed(1)} s + fencing ${o.fenceSeconds.toFixed(1)} s + DNS ${o.dnsSeconds.toFixed(1)} s (bound on lag + cutover: ${o.boundSeconds.toFixed(1)} s)`,
    );
  }
  out(`  ${f.probeRounds} probe rounds; wall ${f.wallSeconds.toFixed(1)} s for ${f.simulatedSeconds.toFixed(0)} simulated s`);
  out();
  const rows = f.executions.map((x) => [x.name, x.action, x.status, String(x.transitions), String(x.lambdaTasks)]);
  for (const l of table(['execution', 'action', 'status', 'state transitions', 'Lambda tasks'], rows, [3, 4])) out(`  ${l}`);
  out(
    `  AWS requests of the controller: ${Object.entries(f.awsRequests)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
}

/**
 * Plays the rehearsal `runs` times (the first is printed in full, the others as one line each)
 * and reports medians: detection depends on where the failure falls between probe rounds, the
 * readiness lag on where readiness falls between polls, both on the machine's load.
 */
export async function rehearsalSection(ctx: BenchContext, runs: number): Promise<SectionResult & { facts: RehearsalFacts }> {
  const { out } = ctx;
  const all: RehearsalFacts[] = [];
  for (let i = 0; i < runs; i++) {
    const f = await collectRehearsal();
    all.push(f);
    if (i === 0) printRun(out, f);
    else {
      const w = waitingOf(f.report);
      out(
        `  run ${i + 1}: ${f.ok ? 'consistent' : 'FAILED'}, detection ${f.report.detectionSeconds ?? '-'} s, failure to traffic ${f.report.totalSeconds ?? '-'} s, readiness lag + cutover ${w?.toFixed(1) ?? '-'} s, wall ${f.wallSeconds.toFixed(1)} s`,
      );
    }
  }
  const first = all[0];
  if (!first) throw new RangeError('rehearsal runs must be at least 1');
  const detection = medianOf(all.map((f) => f.report.detectionSeconds));
  const totalS = medianOf(all.map((f) => f.report.totalSeconds));
  const waiting = medianOf(all.map((f) => waitingOf(f.report)));
  const overheadTotal = medianOf(all.map((f) => f.report.overhead?.totalSeconds));
  const lag = medianOf(all.map((f) => f.report.overhead?.readinessLagSeconds));
  const beyondBoot = medianOf(all.map((f) => beyondBootOf(f.report)));
  const bound = medianOf(all.map((f) => f.report.overhead?.boundSeconds));
  const wall = median(all.map((f) => f.wallSeconds));
  const n = all.length > 1 ? ` (median of ${all.length})` : '';
  const allOk = all.every((f) => f.ok);

  const figures: Figure[] = [
    {
      section: 'rehearsal',
      name: 'detection (failure -> failover decision)',
      measured:
        detection === undefined
          ? 'not detected'
          : `${detection.toFixed(1)} s sim${n}${all.length > 1 ? `, max ${Math.max(...all.map((f) => f.report.detectionSeconds ?? Number.POSITIVE_INFINITY)).toFixed(1)}` : ''}`,
      target: `<= ${DETECTION_TARGET_S} s`,
      status: statusOf(detection !== undefined && all.every((f) => f.report.detectionSeconds !== undefined && f.report.detectionSeconds <= DETECTION_TARGET_S)),
      value: detection,
      unit: 's',
    },
    {
      section: 'rehearsal',
      name: '  failure -> traffic on the standby',
      measured: totalS === undefined ? 'no cutover' : `${totalS.toFixed(1)} s sim (${(totalS / 60).toFixed(1)} min)${n}`,
      target: '-',
      status: 'info',
      value: totalS,
      unit: 's',
    },
    {
      section: 'rehearsal',
      name: 'flow overhead: readiness lag + cutover',
      measured: waiting === undefined || overheadTotal === undefined ? 'no overhead report' : `${waiting.toFixed(1)} s (overhead total ${overheadTotal.toFixed(1)} s)${n}`,
      target: bound === undefined ? 'a report' : `<= poll interval + cutover = ${bound.toFixed(1)} s`,
      // The report's own rule (sim/scenario/printer.ts), 50 ms for rounding.
      status: statusOf(waiting !== undefined && bound !== undefined && waiting <= bound + 0.05),
      value: waiting,
      unit: 's',
    },
    {
      section: 'rehearsal',
      name: 'readiness lag (standby ready -> flow notices)',
      measured: lag === undefined ? 'no overhead report' : `${lag.toFixed(1)} s sim${n}${all.length > 1 ? `, max ${Math.max(...all.map((f) => f.report.overhead?.readinessLagSeconds ?? Number.POSITIVE_INFINITY)).toFixed(1)}` : ''}`,
      target: `median <= ${READINESS_LAG_TARGET_S} s, <= 1 request/s`,
      status: statusOf(lag !== undefined && lag <= READINESS_LAG_TARGET_S),
      value: lag,
      unit: 's',
    },
    {
      section: 'rehearsal',
      name: 'flow overhead beyond boot (lag + cutover + fence + DNS)',
      measured:
        beyondBoot === undefined
          ? 'no overhead report'
          : `${beyondBoot.toFixed(1)} s sim${n} (+ ${medianOf(all.map((f) => f.report.overhead?.preStartSeconds))?.toFixed(1) ?? '-'} s of checks before the start)`,
      target: `median <= ${OVERHEAD_TARGET_S} s`,
      status: statusOf(beyondBoot !== undefined && beyondBoot <= OVERHEAD_TARGET_S),
      value: beyondBoot,
      unit: 's',
    },
    {
      section: 'rehearsal',
      name: 'rehearsal outcome',
      measured: allOk ? `consistent, expectations held (${all.length} of ${all.length})` : `failed in ${all.filter((f) => !f.ok).length} of ${all.length}`,
      target: 'consistent',
      status: statusOf(allOk),
    },
    {
      section: 'rehearsal',
      name: '  rehearsal wall time',
      measured: `${wall.toFixed(1)} s${n}`,
      target: '-',
      status: 'info',
      value: wall,
      unit: 's',
    },
  ];
  // The flows' full state documents stay out of results.json: the report's figures are what count.
  const compact = all.map((f) => ({ ...f, report: { ...f.report, flows: f.report.flows.map(({ state: _state, ...rest }) => rest) } }));
  return { figures, data: { runs: compact }, facts: first };
}
