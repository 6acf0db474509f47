/**
 * Figure 2, the Lambda bundles: `node scripts/build.mjs` builds `dist/functions/<name>/index.mjs`;
 * each bundle's size (target: health-probe at most 1 MiB minified) and its module load and
 * initialisation time (target: at most 150 ms here), measured in a fresh `node` per run that
 * imports the bundle and reports `performance.now()` around the import, as Lambda's INIT phase
 * would. A baseline in the same run: a bundle of only `@aws-sdk/client-ec2`, built with the same
 * esbuild options, so the ratio stays meaningful on a slow or busy machine.
 *
 * Source maps: each bundle runs as deployed, its `index.mjs.map` beside it, read by the bundle
 * itself on its first stack trace (shared/runtime/source-mapped-stacks.ts); the same loads under
 * Node's own `--enable-source-maps`, which reads the map at load, are the comparison (the
 * alternative docs/decisions/0009 rejects). Also measured: the map's size (raw and deflated, as in
 * the zip), and the first stack trace of an invocation that fails (the handler without its
 * environment throws a ConfigInvalidError), which parses the map.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
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

/**
 * Runs in a fresh node: only the import is timed, not node's own start. Then, for a function
 * bundle, one invocation that fails (no environment): the time until its error's stack is a
 * string, and whether that stack names a TypeScript source.
 */
const LOADER = `
const c0 = process.cpuUsage();
const t0 = performance.now();
const mod = await import(process.argv[1]);
const t1 = performance.now();
const c1 = process.cpuUsage(c0);
const m = process.memoryUsage();
let stackMs = null;
let mapped = null;
if (typeof mod.handler === 'function') {
  const s0 = performance.now();
  let stack = '';
  try {
    await mod.handler({ step: 'validate', state: {} }, { getRemainingTimeInMillis: () => 60000, functionName: 'bench', awsRequestId: 'bench', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench' });
  } catch (e) {
    stack = String(e && e.stack);
  }
  stackMs = performance.now() - s0;
  mapped = /\\.ts:\\d+:\\d+/.test(stack);
}
process.stdout.write(JSON.stringify({ loadMs: t1 - t0, cpuMs: (c1.user + c1.system) / 1000, rssBytes: m.rss, heapUsedBytes: m.heapUsed, stackMs, mapped }));
`;

interface LoadSample {
  readonly loadMs: number;
  /** CPU time of the import: less sensitive than wall time to other work on a shared machine. */
  readonly cpuMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** A failing invocation until its error's stack is a string (null for the baseline, which has no handler). */
  readonly stackMs: number | null;
  /** Whether that stack names a .ts source. */
  readonly mapped: boolean | null;
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  // tsx registers its loader for children through NODE_OPTIONS; a bundle must load on plain node.
  delete env.NODE_OPTIONS;
  // The failing invocation fails on its missing environment, before any AWS call.
  delete env.PAN_FAILOVER_TABLE;
  return env;
}

