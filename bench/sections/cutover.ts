/**
 * Figure 3, cutover speed (the flow issue's acceptance): every call to EC2 takes 100 ms and EC2's
 * token buckets are enforced (ReplaceRoute and AssociateAddress: 50 burst, 5 per second).
 * - 40 routes in 20 route tables plus 8 Elastic IPs must cut over in at most 1 s (the sequential
 *   baseline, one change after another, takes about 5 s);
 * - 500 routes must finish within 20 % of the buckets' floor, (500 - 50) / 5 = 90 s, with no call
 *   failing after retries.
 *
 * The real `cutover()` runs against the simulated world's direct ports with the world's latency
 * and throttling faults. Time is simulated. The figures that decide come from a discrete-event
 * clock (exact, independent of this machine's load); a run on the real-time `SimClock` is printed
 * beside them as a cross-check of the same code on the clock the simulator uses.
 *
 * The calls are made as the flow-aws role and evaluated against its generated policies (IAM
 * enforced, as everywhere in the simulator). The evaluator reads its data from disk, which a
 * discrete-event clock cannot wait for: the decisions of the cutover's requests are made before
 * the timed part (a request not decided beforehand is still evaluated, only not for free).
 */
import type { Config, PairConfig } from '#shared/config/schema.js';
import type { Clock } from '#shared/ports/clock.js';
import { effectiveOwner } from '#shared/domain/placement.js';
import { errorMessage } from '#shared/errors.js';
import { cutover, readPlacement, type CutoverOutcome } from '#shared/usecases/flow/cutover.js';
import { SimClock } from '#sim/clock.js';
import { SIM_STATE_MACHINE, SIM_TABLE, SIM_TOPIC, topologyFromConfig } from '#sim/scenario/topology-from-config.js';
import { createDirectPorts } from '#sim/world/ports.js';
import { World } from '#sim/world/world.js';
import { createPolicyEvaluator } from '#sim/iam/evaluator.js';
import { simPrincipals } from '#sim/iam/deployed-roles.js';
import type { IamPrincipal } from '#sim/world/iam.js';
import { benchConfig } from '../lib/bench-config.js';
import { statusOf, table, type BenchContext, type Figure, type SectionResult } from '../lib/report.js';
import { VirtualClock } from '../lib/virtual-clock.js';

const CALL_LATENCY_MS = 100;
/** The cross-check's speed: high enough to be quick, low enough that timer granularity stays visible, not dominant. */
const SIM_SPEED = 20;

export interface CutoverCase {
  readonly label: string;
  readonly routeTables: number;
  readonly routesPerTable: number;
  readonly elasticIps: number;
}

export interface CutoverRun {
  readonly clock: string;
  readonly concurrency: number;
  /** Simulated seconds from the first Describe to the verified placement. */
  readonly seconds: number;
  readonly wallMs: number;
  readonly changes: number;
  readonly calls: number;
  readonly throttled: number;
  /** Why the cutover failed, when it did (a missed target, not a broken bench). */
  readonly failure: string | undefined;
  readonly allOnTarget: boolean;
}

const SMALL: CutoverCase = { label: '40 routes in 20 tables + 8 EIPs', routeTables: 20, routesPerTable: 2, elasticIps: 8 };
const LARGE: CutoverCase = { label: '500 routes in 50 tables', routeTables: 50, routesPerTable: 10, elasticIps: 0 };

function configFor(c: CutoverCase, concurrency?: number): Config {
  return benchConfig([
    { name: 'cutover-bench', index: 1, routeTables: c.routeTables, routesPerTable: c.routesPerTable, elasticIps: c.elasticIps, concurrency },
  ]);
}

function worldFor(config: Config, clock: Clock): World {
  const world = World.create({ clock, seed: 1 });
  world.load(topologyFromConfig(config, { secrets: {} }));
  world.faults.set({ latency: { 'ec2:*': { fixedMs: CALL_LATENCY_MS } }, throttle: 'aws-defaults' });
  return world;
}

