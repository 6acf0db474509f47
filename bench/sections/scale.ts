/**
 * Scale: 50 pairs shaped like the example (4 routes in 2 tables, 2 Elastic IPs each).
 * - One probe round with both firewalls of every pair hung (100 PAN-OS simulators over HTTPS,
 *   real time): it must cost about one probe timeout, not more (target 1.25 x);
 * - the AWS calls of one round for 1, 10 and 50 pairs: EC2 reads are batched across pairs (one
 *   call of each Describe per round, the adapter splitting ids in EC2's chunks), DynamoDB reads
 *   and writes are per pair (each pair's state is its own item);
 * - the built probe bundle at 50 pairs, at the memory the deployment gives them: its peak
 *   resident set and its own CPU per round at Lambda's CPU share for that memory;
 * - 50 failovers cutting over at once (a region-wide event), against EC2's token buckets
 *   (ReplaceRoute and AssociateAddress: 50 burst, 5 per second, shared by the account), on the
 *   discrete-event clock with every EC2 call taking 100 ms: the time to the last pair's verified
 *   placement over the buckets' floor, and calls failing after retries.
 */
import type { Config, PairConfig } from '#shared/config/schema.js';
import { effectiveOwner } from '#shared/domain/placement.js';
import { errorMessage } from '#shared/errors.js';
import { recordingTelemetry } from '#shared/observability/telemetry.js';
import type { Ec2Port } from '#shared/ports/ec2.js';
import { cutover, readPlacement } from '#shared/usecases/flow/cutover.js';
import { probeRound, type ProbeDeps } from '#shared/usecases/probe.js';
import { SIM_STATE_MACHINE, SIM_TABLE, SIM_TOPIC, topologyFromConfig } from '#sim/scenario/topology-from-config.js';
import { SimSystem } from '#sim/system.js';
import { createDirectPorts } from '#sim/world/ports.js';
import { World } from '#sim/world/world.js';
import { benchConfig } from '../lib/bench-config.js';
import { BenchSetupError, probeDepsOn } from '../lib/sim-deps.js';
import { probeMemoryMb } from '../lib/deployed.js';
import { MEMORY_HEADROOM, measureProbeMemory } from '../lib/probe-memory.js';
import { bucketFloorSeconds } from './cutover.js';
import { median, spread, statusOf, table, type BenchContext, type Figure, type SectionResult } from '../lib/report.js';
import { VirtualClock } from '../lib/virtual-clock.js';

const PAIRS = 50;
const ROUND_MAX_RATIO = 1.25;
const CUTOVER_MAX_FLOOR_RATIO = 1.2;
const CALL_LATENCY_MS = 100;

function fiftyPairs(standbyMode: 'cold' | 'warm'): Config {
  return benchConfig(Array.from({ length: PAIRS }, (_, i) => ({ name: `pair-${i + 1}`, index: i, standbyMode, routeTables: 2, routesPerTable: 2, elasticIps: 2 })));
}

