/**
 * Failure modes 8, 10 and 22 (failure-modes.md), and the dry run: what the flow does with the
 * triggers it receives. A stale alarm is re-checked and ends as a no-op; triggers that race
 * each other produce one cutover; bad input is refused with a message that names the problem;
 * a dry run lists the changes and makes none.
 */
import { describe, expect, it } from 'vitest';
import type { AlarmStateChangeEvent } from '#sim/world/cloudwatch.js';
import {
  IDS,
  PAIR,
  changesSince,
  expectConsistentOn as expectConsistentWith,
  executions,
  instanceStates,
  moves,
  notices,
  orchConfig,
  resultNotice,
  settle,
  statusCheckAlarmEvent,
  story,
  worldEvents,
  orchSlot,
} from './support/orch-system.js';

const { start, sys } = orchSlot();

function expectConsistentOn(owner: 'primary' | 'secondary'): Promise<void> {
  return expectConsistentWith(sys(), owner);
}

describe('stale alarm after the primary recovered (failure mode 8)', () => {
  it('an EC2 status-check ALARM delivered after fw-a recovered is re-checked first and ends as a no-op', async () => {
    // Status metrics every 20 s so the 2 x 60 s alarm reaches ALARM within a few simulated minutes.
    await start({ transport: 'wire', speed: 60, worldTimings: { statusMetricIntervalMs: 20_000 } });
    const alarms: AlarmStateChangeEvent[] = [];
    const off = sys().world.onAlarmStateChange((e) => alarms.push(e));
    const fwAAlarm = `pan-failover-${PAIR}-fw-a-status-check`;
    const isFwA = (state: string) => (e: AlarmStateChangeEvent) => e.detail.alarmName === fwAAlarm && e.detail.state.value === state;

    // fw-a's host has trouble: its EC2 status checks fail long enough for the alarm to fire.
    sys().world.faults.set({ instances: { [IDS.fwA]: { impaired: true } } });
    expect(await sys().waitUntil(() => alarms.some(isFwA('ALARM')), 8 * 60_000, 5000)).toBe(true);
    // It recovers; the alarm goes back to OK before its ALARM event reaches the state machine.
    sys().world.faults.clear('instances', IDS.fwA);
    expect(await sys().waitUntil(() => alarms.some(isFwA('OK')), 8 * 60_000, 5000)).toBe(true);
    off();

    const stale = alarms.find(isFwA('ALARM'));
    if (!stale) throw new Error('no ALARM event captured');
    const before = sys().clock.now();
    const run = await sys().runFlow(stale as unknown as Record<string, unknown>, 'alarm-late-delivery');

    expect(run.status).toBe('SUCCEEDED');
    const state = run.state;
    expect(state?.input).toMatchObject({ pair: PAIR, action: 'failover', source: 'alarm', from: 'primary' });
    expect(state?.result?.outcome).toBe('noop');
    expect(state?.recheck?.mode).toBe('noop');
    expect(state?.recheck?.statuses.primary).toBe('healthy');
    expect(state?.recheck?.reason).toMatch(/re-checked: fw-a is healthy/);
    // Nothing was started, moved or stopped.
    expect(changesSince(sys(), before)).toEqual([]);
    expect(instanceStates(sys(), IDS.fwB)).toEqual([]);
    expect(resultNotice(sys(), 'alarm-late-delivery').subject).toMatch(/FAILOVER not needed: re-checked: fw-a is healthy/);
    await expectConsistentOn('primary');
  }, 90_000);

  it('a failover trigger with source "alarm" naming a primary that answers again is a no-op', async () => {
    await start();
    // The alarm's trigger reaches the flow after fw-a answers normally again.
    const before = sys().clock.now();
    const run = await sys().runFlow(
      {
        pair: PAIR,
        action: 'failover',
        source: 'alarm',
        from: 'primary',
        reason: `CloudWatch alarm pan-failover-${PAIR}-fw-a-status-check: ALARM`,
        incidentId: `pan-failover-${PAIR}-fw-a-status-check@2026-01-01T09:00:00Z`,
      },
      'alarm-stale-trigger',
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.state?.result?.outcome).toBe('noop');
    expect(run.state?.recheck?.statuses.primary).toBe('healthy');
    expect(changesSince(sys(), before)).toEqual([]);
    await expectConsistentOn('primary');
  }, 60_000);
});

