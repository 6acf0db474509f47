/**
 * Failure modes 11 and 12 (failure-modes.md): the standby cannot start (no capacity, a stop
 * still in progress), or starts and never becomes ready (chassis-ready stays `no`, 403 during
 * boot). Retries are bounded, the failure notice names the phase and the error, no route or EIP
 * moves, and the pair stays consistent on the old owner.
 */
import { describe, expect, it } from 'vitest';
import {
  IDS,
  PAIR,
  entered,
  execution,
  expectConsistentOn,
  instanceStates,
  moves,
  orchConfig,
  resultNotice,
  story,
  orchSlot,
} from './support/orch-system.js';

const { start, sys } = orchSlot();

/** One probe invocation, as EventBridge makes it: its first round records fw-a as the owner. */
async function probeRecordsOwner(): Promise<void> {
  await sys().invokeProbe();
  expect((await sys().ownerRecord())?.owner).toBe('primary');
}

const FAILOVER = { pair: PAIR, action: 'failover', from: 'primary', reason: 'fw-a management plane dead' } as const;

describe('the secondary cannot start (failure mode 11)', () => {
  it('no capacity for fw-b: a bounded number of start attempts, then a failure notice naming the phase and InsufficientCapacityError; routes untouched', async () => {
    const config = orchConfig({ start: { maxAttempts: 3, retryIntervalSeconds: 5 } });
    await start({ config, transport: 'wire', awsFaults: { capacity: [{ instanceId: IDS.fwB, count: 100 }] } });
    await probeRecordsOwner();
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    const run = await sys().runFlow(FAILOVER, 'failover-no-capacity');

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InsufficientCapacityError');
    const view = execution(sys(), 'failover-no-capacity');
    // maxAttempts flow-level attempts, each followed by the configured wait except the last.
    expect(entered(view, 'StartTarget')).toBe(3);
    expect(entered(view, 'WaitBeforeStartRetry')).toBe(2);
    expect(view.states.at(-2)).toBe('Abort');
    // Bounded at EC2 too: every attempt reached StartInstances, and the retries stopped.
    const consumed = 100 - Number(sys().world.faults.capacityRemaining()[0]);
    expect(consumed).toBeGreaterThanOrEqual(3);
    expect(consumed).toBeLessThanOrEqual(3 * 9);
    const notice = resultNotice(sys(), 'failover-no-capacity');
    expect(notice.subject).toBe('[pan-failover] hq-egress FAILOVER FAILED in phase start: InsufficientCapacityError');
    expect(notice.body.failedPhase).toBe('start');
    expect(JSON.stringify(notice.body.result)).toMatch(/fw-b \(i-0a1b2c3d4e5f60002\) could not start: no capacity for m5\.xlarge after 3 attempts/);
    // Over the wire (the SDK's Publish with MessageStructure json): e-mail gets the text, SQS the JSON above.
    expect(notice.email).toMatch(/^Failover of hq-egress FAILED in phase start: AWS had no capacity to start fw-b in its Availability Zone\.\n/);
    expect(notice.email).toMatch(/\nTimeline \(UTC\):\n( {2}.+\n)* {2}\d\d:\d\d:\d\d {2}start .+failed: InsufficientCapacityError\n/);
    expect(notice.email).toContain('Runbook: docs/runbook.md#flow-failed\n');
    // Nothing moved, fw-b never left `stopped`, fw-a was not fenced.
    expect(moves(sys(), before)).toEqual([]);
    expect(instanceStates(sys(), IDS.fwB)).toEqual([]);
    expect(instanceStates(sys(), IDS.fwA)).toEqual([]);
    await expectConsistentOn(sys(), 'primary');
  }, 90_000);

  it('no capacity for the configured type: the first fallback instance type is set and started, and the failover completes', async () => {
    const config = orchConfig({ start: { maxAttempts: 2, retryIntervalSeconds: 5, fallbackInstanceTypes: ['m5.2xlarge'] } });
    await start({
      config,
      transport: 'wire',
      awsFaults: { capacity: [{ instanceId: IDS.fwB, instanceType: 'm5.xlarge', count: 100 }] },
    });
    sys().firewall('fw-a').setFaults({ dead: true });
    const run = await sys().runFlow(FAILOVER, 'failover-fallback-type');

    expect(run.status, story(sys())).toBe('SUCCEEDED');
    expect(run.state?.result?.outcome).toBe('succeeded');
    expect(run.state?.start?.instanceType).toBe('m5.xlarge');
    expect(run.state?.start?.typeIndex).toBe(1);
    expect(run.state?.start?.notes).toContain('instance type changed to m5.2xlarge');
    const typeChanges = sys().world.events.list({ type: 'ec2.instance.type', resource: IDS.fwB });
    expect(typeChanges.map((e) => [e.data.from, e.data.to])).toEqual([['m5.xlarge', 'm5.2xlarge']]);
    expect(sys().world.ec2.instanceNow(IDS.fwB).instanceType).toBe('m5.2xlarge');
    expect(instanceStates(sys(), IDS.fwB).slice(0, 2)).toEqual(['pending', 'running']);
    await expectConsistentOn(sys(), 'secondary');
  }, 90_000);

  it('fw-b still "stopping" from an earlier stop: the flow waits for "stopped", then starts it and completes', async () => {
    await start({ awsFaults: { instances: { [IDS.fwB]: { stoppingMs: 30_000 } } } });
    // Someone tested fw-b and is stopping it again; the stop takes 30 s.
    sys().world.ec2.startInstances([IDS.fwB]);
    expect(await sys().waitUntil(() => sys().world.ec2.instanceNow(IDS.fwB).state === 'running', 60_000)).toBe(true);
    sys().world.ec2.stopInstances([IDS.fwB]);
    sys().firewall('fw-a').setFaults({ dead: true });
    const run = await sys().runFlow(FAILOVER, 'failover-while-stopping');

    expect(run.status, story(sys())).toBe('SUCCEEDED');
    expect(run.state?.result?.outcome).toBe('succeeded');
    const view = execution(sys(), 'failover-while-stopping');
    // At 5 s per poll, a 30 s stop takes several polls before StartInstances can work.
    expect(entered(view, 'StartTarget')).toBeGreaterThanOrEqual(3);
    expect(instanceStates(sys(), IDS.fwB)).toEqual(['pending', 'running', 'stopping', 'stopped', 'pending', 'running']);
    await expectConsistentOn(sys(), 'secondary');
  }, 90_000);

  it('fw-b stuck in "stopping" (a stop that does not complete): the flow gives up by the readiness deadline with a failure notice; routes untouched', async () => {
    const config = orchConfig({ readiness: { deadlineSeconds: 60, pollIntervalSeconds: 2 } });
    await start({ config, speed: 60, awsFaults: { instances: { [IDS.fwB]: { stoppingMs: 3_600_000 } } } });
    await probeRecordsOwner();
    sys().world.ec2.startInstances([IDS.fwB]);
    expect(await sys().waitUntil(() => sys().world.ec2.instanceNow(IDS.fwB).state === 'running', 60_000)).toBe(true);
    sys().world.ec2.stopInstances([IDS.fwB]);
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    sys().startFlow(FAILOVER, 'failover-stuck-stopping');

    // A deadline of 60 s from the start request; give the flow five minutes to say it gave up.
    const ended = await sys().waitUntil(() => sys().runningExecutions().length === 0, 5 * 60_000, 2000);
    expect(ended, `the flow still waits for fw-b to stop ${Math.round((sys().clock.now() - before) / 1000)} s later\n${story(sys())}`).toBe(true);
    const view = execution(sys(), 'failover-stuck-stopping');
    expect(view.status).toBe('FAILED');
    expect(resultNotice(sys(), 'failover-stuck-stopping').subject).toMatch(/FAILOVER FAILED in phase start: /);
    expect(moves(sys(), before)).toEqual([]);
    // fw-b cannot be stopped or started by anyone now: consistency is about the managed objects.
    await expectConsistentOnManagedObjects('primary');
  }, 90_000);
});

