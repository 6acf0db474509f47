/**
 * PAN-OS response parsing (`bench/panos-parse.ts`): real samples and hostile bodies at the
 * 512 KiB cap. No target of its own; the worst hostile body is put beside the probe's timeout,
 * because parsing is synchronous and holds the event loop (both firewalls' probes) meanwhile.
 */
import { parseTimings } from '../panos-parse.js';
import { table, type BenchContext, type Figure, type SectionResult } from '../lib/report.js';

const PROBE_TIMEOUT_MS = 4000;

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
  ctx.out(`  the worst hostile body blocks the event loop ${((worst.msPerParse / PROBE_TIMEOUT_MS) * 100).toFixed(0)} % of a ${PROBE_TIMEOUT_MS / 1000} s probe timeout on this CPU`);
  return Promise.resolve({ figures, data: { timings } });
}