describe('probe, alarm and manual trigger in the same second (failure mode 10)', () => {
  it('the probe, a CloudWatch alarm and a person trigger within one second: one execution cuts over, the others are no-ops', async () => {
    await start({ transport: 'wire', schedule: true });
    // The probe's first round records fw-a as the owner (all managed objects point at it).
    expect(await sys().waitUntil(async () => (await sys().ownerRecord()) !== undefined, 60_000)).toBe(true);

    // When the probe starts its failover, the alarm and a person follow within the same second.
    const racing = new Promise<string>((resolve) => {
      const off = sys().world.events.subscribe((e) => {
        const input = (e.data as { input?: { source?: string } }).input;
        if (e.type !== 'sfn.execution.started' || input?.source !== 'probe') return;
        off();
        // In the same instant as the probe's StartExecution (the world records it before running it).
        sys().startFlow(statusCheckAlarmEvent(sys(), 'primary') as unknown as Record<string, unknown>, 'alarm-fw-a-status-check');
        sys().startFlow({ pair: PAIR, action: 'failover', reason: 'users report no Internet', requestedBy: 'oncall' }, 'manual-oncall');
        resolve(String((e.data as { name: string }).name));
      });
    });
    const failedAt = sys().clock.now();
    sys().firewall('fw-a').setFaults({ dead: true });
    sys().world.faults.set({ instances: { [IDS.fwA]: { impaired: true } } });
    const probeExecution = await racing;
    const startedWithin = worldEvents(sys(), 'sfn.execution.started', failedAt).map((e) => e.at);
    expect(Math.max(...startedWithin) - Math.min(...startedWithin)).toBeLessThan(1000);
    expect(await settle(sys())).toBe(true);

    const racers = [probeExecution, 'alarm-fw-a-status-check', 'manual-oncall'];
    const views = executions(sys()).filter((e) => racers.includes(e.name));
    expect(views.map((v) => v.name).sort(), story(sys())).toEqual([...racers].sort());
    const winners = views.filter((v) => v.outcome === 'succeeded');
    expect(winners, story(sys())).toHaveLength(1);
    const winner = winners[0];
    for (const loser of views.filter((v) => v !== winner)) {
      expect(['skipped-locked', 'noop']).toContain(loser.outcome);
      if (loser.outcome === 'skipped-locked') expect(loser.state?.lock?.heldBy).toBe(winner?.name);
      // A loser that skipped never reached a step that changes anything.
      expect(loser.states).not.toContain('StartTarget');
      expect(loser.states).not.toContain('Cutover');
    }
    // No other execution did any work either (the probe kept running throughout).
    expect(executions(sys()).filter((e) => e.outcome === 'succeeded' && e.state?.input.action === 'failover')).toHaveLength(1);
    // One cutover: each managed route and EIP moved exactly once, fw-b started once.
    const moved = moves(sys(), failedAt);
    expect(moved.filter((m) => m.kind === 'replaced')).toHaveLength(4);
    expect(moved.filter((m) => m.kind === 'associated')).toHaveLength(2);
    expect(new Set(moved.map((m) => m.object)).size).toBe(6);
    expect(instanceStates(sys(), IDS.fwB).filter((s) => s === 'pending')).toHaveLength(1);
    // Losers do not announce themselves: one "started" notice, one result.
    expect(notices(sys()).filter((n) => /FAILOVER started/.test(n.subject))).toHaveLength(1);
    await expectConsistentOn('secondary');
  }, 120_000);

  it('three failover triggers for the same pair within one second make exactly one cutover', async () => {
    await start();
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    const names = ['manual-alice', 'manual-bob', 'alarm-fw-a'];
    sys().startFlow({ pair: PAIR, action: 'failover', reason: 'fw-a down', requestedBy: 'alice' }, names[0]);
    sys().startFlow({ pair: PAIR, action: 'failover', reason: 'fw-a down', requestedBy: 'bob', from: 'primary' }, names[1]);
    sys().startFlow(statusCheckAlarmEvent(sys(), 'primary') as unknown as Record<string, unknown>, names[2]);
    expect(await settle(sys())).toBe(true);

    const views = executions(sys());
    expect(views.map((v) => v.name).sort()).toEqual([...names].sort());
    expect(views.filter((v) => v.outcome === 'succeeded'), story(sys())).toHaveLength(1);
    expect(views.filter((v) => v.outcome === 'skipped-locked' || v.outcome === 'noop')).toHaveLength(2);
    const moved = moves(sys(), before);
    expect(moved).toHaveLength(6);
    expect(new Set(moved.map((m) => m.object)).size).toBe(6);
    expect(moved.every((m) => m.to.startsWith('eni-0b'))).toBe(true);
    expect(instanceStates(sys(), IDS.fwB).filter((s) => s === 'pending')).toHaveLength(1);
    await expectConsistentOn('secondary');
  }, 90_000);
});

