/**
 * A pair paused for maintenance, end to end: the real handlers and the real state machine
 * definition on the simulator. The flow itself checks the pause in its Validate step, whoever
 * started it: an EC2 status-check alarm's flow ends `skipped-paused` with nothing changed and an
 * information notice; a person's flow is refused (PairPausedError) unless it overrides the pause,
 * and the override is in its notifications; the probe, on its schedule, starts nothing while the
 * pair is paused and fails over once the pause is over.
 */
import { describe, expect, it } from 'vitest';
import { SIM_STATE_MACHINE, SIM_TABLE, SIM_TOPIC } from '#sim/scenario/topology-from-config.js';
import type { SimSystem } from '#sim/system.js';
import { createDirectPorts } from '#sim/world/ports.js';
import { pausePairs, resumePairs, type PauseDeps } from '#shared/usecases/pause.js';
import {
  IDS,
  PAIR,
  changesSince,
  executions,
  expectConsistentOn,
  notices,
  resultNotice,
  story,
  statusCheckAlarmEvent,
  worldEvents,
  orchSlot,
} from './support/orch-system.js';

const { start, sys } = orchSlot();

function pauseDeps(s: SimSystem): PauseDeps {
  const ports = createDirectPorts(s.world, { tableName: SIM_TABLE, topicArn: s.world.sns.topicArn(SIM_TOPIC), stateMachineArn: s.world.sfn.stateMachineArn(SIM_STATE_MACHINE) });
  return { store: ports.store, notifier: ports.notifier, clock: s.clock };
}

async function pause(s: SimSystem, seconds = 7200): Promise<void> {
  const [out] = await pausePairs(pauseDeps(s), { pairs: [PAIR], seconds, reason: 'PAN-OS upgrade of fw-a', by: 'alice' });
  expect(out?.outcome).toBe('paused');
}

describe('a paused pair: the flow checks the pause itself', () => {
  it('an EC2 status-check alarm during the pause: the flow ends skipped-paused, nothing changed, one information notice', async () => {
    await start({ transport: 'wire' });
    await pause(sys());
    // fw-a really is down (its upgrade reboots it): the alarm is right, but people asked for quiet.
    sys().world.ec2.stopInstances([IDS.fwA]);
    const before = sys().clock.now();
    const run = await sys().runFlow(statusCheckAlarmEvent(sys(), 'primary') as unknown as Record<string, unknown>, 'alarm-during-pause');

    expect(run.status).toBe('SUCCEEDED');
    expect(run.state?.input).toMatchObject({ source: 'alarm', action: 'failover', from: 'primary' });
    expect(run.state?.result?.outcome).toBe('skipped-paused');
    expect(run.state?.result?.summary).toMatch(/^hq-egress is paused until \S+ by alice \(PAN-OS upgrade of fw-a\): nothing changed; the alarm trigger was: CloudWatch alarm/);
    expect(run.state?.pause).toMatchObject({ by: 'alice', skip: true, overridden: false });
    // Straight from Validate to the end: no lock taken, no re-check, nothing started or moved.
    expect(executions(sys()).find((e) => e.name === 'alarm-during-pause')?.states).toEqual(['Validate', 'SkippedPaused']);
    expect(changesSince(sys(), before).filter((e) => e.resource !== IDS.fwA)).toEqual([]);
    expect(worldEvents(sys(), 'dynamodb.item.put', before)).toEqual([]);
    const notice = resultNotice(sys(), 'alarm-during-pause');
    expect(notice.subject).toMatch(/^\[pan-failover\] hq-egress FAILOVER skipped: pair paused until \S+Z by alice$/);
    expect(notice.body).toMatchObject({ event: 'result', result: { outcome: 'skipped-paused' }, pause: { by: 'alice', reason: 'PAN-OS upgrade of fw-a' } });
  }, 60_000);

  it("a person's failover during the pause is refused (PairPausedError, saying how to override); nothing changes", async () => {
    await start();
    await pause(sys());
    const before = sys().clock.now();
    const run = await sys().runFlow({ pair: PAIR, action: 'failover', force: true, reason: 'console test' }, 'manual-during-pause');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('PairPausedError');
    expect(run.cause).toMatch(/hq-egress is paused until \S+ by alice \(PAN-OS upgrade of fw-a\): a manual failover is refused\. To run it anyway, override the pause: pan-failover failover -p hq-egress --force \(flow input "overridePause": true\)/);
    expect(changesSince(sys(), before)).toEqual([]);
    expect(worldEvents(sys(), 'dynamodb.item.put', before)).toEqual([]);
    await resumePairs(pauseDeps(sys()), { pairs: [PAIR], by: 'alice' });
    await expectConsistentOn(sys(), 'primary');
  }, 60_000);

  it('a person who overrides the pause gets the failover; the override is in its notifications', async () => {
    await start();
    await pause(sys());
    const run = await sys().runFlow(
      { pair: PAIR, action: 'failover', force: true, overridePause: true, requestedBy: 'bob', reason: 'fw-a upgrade went wrong: move traffic now' },
      'override-pause',
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.state?.result?.outcome).toBe('succeeded');
    expect(run.state?.pause).toMatchObject({ by: 'alice', skip: false, overridden: true });
    expect(run.state?.phases.validate?.outcome).toBe('paused: overridden');
    const started = notices(sys()).find((n) => n.body.execution === 'override-pause' && n.body.event === 'started');
    expect(started?.subject).toBe('[pan-failover] hq-egress FAILOVER started: fw-a -> fw-b (PAUSE OVERRIDDEN by bob)');
    expect(resultNotice(sys(), 'override-pause').body).toMatchObject({ pause: { overridden: true, by: 'alice' }, requestedBy: 'bob' });
    expect(sys().logs.some((l) => l.message === 'pause overridden' && (l.fields as { requestedBy?: string }).requestedBy === 'bob')).toBe(true);
    await resumePairs(pauseDeps(sys()), { pairs: [PAIR], by: 'alice' });
    await expectConsistentOn(sys(), 'secondary');
  }, 90_000);
});

