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
import { lambdaContext } from '#sim/runtime/lambda.js';
import { DEFAULT_CONFIG } from '#sim/scenario/run.js';
import { SIM_TABLE } from '#sim/scenario/topology-from-config.js';
import { SimSystem } from '#sim/system.js';
import {
  HOURS_PER_MONTH,
  controllerCost,
  dynamoItemBytes,
  lambdaFreeTierCredit,
  requestUnits,
  standbyCost,
  total,
  type CostInputs,
} from '../lib/cost-model.js';
import { PROBE_MEMORY_MB } from '../lib/deployed.js';
import { table, usd, type BenchContext, type Figure, type SectionResult } from '../lib/report.js';
import { BenchSetupError, probeDepsOn } from '../lib/sim-deps.js';
import type { RehearsalFacts } from './rehearsal.js';

const SPEED = 30;
/** Billed duration of one probe invocation: six rounds ten seconds apart, the last one up to its 4 s timeout, plus init. */
const BILLED_DURATION_S = 55;
const MEMORY_MB = PROBE_MEMORY_MB;
/** Lambda's own lines per invocation (START, END, REPORT), which the function does not write. */
const PLATFORM_LOG_BYTES = 350;
const ASSUMED = {
  flowsPerMonth: 2,
  alertsPerMonth: 30,
  controllerAlarms: 4,
  dashboards: 1,
  vmSeriesDiskGb: 60,
  coldDrillHours: 1,
} as const;

export interface SteadyState {
  readonly invocationSimSeconds: number;
  readonly rounds: number;
  readonly requests: Readonly<Record<string, number>>;
  readonly readsPerRound: number;
  readonly writesPerRound: number;
  readonly largestItemBytes: number;
  readonly metricCombinations: readonly string[];
  readonly logBytesPerInvocation: number;
  readonly statusCheckAlarms: number;
  readonly secretsInConfig: number;
  readonly firewallsProbedEachRound: number;
}

const probeRounds = (system: SimSystem) => system.logs.filter((l) => l.fn === 'health-probe' && l.message === 'probe round').length;

/** Bytes the deployed handler writes to stdout and stderr in one invocation, with the real Powertools. */
async function logBytesOfOneInvocation(system: SimSystem): Promise<number> {
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
    await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext('health-probe', system.clock, 70_000));
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
    const t0 = system.clock.now();
    await system.invokeProbe();
    const invocationSimSeconds = (system.clock.now() - t0) / 1000;
    const rounds = probeRounds(system) - before;
    if (rounds === 0) throw new BenchSetupError('the probe invocation ran no round');
    const requests = aws.requestCounts();
    const get = (k: string) => requests[k] ?? 0;
    const items = system.world.dynamodb.scan(SIM_TABLE);
    const logBytes = await logBytesOfOneInvocation(system);
    const pair = system.pair();
    return {
      invocationSimSeconds,
      rounds,
      requests,
      readsPerRound: (get('dynamodb:GetItem') + get('dynamodb:Query') + get('dynamodb:Scan')) / rounds,
      writesPerRound: (get('dynamodb:PutItem') + get('dynamodb:UpdateItem') + get('dynamodb:DeleteItem')) / rounds,
      largestItemBytes: Math.max(0, ...items.map((i) => dynamoItemBytes(i))),
      metricCombinations: [...combos].sort(),
      logBytesPerInvocation: logBytes,
      statusCheckAlarms: system.world.cloudwatch.describeAlarms().length,
      secretsInConfig: [pair.firewalls.primary, pair.firewalls.secondary].filter((f) => 'secretsManager' in f.apiKey).length,
      firewallsProbedEachRound: pair.standbyMode === 'cold' ? 1 : 2,
    };
  } finally {
    await system.close();
  }
}

