/**
 * Figure 6, the CLI's start: `pan-failover` as a person runs it (`node bin/pan-failover.js`,
 * the prebuilt JavaScript of scripts/build-cli.mjs), wall time of whole processes, each as a
 * ratio to a bare `node -e 0` measured in the same run (so a busy machine moves both):
 * `--help` at most 4x, `validate -c examples/hq-egress.yaml` at most 6x; and `status` against
 * the simulator (`pan-failover sim`'s wire endpoints) at most 1.5 s of wall time.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildCli } from '../../scripts/build-cli.mjs';
import { PROJECT_ROOT } from '#sim/scenario/run.js';
import { startCliSim } from '../../tests/support/cli-sim.js';
import { median, spread, statusOf, type BenchContext, type Figure, type SectionResult } from '../lib/report.js';

const BIN = join(PROJECT_ROOT, 'bin', 'pan-failover.js');
const EXAMPLE = join(PROJECT_ROOT, 'examples', 'hq-egress.yaml');

/** Wall time of one process, ms; its exit code must be `expect`. */
function timed(args: readonly string[], expect = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== expect) reject(new Error(`node ${args.join(' ')} exited ${String(code)}: ${err.trim()}`));
      else resolve(ms);
    });
  });
}

async function repeat(n: number, args: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await timed(args));
  return out;
}

export async function cliSection(ctx: BenchContext): Promise<SectionResult> {
  const n = ctx.quick ? 3 : 9;
  await buildCli({ quiet: true });
  // The first run after a build pays for the disk cache; measure warm starts, as a person's second command.
  await timed([BIN, '--help']);
  const bare: number[] = [];
  const help: number[] = [];
  const validate: number[] = [];
  // Interleaved, so a burst of load hits all three alike.
  for (let i = 0; i < n; i++) {
    bare.push(await timed(['-e', '0']));
    help.push(await timed([BIN, '--help']));
    validate.push(await timed([BIN, 'validate', '-c', EXAMPLE]));
  }
  const sim = await startCliSim();
  let status: number[];
  try {
    status = await repeat(n, [BIN, 'status', '-c', sim.configPath]);
  } finally {
    await sim.close();
  }
  const base = median(bare);
  const ratio = (v: number[]) => median(v) / base;
  const figures: Figure[] = [
    { section: 'cli', name: 'bare `node -e 0` (baseline)', measured: spread(bare, 'ms'), target: '-', status: 'info', value: base, unit: 'ms' },
    { section: 'cli', name: '`pan-failover --help` / node -e 0', measured: `${ratio(help).toFixed(2)}x (${spread(help, 'ms')})`, target: '<= 4x', status: statusOf(ratio(help) <= 4), value: ratio(help), unit: 'x' },
    { section: 'cli', name: '`pan-failover validate -c examples/hq-egress.yaml` / node -e 0', measured: `${ratio(validate).toFixed(2)}x (${spread(validate, 'ms')})`, target: '<= 6x', status: statusOf(ratio(validate) <= 6), value: ratio(validate), unit: 'x' },
    { section: 'cli', name: '`pan-failover status` against the simulator, wall', measured: spread(status, 'ms'), target: '<= 1500 ms', status: statusOf(median(status) <= 1500), value: median(status), unit: 'ms' },
  ];
  for (const f of figures) ctx.out(`  ${f.name}: ${f.measured} (target ${f.target}) ${f.status}`);
  return { figures, data: { bareMs: bare, helpMs: help, validateMs: validate, statusMs: status } };
}
