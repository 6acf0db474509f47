/**
 * Detection and decision, the cases where the right answer is NOT to fail over: a blip (1), a
 * tunnel down on the peer's side (4), a blind controller (6), a primary still booting (9).
 * Each test starts the whole simulated system and reads the outcome from the probe's logs, SNS,
 * the world's event log and the consistency rule.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimSystem } from '#sim/system.js';
import { deliveredTo } from '#sim/world/messaging.js';
import {
  consistencyAfter,
  describeRounds,
  FW_A,
  FW_B,
  instanceState,
  machineryFailures,
  metricSum,
  probeRounds,
  routeMoves,
  snsSubjects,
  startSystem,
  startedExecutions,
  waitForRound,
  waitForRounds,
  waitForSteadyState,
} from './support/detect-harness.js';

let system: SimSystem | undefined;
afterEach(async () => {
  await system?.close();
  system = undefined;
});

// Failure mode 1: one probe of the active firewall times out once (a blip) -> no failover,
// no alert; the next rounds see it healthy again.
describe('detection: a blip is not a failure', () => {
  it('scenario 1: one probe of the primary times out once (API hung for one round) -> no failover, no alert', async () => {
    // Speed 20: the clock's 250 ms real-time floor on network timeouts is 5 s simulated, close
    // to the 4 s probe timeout and well inside the 10 s round interval: the hung round ends as a
    // timeout before the next round starts.
    system = await startSystem({ speed: 20 });
    const sys = system;
    const pair = sys.pair();
    await waitForSteadyState(sys);

    const blipAt = sys.clock.now();
    sys.firewall(FW_A).setFaults({ hung: true });
    const failed = await waitForRound(sys, (r) => r.primary !== 'healthy', blipAt, 60_000);
    sys.firewall(FW_A).setFaults({ hung: false });
    const clearedAt = sys.clock.now();

    expect(failed.primary).toBe('unreachable');
    expect(failed.code).toBe('active-failing');
    expect(failed.action).toBe('none');
    expect(failed.reason).toContain(`failed 1 of ${pair.probe.failuresBeforeFailover} rounds`);

    // Well past the failover threshold: more healthy rounds than the streak would need.
    const after = await waitForRounds(sys, pair.probe.failuresBeforeFailover + 2, clearedAt);
    expect(
      after.every((r) => r.primary === 'healthy' && r.code === 'active-healthy'),
      describeRounds(after),
    ).toBe(true);

    const all = probeRounds(sys, blipAt);
    expect(
      all.filter((r) => r.primary !== 'healthy'),
      describeRounds(all),
    ).toHaveLength(1);
    expect(all.some((r) => r.action === 'failover')).toBe(false);
    expect(startedExecutions(sys)).toHaveLength(0);
    expect(routeMoves(sys)).toHaveLength(0);
    // A blip is not news: no alert, no "resolved" either.
    expect(snsSubjects(sys)).toEqual([]);
    expect(machineryFailures(sys)).toEqual([]);

    const report = await consistencyAfter(sys);
    expect(report.problems).toEqual([]);
    expect(report.owner).toBe('primary');
  }, 60_000);
});

// Failure mode 4: the active firewall answers but an expected IPsec tunnel is down on the peer's
// side -> "degraded": one alert, no failover (tunnelDown: alert), a "resolved" once it is back.
describe('detection: tunnel down on the peer side', () => {
  it('scenario 4: head-office tunnel down while fw-a answers -> degraded alert (SNS), no failover', async () => {
    system = await startSystem({ speed: 40 });
    const sys = system;
    const pair = sys.pair();
    expect(pair.probe.tunnelDown).toBe('alert');
    await waitForSteadyState(sys);

    const downAt = sys.clock.now();
    sys.firewall(FW_A).setFaults({ tunnelPeerDown: ['tun-head-office'] });
    const first = await waitForRound(sys, (r) => r.primary !== 'healthy', downAt, 60_000);
    expect(first.primary).toBe('degraded');
    expect(first.code).toBe('active-degraded');
    expect(first.action).toBe('alert');
    expect(first.reason).toContain('tun-head-office');

    // Many more rounds than the failure streak: still an alert, never a failover.
    const rounds = await waitForRounds(sys, pair.probe.failuresBeforeFailover + 4, downAt);
    expect(
      rounds.every((r) => r.primary === 'degraded' && r.code === 'active-degraded'),
      describeRounds(rounds),
    ).toBe(true);

    // The same alert is sent once, not every round.
    const alerts = sys.world.sns
      .messages()
      .filter((m) => m.subject === '[pan-failover] hq-egress: ALERT active-degraded');
    expect(alerts).toHaveLength(1);
    const body = JSON.parse(alerts[0] ? deliveredTo(alerts[0], 'sqs') : '{}') as { code?: string; reason?: string };
    expect(body.code).toBe('active-degraded');
    expect(body.reason).toContain('tun-head-office');

    // The peer comes back: one "resolved", and the firewall is healthy again.
    const upAt = sys.clock.now();
    sys.firewall(FW_A).setFaults({ tunnelPeerDown: [] });
    await waitForRound(sys, (r) => r.primary === 'healthy' && r.code === 'active-healthy', upAt, 60_000);
    await sys.waitUntil(() => sys.world.sns.messages().length >= 2, 20_000, 500);
    expect(sys.world.sns.messages().map((m) => m.subject)).toEqual([
      '[pan-failover] hq-egress: ALERT active-degraded',
      '[pan-failover] hq-egress: resolved (active-degraded)',
    ]);

    expect(probeRounds(sys).some((r) => r.action === 'failover')).toBe(false);
    expect(startedExecutions(sys)).toHaveLength(0);
    expect(routeMoves(sys)).toHaveLength(0);
    expect(machineryFailures(sys)).toEqual([]);
    const report = await consistencyAfter(sys);
    expect(report.problems).toEqual([]);
    expect(report.owner).toBe('primary');
  }, 60_000);
});

// Failure mode 6: the probe itself cannot reach anything (its own network is broken): both
// firewalls look dead and every EC2 call fails -> no failover, a "controller blind" alarm (the
// ControllerBlind metric and one alert); when the network comes back, the alert resolves.
describe('detection: the controller is blind', () => {
  it('scenario 6: probe reaches neither EC2 nor any firewall -> no failover, ControllerBlind metric and one alert', async () => {
    system = await startSystem({ speed: 40 });
    const sys = system;
    const pair = sys.pair();
    await waitForSteadyState(sys);
    const dims = { Pair: pair.name };
    expect(metricSum(sys, 'ControllerBlind', dims)).toBe(0);

    const blindAt = sys.clock.now();
    // What a broken probe subnet looks like from inside: every connection dies, every EC2 call times out.
    sys.firewall(FW_A).setFaults({ dead: true });
    sys.firewall(FW_B).setFaults({ dead: true });
    // The probe's network is broken: its EC2 calls get no answer at all (a throttling or 5xx
    // answer would prove the network works).
    sys.world.faults.set({ errorRates: { 'ec2:*': { rate: 1, code: 'RequestTimeout', noAnswer: true } } });

    const rounds = await waitForRounds(sys, pair.probe.failuresBeforeFailover + 4, blindAt);
    expect(
      rounds.every((r) => r.code === 'controller-blind' && r.action === 'alert'),
      describeRounds(rounds),
    ).toBe(true);
    expect(metricSum(sys, 'ControllerBlind', dims)).toBeGreaterThanOrEqual(rounds.length);
    expect(metricSum(sys, 'FailoverDecision', dims)).toBe(0);
    // Alerted once (the repeat window is an hour), not every round.
    expect(snsSubjects(sys)).toEqual(['[pan-failover] hq-egress: ALERT controller-blind']);
    expect(startedExecutions(sys)).toHaveLength(0);
    expect(routeMoves(sys)).toHaveLength(0);

    // The network comes back: the controller sees again, says so, and nothing moved meanwhile.
    const backAt = sys.clock.now();
    sys.world.faults.clear();
    sys.firewall(FW_A).setFaults({ dead: false });
    sys.firewall(FW_B).setFaults({ dead: false });
    const healthy = await waitForRound(sys, (r) => r.code === 'active-healthy', backAt, 60_000);
    expect(healthy.primary).toBe('healthy');
    await sys.waitUntil(() => snsSubjects(sys).length >= 2, 20_000, 500);
    expect(snsSubjects(sys)).toEqual([
      '[pan-failover] hq-egress: ALERT controller-blind',
      '[pan-failover] hq-egress: resolved (controller-blind)',
    ]);
    // The blind rounds did not count as failures of fw-a: the first round after is not "failing".
    expect(probeRounds(sys, backAt).some((r) => r.code === 'active-failing' || r.action === 'failover')).toBe(
      false,
    );

    expect(startedExecutions(sys)).toHaveLength(0);
    expect(routeMoves(sys)).toHaveLength(0);
    expect(machineryFailures(sys)).toEqual([]);
    const report = await consistencyAfter(sys);
    expect(report.problems).toEqual([]);
    expect(report.owner).toBe('primary');
  }, 60_000);
});

// Failure mode 9: boot race. Right after deployment the primary is still booting (its instance
// was just started: refused connections, then 403 while the auth daemon is down, then chassis
// not ready) -> "booting" is not "failed": no failover, however many rounds the boot takes.
describe('detection: a booting primary is not a failed primary', () => {
  it('scenario 9: primary just started (recent launchTime, still booting) -> booting, no failover, healthy once ready', async () => {
    // A boot that spans many more rounds than the failure streak: 20 s refused, 20 s of 403,
    // chassis ready at 90 s after "running", then 15 s of IKE/IPsec negotiation (longer than a
    // round interval, so at least one round sees the firewall ready with its tunnel still coming up).
    system = await startSystem({
      speed: 40,
      schedule: false,
      alarmTrigger: false,
      worldTimings: { stoppingMs: 2_000 },
      firewalls: {
        [FW_A]: {
          profile: {
            timings: { refuseMs: 20_000, authDownMs: 20_000, readyMs: 90_000, negotiationMs: 15_000 },
          },
        },
      },
    });
    const sys = system;
    const pair = sys.pair();
    const fwA = pair.firewalls.primary.instanceId;

    // "Deployment": the primary's instance is (re)started before the controller's first probe.
    sys.world.ec2.stopInstances([fwA]);
    await sys.waitUntil(() => instanceState(sys, fwA) === 'stopped', 30_000, 500);
    sys.world.ec2.startInstances([fwA]);
    const startedAt = sys.clock.now();
    const launchTime = sys.world.ec2.instanceNow(fwA).launchTime;
    expect(launchTime).toBeGreaterThanOrEqual(startedAt - 1000);

    // EventBridge's schedule, invocation after invocation, until fw-a is seen healthy.
    let invocations = 0;
    while (!probeRounds(sys, startedAt).some((r) => r.primary === 'healthy') && invocations < 5) {
      await sys.invokeProbe();
      invocations++;
    }
    const rounds = probeRounds(sys, startedAt);
    const firstHealthy = rounds.findIndex((r) => r.primary === 'healthy');
    expect(firstHealthy, describeRounds(rounds)).toBeGreaterThan(pair.probe.failuresBeforeFailover);
    const boot = rounds.slice(0, firstHealthy);
    // Every phase of the boot (pending, refused, 403, chassis not ready) reads as "booting".
    const booting = boot.filter((r) => r.primary === 'booting');
    expect(booting.length, describeRounds(boot)).toBeGreaterThan(pair.probe.failuresBeforeFailover);
    expect(
      booting.every((r) => r.code === 'active-booting' && r.action === 'none'),
      describeRounds(boot),
    ).toBe(true);
    expect(
      boot.some((r) => r.action === 'failover' || r.code === 'active-failing'),
      describeRounds(boot),
    ).toBe(false);
    expect(
      rounds.slice(firstHealthy).every((r) => r.code === 'active-healthy'),
      describeRounds(rounds),
    ).toBe(true);
    // The boot really went through its phases while the probe watched.
    const requests = sys.firewall(FW_A).requests();
    expect(sys.firewall(FW_A).refusedConnections()).toBeGreaterThan(0);
    expect(Object.values(requests).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    expect(startedExecutions(sys)).toHaveLength(0);
    expect(routeMoves(sys)).toHaveLength(0);
    expect(instanceState(sys, pair.firewalls.secondary.instanceId)).toBe('stopped');
    expect(machineryFailures(sys)).toEqual([]);
    const report = await consistencyAfter(sys);
    expect(report.problems).toEqual([]);
    expect(report.owner).toBe('primary');

    // Coming up includes the tunnel's negotiation: a firewall that just finished booting is not
    // "degraded" news. Nothing of the boot is worth a page (no alert, hence no "resolved" either).
    expect(boot.filter((r) => r.action !== 'none').map((r) => `${r.primary}: ${r.code}`)).toEqual([]);
    expect(snsSubjects(sys)).toEqual([]);
  }, 60_000);
});
