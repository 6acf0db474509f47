/**
 * Failure mode 17 (failure-modes.md): the old primary comes back after a failover. It does not
 * take the traffic back by itself; failback happens when a person asks, or, with an explicit
 * `failback: auto` policy, only after the primary has been healthy for the hold time. After a
 * failback in cold mode the secondary is stopped again.
 */
import { describe, expect, it } from 'vitest';
import type { Role } from '#shared/config/schema.js';
import type { CapturedLog } from '#sim/runtime/lambda.js';
import { SIM_TABLE } from '#sim/scenario/topology-from-config.js';
import { createDirectPorts } from '#sim/world/ports.js';
import type { ProbeMemory } from '#shared/usecases/probe.js';
import {
  IDS,
  PAIR,
  executions,
  expectConsistentOn,
  instanceStates,
  moves,
  orchConfig,
  settle,
  sideOfEni,
  story,
  orchSlot,
} from './support/orch-system.js';

const { start, sys } = orchSlot();

function probeMemory(): Promise<ProbeMemory | undefined> {
  const ports = createDirectPorts<ProbeMemory>(sys().world, { tableName: SIM_TABLE, topicArn: sys().topicArn, stateMachineArn: sys().stateMachineArn });
  return ports.store.loadProbeState(PAIR).then((v) => v.value);
}

interface Round {
  readonly at: number;
  readonly owner: Role;
  readonly primary: string;
  readonly code: string;
  readonly action: string;
}

function rounds(since: number): Round[] {
  return sys()
    .logs.filter((l: CapturedLog) => l.message === 'probe round' && l.at >= since)
    .map((l) => {
      const f = l.fields as Record<string, unknown>;
      return { at: l.at, owner: f.owner as Role, primary: String(f.primary), code: String(f.code), action: String(f.action) };
    });
}

/** fw-a's instance dies; the probe detects it and the failover to fw-b completes. Returns when it did. */
async function failoverToSecondary(): Promise<number> {
  expect(await sys().waitUntil(async () => (await sys().ownerRecord()) !== undefined, 60_000)).toBe(true);
  sys().world.ec2.crashInstance(IDS.fwA);
  const done = await sys().waitUntil(
    async () => (await sys().ownerRecord())?.owner === 'secondary' && sys().runningExecutions().length === 0,
    5 * 60_000,
    2000,
  );
  expect(done, story(sys())).toBe(true);
  expect(executions(sys()).filter((e) => e.outcome === 'succeeded' && e.state?.input.action === 'failover')).toHaveLength(1);
  return sys().clock.now();
}

/** A person starts fw-a again (it was stopped by the crash and fenced). */
function personStartsPrimary(): number {
  sys().world.ec2.startInstances([IDS.fwA]);
  return sys().clock.now();
}

describe('the old primary comes back after the failover (failure mode 17)', () => {
  it('fw-a started again by a person does not take the traffic back by itself; a manual failback moves it and stops fw-b again', async () => {
    await start({ schedule: true });
    await failoverToSecondary();
    const restartedAt = personStartsPrimary();
    // fw-a boots and the probe sees it healthy for a good minute and more: no failback, no failover.
    const healthyRounds = () => rounds(restartedAt).filter((r) => r.primary === 'healthy');
    expect(await sys().waitUntil(() => healthyRounds().length >= 8, 5 * 60_000, 2000)).toBe(true);
    expect(healthyRounds().every((r) => r.owner === 'secondary' && r.action === 'none')).toBe(true);
    expect(executions(sys()).filter((e) => e.state?.input.action === 'failback')).toEqual([]);
    expect(sys().runningExecutions()).toEqual([]);
    expect(moves(sys(), restartedAt)).toEqual([]);
    expect((await sys().ownerRecord())?.owner).toBe('secondary');

    // A person asks for the failback.
    const askedAt = sys().clock.now();
    const run = await sys().runFlow({ pair: PAIR, action: 'failback', reason: 'fw-a repaired', requestedBy: 'netops' }, 'failback-by-netops');
    expect(run.status, story(sys())).toBe('SUCCEEDED');
    expect(run.state?.result?.outcome).toBe('succeeded');
    expect(run.state?.target).toBe('primary');
    expect(run.state?.fence?.action).toBe('stopped');
    const back = moves(sys(), askedAt);
    expect(back).toHaveLength(6);
    expect(back.every((m) => sideOfEni(sys().pair(), m.to) === 'primary')).toBe(true);
    expect((await sys().ownerRecord())?.owner).toBe('primary');
    // Cold standby again: fw-b is stopped.
    expect(await sys().waitUntil(() => sys().world.ec2.instanceNow(IDS.fwB).state === 'stopped', 60_000)).toBe(true);
    expect(instanceStates(sys(), IDS.fwB, askedAt)).toEqual(['stopping', 'stopped']);
    await expectConsistentOn(sys(), 'primary');
  }, 120_000);

  it('with failback "auto" and a 60 s hold, the probe fails back only after fw-a has been healthy for 60 s', async () => {
    const config = orchConfig({ failback: { mode: 'auto', holdSeconds: 60 } });
    await start({ config, schedule: true });
    await failoverToSecondary();
    // What the probe remembered when it decided the failback: read as the failback starts.
    const decided = new Promise<{ startedAt: number; healthySince: number | undefined }>((resolve) => {
      const off = sys().world.events.subscribe((e) => {
        const input = (e.data as { input?: { action?: string } }).input;
        if (e.type !== 'sfn.execution.started' || input?.action !== 'failback') return;
        off();
        void probeMemory().then((m) => resolve({ startedAt: e.at, healthySince: m?.firewalls.primary.healthySince }));
      });
    });
    const restartedAt = personStartsPrimary();
    const failbacks = () => executions(sys()).filter((e) => e.state?.input.action === 'failback');
    expect(
      await sys().waitUntil(() => failbacks().length > 0 && sys().runningExecutions().length === 0, 6 * 60_000, 2000),
      story(sys()),
    ).toBe(true);
    expect(await settle(sys())).toBe(true);

    const [failback] = failbacks();
    expect(failbacks()).toHaveLength(1);
    expect(failback?.outcome).toBe('succeeded');
    expect(failback?.state?.input).toMatchObject({ action: 'failback', source: 'probe', from: 'secondary' });
    // The hold was observed and respected: fw-a healthy since after its restart, failback 60 s later or more.
    expect(rounds(restartedAt).some((r) => r.code === 'failback-hold')).toBe(true);
    const { startedAt, healthySince } = await decided;
    expect(healthySince).toBeGreaterThan(restartedAt);
    expect(startedAt - (healthySince ?? startedAt)).toBeGreaterThanOrEqual(60_000);
    expect((await sys().ownerRecord())?.owner).toBe('primary');
    expect(await sys().waitUntil(() => sys().world.ec2.instanceNow(IDS.fwB).state === 'stopped', 60_000)).toBe(true);
    await expectConsistentOn(sys(), 'primary');
  }, 120_000);
});
