/**
 * Detection and decision, the cases where the active firewall is really gone: its API dead (2),
 * its instance stopped or terminated (3), flapping (5), and both firewalls down (7). Each ends
 * with the failure-modes consistency rule.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimSystem } from '#sim/system.js';
import { makeConfig } from '../support/config.js';
import {
  consistencyAfter,
  describeRounds,
  eipMoves,
  flowRuns,
  FW_A,
  FW_B,
  instanceState,
  machineryFailures,
  probeRounds,
  routeMoves,
  routeTargets,
  snsSubjects,
  startSystem,
  startedExecutions,
  waitForOwner,
  waitForRound,
  waitForRounds,
  waitForSteadyState,
} from './support/detect-harness.js';

let system: SimSystem | undefined;
afterEach(async () => {
  await system?.close();
  system = undefined;
});

/** What every "one failover onto fw-b" scenario must leave behind. */
async function expectOneFailoverOntoB(sys: SimSystem, failureAt: number): Promise<void> {
  const pair = sys.pair();
  const toB = routeTargets(pair, 'secondary');

  const failovers = flowRuns(sys).filter((f) => f.action === 'failover');
  expect(failovers.map((f) => f.outcome)).toEqual(['succeeded']);
  expect(failovers[0]?.state?.target).toBe('secondary');

  // Each managed route moved exactly once, onto fw-b; each EIP associated once, onto fw-b.
  const moves = routeMoves(sys);
  expect(moves).toHaveLength(pair.routes.length);
  for (const m of moves) expect(toB.has(String(m.data.to))).toBe(true);
  const eips = eipMoves(sys);
  expect(eips).toHaveLength(pair.elasticIps.length);
  for (const e of eips) {
    const mapped = pair.elasticIps.find((x) => x.allocationId === e.resource);
    expect(e.data.networkInterfaceId).toBe(mapped?.secondary.networkInterfaceId);
    expect(e.data.privateIp).toBe(mapped?.secondary.privateIp);
  }

  // Nothing was decided before the failure, and the decision needed the configured streak.
  const decided = probeRounds(sys).filter((r) => r.action === 'failover');
  expect(decided.length).toBeGreaterThan(0);
  expect(decided[0]?.at).toBeGreaterThanOrEqual(failureAt);
  expect(decided[0]?.code).toBe('active-failed');
  const beforeDecision = probeRounds(sys, failureAt).filter((r) => r.at < (decided[0]?.at ?? 0));
  expect(beforeDecision.length).toBeGreaterThanOrEqual(pair.probe.failuresBeforeFailover - 1);
  expect(beforeDecision.every((r) => r.code === 'active-failing')).toBe(true);

  const subjects = snsSubjects(sys);
  expect(subjects).toContain('[pan-failover] hq-egress FAILOVER started: fw-a -> fw-b');
  expect(
    subjects.filter((s) => s.startsWith('[pan-failover] hq-egress FAILOVER succeeded: fw-b is active')),
  ).toHaveLength(1);

  expect((await sys.ownerRecord())?.owner).toBe('secondary');
  const report = await consistencyAfter(sys);
  expect(report.problems).toEqual([]);
  expect(report.consistent).toBe(true);
  expect(report.owner).toBe('secondary');

  // The probe reached EC2 and fw-b's booting instance all along: it was never blind, and a
  // booting standby that refuses connections must not be reported as "controller blind".
  const blindRounds = probeRounds(sys, failureAt).filter((r) => r.code === 'controller-blind');
  expect(blindRounds.map((r) => `${r.primary}/${r.secondary}: ${r.reason}`)).toEqual([]);
  expect(subjects.filter((s) => s.includes('controller-blind'))).toEqual([]);
}

