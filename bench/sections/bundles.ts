/**
 * Figure 2, the Lambda bundles: `node scripts/build.mjs` builds `dist/functions/<name>/index.mjs`;
 * each bundle's size (target: health-probe at most 1 MiB minified) and its module load and
 * initialisation time (target: at most 150 ms here), measured in a fresh `node` per run that
 * imports the bundle and reports `performance.now()` around the import, as Lambda's INIT phase
 * would. A baseline in the same run: a bundle of only `@aws-sdk/client-ec2`, built with the same
 * esbuild options, so the ratio stays meaningful on a slow or busy machine.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { lambdaBuildOptions } from '../../scripts/lambda-esbuild.mjs';
import { PROJECT_ROOT } from '#sim/scenario/run.js';
import {
  kib,
  median,
  spread,
  statusOf,
  table,
  type BenchContext,
  type Figure,
  type SectionResult,
} from '../lib/report.js';

const run = promisify(execFile);

const SIZE_TARGET_BYTES = 1024 * 1024;
const LOAD_TARGET_MS = 150;
const PROBE = 'health-probe';
const BASELINE = 'baseline: @aws-sdk/client-ec2 only';

async function buildBaseline(): Promise<string> {
  const outfile = join(PROJECT_ROOT, 'dist', 'bench', 'ec2-baseline', 'index.mjs');
  await mkdir(join(PROJECT_ROOT, 'dist', 'bench', 'ec2-baseline'), { recursive: true });
  await build({
    // What a minimal EC2-calling Lambda imports; the handlers too build their clients lazily.
    stdin: {
      contents: "export { EC2Client, DescribeInstancesCommand } from '@aws-sdk/client-ec2';",
      resolveDir: PROJECT_ROOT,
      sourcefile: 'ec2-baseline.ts',
      loader: 'ts',
    },
    ...lambdaBuildOptions(PROJECT_ROOT),
    outfile,
  });
  return outfile;
}

/** Runs in a fresh node: only the import is timed, not node's own start. */
const LOADER = `
const c0 = process.cpuUsage();
const t0 = performance.now();
await import(process.argv[1]);
const t1 = performance.now();
const c1 = process.cpuUsage(c0);
const m = process.memoryUsage();
process.stdout.write(JSON.stringify({ loadMs: t1 - t0, cpuMs: (c1.user + c1.system) / 1000, rssBytes: m.rss, heapUsedBytes: m.heapUsed }));
`;

interface LoadSample {
  readonly loadMs: number;
  /** CPU time of the import: less sensitive than wall time to other work on a shared machine. */
  readonly cpuMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  // tsx registers its loader for children through NODE_OPTIONS; a bundle must load on plain node.
  delete env.NODE_OPTIONS;
  return env;
}

async function loadOnce(file: string): Promise<LoadSample> {
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', LOADER, pathToFileURL(file).href],
    {
      env: childEnv(),
      cwd: PROJECT_ROOT,
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout) as LoadSample;
}

export async function bundlesSection(ctx: BenchContext): Promise<SectionResult> {
  const { out } = ctx;
  const runs = ctx.quick ? 3 : 7;
  const t0 = performance.now();
  const built = await run(process.execPath, [join(PROJECT_ROOT, 'scripts', 'build.mjs')], {
    cwd: PROJECT_ROOT,
    env: childEnv(),
    timeout: 300_000,
  });
  out(`node scripts/build.mjs (${((performance.now() - t0) / 1000).toFixed(1)} s):`);
  for (const l of built.stdout.trimEnd().split('\n')) out(`  ${l}`);
  const baseline = await buildBaseline();

  const dir = join(PROJECT_ROOT, 'dist', 'functions');
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const bundles = [
    ...names.map((n) => ({ name: n, file: join(dir, n, 'index.mjs') })),
    { name: BASELINE, file: baseline },
  ];
  const sizes = new Map<string, number>();
  for (const b of bundles) sizes.set(b.name, (await stat(b.file)).size);

  // One discarded load each (disk cache), then rounds in rotating order so drift hits all alike.
  for (const b of bundles) await loadOnce(b.file);
  const samples = new Map<string, LoadSample[]>(bundles.map((b) => [b.name, []]));
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < bundles.length; k++) {
      const b = bundles[(k + r) % bundles.length] as (typeof bundles)[number];
      samples.get(b.name)?.push(await loadOnce(b.file));
    }
  }
  const loadMs = (name: string) => (samples.get(name) ?? []).map((s) => s.loadMs);
  const cpuMs = (name: string) => (samples.get(name) ?? []).map((s) => s.cpuMs);
  const baseMs = median(loadMs(BASELINE));
  const rows = bundles.map((b) => {
    const ms = loadMs(b.name);
    const rss = median((samples.get(b.name) ?? []).map((s) => s.rssBytes));
    return [
      b.name,
      String(sizes.get(b.name) ?? 0),
      kib(sizes.get(b.name) ?? 0),
      spread(ms, 'ms'),
      `${median(cpuMs(b.name)).toFixed(0)} ms`,
      (median(ms) / baseMs).toFixed(2),
      `${(rss / 1048576).toFixed(0)} MiB`,
    ];
  });
  out();
  out(`Module load and initialisation, fresh node per run (${process.version}), ${runs} runs each:`);
  for (const l of table(
    ['bundle', 'bytes', 'size', 'load + init (wall)', 'CPU', 'x baseline', 'RSS after'],
    rows,
    [1, 2, 4, 5, 6],
  ))
    out(`  ${l}`);

  const probeSize = sizes.get(PROBE) ?? Number.NaN;
  const probeMs = median(loadMs(PROBE));
  const figures: Figure[] = [
    {
      section: 'bundles',
      name: `${PROBE} bundle size (minified)`,
      measured: `${kib(probeSize)} (${(probeSize / 1e6).toFixed(2)} MB decimal)`,
      target: '<= 1 MiB (1024 KiB)',
      status: statusOf(probeSize <= SIZE_TARGET_BYTES),
      value: probeSize,
      unit: 'bytes',
    },
    {
      section: 'bundles',
      name: `${PROBE} load + init (median)`,
      measured: `${probeMs.toFixed(0)} ms wall, ${median(cpuMs(PROBE)).toFixed(0)} ms CPU`,
      target: `<= ${LOAD_TARGET_MS} ms`,
      status: statusOf(probeMs <= LOAD_TARGET_MS),
      value: probeMs,
      unit: 'ms',
    },
    {
      section: 'bundles',
      name: '  vs EC2-client-only baseline',
      measured: `${(probeMs / baseMs).toFixed(2)}x wall, ${(median(cpuMs(PROBE)) / median(cpuMs(BASELINE))).toFixed(2)}x CPU (baseline ${baseMs.toFixed(0)} ms, ${kib(sizes.get(BASELINE) ?? 0)})`,
      target: '-',
      status: 'info',
      value: probeMs / baseMs,
    },
  ];
  for (const n of names.filter((x) => x !== PROBE)) {
    figures.push({
      section: 'bundles',
      name: `  ${n} size / load`,
      measured: `${kib(sizes.get(n) ?? 0)} / ${median(loadMs(n)).toFixed(0)} ms`,
      target: '-',
      status: 'info',
    });
  }
  return {
    figures,
    data: {
      sizes: Object.fromEntries(sizes),
      loads: Object.fromEntries(samples),
      baselineEntry: "export { EC2Client, DescribeInstancesCommand } from '@aws-sdk/client-ec2'",
    },
  };
}
