/**
 * Each protection of docs/failure-modes.md on its own. The other end-to-end tests prove the
 * outcome of a scenario, and several layers usually stand between a fault and a bad outcome:
 * the AutoCom gate also holds back a firewall whose chassis is not ready, the lock also stops an
 * execution that lost it, the lock-holder check also stops an execution the lock should have
 * turned away. Here the layers that would hide a protection are turned off or kept out of the
 * way, so that the protection alone stands between the fault and the bad outcome: remove it (one
 * line of the product) and its test fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimSystem } from '#sim/system.js';
import type { WorldEvent } from '#sim/world/event-log.js';
import {
  describeRounds,
  FW_A,
  probeRounds,
  routeMoves,
  startSystem,
  startedExecutions,
  waitForOwner,
  waitForRound,
  waitForRounds,
  waitForSteadyState,
  consistencyAfter,
} from './support/detect-harness.js';
import {
  IDS,
  PAIR,
  entered,
  execution,
  executions,
  expectConsistentOn,
  instanceStates,
  moves,
  orchConfig,
  orchSlot,
  resultNotice,
  settle,
  story,
} from './support/orch-system.js';

const { start, sys } = orchSlot();

const FAILOVER = { pair: PAIR, action: 'failover', from: 'primary', reason: 'fw-a management plane dead' } as const;

/** One probe invocation, as EventBridge makes it: its first round records fw-a as the owner. */
async function probeRecordsOwner(): Promise<void> {
  await sys().invokeProbe();
  expect((await sys().ownerRecord())?.owner).toBe('primary');
}

describe('the chassis-ready gate alone (the AutoCom gate off)', () => {
  it('requireAutoCommit false, chassis-ready stays "no" on fw-b: the chassis-ready gate alone holds the cutover back until the deadline', async () => {
    // Without the AutoCom requirement nothing but `show chassis-ready` stands between a
    // firewall whose dataplane is not up and the traffic.
    const config = orchConfig({ readiness: { deadlineSeconds: 60, pollIntervalSeconds: 2, requireAutoCommit: false } });
    expect(config.pairs[0]?.readiness.requireAutoCommit).toBe(false);
    await start({ config, firewalls: { 'fw-b': { faults: { neverReady: true } } } });
    await probeRecordsOwner();
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    const run = await sys().runFlow(FAILOVER, 'failover-chassis-not-ready');

    expect(run.status, story(sys())).toBe('FAILED');
    expect(run.error).toBe('StandbyNotReadyError');
    const view = execution(sys(), 'failover-chassis-not-ready');
    expect(entered(view, 'CheckReady')).toBeGreaterThanOrEqual(5);
    expect(view.states).not.toContain('Cutover');
    const detail = (resultNotice(sys(), 'failover-chassis-not-ready').body.ready as { detail: string }).detail;
    // The last check found the API answering and the chassis not ready: nothing else held it back.
    expect(detail).toMatch(/^fw-b not ready \d+ s after the start request \(deadline 60 s\); last: chassis-ready: no$/);
    expect(moves(sys(), before)).toEqual([]);
    expect(instanceStates(sys(), IDS.fwA)).toEqual([]);
    await expectConsistentOn(sys(), 'primary');
  }, 90_000);
});

describe('the lock-holder check alone (an execution that passed the lock and lost it)', () => {
  // The lock turns away an execution that arrives while another holds the pair: those never
  // reach a step that changes AWS. These executions took the lock and lost it afterwards (their
  // lease ran out while they were stuck and another run took the pair over, or a person deleted
  // the lock item and started another run): only the lock-holder check stops them.
  const OTHER = 'manual-newer-run';

  /** At the first world event matching `when`, another run takes the pair's lock over from `from`. */
  function takeOverWhen(when: (e: WorldEvent) => boolean, from: string): () => Promise<unknown> {
    let taken: Promise<unknown> | undefined;
    const off = sys().world.events.subscribe((e) => {
      if (taken || !when(e)) return;
      off();
      // Written right after the event, outside the world call that recorded it.
      taken = new Promise((resolve) => setImmediate(resolve)).then(() => sys().stateTable().takeOver(PAIR, OTHER, from, sys().clock.now(), 3_600_000));
    });
    return () => taken ?? Promise.reject(new Error('the lock was never taken over'));
  }

  it('the lock taken over before the standby is started: StartTarget is refused (LockLostError); nothing started, moved or fenced', async () => {
    await start();
    await probeRecordsOwner();
    // fw-a hangs: the re-check waits out its probe timeout, long after the take-over is written.
    sys().firewall('fw-a').setFaults({ hung: true });
    const name = 'failover-lock-lost-early';
    const taken = takeOverWhen((e) => e.type === 'dynamodb.item.put' && e.message.endsWith(`holder=${name}`), name);
    const before = sys().clock.now();
    const run = await sys().runFlow(FAILOVER, name);
    expect(await taken()).toMatchObject({ acquired: true });

    expect(run.status, story(sys())).toBe('FAILED');
    expect(run.error).toBe('LockLostError');
    const view = execution(sys(), name);
    expect(view.states).toContain('StartTarget');
    expect(view.states).not.toContain('CheckReady');
    expect(view.cause).toContain(`${name} no longer holds the lock of ${PAIR} (held by ${OTHER}): not running startTarget`);
    expect(instanceStates(sys(), IDS.fwB, before)).toEqual([]);
    expect(instanceStates(sys(), IDS.fwA, before)).toEqual([]);
    expect(moves(sys(), before)).toEqual([]);
    // The run that holds the pair now keeps it: the lost execution did not release it.
    expect((await sys().stateTable().get(PAIR))?.holder).toBe(OTHER);
    await sys().stateTable().release(PAIR, OTHER);
    sys().firewall('fw-a').setFaults({ hung: false });
    await expectConsistentOn(sys(), 'primary');
  }, 90_000);

  it('the lock taken over while the standby boots: the readiness gate refuses the cutover (LockLostError); no Cutover state entered', async () => {
    await start();
    await probeRecordsOwner();
    sys().firewall('fw-a').setFaults({ dead: true });
    const name = 'failover-lock-lost-booting';
    const taken = takeOverWhen((e) => e.type === 'ec2.instance.state' && e.resource === IDS.fwB && e.data.to === 'pending', name);
    const before = sys().clock.now();
    const run = await sys().runFlow(FAILOVER, name);
    expect(await taken()).toMatchObject({ acquired: true });

    expect(run.status, story(sys())).toBe('FAILED');
    expect(run.error).toBe('LockLostError');
    const view = execution(sys(), name);
    expect(view.states).toContain('CheckReady');
    expect(view.states).not.toContain('Cutover');
    expect(view.cause).toContain(`${name} no longer holds the lock of ${PAIR} (held by ${OTHER}): not cutting over`);
    expect(moves(sys(), before)).toEqual([]);
    expect(instanceStates(sys(), IDS.fwA, before)).toEqual([]);
    // Abort left AWS to the holder: fw-b, started by the lost execution, is not stopped by it.
    expect((await sys().stateTable().get(PAIR))?.holder).toBe(OTHER);
  }, 90_000);
});