// Failure modes 2 and 3: the active firewall is really gone (its management plane died while the
// instance runs, or its instance stopped or was terminated) -> exactly one failover onto the
// cold standby, ending consistent on fw-b.
describe('detection: the active firewall is down', () => {
  it('scenario 2: primary API dead while its instance runs -> one failover, consistent on fw-b', async () => {
    system = await startSystem({ speed: 40 });
    const sys = system;
    const pair = sys.pair();
    await waitForSteadyState(sys);
    const failureAt = sys.clock.now();
    sys.firewall(FW_A).setFaults({ dead: true });

    await waitForOwner(sys, 'secondary');
    // The probe keeps watching after the takeover: let a few more rounds pass, nothing more may move.
    await sys.clock.sleep(60_000);

    expect(instanceState(sys, pair.firewalls.primary.instanceId)).toBe('stopped'); // fenced
    expect(instanceState(sys, pair.firewalls.secondary.instanceId)).toBe('running');
    // While the API was dead the instance kept running: the probe saw "unreachable", not "stopped".
    expect(
      probeRounds(sys, failureAt).some((r) => r.primary === 'unreachable' && r.code === 'active-failing'),
    ).toBe(true);
    // Exactly one execution, the probe's (the consistency check's re-run comes later).
    expect(startedExecutions(sys)).toHaveLength(1);
    await expectOneFailoverOntoB(sys, failureAt);
  }, 90_000);

  it('scenario 3: primary instance stopped by a person -> one failover, consistent on fw-b', async () => {
    system = await startSystem({ speed: 40, worldTimings: { stoppingMs: 5_000 } });
    const sys = system;
    const pair = sys.pair();
    await waitForSteadyState(sys);
    const failureAt = sys.clock.now();
    sys.world.ec2.stopInstances([pair.firewalls.primary.instanceId]);

    await waitForOwner(sys, 'secondary');
    await sys.clock.sleep(30_000);

    expect(probeRounds(sys, failureAt).some((r) => r.primary === 'stopped')).toBe(true);
    expect(startedExecutions(sys)).toHaveLength(1);
    await expectOneFailoverOntoB(sys, failureAt);
  }, 90_000);

  it('scenario 3: primary instance terminated -> one failover, consistent on fw-b', async () => {
    system = await startSystem({ speed: 40 });
    const sys = system;
    const pair = sys.pair();
    await waitForSteadyState(sys);
    const failureAt = sys.clock.now();
    sys.world.ec2.terminateInstance(pair.firewalls.primary.instanceId);

    await waitForOwner(sys, 'secondary');
    await sys.clock.sleep(30_000);

    expect(probeRounds(sys, failureAt).some((r) => r.primary === 'stopped')).toBe(true);
    expect(startedExecutions(sys)).toHaveLength(1);
    await expectOneFailoverOntoB(sys, failureAt);
    // A terminated instance is as fenced as it gets: fencing it must not be reported as a
    // failure that asks a person to stop it by hand.
    const run = flowRuns(sys).find((f) => f.action === 'failover');
    expect(run?.state?.fence?.action, run?.state?.fence?.detail).not.toBe('failed');
    expect(snsSubjects(sys).filter((s) => s.includes('FENCING FAILED'))).toEqual([]);
  }, 90_000);
});