/** Counts calls per method of a port object. */
function counting<T extends object>(port: T, counts: Map<string, number>, prefix: string): T {
  return new Proxy(port, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        counts.set(`${prefix}.${String(key)}`, (counts.get(`${prefix}.${String(key)}`) ?? 0) + 1);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** EC2 API requests behind the port calls: DescribeInstances and DescribeInstanceStatus per 100 ids, the others per 200. */
function ec2Requests(deps: ProbeDeps, pairs: readonly PairConfig[]): number {
  const ids = pairs.length * 2;
  const tables = new Set(pairs.flatMap((p) => p.routes.map((r) => r.routeTableId))).size;
  const allocations = pairs.reduce((n, p) => n + p.elasticIps.length, 0);
  void deps;
  return 2 * Math.ceil(ids / 100) + Math.ceil(tables / 200) + Math.ceil(allocations / 200);
}

async function roundsAtScale(ctx: BenchContext): Promise<{ figures: Figure[]; data: Record<string, unknown> }> {
  const { out } = ctx;
  const config = fiftyPairs('warm');
  const names = config.pairs.flatMap((p) => [p.firewalls.primary.name, p.firewalls.secondary.name]);
  const system = await SimSystem.start({ config, speed: 1, transport: 'direct', schedule: false, alarmTrigger: false });
  try {
    const base = probeDepsOn(system, recordingTelemetry());
    const timeoutMs = system.pair().probe.timeoutSeconds * 1000;
    // Warm-up: TLS sessions, key reads, JIT (on a loaded machine the first 100 handshakes at
    // once may outlast the timeout: a few tries).
    const answering = (rs: Awaited<ReturnType<typeof probeRound>>) => rs.length === PAIRS && rs.every((r) => r.firewalls.every((f) => f.observation.api.outcome === 'ok'));
    let warm = await probeRound(base, { readOnly: true });
    for (let i = 0; i < 3 && !answering(warm); i++) warm = await probeRound(base, { readOnly: true });
    if (!answering(warm)) throw new BenchSetupError(`warm-up rounds: ${warm.length} pairs, not all answering`);
    // Calls of one full (deciding, storing) round for 1, 10 and 50 pairs.
    const calls: { pairs: number; ec2Port: number; ec2Api: number; dynamo: number; perPair: Record<string, number> }[] = [];
    for (const n of [1, 10, PAIRS]) {
      const counts = new Map<string, number>();
      const deps: ProbeDeps = { ...base, ec2: counting(base.ec2, counts, 'ec2'), store: counting(base.store, counts, 'dynamodb') };
      const selected = config.pairs.slice(0, n);
      await probeRound(deps, { pairs: selected.map((p) => p.name) });
      const sum = (prefix: string) => [...counts].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
      calls.push({ pairs: n, ec2Port: sum('ec2.'), ec2Api: ec2Requests(base, selected), dynamo: sum('dynamodb.'), perPair: Object.fromEntries(counts) });
    }
    out(`${PAIRS} warm pairs (${names.length} PAN-OS simulators over HTTPS), real time; probe.timeoutSeconds ${timeoutMs / 1000}.`);
    out('  AWS calls of one probe round (EC2 batched across pairs; DynamoDB: each pair\'s own items):');
    for (const l of table(
      ['pairs', 'EC2 port calls', 'EC2 API requests', 'DynamoDB requests', 'per pair'],
      calls.map((c) => [String(c.pairs), String(c.ec2Port), String(c.ec2Api), String(c.dynamo), (c.dynamo / c.pairs).toFixed(1)]),
      [0, 1, 2, 3, 4],
    )) out(`    ${l}`);

    for (const n of names) system.firewall(n).setFaults({ hung: true });
    const hung: number[] = [];
    for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
      const t0 = performance.now();
      const r = await probeRound(base, { readOnly: true });
      hung.push(performance.now() - t0);
      const timeouts = r.flatMap((x) => x.firewalls).filter((f) => f.observation.api.outcome === 'timeout').length;
      if (r.length !== PAIRS || timeouts !== names.length) throw new BenchSetupError(`hung round: ${r.length} pairs, ${timeouts} of ${names.length} timeouts`);
    }
    for (const n of names) system.firewall(n).setFaults({ hung: undefined });
    out(`  round, all ${names.length} firewalls hung: ${spread(hung, 'ms')} for a ${timeoutMs} ms timeout`);
    const hungMedian = median(hung);
    const one = calls.find((c) => c.pairs === 1);
    const fifty = calls.find((c) => c.pairs === PAIRS);
    const figures: Figure[] = [
      {
        section: 'scale',
        name: `probe round, ${PAIRS} pairs, every firewall hung`,
        measured: `${(hungMedian / 1000).toFixed(2)} s (${(hungMedian / timeoutMs).toFixed(2)}x timeout)`,
        target: `<= ${ROUND_MAX_RATIO} x ${timeoutMs / 1000} s timeout`,
        status: statusOf(hungMedian <= timeoutMs * ROUND_MAX_RATIO),
        value: hungMedian,
        unit: 'ms',
      },
      {
        section: 'scale',
        name: `  EC2 calls per round, 1 / 10 / ${PAIRS} pairs`,
        measured: calls.map((c) => c.ec2Port).join(' / '),
        target: 'the same (batched)',
        status: statusOf(one !== undefined && fifty !== undefined && calls.every((c) => c.ec2Port === one.ec2Port) && fifty.ec2Api <= ec2Requests(base, config.pairs)),
        value: fifty?.ec2Port,
      },
      {
        section: 'scale',
        name: `  DynamoDB requests per round, 1 / 10 / ${PAIRS} pairs`,
        measured: calls.map((c) => c.dynamo).join(' / '),
        target: 'per pair (own items)',
        status: 'info',
        value: fifty?.dynamo,
      },
    ];
    return { figures, data: { hungRoundMs: hung, timeoutMs, calls } };
  } finally {
    await system.close();
  }
}

async function simultaneousCutovers(ctx: BenchContext): Promise<{ figures: Figure[]; data: Record<string, unknown> }> {
  const { out } = ctx;
  const config = fiftyPairs('cold');
  const clock = new VirtualClock();
  const world = World.create({ clock, seed: 1 });
  world.load(topologyFromConfig(config, { secrets: {} }));
  world.faults.set({ latency: { 'ec2:*': { fixedMs: CALL_LATENCY_MS } }, throttle: 'aws-defaults' });
  try {
    const ports = createDirectPorts(world, { tableName: SIM_TABLE, topicArn: world.sns.topicArn(SIM_TOPIC), stateMachineArn: world.sfn.stateMachineArn(SIM_STATE_MACHINE) });
    const ec2: Ec2Port = ports.ec2;
    const t0 = clock.now();
    const ends: number[] = [];
    let failures: string[] = [];
    let throttled = 0;
    await clock.run(
      Promise.all(
        config.pairs.map(async (pair) => {
          try {
            const o = await cutover(ec2, pair, 'secondary', clock);
            throttled += o.throttled;
          } catch (e) {
            failures = [...failures, `${pair.name}: ${errorMessage(e)}`];
          } finally {
            ends.push(clock.now() - t0);
          }
        }),
      ),
    );
    world.faults.clear('latency');
    world.faults.clear('throttle');
    const owners = await clock.run(Promise.all(config.pairs.map(async (p) => effectiveOwner(await readPlacement(ec2, p)))));
    const allMoved = owners.every((o) => o === 'secondary');
    const routes = config.pairs.reduce((n, p) => n + p.routes.length, 0);
    const eips = config.pairs.reduce((n, p) => n + p.elasticIps.length, 0);
    const burst = 50;
    const perSecond = 5;
    const floor = Math.max(bucketFloorSeconds(routes, burst, perSecond), bucketFloorSeconds(eips, burst, perSecond));
    const last = Math.max(...ends) / 1000;
    out(
      `${PAIRS} cutovers at once (${routes} ReplaceRoute, ${eips} AssociateAddress), every EC2 call ${CALL_LATENCY_MS} ms, EC2's buckets: last pair done at ${last.toFixed(1)} s sim (median pair ${(median(ends) / 1000).toFixed(1)} s); floor max((${routes} - ${burst}) / ${perSecond}, (${eips} - ${burst}) / ${perSecond}) = ${floor.toFixed(0)} s; ${throttled} throttled and retried; ${failures.length} failed${failures.length > 0 ? `: ${failures.slice(0, 3).join('; ')}` : ''}; ${allMoved ? 'every pair on its standby' : 'NOT every pair moved'}`,
    );
    const figures: Figure[] = [
      {
        section: 'scale',
        name: `${PAIRS} cutovers at once (${routes} routes + ${eips} EIPs)`,
        measured: `${last.toFixed(1)} s sim (${(last / floor).toFixed(2)}x floor), ${failures.length} failed`,
        target: `<= ${CUTOVER_MAX_FLOOR_RATIO} x ${floor.toFixed(0)} s floor, 0 failed`,
        status: statusOf(failures.length === 0 && allMoved && last <= floor * CUTOVER_MAX_FLOOR_RATIO),
        value: last,
        unit: 's',
      },
    ];
    return { figures, data: { lastSeconds: last, floorSeconds: floor, pairEndsMs: ends, throttled, failures, allMoved } };
  } finally {
    world.close();
  }
}

/**
 * The built probe bundle at 50 pairs, in a fresh node with Lambda's V8 limits for the deployed
 * memory (the cost section measures the example's single pair the same way): its peak resident
 * set over repeated one-round invocations must leave the same headroom.
 */
async function memoryAtScale(ctx: BenchContext): Promise<{ figures: Figure[]; data: Record<string, unknown> }> {
  const config = fiftyPairs('warm');
  const memoryMb = probeMemoryMb(config);
  const m = await measureProbeMemory(ctx.quick ? 5 : 20, memoryMb, config);
  const peakMiB = m.peakRssBytes / 1048576;
  // Lambda gives CPU in proportion to memory (1769 MB = one vCPU): the probe process's own CPU
  // of one round (connections included: every call is a fresh TLS connection), stretched.
  const timeoutMs = (config.pairs[0]?.probe.timeoutSeconds ?? 0) * 1000;
  const cpuAtLambdaMs = m.medianInvocationCpuMs * (1769 / memoryMb);
  ctx.out(
    `  the probe bundle at ${PAIRS} warm pairs (${PAIRS * 2} firewalls answering), ${m.invocations} one-round invocations with Lambda's V8 limits for ${memoryMb} MB: peak RSS ${peakMiB.toFixed(0)} MiB (${(m.afterInitRssBytes / 1048576).toFixed(0)} after init), median invocation ${m.medianInvocationMs.toFixed(0)} ms here${m.failed > 0 ? `, ${m.failed} FAILED: ${m.firstFailure ?? ''}` : ''}`,
  );
  ctx.out(
    `  its own CPU per round: median ${m.medianInvocationCpuMs.toFixed(0)} ms (first ${m.firstInvocationCpuMs.toFixed(0)} ms) on this core; at the ${memoryMb} MB the deployment gives ${PAIRS} pairs (${(1769 / memoryMb).toFixed(1)}x slower) ${(cpuAtLambdaMs / 1000).toFixed(2)} s for a ${timeoutMs / 1000} s timeout`,
  );
  return {
    figures: [
      {
        section: 'scale',
        name: `  probe memory at ${PAIRS} pairs: peak vs deployed for ${PAIRS}`,
        measured: `${peakMiB.toFixed(0)} MiB peak RSS, ${memoryMb} MB deployed`,
        target: `deployed >= ${MEMORY_HEADROOM} x peak`,
        status: statusOf(m.failed === 0 && memoryMb >= peakMiB * MEMORY_HEADROOM),
        value: peakMiB,
        unit: 'MiB',
      },
      {
        section: 'scale',
        name: `  probe's own CPU of a ${PAIRS}-pair round at its memory`,
        measured: `${(cpuAtLambdaMs / 1000).toFixed(2)} s (${m.medianInvocationCpuMs.toFixed(0)} ms here x ${(1769 / memoryMb).toFixed(1)})`,
        target: `<= half the ${timeoutMs / 1000} s timeout (infra: probeMemoryFor)`,
        status: statusOf(cpuAtLambdaMs * 2 <= timeoutMs),
        value: cpuAtLambdaMs,
        unit: 'ms',
      },
    ],
    data: { memory: m, memoryMb, cpuAtLambdaMs },
  };
}

export async function scaleSection(ctx: BenchContext): Promise<SectionResult> {
  const rounds = await roundsAtScale(ctx);
  const memory = await memoryAtScale(ctx);
  ctx.out();
  const cut = await simultaneousCutovers(ctx);
  return { figures: [...rounds.figures, ...memory.figures, ...cut.figures], data: { rounds: rounds.data, memory: memory.data, cutovers: cut.data } };
}
