/**
 * Worst-case detection: failure instants swept across one probe interval (not a median of three
 * runs), inside one probe invocation and across the boundary between two invocations (the first
 * failed round in one, the deciding round in the next), at the default policy and at the fast
 * profile. Exact simulated time on a discrete-event clock (`../lib/detection-sweep.ts`).
 */
import { detectionSweep, detectOnce, INVOCATION_MS, worstCaseDetectionSeconds, type DetectionRun } from '../lib/detection-sweep.js';
import { exampleWith, PROFILES, type ProfileName } from '../lib/profiles.js';
import { median, statusOf, type BenchContext, type Figure, type SectionResult } from '../lib/report.js';

/** Probe API call latency of the scripted firewalls (a look at the active firewall makes 3 calls). */
const CALL_LATENCY_MS = 100;

export async function detectionSection(ctx: BenchContext): Promise<SectionResult> {
  const { out } = ctx;
  const points = ctx.quick ? 10 : 20;
  const figures: Figure[] = [];
  const data: Record<string, unknown> = {};
  for (const name of ['default', 'fast'] as ProfileName[]) {
    const config = await exampleWith(PROFILES[name]);
    const p = config.pairs[0]?.probe;
    if (!p) throw new RangeError('no pair');
    const interval = p.intervalSeconds * 1000;
    const bound = worstCaseDetectionSeconds(config);
    const looksMs = 3 * CALL_LATENCY_MS;
    // Within one invocation: across the second interval (rounds 1, 2, 3 fail). Across the
    // boundary: the interval before the invocation's last round (that round fails, the next
    // invocation's first two fail and decide).
    const windows = { 'within one invocation': interval, 'across two invocations': INVOCATION_MS - 2 * interval };
    out(`Policy "${name}": interval ${p.intervalSeconds} s, timeout ${p.timeoutSeconds} s, ${p.failuresBeforeFailover} failures; formula F x I + T = ${p.failuresBeforeFailover} x ${p.intervalSeconds} + ${p.timeoutSeconds} = ${bound} s`);
    for (const [label, from] of Object.entries(windows)) {
      const runs: DetectionRun[] = await detectionSweep(config, from, points, { callLatencyMs: CALL_LATENCY_MS });
      // And the analytic worst instant: just after a round's last call answered.
      runs.push(await detectOnce(config, from + looksMs + 1, { callLatencyMs: CALL_LATENCY_MS }));
      const secs = runs.map((r) => (r.detectionMs ?? Number.POSITIVE_INFINITY) / 1000);
      const max = Math.max(...secs);
      const med = median(secs);
      const invocations = [...new Set(runs.map((r) => r.decidedInInvocation))].join(', ');
      out(
        `  ${label}: ${runs.length} failure instants from T+${(from / 1000).toFixed(1)} s over one interval: median ${med.toFixed(1)} s, max ${max.toFixed(1)} s, min ${Math.min(...secs).toFixed(1)} s (decided in invocation ${invocations})`,
      );
      figures.push({
        section: 'detection',
        name: `${name === 'default' ? 'detection, worst case' : '  fast profile'} (hung API, ${label})`,
        measured: `max ${max.toFixed(1)} s, median ${med.toFixed(1)} s sim (n=${runs.length})`,
        target: `max <= ${bound} s (${p.failuresBeforeFailover} x ${p.intervalSeconds} + ${p.timeoutSeconds})`,
        status: statusOf(Number.isFinite(max) && max <= bound + 0.001),
        value: max,
        unit: 's',
      });
      data[`${name}/${label}`] = runs;
    }
  }
  return { figures, data };
}