async function loadOnce(file: string, nodeSourceMaps: boolean): Promise<LoadSample> {
  const { stdout } = await run(
    process.execPath,
    [...(nodeSourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', LOADER, pathToFileURL(file).href],
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
  // What each zip carries of the bundle: index.mjs and its source map, deflated as in the zip.
  const shipped = new Map<string, { mapBytes: number; deflatedBundle: number; deflatedMap: number }>();
  for (const n of names) {
    const code = await readFile(join(dir, n, 'index.mjs'));
    const map = await readFile(join(dir, n, 'index.mjs.map'));
    shipped.set(n, { mapBytes: map.length, deflatedBundle: deflateRawSync(code).length, deflatedMap: deflateRawSync(map).length });
  }

  // Each bundle as deployed, and under Node's --enable-source-maps. One discarded load each (disk
  // cache), then rounds in rotating order so drift hits all alike.
  const modes = [false, true] as const;
  const key = (name: string, nodeMaps: boolean) => `${name}${nodeMaps ? ' (--enable-source-maps)' : ''}`;
  const runsOf = bundles.flatMap((b) => modes.map((nodeMaps) => ({ ...b, nodeMaps, key: key(b.name, nodeMaps) })));
  for (const b of runsOf) await loadOnce(b.file, b.nodeMaps);
  const samples = new Map<string, LoadSample[]>(runsOf.map((b) => [b.key, []]));
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < runsOf.length; k++) {
      const b = runsOf[(k + r) % runsOf.length] as (typeof runsOf)[number];
      samples.get(b.key)?.push(await loadOnce(b.file, b.nodeMaps));
    }
  }
  const of = (name: string, nodeMaps = false) => samples.get(key(name, nodeMaps)) ?? [];
  const loadMs = (name: string, nodeMaps = false) => of(name, nodeMaps).map((s) => s.loadMs);
  const cpuMs = (name: string, nodeMaps = false) => of(name, nodeMaps).map((s) => s.cpuMs);
  const stackMs = (name: string, nodeMaps = false) => of(name, nodeMaps).flatMap((s) => (s.stackMs === null ? [] : [s.stackMs]));
  const baseMs = median(loadMs(BASELINE));
  const rows = runsOf.map((b) => {
    const ms = loadMs(b.name, b.nodeMaps);
    const rss = median(of(b.name, b.nodeMaps).map((s) => s.rssBytes));
    const stack = stackMs(b.name, b.nodeMaps);
    return [
      b.key,
      String(sizes.get(b.name) ?? 0),
      kib(sizes.get(b.name) ?? 0),
      spread(ms, 'ms'),
      `${median(cpuMs(b.name, b.nodeMaps)).toFixed(0)} ms`,
      (median(ms) / baseMs).toFixed(2),
      `${(rss / 1048576).toFixed(0)} MiB`,
      stack.length > 0 ? `${median(stack).toFixed(0)} ms` : '-',
    ];
  });
  out();
  out(`Module load and initialisation, fresh node per run (${process.version}), ${runs} runs each, as deployed and under Node's --enable-source-maps:`);
  for (const l of table(
    ['bundle', 'bytes', 'size', 'load + init (wall)', 'CPU', 'x baseline', 'RSS after', 'first error stack'],
    rows,
    [1, 2, 4, 5, 6, 7],
  ))
    out(`  ${l}`);
  out();
  out('Shipped in each zip (deflated as in the zip):');
  for (const l of table(
    ['function', 'index.mjs', 'index.mjs.map', 'deflated: bundle', 'bundle + map'],
    names.map((n) => {
      const z = shipped.get(n);
      return [n, kib(sizes.get(n) ?? 0), kib(z?.mapBytes ?? 0), kib(z?.deflatedBundle ?? 0), kib((z?.deflatedBundle ?? 0) + (z?.deflatedMap ?? 0))];
    }),
    [1, 2, 3, 4],
  ))
    out(`  ${l}`);

  const probeSize = sizes.get(PROBE) ?? Number.NaN;
  const probeMs = median(loadMs(PROBE));
  const probeNodeMapsMs = median(loadMs(PROBE, true));
  const probeZip = shipped.get(PROBE);
  const unmapped = names.filter((n) => of(n).some((s) => s.mapped !== true));
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
      name: '  its source map, shipped beside it',
      measured: `${kib(probeZip?.mapBytes ?? 0)} (zip payload ${kib(probeZip?.deflatedBundle ?? 0)} -> ${kib((probeZip?.deflatedBundle ?? 0) + (probeZip?.deflatedMap ?? 0))} deflated)`,
      target: '-',
      status: 'info',
      value: probeZip?.mapBytes ?? 0,
      unit: 'bytes',
    },
    {
      section: 'bundles',
      name: `${PROBE} load + init, as deployed (median)`,
      measured: `${probeMs.toFixed(0)} ms wall, ${median(cpuMs(PROBE)).toFixed(0)} ms CPU`,
      target: `<= ${LOAD_TARGET_MS} ms`,
      status: statusOf(probeMs <= LOAD_TARGET_MS),
      value: probeMs,
      unit: 'ms',
    },
    {
      section: 'bundles',
      name: "  under Node's --enable-source-maps instead",
      measured: `${probeNodeMapsMs.toFixed(0)} ms wall, ${median(cpuMs(PROBE, true)).toFixed(0)} ms CPU (${(median(cpuMs(PROBE, true)) / median(cpuMs(PROBE))).toFixed(2)}x CPU)`,
      target: '-',
      status: 'info',
      value: probeNodeMapsMs,
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
    {
      section: 'bundles',
      name: `${PROBE} first error stack of a container (median)`,
      measured: `${median(stackMs(PROBE)).toFixed(0)} ms (the map is parsed once per container; ${median(stackMs(PROBE, true)).toFixed(0)} ms under --enable-source-maps)`,
      target: '-',
      status: 'info',
      value: median(stackMs(PROBE)),
      unit: 'ms',
    },
    {
      section: 'bundles',
      name: 'stack traces of the deployed bundles name the .ts sources',
      measured: unmapped.length === 0 ? `all ${names.length} bundles` : `not: ${unmapped.join(', ')}`,
      target: 'all bundles',
      status: statusOf(unmapped.length === 0),
    },
  ];
  for (const n of names.filter((x) => x !== PROBE)) {
    figures.push({
      section: 'bundles',
      name: `  ${n} size + map / load (as deployed, --enable-source-maps)`,
      measured: `${kib(sizes.get(n) ?? 0)} + ${kib(shipped.get(n)?.mapBytes ?? 0)} / ${median(loadMs(n)).toFixed(0)} ms, ${median(loadMs(n, true)).toFixed(0)} ms`,
      target: '-',
      status: 'info',
    });
  }
  return {
    figures,
    data: {
      sizes: Object.fromEntries(sizes),
      shipped: Object.fromEntries(shipped),
      loads: Object.fromEntries(samples),
      baselineEntry: "export { EC2Client, DescribeInstancesCommand } from '@aws-sdk/client-ec2'",
    },
  };
}
