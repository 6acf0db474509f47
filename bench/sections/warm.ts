/**
 * Warm standby, end to end: `scenarios/warm-standby.yaml` (fw-a hangs, the running fw-b takes
 * over, fw-a is fenced) through `runScenario`, the same runner as the test suite, at the default
 * policy and at the fast profile, with the failure at several instants across one probe
 * interval. Failure -> decision and failure -> all traffic on the standby (the cutover's end),
 * median and max of the runs; the worst case is bounded by the worst detection of the exact sweep
 * (section detection) plus the slowest decision -> traffic of the runs.
 *
 * Simulated time on the simulator's real-time clock at a low speed (x8), so that timeouts stay
 * above the clock's 250 ms real floor and the flow's own steps are stretched little by the load.
 */
import { resolve } from 'node:path';
import { PROJECT_ROOT, runScenario } from '#sim/scenario/run.js';
import { loadScenario } from '#sim/scenario/schema.js';
import { detectOnce, worstCaseDetectionSeconds } from '../lib/detection-sweep.js';
import { exampleWith, PROFILES, type ProfileName } from '../lib/profiles.js';
import { median, statusOf, type BenchContext, type Figure, type SectionResult } from '../lib/report.js';

export const WARM_SCENARIO = resolve(PROJECT_ROOT, 'scenarios', 'warm-standby.yaml');
const SPEED = 8;
const TARGET_S: Record<ProfileName, number> = { default: 40, fast: 25 };

export async function warmSection(ctx: BenchContext): Promise<SectionResult> {
  const { out } = ctx;
  const base = await loadScenario(WARM_SCENARIO);
  const figures: Figure[] = [];
  const data: Record<string, unknown> = {};
  for (const name of ['default', 'fast'] as ProfileName[]) {
    const settings = { ...base.pairSettings, ...PROFILES[name] };
    const config = await exampleWith(settings);
    const interval = (config.pairs[0]?.probe.intervalSeconds ?? 10) * 1000;
    // The failure lands at fractions of an interval after a round (rounds every interval from T+0).
    const fractions = ctx.quick ? [0.05] : [0.05, 0.4, 0.75];
    const runs: { at: number; detection: number | undefined; total: number | undefined; ok: boolean; failures: readonly string[] }[] = [];
    for (const f of fractions) {
      const at = 3 * interval + Math.round(f * interval);
      const scenario = {
        ...base,
        pairSettings: settings,
        events: base.events.map((e) => ({ ...e, at })),
        expect: { ...base.expect, maxDetectionSeconds: undefined, maxTotalSeconds: undefined },
      };
      const run = await runScenario(scenario, { speed: SPEED });
      runs.push({ at, detection: run.report.detectionSeconds, total: run.report.totalSeconds, ok: run.ok, failures: run.failures });
      out(
        `  ${name}: failure at T+${(at / 1000).toFixed(1)} s: detection ${run.report.detectionSeconds ?? '-'} s, failure -> traffic on fw-b ${run.report.totalSeconds ?? '-'} s, ${run.ok ? 'consistent, fw-a fenced' : `FAILED: ${run.failures.join('; ')}`}`,
      );
    }
    const totals = runs.map((r) => r.total ?? Number.POSITIVE_INFINITY);
    const flowTimes = runs.map((r) => (r.total ?? Number.POSITIVE_INFINITY) - (r.detection ?? 0));
    // The worst instant of the exact sweep (just after a round's last call), plus the slowest decision -> traffic seen.
    const worstDetection = ((await detectOnce(config, interval + 301)).detectionMs ?? Number.POSITIVE_INFINITY) / 1000;
    const worst = worstDetection + Math.max(...flowTimes);
    const allOk = runs.every((r) => r.ok);
    out(
      `  ${name}: decision -> traffic ${median(flowTimes).toFixed(1)} s median, ${Math.max(...flowTimes).toFixed(1)} s max; worst case = worst detection ${worstDetection.toFixed(1)} s (bound ${worstCaseDetectionSeconds(config)} s) + slowest decision -> traffic = ${worst.toFixed(1)} s`,
    );
    const p = config.pairs[0]?.probe;
    const label = `${p?.intervalSeconds ?? '?'} s / ${p?.timeoutSeconds ?? '?'} s / ${p?.failuresBeforeFailover ?? '?'}`;
    figures.push(
      {
        section: 'warm',
        name: `warm standby, ${name} policy (${label}): failure -> traffic on the standby`,
        measured: `worst ${worst.toFixed(1)} s; runs median ${median(totals).toFixed(1)}, max ${Math.max(...totals).toFixed(1)} s sim (n=${runs.length})`,
        target: `worst <= ${TARGET_S[name]} s`,
        status: statusOf(Number.isFinite(worst) && worst <= TARGET_S[name]),
        value: worst,
        unit: 's',
      },
      {
        section: 'warm',
        name: `  warm standby, ${name}: failure -> failover decision`,
        measured: `runs median ${median(runs.map((r) => r.detection ?? Number.POSITIVE_INFINITY)).toFixed(1)} s, worst instant ${worstDetection.toFixed(1)} s`,
        target: `<= ${worstCaseDetectionSeconds(config)} s (F x I + T)`,
        status: statusOf(worstDetection <= worstCaseDetectionSeconds(config) + 0.001 && runs.every((r) => (r.detection ?? Infinity) <= worstCaseDetectionSeconds(config) + 1)),
        value: worstDetection,
        unit: 's',
      },
      {
        section: 'warm',
        name: `  warm standby, ${name}: scenario outcome`,
        measured: allOk ? `consistent, fw-a fenced (${runs.length} of ${runs.length})` : `failed in ${runs.filter((r) => !r.ok).length} of ${runs.length}`,
        target: 'consistent, old primary fenced',
        status: statusOf(allOk),
      },
    );
    data[name] = { runs, worstDetection, worst };
  }
  return { figures, data };
}