/** flow-aws's role, enforced in `world`, with the decisions of the cutover's requests made. */
async function enforceFlowAws(world: World, config: Config, pair: PairConfig): Promise<IamPrincipal> {
  const role = simPrincipals(config, { region: world.region, accountId: world.accountId }).flowAws;
  world.iam.enforce(createPolicyEvaluator(), [role]);
  const arn = (resource: string) => `arn:aws:ec2:${world.region}:${world.accountId}:${resource}`;
  const instance = (eni: string) => world.ec2.describeNetworkInterfaces({ ids: [eni] })[0]?.attachment?.instanceId;
  const requests = [
    ...['DescribeInstances', 'DescribeInstanceStatus', 'DescribeRouteTables', 'DescribeAddresses', 'DescribeNetworkInterfaces'].map((a) => ({ action: `ec2:${a}`, resource: '*' })),
    ...[...new Set(pair.routes.map((r) => r.routeTableId))].flatMap((id) => ['ReplaceRoute', 'CreateRoute'].map((a) => ({ action: `ec2:${a}`, resource: arn(`route-table/${id}`) }))),
    ...pair.elasticIps.flatMap((e) => [
      arn(`elastic-ip/${e.allocationId}`),
      arn(`network-interface/${e.secondary.networkInterfaceId}`),
      ...[instance(e.secondary.networkInterfaceId)].flatMap((i) => (i === undefined ? [] : [arn(`instance/${i}`)])),
    ].map((resource) => ({ action: 'ec2:AssociateAddress', resource }))),
  ];
  await Promise.all(requests.map((r) => world.iam.decide(role, { ...r, context: {} })));
  return role;
}

async function drive<T>(clock: Clock, work: Promise<T>): Promise<T> {
  return clock instanceof VirtualClock ? clock.run(work) : work;
}

export async function runCutover(c: CutoverCase, options: { concurrency?: number; clock: 'virtual' | 'sim' }): Promise<CutoverRun> {
  const config = configFor(c, options.concurrency);
  const pair = config.pairs[0] as PairConfig;
  const clock = options.clock === 'virtual' ? new VirtualClock() : new SimClock({ speed: SIM_SPEED });
  const world = worldFor(config, clock);
  try {
    const principal = await enforceFlowAws(world, config, pair);
    const ports = createDirectPorts(world, {
      tableName: SIM_TABLE,
      topicArn: world.sns.topicArn(SIM_TOPIC),
      stateMachineArn: world.sfn.stateMachineArn(SIM_STATE_MACHINE),
      principal,
    });
    const t0 = clock.now();
    const wall0 = performance.now();
    let outcome: CutoverOutcome | undefined;
    let failure: string | undefined;
    try {
      outcome = await drive(clock, cutover(ports.ec2, pair, 'secondary', clock));
    } catch (e) {
      failure = `${e instanceof Error ? e.name : 'Error'}: ${errorMessage(e)}`;
    }
    const seconds = (clock.now() - t0) / 1000;
    const wallMs = performance.now() - wall0;
    // Read back without the latency fault: the check is of the end state, not another timing.
    world.faults.clear('latency');
    const placement = await drive(clock, readPlacement(ports.ec2, pair));
    return {
      clock: options.clock === 'virtual' ? 'discrete-event' : `SimClock x${SIM_SPEED}`,
      concurrency: pair.cutover.concurrency,
      seconds,
      wallMs,
      changes: pair.routes.length + pair.elasticIps.length,
      calls: outcome?.calls ?? 0,
      throttled: outcome?.throttled ?? 0,
      failure: failure ?? (world.iam.records().some((r) => !r.allowed) ? 'IAM denied a call of the cutover' : undefined),
      allOnTarget: effectiveOwner(placement) === 'secondary',
    };
  } finally {
    world.close();
  }
}

/** (changes beyond the burst) / refill rate, for the busiest bucket. */
export function bucketFloorSeconds(changes: number, burst: number, perSecond: number): number {
  return Math.max(0, (changes - burst) / perSecond);
}

