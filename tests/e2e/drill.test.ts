/**
 * The standby drill (`shared/usecases/drill.ts`) on the whole simulated system: the cold
 * standby is booted, measured, checked against the active and stopped again, traffic never
 * touched; a standby that never becomes ready is a failed drill and is left stopped; a
 * configuration drift on the standby is reported; and when the active dies during a drill, the
 * probe's failover takes the lock and the booting standby becomes its target.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimSystem } from '#sim/system.js';
import { runDrill } from '#shared/usecases/drill.js';
import { lastSeq, changesSince } from '../support/cli-sim.js';
import { executions, notices, orchConfig, startOrch, IDS } from './support/orch-system.js';

let system: SimSystem | undefined;
afterEach(async () => {
  await system?.close();
  system = undefined;
});

const stateOf = (s: SimSystem, id: string) => s.world.ec2.describeInstances({ ids: [id] })[0]?.state;

/** The system, once the active firewall has finished its own (simulated) boot. */
async function started(options: Parameters<typeof startOrch>[0] = {}): Promise<SimSystem> {
  system = await startOrch(options);
  const s = system;
  expect(await s.waitUntil(() => s.firewall('fw-a').status().phase === 'ready', 60_000, 100)).toBe(true);
  return s;
}

describe('standby drill', () => {
  it('boots the cold standby, measures the boot, checks it, stops it again; traffic untouched; recorded and notified', async () => {
    // The probe runs as deployed (every minute): it must see the drill for what it is.
    const s = await started({ schedule: true });
    // The probe has seen fw-a healthy (its first rounds ran while fw-a was still booting).
    expect(await s.waitUntil(() => s.timeline.some((e) => e.source === 'probe' && (e.data as { primary?: string }).primary === 'healthy'), 60_000, 500)).toBe(true);
    const since = lastSeq(s.world);
    const report = await runDrill(s.drillDeps(), s.pair());
    expect(report.outcome, report.summary).toBe('succeeded');
    expect(report.checks.filter((c) => c.status === 'fail' || c.status === 'unknown')).toEqual([]);
    // Both firewalls were read: the standby's configuration compared with the active's.
    expect(report.checks.find((c) => c.check === 'panos-config-match')).toMatchObject({ status: 'pass', subject: 'fw-a / fw-b' });
    // Boot = EC2 pending (4 s) + PAN-OS ready (14 s), seen at the next 2 s poll.
    expect(report.bootSeconds).toBeGreaterThanOrEqual(18);
    // (Plus a poll, plus scheduling jitter on a loaded machine at 40x: the bench measures it precisely.)
    expect(report.bootSeconds).toBeLessThan(18 + 2 + 10);
    expect(report.stoppedStandby).toBe(true);
    expect(['stopping', 'stopped']).toContain(stateOf(s, IDS.fwB));
    expect(stateOf(s, IDS.fwA)).toBe('running');
    // Nothing but fw-b's start and stop changed in AWS: no route, EIP or record moved.
    expect(changesSince(s.world, since).map((e) => e.type).filter((t) => !t.startsWith('ec2.instance.') && !t.startsWith('dynamodb.'))).toEqual([]);
    // No flow was started while the drill ran (the consistency check below runs its own re-run):
    // the probe's rounds during the drill saw fw-b start and boot, and decided nothing.
    expect(executions(s)).toEqual([]);
    const rounds = s.timeline.filter((e) => e.source === 'probe' && e.at >= report.startedAt && e.at <= report.endedAt).map((e) => e.data as { secondary?: string; action?: string });
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(rounds.filter((r) => r.secondary !== 'stopped').length).toBeGreaterThan(0);
    expect(rounds.map((r) => r.action), JSON.stringify(rounds)).toEqual(rounds.map(() => 'none'));
    expect(await s.drillDeps().store.get('hq-egress')).toBeUndefined();
    const [record] = await s.drillDeps().store.getDrills('hq-egress');
    expect(record).toMatchObject({ outcome: 'succeeded', standby: 'fw-b', bootSeconds: report.bootSeconds });
    expect(notices(s).map((n) => n.subject)).toContainEqual(expect.stringMatching(/^\[pan-failover\] hq-egress DRILL succeeded: fw-b ready after \d+s; \d+ checks, none failed/));
    expect((await s.consistency()).consistent).toBe(true);
  });

  it('a standby that never becomes ready is a failed drill: notified, left stopped', async () => {
    const s = await started({
      config: orchConfig({ readiness: { deadlineSeconds: 60 } }),
      firewalls: { 'fw-b': { profile: { timings: { readyMs: 3_600_000 } } } },
    });
    const report = await runDrill(s.drillDeps(), s.pair());
    expect(report.outcome).toBe('failed');
    expect(report.summary).toMatch(/^fw-b not ready within 60s \(last: (chassis-ready: no|API \w+)\)$/);
    expect(report.bootSeconds).toBeUndefined();
    expect(report.stoppedStandby).toBe(true);
    expect(['stopping', 'stopped']).toContain(stateOf(s, IDS.fwB));
    expect(await s.drillDeps().store.get('hq-egress')).toBeUndefined();
    expect((await s.drillDeps().store.getDrills('hq-egress'))[0]).toMatchObject({ outcome: 'failed' });
    const [notice] = notices(s);
    expect(notice?.subject).toBe(`[pan-failover] hq-egress DRILL FAILED: ${report.summary}`);
    expect(notice?.body).toMatchObject({ event: 'drill', outcome: 'failed', stoppedStandby: true });
  });

  it('a standby that cannot be started (no capacity) is a failed drill, left stopped', async () => {
    const s = await started({ awsFaults: { capacity: [{ instanceId: IDS.fwB, count: 'always' }] } });
    const report = await runDrill(s.drillDeps(), s.pair());
    expect(report.outcome).toBe('failed');
    expect(report.summary).toMatch(/^fw-b could not be started: InsufficientCapacityError/);
    expect(stateOf(s, IDS.fwB)).toBe('stopped');
  });

  it('a configuration drift on the standby (IKE gateway bound to the primary\'s address) is reported', async () => {
    const s = await started();
    const fwB = s.firewall('fw-b');
    fwB.reconfigure({ tunnels: fwB.profile.tunnels.map((t) => ({ ...t, localIp: '10.10.1.10/24' })) });
    const report = await runDrill(s.drillDeps(), s.pair());
    expect(report.outcome).toBe('findings');
    const failed = report.checks.filter((c) => c.status === 'fail').map((c) => `${c.check} ${c.subject}`);
    expect(failed).toContain('panos-tunnels fw-b tun-head-office');
    expect(failed).toContain('panos-config-match fw-a / fw-b');
    expect(report.stoppedStandby).toBe(true);
    const [notice] = notices(s);
    expect(notice?.subject, notice?.subject).toMatch(/^\[pan-failover\] hq-egress DRILL FOUND PROBLEMS: fw-b ready after \d+s; \d+ check\(s\) failed: /);
    expect((notice?.body.failedChecks as { check: string }[]).map((c) => c.check)).toEqual(expect.arrayContaining(['panos-tunnels', 'panos-config-match']));
  });

  it('the active dies during the drill: the probe fails over at once, the booting standby is its target, the drill yields; consistent', async () => {
    const s = await started({ schedule: true, firewalls: { 'fw-b': { profile: { timings: { readyMs: 60_000 } } } } });
    const drill = runDrill(s.drillDeps(), s.pair());
    // fw-b is booting for the drill when fw-a dies.
    expect(await s.waitUntil(() => stateOf(s, IDS.fwB) === 'running', 300_000, 200), JSON.stringify(await Promise.race([drill, Promise.resolve('drill still running')]))).toBe(true);
    const bootStartedAt = s.clock.now();
    s.firewall('fw-a').setFaults({ dead: true });
    const report = await drill;
    expect(report.outcome).toBe('yielded');
    expect(report.stoppedStandby).toBe(false);
    expect(await s.waitUntil(() => executions(s).length > 0, 600_000, 500)).toBe(true);
    const [run] = executions(s);
    expect(run?.outcome).toBe('succeeded');
    expect(run?.state?.target).toBe('secondary');
    // The flow found fw-b already starting or running: it did not wait for a fresh boot.
    expect(['pending', 'running']).toContain(run?.state?.start?.state);
    // A head start: from its start request to ready, the flow waited less than one boot (60 s),
    // and fw-b was ready about one boot after the drill had it running.
    const waited = (run?.state?.phases.boot?.endedAt ?? 0) - (run?.state?.start?.requestedAt ?? 0);
    expect(waited).toBeLessThan(60_000);
    expect(run?.state?.phases.boot?.endedAt ?? 0).toBeGreaterThanOrEqual(bootStartedAt + 60_000 - 5_000);
    const c = await s.consistency();
    expect(c.consistent, c.problems.join('; ')).toBe(true);
    expect(c.owner).toBe('secondary');
    expect(stateOf(s, IDS.fwB)).toBe('running');
    expect((await s.drillDeps().store.getDrills('hq-egress'))[0]).toMatchObject({ outcome: 'yielded' });
  });
});
