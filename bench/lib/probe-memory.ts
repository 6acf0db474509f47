/**
 * The health probe's memory, measured the way Lambda reports it ("Max Memory Used": the peak
 * resident set of the runtime's process): the deployed bundle (built with the project's esbuild
 * options) runs in a fresh `node` with the function's environment, invoked repeatedly against the
 * wire simulator (AWS APIs over HTTP, the PAN-OS simulators over HTTPS) running in this process;
 * the child reports its peak RSS (`process.resourceUsage().maxRSS`) after the last invocation.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { loadConfigFile } from '#shared/config/load.js';
import type { Config } from '#shared/config/schema.js';
import { simAccessKeyId } from '#sim/iam/deployed-roles.js';
import { DEFAULT_CONFIG, PROJECT_ROOT } from '#sim/scenario/run.js';
import { SIM_TABLE } from '#sim/scenario/topology-from-config.js';
import { SimSystem } from '#sim/system.js';
import { lambdaBuildOptions } from '../../scripts/lambda-esbuild.mjs';
import { PROBE_MEMORY_HEADROOM } from '../../infra/deployment.js';

const exec = promisify(execFile);

/** The V8 limits Lambda's Node.js bootstrap gives a function of `memoryMb`: a tenth for the new space (two semi-spaces), the rest old space. */
export function lambdaNodeFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

/** The child: imports the bundle, invokes its handler `n` times (one round each), writes its peak. */
const CHILD = `
const [bundle, n, out, memoryMb] = process.argv.slice(1);
const { writeFileSync } = await import('node:fs');
const mod = await import(bundle);
const afterInit = process.memoryUsage().rss;
let failed = 0;
let firstFailure;
const ms = [];
const cpuMs = [];
for (let i = 0; i < Number(n); i++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  // Lambda's remaining time, counting down: long enough for one round of many pairs, too short for a second.
  const deadline = Date.now() + 15000;
  const context = {
    callbackWaitsForEmptyEventLoop: false, functionName: 'pan-failover-health-probe', functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:pan-failover-health-probe', memoryLimitInMB: memoryMb,
    awsRequestId: 'bench-' + i, logGroupName: '/aws/lambda/pan-failover-health-probe', logStreamName: 'bench',
    getRemainingTimeInMillis: () => deadline - Date.now(), done() {}, fail() {}, succeed() {},
  };
  const r = await mod.handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, context).catch((e) => ({ error: String(e && e.stack || e) }));
  if (!r || r.rounds !== 1) {
    failed++;
    firstFailure ??= r && r.error ? r.error.slice(0, 2000) : JSON.stringify(r).slice(0, 2000);
  }
  ms.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpuMs.push((c.user + c.system) / 1000);
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const m = process.memoryUsage();
writeFileSync(out, JSON.stringify({ peakRssBytes: process.resourceUsage().maxRSS * 1024, afterInitRssBytes: afterInit, rssBytes: m.rss, heapUsedBytes: m.heapUsed, failed, firstFailure, medianInvocationMs: med(ms), medianInvocationCpuMs: med(cpuMs), firstInvocationCpuMs: cpuMs[0] }));
`;

export interface ProbeMemory {
  readonly invocations: number;
  readonly failed: number;
  /** The first failed invocation's error (or its summary), when one failed. */
  readonly firstFailure?: string;
  readonly peakRssBytes: number;
  readonly afterInitRssBytes: number;
  readonly heapUsedBytes: number;
  /** Median wall time of one invocation (one round), child and simulators sharing this machine. */
  readonly medianInvocationMs: number;
  /** CPU time of the probe's process alone (user + system) in one invocation: the median, and the first (connections set up). */
  readonly medianInvocationCpuMs: number;
  readonly firstInvocationCpuMs: number;
}

/** `config`: the example's (hq-egress) unless given, e.g. 50 pairs for the scale section. */
export async function measureProbeMemory(invocations: number, memoryMb: number, config?: Config): Promise<ProbeMemory> {
  const dir = join(PROJECT_ROOT, 'dist', 'bench', 'probe-memory');
  await mkdir(dir, { recursive: true });
  const bundle = join(dir, 'index.mjs');
  await build({ ...lambdaBuildOptions(PROJECT_ROOT), entryPoints: [join(PROJECT_ROOT, 'functions', 'health-probe', 'handler.ts')], outfile: bundle, logLevel: 'error' });
  const system = await SimSystem.start({ config: config ?? (await loadConfigFile(DEFAULT_CONFIG)), speed: 1, transport: 'wire', schedule: false, alarmTrigger: false, clockStart: Date.now() - 3_600_000 });
  try {
    const configPath = join(dir, 'pan-failover.json');
    const out = join(dir, 'result.json');
    await writeFile(configPath, JSON.stringify(system.config));
    // The simulator's isolation already points every AWS_* setting of this process at itself.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PAN_FAILOVER_CONFIG: configPath,
      PAN_FAILOVER_TABLE: SIM_TABLE,
      PAN_FAILOVER_TOPIC_ARN: system.topicArn,
      PAN_FAILOVER_STATE_MACHINE_ARN: system.stateMachineArn,
      AWS_ACCESS_KEY_ID: simAccessKeyId('healthProbe'),
      AWS_SECRET_ACCESS_KEY: 'simulator',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_METRICS_DISABLED: 'false',
      POWERTOOLS_TRACE_ENABLED: 'false',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    // tsx registers its loader for children through NODE_OPTIONS; the bundle runs on plain node.
    delete env.NODE_OPTIONS;
    // Async: the simulators answer from this process's event loop while the child runs.
    await exec(process.execPath, [...lambdaNodeFlags(memoryMb), ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), '--input-type=module', '-e', CHILD, pathToFileURL(bundle).href, String(invocations), out, String(memoryMb)], { env, maxBuffer: 64 * 1024 * 1024 });
    const r = JSON.parse(await readFile(out, 'utf8')) as Omit<ProbeMemory, 'invocations'>;
    return { invocations, ...r };
  } finally {
    await system.close();
  }
}

/** The configured memory must be at least this many times the measured peak (a longer run, a larger answer, a slower GC): the deployment's own rule. */
export const MEMORY_HEADROOM = PROBE_MEMORY_HEADROOM;
