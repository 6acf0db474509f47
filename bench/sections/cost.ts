/**
 * Figure 5, the monthly cost model. Counts come from the system itself:
 * - a steady-state wire run of the deployed probe handler (hq-egress example, cold standby):
 *   probe rounds per invocation and their simulated duration, DynamoDB requests per round (the
 *   AWS simulator's request counts) and the stored items' sizes, the distinct metric/dimension
 *   combinations the probe emits, the log bytes one invocation writes with the real Powertools;
 * - the rehearsal: state transitions of a failover execution, SNS messages per flow;
 * and unit prices from `../lib/cost-model.ts`. Compared with a warm standby (a second m5.xlarge
 * running all month) and the cold standby's own cost (its EBS volume).
 */
import { DEFAULT_SECRET_CACHE_TTL_MS } from '#shared/adapters/aws/secrets.js';
import { loadConfigFile } from '#shared/config/load.js';
import { createPowertools } from '#shared/observability/powertools.js';
import { createProbeHandler } from '#functions/health-probe/handler.js';
import { DEFAULT_CONFIG } from '#sim/scenario/run.js';
import { SIM_TABLE } from '#sim/scenario/topology-from-config.js';
import { SimSystem } from '#sim/system.js';
import type { Config } from '#shared/config/schema.js';
import { deployment, LAMBDA_MB_PER_VCPU, PROBE_ROUND_CPU_MS_PER_PAIR, probeMemoryFor } from '../../infra/deployment.js';
import {
  API_KEYS_LINE,
  HOURS_PER_MONTH,
  PRICES,
  type CostLine,
  controllerCost,
  dynamoItemBytes,
  lambdaFreeTierCredit,
  requestUnits,
  standbyCost,
  total,
  type CostInputs,
} from '../lib/cost-model.js';
import { PROBE_MEMORY_MB } from '../lib/deployed.js';
import { statusOf, table, usd, type BenchContext, type Figure, type SectionResult } from '../lib/report.js';
import { BenchSetupError, probeDepsOn } from '../lib/sim-deps.js';
import { MEMORY_HEADROOM, measureProbeMemory } from '../lib/probe-memory.js';
import type { RehearsalFacts } from './rehearsal.js';

/** Low, so the invocation's own work (real milliseconds) is stretched little into simulated seconds. */
const SPEED = 10;
/** Half of the USD 17.10 a month (arm64) measured before the probe's memory, duration and metrics were sized (issue 13). */
const TARGET_USD = 8.55;
const PROBE_MEMORY_INVOCATIONS = 60;
/** Pairs shaped like the example, for the scaling table. */
const PAIR_COUNTS = [1, 10, 50] as const;

/** Lambda's own lines per invocation (START, END, REPORT), which the function does not write. */
const PLATFORM_LOG_BYTES = 350;
const ASSUMED = {
  flowsPerMonth: 2,
  alertsPerMonth: 30,
  dashboards: 1,
  vmSeriesDiskGb: 60,
  coldDrillHours: 1,
} as const;

export interface SteadyState {
  /** The probe loop's execution (a minute's window), simulated seconds. */
  readonly invocationSimSeconds: number;
  /** Each round's probe invocation, simulated seconds. */
  readonly roundSimSeconds: readonly number[];
  /** Invocations that ran no round (the first of an execution that starts between two seconds: it names the grid's first second), simulated seconds. */
  readonly waitSimSeconds: readonly number[];
  readonly rounds: number;
  readonly requests: Readonly<Record<string, number>>;
  readonly readsPerRound: number;
  readonly writesPerRound: number;
  readonly largestItemBytes: number;
  readonly metricCombinations: readonly string[];
  readonly logBytesPerInvocation: number;
  readonly statusCheckAlarms: number;
  /** The example's API keys per store (ADR 0010). */
  readonly secretsInConfig: number;
  readonly parametersInConfig: number;
  readonly firewallsProbedEachRound: number;
}

const probeRounds = (system: SimSystem) => system.logs.filter((l) => l.fn === 'health-probe' && l.message === 'probe round').length;