export async function costSection(ctx: BenchContext, rehearsal: RehearsalFacts): Promise<SectionResult> {
  const { out } = ctx;
  const s = await measureSteadyState();
  const failover = rehearsal.executions.find((x) => x.action === 'failover' && x.status === 'SUCCEEDED');
  if (!failover) throw new BenchSetupError('the rehearsal has no successful failover execution to count transitions from');
  const invocations = HOURS_PER_MONTH * 60;
  const snsPerFlow = rehearsal.snsMessages / Math.max(1, rehearsal.executions.length);
  const inputs: CostInputs = {
    probeInvocations: invocations,
    probeDurationSeconds: BILLED_DURATION_S,
    probeMemoryMb: MEMORY_MB,
    roundsPerInvocation: s.rounds,
    dynamoReadsPerRound: s.readsPerRound,
    dynamoWritesPerRound: s.writesPerRound,
    readUnitsPerRead: requestUnits(s.largestItemBytes, 'read'),
    writeUnitsPerWrite: requestUnits(s.largestItemBytes, 'write'),
    customMetrics: s.metricCombinations.length,
    logBytesPerInvocation: s.logBytesPerInvocation + PLATFORM_LOG_BYTES,
    flowsPerMonth: ASSUMED.flowsPerMonth,
    transitionsPerFlow: failover.transitions,
    alarms: s.statusCheckAlarms + ASSUMED.controllerAlarms,
    dashboards: ASSUMED.dashboards,
    snsPublishesPerMonth: Math.round(ASSUMED.flowsPerMonth * snsPerFlow + ASSUMED.alertsPerMonth),
    secrets: s.secretsInConfig,
    // Each probed firewall's key is re-read when the reader's cache expires.
    secretCallsPerMonth: s.firewallsProbedEachRound * ((HOURS_PER_MONTH * 3_600_000) / DEFAULT_SECRET_CACHE_TTL_MS),
  };

  out('Measured (steady state of the hq-egress example, cold standby; deployed probe handler over the wire):');
  out(`  ${s.rounds} probe rounds per invocation, ${s.invocationSimSeconds.toFixed(1)} simulated s per invocation`);
  out(`  DynamoDB per round: ${s.readsPerRound.toFixed(2)} strongly consistent reads, ${s.writesPerRound.toFixed(2)} writes; largest item ${s.largestItemBytes} B`);
  out(`  AWS requests of one invocation: ${Object.entries(s.requests).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out(`  ${s.metricCombinations.length} metric/dimension combinations: ${s.metricCombinations.join('; ')}`);
  out(`  ${s.logBytesPerInvocation} B of logs and EMF per invocation (real Powertools, Lambda context fields included)`);
  out(`  failover execution: ${failover.transitions} state transitions, ${failover.lambdaTasks} Lambda tasks; ${rehearsal.snsMessages} SNS messages in the rehearsal`);
  out('Assumptions:');
  out(`  ${HOURS_PER_MONTH} h a month; EventBridge invokes the probe once a minute (${invocations.toLocaleString('en-US')} invocations)`);
  out(`  billed duration ${BILLED_DURATION_S} s per invocation (six rounds 10 s apart, the last up to its 4 s timeout), ${MEMORY_MB} MB`);
  out(`  + ${PLATFORM_LOG_BYTES} B of Lambda platform log lines per invocation; ${ASSUMED.flowsPerMonth} flows a month (a failover and its failback); ${ASSUMED.alertsPerMonth} alerts a month`);
  out(`  alarms: ${s.statusCheckAlarms} EC2 status-check alarms (as the simulator's topology defines) + ${ASSUMED.controllerAlarms} for the controller (probe silent, controller blind, flow failed, failover) -- infra/ defines none yet`);
  out(`  ${ASSUMED.dashboards} dashboard; API keys cached ${DEFAULT_SECRET_CACHE_TTL_MS / 60_000} min; metrics by EMF (no PutMetricData calls); flow functions' own Lambda time not counted (seconds a month)`);
  out(`  VM-Series disk ${ASSUMED.vmSeriesDiskGb} GB gp3; the cold standby runs ${ASSUMED.coldDrillHours} h a month (drill); licences excluded (PAYG rates are an input)`);
  out('  no free tier applied; us-east-1 prices (see bench/lib/cost-model.ts for which are from the reference sheet)');

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

  const figures: Figure[] = [
    {
      section: 'cost',
      name: 'controller, USD a month (x86 / arm64)',
      measured: `${usd(sum.x86)} / ${usd(sum.arm64)}`,
      target: '-',
      status: 'info',
      value: sum.arm64,
      unit: 'USD',
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
  return { figures, data: { steadyState: s, inputs, lines, total: sum, lambdaFreeTierCredit: free, standby, coldTotal } };
}
