/**
 * `npm run bench`: the project's speed, size, scaling and cost figures, each printed with its
 * target and OK / MISSED, then a summary table; raw numbers go to bench/results.json.
 *
 * Exits 0 when every section ran, whatever the figures say (a missed target is a result);
 * non-zero only when a section itself broke.
 *
 * Usage: npm run bench [-- --quick] [-- --only probe,cutover] [-- --rehearsals N] [-- --json FILE | --no-json]
 * Sections: probe, bundles, cutover, rehearsal, detection, warm, scale, cost, parse, cli, drill.
 */
import '#shared/polyfills.js';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '#sim/scenario/run.js';
import { table, type BenchContext, type Figure, type SectionResult } from './lib/report.js';
import { bundlesSection } from './sections/bundles.js';
import { cliSection } from './sections/cli.js';
import { costSection } from './sections/cost.js';
import { cutoverSection } from './sections/cutover.js';
import { detectionSection } from './sections/detection.js';
import { warmSection } from './sections/warm.js';
import { scaleSection } from './sections/scale.js';
import { drillSection } from './sections/drill.js';
import { parseSection } from './sections/parse.js';
import { probeSection } from './sections/probe.js';
import { collectRehearsal, rehearsalSection, type RehearsalFacts } from './sections/rehearsal.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SECTIONS = {
  probe: '1. Probe: hung firewalls and concurrency',
  bundles: '2. Lambda bundles: size and module load + init',
  cutover: '3. Cutover speed under EC2 latency and throttling',
  rehearsal: '4. Detection and failover timeline of the default rehearsal',
  detection: '4b. Worst-case detection: failure instants swept across one probe interval',
  warm: '4c. Warm standby: failure to traffic on the standby, default policy and fast profile',
  scale: '4d. Scale: 50 pairs in one probe round, 50 cutovers at once',
  cost: '5. Monthly cost model',
  parse: 'PAN-OS response parsing (information)',
  cli: '6. CLI start (prebuilt JavaScript)',
  drill: '7. Standby drill on the simulator',
} as const;
type SectionName = keyof typeof SECTIONS;
/** The order they run in; the cost model uses the rehearsal's counts, so it comes after it. */
const ORDER: readonly SectionName[] = ['probe', 'bundles', 'cutover', 'rehearsal', 'detection', 'warm', 'scale', 'cost', 'parse', 'cli', 'drill'];

const USAGE = `Usage: npm run bench [-- --quick] [-- --only SECTION,...] [-- --rehearsals N] [-- --json FILE | --no-json]
Sections, in the order they run: ${ORDER.join(', ')}.
  --quick        fewer repetitions (figures noisier; the summary says QUICK)
  --only         run these sections only (cost runs one rehearsal of its own when rehearsal is left out)
  --rehearsals   rehearsals to take medians over (default 3, 1 with --quick)
  --json FILE    raw figures to FILE (default bench/results.json); --no-json: none
Exit: 0 when every section ran (a MISSED target is a result), 1 when a section broke, 64 on bad usage.`;

/** Bad usage of the bench's own options: one line and exit 64, no stack trace. */
class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      rehearsals: { type: 'string' },
      json: { type: 'string' },
        'no-json': { type: 'boolean', default: false },
      },
      allowPositionals: false,
    });
  } catch (e) {
    throw new BenchUsageError(e instanceof Error ? e.message : String(e));
  }
  const { values } = parsed;
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((s) => !(s in SECTIONS)) ?? [];
  if (unknown.length > 0) throw new BenchUsageError(`unknown section(s) ${unknown.join(', ')}; known: ${ORDER.join(', ')}`);
  const rehearsals = values.rehearsals === undefined ? (values.quick ? 1 : 3) : Number(values.rehearsals);
  if (!Number.isInteger(rehearsals) || rehearsals < 1) throw new BenchUsageError(`--rehearsals needs a positive integer, not ${JSON.stringify(values.rehearsals)}`);
  return {
    help: values.help,
    quick: values.quick,
    sections: ORDER.filter((s) => !only || only.includes(s)),
    rehearsals,
    json: values['no-json'] ? undefined : (values.json ?? join(PROJECT_ROOT, 'bench', 'results.json')),
  };
}

async function main(): Promise<number> {
  const opts = options();
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const ctx: BenchContext = { quick: opts.quick, out };
  const started = new Date();
  const wall0 = performance.now();
  const cpu = cpus();
  out(`pan-failover bench, ${started.toISOString()}: node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}${opts.quick ? ', QUICK (fewer repetitions)' : ''}`);
  out('Times are medians of repeated runs; figures marked "sim" are simulated time. Compare ratios, not raw milliseconds, on a shared machine.');

  const figures: Figure[] = [];
  const data: Record<string, unknown> = {};
  const broken: { section: string; error: string }[] = [];
  let rehearsal: RehearsalFacts | undefined;

  const runners: Record<SectionName, () => Promise<SectionResult>> = {
    bundles: () => bundlesSection(ctx),
    cli: () => cliSection(ctx),
    probe: () => probeSection(ctx),
    cutover: () => cutoverSection(ctx),
    detection: () => detectionSection(ctx),
    warm: () => warmSection(ctx),
    scale: () => scaleSection(ctx),
    rehearsal: async () => {
      const r = await rehearsalSection(ctx, opts.rehearsals);
      rehearsal = r.facts;
      return r;
    },
    cost: async () => costSection(ctx, rehearsal ?? (await collectRehearsal())),
    parse: () => parseSection(ctx),
    drill: () => drillSection(ctx),
  };

  for (const name of opts.sections) {
    out();
    out(`== ${SECTIONS[name]} ==`);
    const t0 = performance.now();
    try {
      const result = await runners[name]();
      figures.push(...result.figures);
      data[name] = result.data;
      out(`(${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      const error = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
      broken.push({ section: name, error });
      out(`BENCH BROKEN in section ${name}:`);
      out(error);
    }
  }

  out();
  out('== Summary ==');
  const rows = [
    ...figures.map((f) => [f.name, f.measured, f.target, f.status]),
    ...broken.map((b) => [`section ${b.section}`, 'did not run to the end', '-', 'BROKEN']),
  ];
  for (const l of table(['figure', 'measured', 'target', 'status'], rows)) out(l);
  const missed = figures.filter((f) => f.status === 'MISSED');
  const wallS = (performance.now() - wall0) / 1000;
  out();
  out(
    `${figures.filter((f) => f.status === 'OK').length} OK, ${missed.length} MISSED${missed.length > 0 ? ` (${missed.map((f) => f.name.trim()).join('; ')})` : ''}` +
      `${broken.length > 0 ? `, ${broken.length} section(s) BROKEN` : ''}; ${wallS.toFixed(0)} s; load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );

  if (opts.json) {
    const doc = { startedAt: started.toISOString(), node: process.version, cpus: cpu.length, cpuModel: cpu[0]?.model, quick: opts.quick, wallSeconds: wallS, figures, broken, sections: data };
    await writeFile(opts.json, `${JSON.stringify(doc, null, 2)}\n`);
    out(`raw figures: ${opts.json}`);
  }
  return broken.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    // Lingering sockets or timers of a broken section must not keep the process alive.
    process.exit(code);
  },
  (e: unknown) => {
    if (e instanceof BenchUsageError) {
      process.stderr.write(`bench: ${e.message}\n(npm run bench -- --help for the usage)\n`);
      process.exit(64);
    }
    process.stderr.write(`bench failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