describe('malformed or unknown manual input (failure mode 22)', () => {
  const cases: { what: string; input: Record<string, unknown>; says: RegExp }[] = [
    { what: 'an unknown pair', input: { pair: 'branch-7', action: 'failover' }, says: /pair: unknown pair "branch-7" \(configured: hq-egress\)/ },
    { what: 'a string where a boolean is expected', input: { pair: PAIR, action: 'failover', force: 'yes' }, says: /force: .*boolean/i },
    { what: 'dryRun given as the string "true"', input: { pair: PAIR, action: 'failover', dryRun: 'true' }, says: /dryRun: .*boolean/i },
    { what: 'an extra field', input: { pair: PAIR, action: 'failover', colour: 'red' }, says: /unknown field "colour"/ },
    { what: 'an unknown action', input: { pair: PAIR, action: 'explode' }, says: /action: .*(failover|option)/i },
    { what: 'a missing action', input: { pair: PAIR }, says: /action: /i },
    { what: 'a number as the pair', input: { pair: 42, action: 'failover' }, says: /pair: .*string/i },
    { what: 'an unknown "from" role', input: { pair: PAIR, action: 'failover', from: 'tertiary' }, says: /from: /i },
  ];

  it('every malformed trigger is rejected naming what is wrong, and nothing changes', async () => {
    await start({ transport: 'wire' });
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    for (const c of cases) {
      const run = await sys().runFlow(c.input);
      expect(run.status, c.what).toBe('FAILED');
      expect(run.error, c.what).toBe('InputInvalidError');
      expect(run.cause, c.what).toMatch(c.says);
    }
    // Nothing changed: no route, EIP, DNS or instance change, no lock or owner written, no notice.
    expect(changesSince(sys(), before)).toEqual([]);
    expect(worldEvents(sys(), 'dynamodb.item.put', before)).toEqual([]);
    expect(worldEvents(sys(), 'dynamodb.item.updated', before)).toEqual([]);
    expect(executions(sys()).every((e) => e.states.join(',') === 'Validate,InputRejected')).toBe(true);
    expect(instanceStates(sys(), IDS.fwB)).toEqual([]);
    sys().firewall('fw-a').setFaults({ dead: false });
    await expectConsistentOn('primary');
  }, 60_000);
});

describe('dry run', () => {
  it('a forced failover with dryRun lists every route, EIP, record and instance that would change, and changes nothing', async () => {
    const config = orchConfig({
      dnsRecords: [
        { hostedZoneId: IDS.zone, name: 'gp.example.com', type: 'A', ttl: 60, followElasticIp: IDS.eipIpsec },
        { hostedZoneId: IDS.zone, name: 'vpn.example.com', type: 'A', ttl: 60, values: { primary: ['198.51.100.10'], secondary: ['198.51.100.20'] } },
      ],
    });
    await start({ config, transport: 'wire' });
    const before = sys().clock.now();
    const run = await sys().runFlow({ pair: PAIR, action: 'failover', force: true, dryRun: true, reason: 'what would a failover change?' }, 'dry-run-1');

    expect(run.status).toBe('SUCCEEDED');
    const state = run.state;
    expect(state?.result?.outcome).toBe('dry-run');
    const changes = state?.plan?.changes ?? [];
    expect(changes).toHaveLength(6);
    for (const [rtb, dest] of [
      [IDS.rtbA, '0.0.0.0/0'],
      [IDS.rtbB, '0.0.0.0/0'],
      [IDS.rtbA, '172.16.0.0/12'],
      [IDS.rtbB, '172.16.0.0/12'],
    ] as const) {
      expect(changes).toContain(`replace route ${dest} in ${rtb}: ${IDS.fwATrust} -> ${IDS.fwBTrust}`);
    }
    expect(changes).toContain(`associate EIP ${IDS.eipIpsec} (198.51.100.10): ${IDS.fwAUntrust}/10.10.1.10 -> ${IDS.fwBUntrust}/10.20.1.10`);
    expect(changes).toContain(`associate EIP ${IDS.eipNat} (198.51.100.20): ${IDS.fwAUntrust}/10.10.1.11 -> ${IDS.fwBUntrust}/10.20.1.11`);
    // The record that follows the EIP keeps its value; the one with per-side values changes.
    expect(state?.plan?.dns).toEqual(['UPSERT vpn.example.com A 198.51.100.10 -> 198.51.100.20 (TTL 60)']);
    expect(state?.plan?.instances).toEqual([
      `start ${IDS.fwB} (fw-b, now stopped)`,
      `stop ${IDS.fwA} (fw-a, now running) to fence it`,
    ]);
    expect(state?.plan?.blockers).toEqual([]);
    // Nothing changed, no lock was taken, no step that acts was entered.
    expect(changesSince(sys(), before)).toEqual([]);
    expect(worldEvents(sys(), 'dynamodb.item.put', before)).toEqual([]);
    const view = executions(sys()).find((e) => e.name === 'dry-run-1');
    for (const step of ['AcquireLock', 'StartTarget', 'Cutover', 'Fence', 'RecordOwner', 'UpdateDns']) expect(view?.states).not.toContain(step);
    // A dry run pages nobody: no notice at all, not even its result.
    expect(notices(sys()).filter((n) => n.body.execution === 'dry-run-1')).toEqual([]);
    expect(state?.result?.summary).toBe('9 change(s) would be made; nothing was changed');
    expect(await sys().ownerRecord()).toBeUndefined();
    await expectConsistentOn('primary');
  }, 60_000);
});