export async function cutoverSection(ctx: BenchContext): Promise<SectionResult> {
  const { out } = ctx;
  const defaults = configFor(SMALL).pairs[0] as PairConfig;
  const { rateBurst, ratePerSecond, concurrency } = defaults.cutover;
  out(`Every EC2 call takes ${CALL_LATENCY_MS} ms (simulated); EC2's token buckets enforced (ReplaceRoute, AssociateAddress: 50 burst, 5/s).`);
  out(`Pair defaults: cutover.concurrency ${concurrency}, rateBurst ${rateBurst}, ratePerSecond ${ratePerSecond}. Sequential baseline: concurrency 1.`);

  const runs: { case: CutoverCase; parallel: CutoverRun; sequential: CutoverRun; cross: CutoverRun }[] = [];
  for (const c of [SMALL, LARGE]) {
    const parallel = await runCutover(c, { clock: 'virtual' });
    const sequential = await runCutover(c, { clock: 'virtual', concurrency: 1 });
    const cross = await runCutover(c, { clock: 'sim' });
    runs.push({ case: c, parallel, sequential, cross });
  }

  const rows = runs.flatMap(({ case: c, parallel, sequential, cross }) =>
    [parallel, sequential, cross].map((r) => [
      c.label,
      r.clock,
      String(r.concurrency),
      r.seconds.toFixed(2),
      (r.wallMs / 1000).toFixed(2),
      `${r.calls}/${r.changes}`,
      String(r.throttled),
      r.failure === undefined && r.allOnTarget ? 'all on target' : (r.failure ?? 'NOT all on target'),
    ]),
  );
  out();
  for (const l of table(['case', 'clock', 'conc.', 'simulated s', 'wall s', 'calls/changes', 'throttled', 'end state'], rows, [2, 3, 4, 5, 6])) out(`  ${l}`);

  const [small, large] = runs as [(typeof runs)[number], (typeof runs)[number]];
  const floor = bucketFloorSeconds(large.case.routeTables * large.case.routesPerTable, rateBurst, ratePerSecond);
  const clean = (r: CutoverRun) => r.failure === undefined && r.allOnTarget;
  out();
  out(`  ${small.case.label}: ${small.parallel.seconds.toFixed(2)} s vs sequential ${small.sequential.seconds.toFixed(2)} s (${(small.sequential.seconds / small.parallel.seconds).toFixed(1)}x faster)`);
  out(`  ${large.case.label}: ${large.parallel.seconds.toFixed(1)} s; bucket floor (500 - ${rateBurst}) / ${ratePerSecond} = ${floor.toFixed(0)} s; ratio to floor ${(large.parallel.seconds / floor).toFixed(3)}; sequential ${large.sequential.seconds.toFixed(1)} s (the buckets, not concurrency, bound it)`);
  out(`  The SimClock x${SIM_SPEED} rows run the same code on real timers: the difference is this machine's timer granularity and CPU time, scaled by ${SIM_SPEED}.`);

  const figures: Figure[] = [
    {
      section: 'cutover',
      name: `cutover ${small.case.label}`,
      measured: `${small.parallel.seconds.toFixed(2)} s sim`,
      target: '<= 1 s, all moved',
      status: statusOf(clean(small.parallel) && small.parallel.seconds <= 1),
      value: small.parallel.seconds,
      unit: 's',
    },
    {
      section: 'cutover',
      name: '  sequential baseline (concurrency 1)',
      measured: `${small.sequential.seconds.toFixed(2)} s sim (${(small.sequential.seconds / small.parallel.seconds).toFixed(1)}x)`,
      target: 'about 5 s',
      status: 'info',
      value: small.sequential.seconds,
      unit: 's',
    },
    {
      section: 'cutover',
      name: `cutover ${large.case.label}`,
      measured: `${large.parallel.seconds.toFixed(1)} s sim (${(large.parallel.seconds / floor).toFixed(3)}x floor)`,
      target: `<= 1.2 x ${floor.toFixed(0)} s = ${(floor * 1.2).toFixed(0)} s`,
      status: statusOf(clean(large.parallel) && large.parallel.seconds <= floor * 1.2),
      value: large.parallel.seconds,
      unit: 's',
    },
    {
      section: 'cutover',
      name: '  500 routes: calls failing after retries',
      measured: large.parallel.failure === undefined ? `0 (${large.parallel.throttled} throttled, retried)` : large.parallel.failure,
      target: '0',
      status: statusOf(clean(large.parallel)),
      value: large.parallel.failure === undefined ? 0 : 1,
    },
    {
      section: 'cutover',
      name: '  500 routes: sequential baseline',
      measured: `${large.sequential.seconds.toFixed(1)} s sim (${(large.sequential.seconds / large.parallel.seconds).toFixed(2)}x)`,
      target: '-',
      status: 'info',
      value: large.sequential.seconds,
      unit: 's',
    },
    {
      section: 'cutover',
      name: `  cross-check on SimClock x${SIM_SPEED} (48 / 500 changes)`,
      measured: `${small.cross.seconds.toFixed(2)} s / ${large.cross.seconds.toFixed(1)} s sim`,
      target: '-',
      status: clean(small.cross) && clean(large.cross) ? 'info' : 'MISSED',
    },
  ];
  return { figures, data: { latencyMs: CALL_LATENCY_MS, floorSeconds: floor, runs } };
}