// Failure mode 5: the primary flaps (dead, alive, dead, ...) -> at most one failover, and no
// ping-pong: once fw-b has taken over, its own trouble within the cooldown is an alert for
// people, never an automatic move back.
describe('detection: a flapping firewall', () => {
  it('scenario 5: flapping primary -> one failover, no ping-pong: the new owner flapping within the cooldown -> alert, no move back', async () => {
    system = await startSystem({ speed: 40 });
    const sys = system;
    const pair = sys.pair();
    const toA = routeTargets(pair, 'primary');
    const toB = routeTargets(pair, 'secondary');
    await waitForSteadyState(sys);

    // Dead 40 s, alive 40 s, ...: each dead half spans the failure streak.
    const flapAt = sys.clock.now();
    sys.firewall(FW_A).setFaults({ flapping: { periodMs: 40_000 } });
    // Several dead halves fit in the deadline; then more rounds, to see nothing moves again.
    await sys.waitUntil(
      async () => (await sys.ownerRecord())?.owner === 'secondary' && sys.runningExecutions().length === 0,
      6 * 60_000,
      1000,
    );
    await sys.clock.sleep(60_000);

    // A firewall dead 40 s out of every 80 s is failing: it is replaced, once.
    const failovers = flowRuns(sys).filter((f) => f.action === 'failover' && f.outcome === 'succeeded');
    expect(failovers, describeRounds(probeRounds(sys, flapAt))).toHaveLength(1);
    expect((await sys.ownerRecord())?.owner).toBe('secondary');
    const moves = routeMoves(sys);
    // All in one direction: every managed route moved exactly once, onto fw-b.
    expect(moves, moves.map((m) => m.message).join('; ')).toHaveLength(pair.routes.length);
    for (const m of moves) expect(toB.has(String(m.data.to))).toBe(true);
    expect(probeRounds(sys, flapAt).some((r) => r.primary === 'unreachable')).toBe(true);

    // The new owner misbehaves right after taking over (well inside the cooldown).
    const since = sys.clock.now();
    sys.firewall(FW_B).setFaults({ flapping: { periodMs: 40_000 } });
    const held = await waitForRound(sys, (r) => r.code === 'cooldown', since, 3 * 60_000);
    expect(held.action).toBe('alert');
    expect(held.owner).toBe('secondary');
    await sys.clock.sleep(60_000);
    const later = probeRounds(sys, since);
    expect(
      later.some((r) => r.action === 'failover' || r.action === 'failback'),
      describeRounds(later),
    ).toBe(false);
    expect(snsSubjects(sys)).toContain('[pan-failover] hq-egress: ALERT cooldown');
    sys.firewall(FW_B).setFaults({ flapping: undefined });

    // Never back onto fw-a, never a second failover.
    for (const m of routeMoves(sys)) expect(toA.has(String(m.data.to))).toBe(false);
    expect(flowRuns(sys).filter((f) => f.action === 'failover' && f.outcome === 'succeeded')).toHaveLength(1);
    expect(machineryFailures(sys)).toEqual([]);

    sys.firewall(FW_A).setFaults({ flapping: undefined });
    const report = await consistencyAfter(sys);
    expect(report.problems).toEqual([]);
    expect(report.owner).toBe('secondary');
  }, 90_000);
});