/** The stuck instance never comes to rest, so the check cannot wait for it (see instancesAtRest). */
async function expectConsistentOnManagedObjects(owner: 'primary' | 'secondary'): Promise<void> {
  const report = await sys().consistency();
  expect(report.problems, story(sys())).toEqual([]);
  expect(report.owner).toBe(owner);
}

describe('the secondary starts but never becomes ready (failure mode 12)', () => {
  const config = () => orchConfig({ readiness: { deadlineSeconds: 60, pollIntervalSeconds: 2 } });

  it('chassis-ready stays "no" on fw-b: polled until the deadline, then no cutover, a StandbyNotReadyError notice, consistent on fw-a', async () => {
    await start({ config: config(), firewalls: { 'fw-b': { faults: { neverReady: true } } } });
    await probeRecordsOwner();
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    const run = await sys().runFlow(FAILOVER, 'failover-never-ready');

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('StandbyNotReadyError');
    const view = execution(sys(), 'failover-never-ready');
    // Polled through pending, refused connections and 403 without giving up early.
    expect(entered(view, 'CheckReady')).toBeGreaterThanOrEqual(5);
    expect(view.states).not.toContain('Cutover');
    const notice = resultNotice(sys(), 'failover-never-ready');
    expect.soft(notice.subject).toBe('[pan-failover] hq-egress FAILOVER FAILED in phase boot: StandbyNotReadyError');
    expect.soft(notice.body.failedPhase).toBe('boot');
    // People read text: what happened, where the traffic is, the timeline, the runbook section.
    expect(notice.email).toMatch(/^Failover of hq-egress FAILED in phase boot: fw-b did not become ready before the readiness deadline\.\n/);
    expect(notice.email).toContain('Traffic is on fw-a, which has failed: the outage continues');
    expect(notice.email).toMatch(/\nTimeline \(UTC\):\n( {2}.+\n)* {2}\d\d:\d\d:\d\d {2}boot .+failed: StandbyNotReadyError\n/);
    expect(notice.email).toContain('Runbook: docs/runbook.md#flow-failed\n');
    const detail = (notice.body.ready as { detail: string }).detail;
    expect(detail).toMatch(/^fw-b not ready (\d+) s after the start request \(deadline 60 s\); last: (chassis-ready: no|AutoCom job not finished)$/);
    expect(Number(/not ready (\d+) s/.exec(detail)?.[1])).toBeGreaterThanOrEqual(60);
    expect(moves(sys(), before)).toEqual([]);
    // The old owner was not fenced: it still carries whatever traffic it can.
    expect(instanceStates(sys(), IDS.fwA)).toEqual([]);
    await expectConsistentOn(sys(), 'primary');
  }, 90_000);

  it('fw-b answers 403 (auth daemon down) through the whole boot: 403 counts as booting until the deadline, then no cutover', async () => {
    await start({ config: config(), firewalls: { 'fw-b': { faults: { authFails: true } } } });
    await probeRecordsOwner();
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    const run = await sys().runFlow(FAILOVER, 'failover-403');

    expect(run.status).toBe('FAILED');
    // Not FirewallAuthError: during boot a 403 is "not yet", and only the deadline ends the wait.
    expect(run.error).toBe('StandbyNotReadyError');
    const view = execution(sys(), 'failover-403');
    expect(entered(view, 'CheckReady')).toBeGreaterThanOrEqual(5);
    const notice = resultNotice(sys(), 'failover-403');
    expect.soft(notice.subject).toBe('[pan-failover] hq-egress FAILOVER FAILED in phase boot: StandbyNotReadyError');
    expect.soft(notice.body.failedPhase).toBe('boot');
    // People read text: what happened, where the traffic is, the timeline, the runbook section.
    expect(notice.email).toMatch(/^Failover of hq-egress FAILED in phase boot: fw-b did not become ready before the readiness deadline\.\n/);
    expect(notice.email).toContain('Traffic is on fw-a, which has failed: the outage continues');
    expect(notice.email).toMatch(/\nTimeline \(UTC\):\n( {2}.+\n)* {2}\d\d:\d\d:\d\d {2}boot .+failed: StandbyNotReadyError\n/);
    expect(notice.email).toContain('Runbook: docs/runbook.md#flow-failed\n');
    const detail = (notice.body.ready as { detail: string }).detail;
    expect(detail).toMatch(/deadline 60 s\); last: API auth \(normal during boot\)$/);
    expect(Number(/not ready (\d+) s/.exec(detail)?.[1])).toBeGreaterThanOrEqual(60);
    expect(moves(sys(), before)).toEqual([]);
    await expectConsistentOn(sys(), 'primary');
  }, 90_000);
});