describe('a paused pair: the probe on its schedule', () => {
  it('the active firewall dies during the pause: no flow while paused (one alert); after resume, one failover onto fw-b', async () => {
    await start({ transport: 'wire', schedule: true });
    expect(await sys().waitUntil(async () => (await sys().ownerRecord()) !== undefined, 60_000)).toBe(true);
    await pause(sys());
    const pausedAt = sys().clock.now();
    sys().firewall('fw-a').setFaults({ dead: true });
    // Five minutes of probe rounds with fw-a dead: every round decides "failover", none starts one.
    await sys().clock.sleep(300_000);
    expect(sys().world.sfn.listExecutions(sys().stateMachineArn)).toEqual([]);
    expect(notices(sys()).filter((n) => n.body.event === 'alert').map((n) => n.subject)).toContain('[pan-failover] hq-egress: ALERT failover-paused');
    expect(notices(sys()).filter((n) => n.subject.endsWith('ALERT failover-paused'))).toHaveLength(1);
    // The dashboard's Paused gauge: 1 in every minute of the pause.
    const [gauge] = sys().world.cloudwatch.getMetricData(
      [{ id: 'p', metric: { namespace: 'PanFailover', name: 'Paused', dimensions: { Pair: PAIR } }, periodSeconds: 60, stat: 'Minimum' }],
      pausedAt,
      sys().clock.now(),
    );
    expect(gauge?.values.length).toBeGreaterThanOrEqual(4);
    expect(new Set(gauge?.values)).toEqual(new Set([1]));

    const [resumed] = await resumePairs(pauseDeps(sys()), { pairs: [PAIR], by: 'alice' });
    expect(resumed?.outcome).toBe('resumed');
    expect(await sys().waitUntil(async () => (await sys().ownerRecord())?.owner === 'secondary', 600_000), story(sys())).toBe(true);
    const started = sys().world.sfn.listExecutions(sys().stateMachineArn);
    expect(started).toHaveLength(1);
    expect(started[0]?.name).toMatch(/^hq-egress-failover-/);
    await expectConsistentOn(sys(), 'secondary');
  }, 120_000);
});