// Failure mode 7: both firewalls really are down -> no move to a dead target, an alert; when
// one comes back, the system converges on it.
describe('detection: both firewalls down', () => {
  it('scenario 7 (warm standby): both APIs dead -> alert, nothing moves; fw-b comes back -> converges on fw-b', async () => {
    system = await startSystem({ speed: 40, config: makeConfig({ standbyMode: 'warm' }) });
    const sys = system;
    const pair = sys.pair();
    const toB = routeTargets(pair, 'secondary');
    await waitForSteadyState(sys);

    const downAt = sys.clock.now();
    sys.firewall(FW_A).setFaults({ dead: true });
    sys.firewall(FW_B).setFaults({ dead: true });
    const rounds = await waitForRounds(sys, pair.probe.failuresBeforeFailover + 3, downAt);
    // Both instances run, neither API answers: never a failover onto a dead standby.
    expect(
      rounds.every((r) => r.primary === 'unreachable' && r.secondary === 'unreachable'),
      describeRounds(rounds),
    ).toBe(true);
    expect(
      rounds.every((r) => r.action === 'alert'),
      describeRounds(rounds),
    ).toBe(true);
    expect(startedExecutions(sys)).toHaveLength(0);
    expect(routeMoves(sys)).toHaveLength(0);
    // Alerted once (a round already under way when both died may still report the warm
    // standby alone; that is a different alert).
    expect(
      snsSubjects(sys).filter((s) => s === '[pan-failover] hq-egress: ALERT controller-blind'),
    ).toHaveLength(1);

    // fw-b recovers, fw-a stays dead: the controller converges on fw-b.
    const backAt = sys.clock.now();
    sys.firewall(FW_B).setFaults({ dead: false });
    await waitForOwner(sys, 'secondary', 5 * 60_000);
    const after = probeRounds(sys, backAt);
    expect(after.some((r) => r.secondary === 'healthy')).toBe(true);
    expect(
      flowRuns(sys)
        .filter((f) => f.action === 'failover')
        .map((f) => f.outcome),
    ).toEqual(['succeeded']);
    const moves = routeMoves(sys);
    expect(moves).toHaveLength(pair.routes.length);
    for (const m of moves) {
      expect(m.at).toBeGreaterThanOrEqual(backAt);
      expect(toB.has(String(m.data.to))).toBe(true);
    }
    expect(
      snsSubjects(sys).some((s) =>
        s.startsWith('[pan-failover] hq-egress FAILOVER succeeded: fw-b is active'),
      ),
    ).toBe(true);
    expect(machineryFailures(sys)).toEqual([]);

    const report = await consistencyAfter(sys);
    expect(report.problems).toEqual([]);
    expect(report.owner).toBe('secondary');
  }, 90_000);

  it('scenario 7 (cold standby): primary dead, standby never ready -> no cutover, failure alert; standby ready later -> converges on fw-b', async () => {
    system = await startSystem({
      speed: 40,
      config: makeConfig({ readiness: { deadlineSeconds: 60, pollIntervalSeconds: 10 } }),
      firewalls: { [FW_B]: { faults: { neverReady: true } } },
    });
    const sys = system;
    const pair = sys.pair();
    const toB = routeTargets(pair, 'secondary');
    await waitForSteadyState(sys);

    const downAt = sys.clock.now();
    sys.firewall(FW_A).setFaults({ dead: true });
    // The first attempt: fw-b is started, booted "forever", and given up at the readiness deadline.
    const failed = await sys.waitUntil(
      () => flowRuns(sys).some((f) => f.action === 'failover' && f.outcome === 'failed'),
      5 * 60_000,
      1000,
    );
    expect(failed, JSON.stringify(flowRuns(sys).map((f) => [f.name, f.outcome]))).toBe(true);
    const first = flowRuns(sys).find((f) => f.action === 'failover');
    expect(first?.outcome).toBe('failed');
    expect(first?.error).toContain('StandbyNotReadyError');
    // It waited for readiness and gave up there: it never reached the cutover.
    expect(first?.states).toContain('CheckReady');
    expect(first?.states).toContain('Abort');
    expect(first?.states).not.toContain('Cutover');
    // Nothing was moved onto the standby that never became ready, and people were told.
    expect(routeMoves(sys)).toHaveLength(0);
    expect(sys.world.events.list({ type: 'ec2.eip.associated' })).toHaveLength(0);
    // The notice names the phase the flow gave up in.
    expect(snsSubjects(sys)).toContain(
      '[pan-failover] hq-egress FAILOVER FAILED in phase boot: StandbyNotReadyError',
    );
    expect((await sys.ownerRecord())?.owner).toBe('primary');
    expect(probeRounds(sys, downAt).some((r) => r.action === 'failover' && r.code === 'active-failed')).toBe(
      true,
    );

    // fw-b finally finishes its boot: the next attempt converges on it.
    const readyAt = sys.clock.now();
    sys.firewall(FW_B).setFaults({ neverReady: false });
    await waitForOwner(sys, 'secondary', 5 * 60_000);
    const runs = flowRuns(sys).filter((f) => f.action === 'failover');
    expect(runs.map((f) => f.outcome)).toEqual(['failed', 'succeeded']);
    const moves = routeMoves(sys);
    expect(moves).toHaveLength(pair.routes.length);
    for (const m of moves) {
      expect(m.at).toBeGreaterThanOrEqual(readyAt);
      expect(toB.has(String(m.data.to))).toBe(true);
    }
    await waitForRound(sys, (r) => r.owner === 'secondary' && r.secondary === 'healthy', readyAt, 2 * 60_000);
    expect(machineryFailures(sys)).toEqual([]);

    const report = await consistencyAfter(sys);
    expect(report.problems).toEqual([]);
    expect(report.owner).toBe('secondary');
    // fw-b's instance was booting (it refuses connections at first): the probe was not blind.
    expect(
      probeRounds(sys, downAt)
        .filter((r) => r.code === 'controller-blind')
        .map((r) => `${r.primary}/${r.secondary}`),
    ).toEqual([]);
  }, 90_000);
});
