/**
 * The standby drill (`action: drill` of the failover state machine, shared/usecases/drill.ts) on
 * the whole simulated system, run as deployed (the real definition, the real handlers, each
 * function with its own IAM role): the cold standby is booted, measured, checked against the
 * active and stopped again, traffic never touched and no flow started by the probe meanwhile; a
 * standby that never becomes ready, or cannot be started, is a failed drill, notified and left
 * stopped; a configuration drift on the standby is reported; and when the active dies during a
 * drill, the probe's failover takes the lock and the booting standby becomes its target.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimSystem } from '#sim/system.js';
import type { DrillProgress } from '#shared/usecases/flow/state.js';
import { lastSeq, changesSince } from '../support/cli-sim.js';
import { executions, notices, orchConfig, startOrch, IDS } from './support/orch-system.js';

let system: SimSystem | undefined;
afterEach(async () => {
  await system?.close();
  system = undefined;
});

const stateOf = (s: SimSystem, id: string) => s.world.ec2.describeInstances({ ids: [id] })[0]?.state;
const DRILL = { pair: 'hq-egress', action: 'drill', source: 'manual', reason: 'monthly drill', requestedBy: 'alice' } as const;

/** The system, once the active firewall has finished its own (simulated) boot. */
async function started(options: Parameters<typeof startOrch>[0] = {}): Promise<SimSystem> {
  system = await startOrch(options);
  const s = system;
  expect(await s.waitUntil(() => s.firewall('fw-a').status().phase === 'ready', 60_000, 100)).toBe(true);
  return s;
}

/** Runs a drill to its end; its last drill state, from the execution's history when it FAILED (no output then). */
async function drill(s: SimSystem, name = 'drill-1'): Promise<{ status: string; drill: DrillProgress; error?: string }> {
  const arn = s.startFlow(DRILL, name);
  const run = await s.waitExecution(arn);
  const outputs = s.world.sfn.history(arn).flatMap((e) => (e.type === 'TaskSucceeded' && e.output ? [JSON.parse(e.output) as { drill?: DrillProgress }] : []));
  const d = outputs.map((o) => o.drill).filter((x) => x?.outcome !== undefined).at(-1);
  if (!d) throw new Error(`no finished drill in ${name}: ${run.status} ${run.error ?? ''} ${run.cause ?? ''}`);
  return { status: run.status, drill: d, error: run.error };
}

