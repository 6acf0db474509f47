/**
 * PAN-OS response parsing (`bench/panos-parse.ts`): real samples and hostile bodies at the
 * 512 KiB cap. Parsing is synchronous and holds the event loop meanwhile. The firewall calls'
 * timeouts count only time in which the loop was free (shared/runtime/loop-timer.ts; tested in
 * tests/integration/panos-client.test.ts), so a slow parse of one firewall's answer cannot make
 * the other look dead; what a hostile answer can still cost is the round's duration, which is
 * put beside the probe interval (a longer round delays the next one: slower detection, never a
 * false failover).
 */
import { RESPONSE_CAPS } from '#shared/adapters/panos/index.js';
import { parseTimings, worstHostileAt } from '../panos-parse.js';
import { PROBE_MEMORY_MB } from '../lib/deployed.js';
import { table, type BenchContext, type Figure, type SectionResult } from '../lib/report.js';

const PROBE_TIMEOUT_MS = 4000;
/** The default probe interval (shared/config/schema.ts). */
const PROBE_INTERVAL_MS = 10_000;
/** The memory at which Lambda gives one full vCPU (the probe's own share: serverless.yml). */
const LAMBDA_FULL_VCPU_MB = 1769;

export function parseSection(ctx: BenchContext): Promise<SectionResult> {
  // Fewer repetitions than the standalone script: the figure is for information and the hostile bodies are slow.
  const timings = parseTimings(ctx.quick ? 0.1 : 0.3);
  for (const l of table(['body', 'ms per parse'], timings.map((t) => [t.label, t.msPerParse.toFixed(3)]), [1])) ctx.out(`  ${l}`);
  const worst = timings.filter((t) => t.hostile).reduce((a, b) => (b.msPerParse > a.msPerParse ? b : a));
  const figures: Figure[] = [
    {
      section: 'parse',
      name: 'worst hostile 512 KiB body, CPU per parse',
      measured: `${worst.msPerParse.toFixed(0)} ms (${worst.label.replace('hostile: ', '')})`,
      target: '-',
      status: 'info',
      value: worst.msPerParse,
      unit: 'ms',
    },
  ];
  ctx.out(`  the worst hostile body holds the event loop ${((worst.msPerParse / PROBE_TIMEOUT_MS) * 100).toFixed(0)} % of a ${PROBE_TIMEOUT_MS / 1000} s probe timeout on this CPU (not charged to the other firewall's timeout)`);
  // The deployed probe has PROBE_MEMORY_MB (serverless.yml): Lambda gives CPU in proportion to memory (1769 MB = one
  // vCPU), so it parses 1769/PROBE_MEMORY_MB times slower than one core here (6.9 at 256 MB). Each command has
  // its own cap (RESPONSE_CAPS): the liveness calls (system info, chassis-ready) 64 KiB; the
  // three VPN calls 512 KiB each, run together, so the worst case is three such bodies.
  const slowdown = LAMBDA_FULL_VCPU_MB / PROBE_MEMORY_MB;
  const liveness = worstHostileAt(RESPONSE_CAPS.systemInfo, ctx.quick ? 0.4 : 1);
  const vpn = worstHostileAt(RESPONSE_CAPS.vpnFlow, ctx.quick ? 0.2 : 0.6);
  const livenessOnLambda = 2 * liveness.msPerParse * slowdown;
  const vpnOnLambda = 3 * vpn.msPerParse * slowdown;
  for (const [label, ms, budget, budgetName] of [
    [`system info + chassis-ready, hostile at ${RESPONSE_CAPS.systemInfo / 1024} KiB each`, livenessOnLambda, PROBE_TIMEOUT_MS, 'probe timeout'],
    [`the worst single answer, hostile at ${RESPONSE_CAPS.vpnFlow / 1024} KiB`, vpn.msPerParse * slowdown, PROBE_TIMEOUT_MS, 'probe timeout'],
    [`three VPN answers, hostile at ${RESPONSE_CAPS.vpnFlow / 1024} KiB each`, vpnOnLambda, PROBE_INTERVAL_MS, 'probe interval: the round ends before the next'],
  ] as const) {
    figures.push({
      section: 'parse',
      name: `${label}, CPU at ${PROBE_MEMORY_MB} MB (x${slowdown.toFixed(1)} this core)`,
      measured: `${ms.toFixed(0)} ms`,
      target: `< ${budget} ms (${budgetName})`,
      status: ms < budget ? 'OK' : 'MISSED',
      value: ms,
      unit: 'ms',
    });
  }
  return Promise.resolve({ figures, data: { timings } });
}