/** Bytes the deployed handler writes to stdout and stderr in one window of the probe loop (a round per invocation, and the early one), with the real Powertools. */
async function logBytesOfOneWindow(system: SimSystem): Promise<number> {
  const saved = { level: process.env.POWERTOOLS_LOG_LEVEL, metrics: process.env.POWERTOOLS_METRICS_DISABLED, dev: process.env.POWERTOOLS_DEV };
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.POWERTOOLS_DEV;
  const power = createPowertools('health-probe');
  const handler = createProbeHandler(() => Promise.resolve(probeDepsOn(system, power.telemetry)), power);
  let bytes = 0;
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  const stderrWrite = process.stderr.write.bind(process.stderr);
  const count = ((chunk: string | Uint8Array) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = count;
  process.stderr.write = count;
  try {
    // The probe loop as the simulator runs it (SimSystem.invokeProbe), with this handler.
    await system.invokeProbe({ handler: (event, context) => handler(event, context) });
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    for (const [key, value] of [
      ['POWERTOOLS_LOG_LEVEL', saved.level],
      ['POWERTOOLS_METRICS_DISABLED', saved.metrics],
      ['POWERTOOLS_DEV', saved.dev],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  return bytes;
}

export async function measureSteadyState(): Promise<SteadyState> {
  const config = await loadConfigFile(DEFAULT_CONFIG);
  const system = await SimSystem.start({ config, speed: SPEED, transport: 'wire', schedule: false, alarmTrigger: false });
  try {
    const aws = system.aws;
    if (!aws) throw new BenchSetupError('the wire-mode simulator has no AWS server');
    const combos = new Set<string>();
    const cw = system.world.cloudwatch;
    const put = cw.putMetricData.bind(cw);
    cw.putMetricData = (namespace, data) => {
      for (const d of data) {
        const dims = (d.Dimensions ?? []).map((x) => `${x.Name ?? ''}=${x.Value ?? ''}`).sort();
        combos.add(`${d.MetricName ?? ''} {${dims.join(', ')}}`);
      }
      put(namespace, data);
    };
    // The first invocation records the bootstrap owner and fills the secret cache: not steady state.
    await system.invokeProbe();
    aws.resetCounts();
    const before = probeRounds(system);
    const invocationsBefore = system.probeInvocations.length;
    await system.invokeProbe();
    const window = system.probeWindows.at(-1);
    if (!window) throw new BenchSetupError('the probe loop recorded no execution');
    const invocationSimSeconds = window.ms / 1000;
    const invocations = system.probeInvocations.slice(invocationsBefore);
    const roundSimSeconds = invocations.filter((i) => i.ranRound).map((i) => i.ms / 1000);
    const waitSimSeconds = invocations.filter((i) => !i.ranRound).map((i) => i.ms / 1000);
    const rounds = probeRounds(system) - before;
    if (rounds === 0) throw new BenchSetupError('the probe invocation ran no round');
    const requests = aws.requestCounts();
    const get = (k: string) => requests[k] ?? 0;
    const items = system.world.dynamodb.scan(SIM_TABLE);
    const logBytes = await logBytesOfOneWindow(system);
    const pair = system.pair();
    return {
      invocationSimSeconds,
      roundSimSeconds,
      waitSimSeconds,
      rounds,
      requests,
      readsPerRound: (get('dynamodb:GetItem') + get('dynamodb:Query') + get('dynamodb:Scan')) / rounds,
      writesPerRound: (get('dynamodb:PutItem') + get('dynamodb:DeleteItem')) / rounds,
      largestItemBytes: Math.max(0, ...items.map((i) => dynamoItemBytes(i))),
      metricCombinations: [...combos].sort(),
      logBytesPerInvocation: logBytes,
      statusCheckAlarms: system.world.cloudwatch.describeAlarms().length,
      secretsInConfig: [pair.firewalls.primary, pair.firewalls.secondary].filter((f) => 'secretsManager' in f.apiKey).length,
      parametersInConfig: [pair.firewalls.primary, pair.firewalls.secondary].filter((f) => 'ssmParameter' in f.apiKey).length,
      firewallsProbedEachRound: pair.standbyMode === 'cold' ? 1 : 2,
    };
  } finally {
    await system.close();
  }
}

/**
 * Inputs of `pairs` pairs shaped like the example: per-pair quantities times the pairs, the
 * probe's memory as the deployment sizes it for them, the rest as measured.
 */
function scaled(base: CostInputs, s: SteadyState, pairs: number, configFor: (pairs: number) => Config): CostInputs {
  const config = configFor(pairs);
  const memoryMb = probeMemoryFor(config);
  return {
    ...base,
    probeMemoryMb: memoryMb,
    probeDurationSeconds: windowInvocations(s, pairs, memoryMb).meanSeconds,
    dynamoReadsPerRound: s.readsPerRound * pairs,
    dynamoWritesPerRound: s.writesPerRound * pairs,
    customMetrics: s.metricCombinations.length * pairs,
    // Each pair's lines (round log, EMF) repeat; Lambda's own lines do not.
    logBytesPerInvocation: s.logBytesPerInvocation * pairs + PLATFORM_LOG_BYTES * s.rounds,
    alarms: alarmsOf(config),
    secrets: s.secretsInConfig * pairs,
    secretCallsPerMonth: base.secretCallsPerMonth * pairs,
    ssmParameters: s.parametersInConfig * pairs,
    ssmDecryptsPerMonth: (base.ssmDecryptsPerMonth ?? 0) * pairs,
    snsPublishesPerMonth: base.snsPublishesPerMonth * pairs,
    flowsPerMonth: base.flowsPerMonth * pairs,
  };
}

/**
 * Reads a month of the keys of one store: each probed firewall's key is re-read when the reader's
 * cache expires; `inStore` of the pair's keys are in that store.
 */
function keyReadsPerMonth(s: SteadyState, inStore: number): number {
  const keys = s.secretsInConfig + s.parametersInConfig;
  return keys === 0 ? 0 : ((s.firewallsProbedEachRound * inStore) / keys) * ((HOURS_PER_MONTH * 3_600_000) / DEFAULT_SECRET_CACHE_TTL_MS);
}

/**
 * Billed seconds of one round's invocation for `pairs` pairs at `memoryMb`: the shortest measured
 * round of the example (simulated network waits plus this process's CPU, simulators included,
 * stretched by the clock's speed; the shortest is the one least stretched by other work on a
 * shared machine), or, if longer, the round's own CPU at Lambda's share of a core for that memory
 * (PROBE_ROUND_CPU_MS_PER_PAIR per pair, as infra/deployment.ts sizes the memory): with many
 * pairs a round is CPU-bound, not waiting on the network.
 */
export function roundBilledSeconds(s: Pick<SteadyState, 'roundSimSeconds'>, pairs: number, memoryMb: number): number {
  const measured = Math.min(...s.roundSimSeconds);
  const cpu = (pairs * PROBE_ROUND_CPU_MS_PER_PAIR) / 1000 / (memoryMb / LAMBDA_MB_PER_VCPU);
  return Math.ceil(Math.max(measured, cpu) * 1000) / 1000;
}

/**
 * The probe's invocations in one window and their mean billed seconds: the rounds, plus one that
 * runs no round (an execution starts tens of milliseconds after the minute, so its first
 * invocation names the next whole second and the loop waits for it: `loopGrid`), billed at what
 * was measured for it, at least Lambda's 1 ms.
 */
export function windowInvocations(s: Pick<SteadyState, 'roundSimSeconds' | 'waitSimSeconds' | 'rounds'>, pairs: number, memoryMb: number): { count: number; meanSeconds: number } {
  const round = roundBilledSeconds(s, pairs, memoryMb);
  const wait = Math.max(0.001, Math.ceil(Math.max(0, ...s.waitSimSeconds) * 1000) / 1000);
  const count = s.rounds + 1;
  return { count, meanSeconds: Math.ceil(((s.rounds * round + wait) / count) * 1000) / 1000 };
}

/** The alarms infra/deployment.ts generates for `config`. */
function alarmsOf(config: Config): number {
  return Object.values(deployment(config, { stage: 'prod' }).resources).filter((r) => (r as { Type?: string }).Type === 'AWS::CloudWatch::Alarm').length;
}

/** Not in the reference: KMS's always-free requests a month. */
const KMS_FREE_REQUESTS = 20_000;

/** CloudWatch's and Step Functions' always-free allowances, on top of Lambda's (what an otherwise empty account would not pay). */
function freeTierCredit(i: CostInputs, lines: readonly CostLine[]): number {
  const lambda = lambdaFreeTierCredit(i).arm64;
  const line = (item: string) => lines.find((l) => l.item === item)?.arm64 ?? 0;
  const metrics = Math.min(10, i.customMetrics) * PRICES.customMetricPerMonth;
  const alarms = Math.min(10, i.alarms) * PRICES.alarmStandardPerMonth;
  const dashboards = Math.min(3, i.dashboards) * PRICES.dashboardPerMonth;
  const logs = Math.min(line('CloudWatch Logs ingestion'), 5 * PRICES.logsIngestionPerGb);
  const sfn = Math.min(line('Step Functions (Standard)'), (PRICES.sfnFreeTransitions / 1000) * PRICES.sfnPerThousandTransitions);
  // KMS: 20,000 requests a month free (the SecureString API keys' decrypts).
  const kms = (Math.min(KMS_FREE_REQUESTS, i.ssmDecryptsPerMonth ?? 0) / 10_000) * PRICES.kmsPer10kRequests;
  return lambda + metrics + alarms + dashboards + logs + sfn + kms;
}

export async function costSection(ctx: BenchContext, rehearsal: RehearsalFacts): Promise<SectionResult> {
  const { out } = ctx;
  const s = await measureSteadyState();
  const memoryMb = PROBE_MEMORY_MB;
  const memory = await measureProbeMemory(ctx.quick ? 20 : PROBE_MEMORY_INVOCATIONS, memoryMb);
  const peakMiB = memory.peakRssBytes / 1048576;
  const failover = rehearsal.executions.find((x) => x.action === 'failover' && x.status === 'SUCCEEDED');
  if (!failover) throw new BenchSetupError('the rehearsal has no successful failover execution to count transitions from');
  const invocations = HOURS_PER_MONTH * 60;
  const snsPerFlow = rehearsal.snsMessages / Math.max(1, rehearsal.executions.length);
  // Express bills an execution's duration rounded up to 100 ms; Lambda each round's, to the ms.
  const loopSeconds = Math.ceil(s.invocationSimSeconds * 10) / 10;
  const config = await loadConfigFile(DEFAULT_CONFIG);
  const configFor = (pairs: number) => ({ ...config, pairs: Array.from({ length: pairs }, (_, k) => ({ ...config.pairs[0], name: `pair-${k + 1}` })) }) as Config;
  const inputs: CostInputs = {
    loopExecutions: invocations,
    loopDurationSeconds: loopSeconds,
    probeInvocations: invocations * windowInvocations(s, 1, memoryMb).count,
    probeDurationSeconds: windowInvocations(s, 1, memoryMb).meanSeconds,
    probeMemoryMb: memoryMb,
    roundsPerInvocation: s.rounds,
    dynamoReadsPerRound: s.readsPerRound,
    dynamoWritesPerRound: s.writesPerRound,
    readUnitsPerRead: requestUnits(s.largestItemBytes, 'read'),
    writeUnitsPerWrite: requestUnits(s.largestItemBytes, 'write'),
    customMetrics: s.metricCombinations.length,
    logBytesPerInvocation: s.logBytesPerInvocation + PLATFORM_LOG_BYTES * s.rounds,
    flowsPerMonth: ASSUMED.flowsPerMonth,
    transitionsPerFlow: failover.transitions,
    alarms: alarmsOf(configFor(1)),
    dashboards: ASSUMED.dashboards,
    snsPublishesPerMonth: Math.round(ASSUMED.flowsPerMonth * snsPerFlow + ASSUMED.alertsPerMonth),
    secrets: s.secretsInConfig,
    // Each probed firewall's key is re-read when the reader's cache expires, from its store.
    secretCallsPerMonth: keyReadsPerMonth(s, s.secretsInConfig),
    ssmParameters: s.parametersInConfig,
    ssmDecryptsPerMonth: keyReadsPerMonth(s, s.parametersInConfig),
  };

  out('Measured (steady state of the hq-egress example, cold standby; deployed probe handler over the wire):');
  const sortedRounds = [...s.roundSimSeconds].sort((a, b) => a - b);
  out(`  the probe loop (Express): ${s.rounds} rounds per execution, ${s.invocationSimSeconds.toFixed(1)} simulated s per execution (billed as such, 100 ms steps, 64 MB)`);
  out(`  a probe invocation per round: ${sortedRounds.map((x) => x.toFixed(2)).join(', ')} simulated s (billed: the shortest, or the CPU model if longer: ${roundBilledSeconds(s, 1, memoryMb)} s, at ${memoryMb} MB)`);
  out(`  and one invocation a window that runs no round (it names the grid's first whole second): ${s.waitSimSeconds.map((x) => x.toFixed(3)).join(', ') || 'none in this window (the execution started on a whole second); one counted'} simulated s`);
  out(
    `  probe memory: peak RSS ${peakMiB.toFixed(0)} MiB over ${memory.invocations} invocations of the built bundle in a fresh node with Lambda's V8 limits for ${memoryMb} MB (${(memory.afterInitRssBytes / 1048576).toFixed(0)} MiB after init; heap used ${(memory.heapUsedBytes / 1048576).toFixed(0)} MiB at the end${memory.failed > 0 ? `; ${memory.failed} invocations FAILED` : ''})`,
  );
  out(`  DynamoDB per round: ${s.readsPerRound.toFixed(2)} strongly consistent reads, ${s.writesPerRound.toFixed(2)} writes; largest item ${s.largestItemBytes} B`);
  out(`  AWS requests of one invocation: ${Object.entries(s.requests).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out(`  ${s.metricCombinations.length} metric/dimension combinations written every round: ${s.metricCombinations.join('; ')}`);
  out('  event metrics (FailoverDecision, ProbeAlert, ControllerBlind, Paused, DriftedObjects) are written only in the rounds where they happen,');
  out(`  and CloudWatch bills a metric for the hours in which it is written: an incident hour costs ${usd((5 * PRICES.customMetricPerMonth) / HOURS_PER_MONTH)} at most, a quiet month nothing`);
  out(`  ${s.logBytesPerInvocation} B of logs and EMF per minute (${s.rounds} invocations; real Powertools, Lambda context fields included)`);
  out(`  failover execution: ${failover.transitions} state transitions, ${failover.lambdaTasks} Lambda tasks; ${rehearsal.snsMessages} SNS messages in the rehearsal`);
  out('Assumptions:');
  out(`  ${HOURS_PER_MONTH} h a month; EventBridge starts the probe loop once a minute (${invocations.toLocaleString('en-US')} executions, ${inputs.probeInvocations.toLocaleString('en-US')} probe invocations: ${s.rounds} rounds and 1 wait each)`);
  out(`  the probe's memory as deployed (serverless.yml): ${memoryMb} MB`);
  out(`  a round's invocation billed at the shortest measured round, or its CPU at Lambda's share of a core if longer (${PROBE_ROUND_CPU_MS_PER_PAIR} ms a pair on a core)`);
  out(`  + ${PLATFORM_LOG_BYTES} B of Lambda platform log lines per invocation; ${ASSUMED.flowsPerMonth} flows a month (a failover and its failback); ${ASSUMED.alertsPerMonth} alerts a month`);
  out(`  alarms as infra/deployment.ts generates them: ${inputs.alarms} for one pair (EC2 status checks, probe silent, controller blind per pair; probe errors, flow failed, flow timed out)`);
  out(`  ${ASSUMED.dashboards} dashboard; API keys cached ${DEFAULT_SECRET_CACHE_TTL_MS / 60_000} min; metrics by EMF (no PutMetricData calls); flow functions' own Lambda time not counted (seconds a month)`);
  out(`  VM-Series disk ${ASSUMED.vmSeriesDiskGb} GB gp3; the cold standby runs ${ASSUMED.coldDrillHours} h a month (drill); licences excluded (PAYG rates are an input)`);
  out('  no free tier applied (shown separately); us-east-1 prices (see bench/lib/cost-model.ts for which are from the reference sheet)');

  const lines = controllerCost(inputs);
  const sum = total(lines);
  const free = lambdaFreeTierCredit(inputs);
  const rows = [
    ...lines.map((l) => [l.item, l.quantity, l.unitPrice, usd(l.x86), usd(l.arm64)]),
    ['controller total', '', '', usd(sum.x86), usd(sum.arm64)],
    ['  if the Lambda free tier is unused', '', '', usd(sum.x86 - free.x86), usd(sum.arm64 - free.arm64)],
  ];
  out();
  out('Monthly cost of the controller (USD):');
  for (const l of table(['item', 'quantity a month', 'unit price (USD)', 'x86', 'arm64'], rows, [3, 4])) out(`  ${l}`);

  const perPairs = PAIR_COUNTS.map((n) => {
    const i = scaled(inputs, s, n, configFor);
    const l = controllerCost(i);
    const t = total(l).arm64;
    return { pairs: n, arm64: t, freeTier: Math.max(0, t - freeTierCredit(i, l)), lines: l };
  });
  out();
  out(`By number of pairs (arm64, USD a month; one probe loop and function for all pairs, pairs probed concurrently in each round; its memory as the deployment sizes it: ${PAIR_COUNTS.map((n) => `${n} pairs ${probeMemoryFor(configFor(n))} MB`).join(', ')}):`);
  const big = (n: number, item: string) => usd(perPairs.find((p) => p.pairs === n)?.lines.find((l) => l.item === item)?.arm64 ?? 0);
  for (const l of table(
    ['pairs', 'total', 'with the always-free tiers', 'probe compute', 'metrics', 'alarms', 'API keys', 'DynamoDB'],
    perPairs.map((p) => [
      String(p.pairs),
      usd(p.arm64),
      usd(p.freeTier),
      big(p.pairs, 'probe Lambda compute'),
      big(p.pairs, 'custom metrics (EMF)'),
      big(p.pairs, 'alarms (standard resolution)'),
      big(p.pairs, API_KEYS_LINE),
      usd((p.lines.find((l) => l.item === 'DynamoDB reads (on-demand)')?.arm64 ?? 0) + (p.lines.find((l) => l.item === 'DynamoDB writes (on-demand)')?.arm64 ?? 0)),
    ]),
    [1, 2, 3, 4, 5, 6, 7],
  )) out(`  ${l}`);
  out('  always-free tiers: Lambda 400,000 GB-s and 1M requests, 10 custom metrics, 10 alarms, 3 dashboards, 5 GB of logs, 4,000 state transitions, 20,000 KMS requests');

  const standby = standbyCost({ ebsGb: ASSUMED.vmSeriesDiskGb, coldRunHours: ASSUMED.coldDrillHours });
  const coldTotal = standby.cold + sum.arm64;
  out();
  out('Standby designs, per month (USD, licences excluded):');
  const cmp = [
    ['cold standby (this project)', `EBS ${usd(standby.ebs)} + ${ASSUMED.coldDrillHours} h drill ${usd(standby.cold - standby.ebs)} + controller (arm64) ${usd(sum.arm64)}`, usd(coldTotal)],
    ['warm standby', `m5.xlarge ${HOURS_PER_MONTH} h ${usd(standby.warm - standby.ebs)} + EBS ${usd(standby.ebs)}`, usd(standby.warm)],
    ['difference', `the warm standby costs ${(standby.warm / coldTotal).toFixed(1)}x as much`, usd(standby.warm - coldTotal)],
  ];
  for (const l of table(['design', 'made of', 'USD'], cmp, [2])) out(`  ${l}`);

  const ten = perPairs.find((p) => p.pairs === 10);
  const fifty = perPairs.find((p) => p.pairs === 50);
  const one = perPairs.find((p) => p.pairs === 1);
  const figures: Figure[] = [
    {
      section: 'cost',
      name: 'controller, USD a month, 1 pair (arm64; x86)',
      measured: `${usd(sum.arm64)} (x86 ${usd(sum.x86)})`,
      target: `<= ${TARGET_USD.toFixed(2)} (half of 17.10)`,
      status: statusOf(sum.arm64 <= TARGET_USD),
      value: sum.arm64,
      unit: 'USD',
    },
    {
      section: 'cost',
      name: '  10 / 50 pairs, USD a month (arm64)',
      measured: `${usd(ten?.arm64 ?? 0)} / ${usd(fifty?.arm64 ?? 0)}`,
      target: '-',
      status: 'info',
      value: fifty?.arm64,
      unit: 'USD',
    },
    {
      section: 'cost',
      name: '  with the always-free tiers, 1 / 10 / 50 pairs',
      measured: `${usd(one?.freeTier ?? 0)} / ${usd(ten?.freeTier ?? 0)} / ${usd(fifty?.freeTier ?? 0)}`,
      target: '-',
      status: 'info',
    },
    {
      section: 'cost',
      name: 'probe memory: measured peak vs deployed',
      measured: `${peakMiB.toFixed(0)} MiB peak RSS (${memory.invocations} invocations), ${memoryMb} MB deployed`,
      target: `deployed >= ${MEMORY_HEADROOM} x peak`,
      status: statusOf(memory.failed === 0 && memoryMb >= peakMiB * MEMORY_HEADROOM),
      value: peakMiB,
      unit: 'MiB',
    },
    {
      section: 'cost',
      name: '  cold design vs warm standby, USD a month',
      measured: `${usd(coldTotal)} vs ${usd(standby.warm)}`,
      target: '-',
      status: 'info',
      value: coldTotal,
      unit: 'USD',
    },
  ];
  return { figures, data: { steadyState: s, memory, memoryMb, inputs, lines, total: sum, lambdaFreeTierCredit: free, perPairs: perPairs.map(({ lines: _l, ...rest }) => rest), standby, coldTotal } };
}