describe('standby drill (state machine)', () => {
  it('boots the cold standby, measures the boot, checks it, stops it again; traffic untouched; no flow started by the probe; recorded and notified', async () => {
    // The probe runs as deployed (every minute): it must see the drill for what it is.
    const s = await started({ schedule: true });
    // The probe has seen fw-a healthy (its first rounds ran while fw-a was still booting).
    expect(await s.waitUntil(() => s.timeline.some((e) => e.source === 'probe' && (e.data as { primary?: string }).primary === 'healthy'), 60_000, 500)).toBe(true);
    const since = lastSeq(s.world);
    const t0 = s.clock.now();
    const { status, drill: d } = await drill(s);
    const t1 = s.clock.now();
    expect(status, d.summary).toBe('SUCCEEDED');
    expect(d.outcome, d.summary).toBe('succeeded');
    expect((d.results ?? []).filter((c) => c.status === 'fail' || c.status === 'unknown')).toEqual([]);
    // Both firewalls were read: the standby's configuration compared with the active's.
    expect(d.results?.find((c) => c.check === 'panos-config-match')).toMatchObject({ status: 'pass', subject: 'fw-a / fw-b' });
    // Boot = EC2 pending (4 s) + PAN-OS ready (14 s), seen at the next 2 s poll.
    expect(d.bootSeconds).toBeGreaterThanOrEqual(18);
    // Plus a poll, plus scheduling jitter (at 40x, a loaded machine's 0.1 s is 4 s): never more
    // than the drill itself lasted, from its start request to ready. The bench measures it precisely.
    expect(d.bootSeconds).toBe(((d.readyAt ?? 0) - (d.startRequestedAt ?? 0)) / 1000);
    expect(d.bootSeconds).toBeLessThan((t1 - t0) / 1000);
    expect(d.stopped).toBe(true);
    expect(['stopping', 'stopped']).toContain(stateOf(s, IDS.fwB));
    expect(stateOf(s, IDS.fwA)).toBe('running');
    // Nothing but fw-b's start and stop changed in AWS: no route, EIP or record moved.
    expect(changesSince(s.world, since).map((e) => e.type).filter((t) => !t.startsWith('ec2.instance.') && !t.startsWith('dynamodb.') && t !== 'sfn.execution.started')).toEqual([]);
    // No flow but the drill ran (the consistency check below runs its own re-run): the probe's
    // rounds during the drill saw fw-b start and boot, and decided nothing.
    expect(executions(s).map((e) => e.name)).toEqual(['drill-1']);
    const rounds = s.timeline.filter((e) => e.source === 'probe' && e.at >= t0 && e.at <= t1).map((e) => e.data as { secondary?: string; action?: string });
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(rounds.filter((r) => r.secondary !== 'stopped').length).toBeGreaterThan(0);
    // (An alert from a probe timeout on a loaded machine is possible; a flow is not.)
    expect(rounds.filter((r) => r.action === 'failover' || r.action === 'failback' || r.action === 'repair'), JSON.stringify(rounds)).toEqual([]);
    expect(await s.stateTable().get('hq-egress')).toBeUndefined();
    const [record] = await s.stateTable().getDrills('hq-egress');
    expect(record).toMatchObject({ execution: 'drill-1', outcome: 'succeeded', standby: 'fw-b', bootSeconds: d.bootSeconds, source: 'manual' });
    const drillNotices = notices(s).filter((n) => n.body.event === 'drill');
    expect(drillNotices.map((n) => n.subject)).toEqual([expect.stringMatching(/^\[pan-failover\] hq-egress DRILL succeeded: fw-b ready after \d+s; \d+ checks, none failed/)]);
    expect(drillNotices[0]?.email).toContain('Standby drill of hq-egress succeeded: fw-b booted in');
    expect(s.iamDenials()).toEqual([]);
    expect((await s.consistency()).consistent).toBe(true);
  });

  it('a standby that never becomes ready is a failed drill: execution FAILED, notified, left stopped', async () => {
    const s = await started({
      config: orchConfig({ readiness: { deadlineSeconds: 60 } }),
      firewalls: { 'fw-b': { profile: { timings: { readyMs: 3_600_000 } } } },
    });
    const { status, drill: d, error } = await drill(s);
    expect(status).toBe('FAILED');
    expect(error).toBe('StandbyNotReadyError');
    expect(d.outcome).toBe('failed');
    expect(d.summary).toMatch(/^fw-b not ready within 60s \(last: (chassis-ready: no|API \w+.*)\); fw-b stopped again$/);
    expect(d.bootSeconds).toBeUndefined();
    expect(d.stopped).toBe(true);
    expect(['stopping', 'stopped']).toContain(stateOf(s, IDS.fwB));
    expect(await s.stateTable().get('hq-egress')).toBeUndefined();
    expect((await s.stateTable().getDrills('hq-egress'))[0]).toMatchObject({ outcome: 'failed' });
    const [notice] = notices(s).filter((n) => n.body.event === 'drill');
    expect(`[pan-failover] hq-egress DRILL FAILED: ${d.summary}`.startsWith((notice?.subject ?? '?').replace(/\.\.\.$/, ''))).toBe(true);
    expect(notice?.body).toMatchObject({ event: 'drill', outcome: 'failed', stoppedStandby: true });
    expect(notice?.email).toContain('Standby drill of hq-egress FAILED');
  });

  it('a standby that cannot be started (no capacity) is a failed drill, left stopped', async () => {
    const s = await started({ awsFaults: { capacity: [{ instanceId: IDS.fwB, count: 'always' }] } });
    const { status, drill: d } = await drill(s);
    expect(status).toBe('FAILED');
    expect(d.outcome).toBe('failed');
    expect(d.summary).toMatch(/^fw-b could not be started: InsufficientCapacityError/);
    expect(stateOf(s, IDS.fwB)).toBe('stopped');
    expect(d.summary).toMatch(/; fw-b left stopped$/);
    expect(d.stopRequested).toBeUndefined();
    expect(notices(s).filter((n) => n.body.event === 'drill').map((n) => n.body.outcome)).toEqual(['failed']);
  });

  it("a configuration drift on the standby (IKE gateway bound to the primary's address) is reported; the standby is stopped again", async () => {
    const s = await started();
    const fwB = s.firewall('fw-b');
    fwB.reconfigure({ tunnels: fwB.profile.tunnels.map((t) => ({ ...t, localIp: '10.10.1.10/24' })) });
    const { status, drill: d } = await drill(s);
    expect(status).toBe('SUCCEEDED');
    expect(d.outcome).toBe('drift');
    const failed = (d.results ?? []).filter((c) => c.status === 'fail').map((c) => `${c.check} ${c.subject}`);
    expect(failed).toContain('panos-tunnels fw-b tun-head-office');
    expect(failed).toContain('panos-config-match fw-a / fw-b');
    expect(d.stopped).toBe(true);
    const [notice] = notices(s).filter((n) => n.body.event === 'drill');
    expect(notice?.subject, notice?.subject).toMatch(/^\[pan-failover\] hq-egress DRILL FOUND DRIFT: fw-b ready after \d+s; \d+ check\(s\) failed: /);
    expect((notice?.body.failedChecks as { check: string }[]).map((c) => c.check)).toEqual(expect.arrayContaining(['panos-tunnels', 'panos-config-match']));
    expect(notice?.email).toContain('FAIL panos-tunnels fw-b tun-head-office');
  });

  it('an active firewall that is not healthy: no drill (refused after three looks), nothing started, notified', async () => {
    const s = await started();
    s.firewall('fw-a').setFaults({ dead: true });
    const since = lastSeq(s.world);
    const { status, drill: d } = await drill(s);
    expect(status).toBe('SUCCEEDED');
    expect(d.outcome).toBe('refused');
    expect(d.summary).toMatch(/^fw-a \(active\) is unreachable: no drill while the active firewall is not healthy$/);
    expect(stateOf(s, IDS.fwB)).toBe('stopped');
    expect(changesSince(s.world, since).filter((e) => e.type === 'ec2.instance.state')).toEqual([]);
    expect(await s.stateTable().get('hq-egress')).toBeUndefined();
    expect(notices(s).filter((n) => n.body.event === 'drill').map((n) => n.subject)).toEqual([expect.stringMatching(/^\[pan-failover\] hq-egress DRILL not run: fw-a \(active\) is unreachable/)]);
  });

  it('the drill schedule while the pair is paused: skipped (skipped-paused), nothing started, an information notice', async () => {
    const s = await started();
    const now = s.clock.now();
    await s.stateTable().putPause('hq-egress', { since: now, until: now + 3_600_000, by: 'alice', reason: 'PAN-OS upgrade of fw-b' }, undefined);
    const since = lastSeq(s.world);
    const run = await s.runFlow({ pair: 'hq-egress', action: 'drill', source: 'drill', reason: 'scheduled drill' }, 'scheduled-drill-1');
    expect(run.status).toBe('SUCCEEDED');
    expect(run.state?.result?.outcome).toBe('skipped-paused');
    expect(run.state?.drill).toBeUndefined();
    expect(changesSince(s.world, since).filter((e) => e.type === 'ec2.instance.state' || e.type.startsWith('dynamodb.item'))).toEqual([]);
    expect(stateOf(s, IDS.fwB)).toBe('stopped');
    const [notice] = notices(s);
    expect(notice?.subject).toMatch(/^\[pan-failover\] hq-egress DRILL skipped: pair paused until \S+ by alice$/);
    expect(notice?.email).toContain('Standby drill of hq-egress skipped: the pair is paused for maintenance');
    expect(notice?.email).toContain('the next scheduled drill runs after the pause');
  });

  it('the active dies during the drill: the probe fails over at once, the booting standby is its target, the drill yields; consistent', async () => {
    const s = await started({ schedule: true, firewalls: { 'fw-b': { profile: { timings: { readyMs: 60_000 } } } } });
    const arn = s.startFlow(DRILL, 'drill-1');
    // fw-b is booting for the drill when fw-a dies.
    expect(await s.waitUntil(() => stateOf(s, IDS.fwB) === 'running', 300_000, 200)).toBe(true);
    const bootStartedAt = s.clock.now();
    s.firewall('fw-a').setFaults({ dead: true });
    const ended = await s.waitExecution(arn);
    expect(ended.status).toBe('SUCCEEDED');
    const d = (JSON.parse(ended.output ?? '{}') as { drill: DrillProgress }).drill;
    expect(d.outcome).toBe('yielded');
    expect(d.stopped).toBe(false);
    expect(await s.waitUntil(() => executions(s).some((e) => e.name !== 'drill-1'), 600_000, 500)).toBe(true);
    const run = executions(s).find((e) => e.name !== 'drill-1');
    expect(run?.outcome).toBe('succeeded');
    expect(run?.state?.input.source).toBe('probe');
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
    expect((await s.stateTable().getDrills('hq-egress'))[0]).toMatchObject({ outcome: 'yielded' });
    expect(notices(s).filter((n) => n.body.event === 'drill').map((n) => n.body.outcome)).toEqual(['yielded']);
  });
});