describe('duplicate executions: the lock alone turns the second away', () => {
  it('two failovers of one pair started in the same instant: one acts; the other ends skipped-locked at the lock, before any re-check or change', async () => {
    await start();
    await probeRecordsOwner();
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    const names = ['manual-alice', 'manual-bob'];
    for (const n of names) sys().startFlow({ ...FAILOVER, requestedBy: n }, n);
    expect(await settle(sys())).toBe(true);

    const views = executions(sys()).filter((v) => names.includes(v.name));
    expect(views.map((v) => v.name).sort()).toEqual(names);
    const winners = views.filter((v) => v.outcome === 'succeeded');
    expect(winners, story(sys())).toHaveLength(1);
    const loser = views.find((v) => v !== winners[0]);
    // Turned away by the lock itself: not by a re-check that finds the work done (noop), not by
    // the lock-holder check of a later step (LockLostError).
    expect(loser?.outcome, story(sys())).toBe('skipped-locked');
    expect(loser?.state?.lock).toMatchObject({ acquired: false, heldBy: winners[0]?.name });
    expect(loser?.states).not.toContain('Recheck');
    expect(loser?.states).not.toContain('StartTarget');
    // One start of fw-b, each managed object moved once.
    expect(instanceStates(sys(), IDS.fwB, before).filter((s) => s === 'pending')).toHaveLength(1);
    const moved = moves(sys(), before);
    expect(moved).toHaveLength(6);
    expect(new Set(moved.map((m) => m.object)).size).toBe(6);
    await expectConsistentOn(sys(), 'secondary');
  }, 90_000);
});

describe('the failover threshold alone', () => {
  let system: SimSystem | undefined;
  afterEach(async () => {
    await system?.close();
    system = undefined;
  });

  it('a streak of failuresBeforeFailover - 1 failed rounds does not fail over; a streak of exactly failuresBeforeFailover does, at its last round', async () => {
    // Speed 20, as scenario 1: each round ends well inside the 10 s interval, so the fault is
    // lifted after the streak's last round and before the next one.
    system = await startSystem({ speed: 20 });
    const sys = system;
    const threshold = sys.pair().probe.failuresBeforeFailover;
    expect(threshold).toBe(3);
    await waitForSteadyState(sys);

    // One round short of the threshold: API dead for threshold - 1 rounds, then back.
    const shortAt = sys.clock.now();
    sys.firewall(FW_A).setFaults({ dead: true });
    const failing = (since: number) => probeRounds(sys, since).filter((r) => r.primary !== 'healthy');
    expect(await sys.waitUntil(() => failing(shortAt).length >= threshold - 1, 120_000, 250)).toBe(true);
    sys.firewall(FW_A).setFaults({ dead: false });
    const short = failing(shortAt);
    expect(short.map((r) => r.action), describeRounds(short)).toEqual(Array(threshold - 1).fill('none'));
    expect(short.at(-1)?.reason).toContain(`failed ${threshold - 1} of ${threshold} rounds`);
    const healthyAgain = await waitForRounds(sys, threshold + 1, sys.clock.now());
    expect(healthyAgain.every((r) => r.primary === 'healthy'), describeRounds(healthyAgain)).toBe(true);
    expect(probeRounds(sys, shortAt).some((r) => r.action === 'failover')).toBe(false);
    expect(startedExecutions(sys)).toHaveLength(0);
    expect(routeMoves(sys)).toHaveLength(0);

    // Exactly the threshold: the failover is decided at the streak's last round, not before.
    const deadAt = sys.clock.now();
    sys.firewall(FW_A).setFaults({ dead: true });
    const decided = await waitForRound(sys, (r) => r.action === 'failover', deadAt, 120_000);
    const streak = failing(deadAt).filter((r) => r.at <= decided.at);
    expect(streak.map((r) => r.action), describeRounds(streak)).toEqual([...Array(threshold - 1).fill('none'), 'failover']);
    await waitForOwner(sys, 'secondary');
    expect(startedExecutions(sys)).toHaveLength(1);
    const report = await consistencyAfter(sys);
    expect(report.problems).toEqual([]);
    expect(report.owner).toBe('secondary');
  }, 120_000);
});
