/**
 * The flow steps that talk to the firewalls (`firewall-steps.ts`): the re-check that decides
 * whether and where to move, the readiness wait, and the post-cutover verification. Over the
 * simulated world's direct ports on a ManualClock, with scripted firewalls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config, Role } from '#shared/config/schema.js';
import { LockLostError, ManagedResourceNotFoundError, TargetUnusableError } from '#shared/errors.js';
import { startTarget } from '#shared/usecases/flow/aws-steps.js';
import { acquireLock, validate } from '#shared/usecases/flow/control-steps.js';
import { checkReady, postVerify, recheck } from '#shared/usecases/flow/firewall-steps.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { makeConfig } from '../support/config.js';
import { drive, MUTATING_EC2, spyEc2, worldHarness, type FakeFirewallScript, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

const TUNNEL = 'tun-head-office';
const healthy: FakeFirewallScript = { tunnels: [TUNNEL] };
const FAILOVER = { pair: 'hq-egress', action: 'failover', reason: 'test', source: 'manual', from: 'primary' } as const;

function setup(config: Config = makeConfig(), firewalls: Record<string, FakeFirewallScript> = {}): WorldHarness {
  h = worldHarness(config, { firewalls });
  return h;
}

async function begin(w: WorldHarness, input: unknown = FAILOVER, deps = w.flowDeps()): Promise<FlowState> {
  return acquireLock(deps, validate(deps, { input, execution: 'exec-1' }));
}

/** Points every managed object of the pair at `role`. */
function moveAll(w: WorldHarness, role: Role): void {
  for (const r of w.pair.routes) w.world.ec2.replaceRoute(r.routeTableId, r.destination, { networkInterfaceId: r.targets[role] });
  for (const e of w.pair.elasticIps) {
    w.world.ec2.associateAddress({ allocationId: e.allocationId, networkInterfaceId: e[role].networkInterfaceId, privateIp: e[role].privateIp, allowReassociation: true });
  }
}

async function recheckOf(w: WorldHarness, input: unknown = FAILOVER): Promise<FlowState> {
  return recheck(w.flowDeps(), await begin(w, input));
}

describe('recheck', () => {
  it('a dead primary and a stopped cold standby: proceed toward the standby', async () => {
    const w = setup(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    const s = await recheckOf(w);
    expect(s.target).toBe('secondary');
    expect(s.from).toBe('primary');
    expect(s.recheck).toEqual({
      mode: 'proceed',
      reason: 'failover: fw-a (unreachable) -> fw-b (stopped), 6 object(s) to move',
      recordedOwner: undefined,
      awsOwner: 'primary',
      statuses: { primary: 'unreachable', secondary: 'stopped' },
      repairDns: false,
    });
    expect(s.phases.recheck?.outcome).toBe('proceed');
    // The stopped standby's API is not called; the failed one's tunnels are asked.
    expect(w.firewalls.callsTo('fw-b')).toEqual([]);
    expect(w.firewalls.callsTo('fw-a', 'systemInfo')).toHaveLength(1);
  });

  it('a stale trigger naming a firewall that is no longer the owner: no-op, even toward an unusable firewall', async () => {
    const w = setup(makeConfig({ standbyMode: 'warm' }), { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': { outcomes: 'untrusted' } });
    await w.ports.store.putOwner('hq-egress', { owner: 'secondary', since: w.clock.now() - 600_000, changedBy: 'exec-0', reason: 'failover' });
    moveAll(w, 'secondary');
    const s = await recheckOf(w);
    expect(s.target).toBe('secondary');
    expect(s.recheck?.mode).toBe('noop');
    expect(s.recheck?.reason).toBe('stale trigger: fw-a is no longer the active firewall (fw-b is)');
  });

  it('the trigger names a former owner but AWS is still split: complete the interrupted move to the recorded owner', async () => {
    const w = setup(makeConfig({ standbyMode: 'warm' }), { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': healthy });
    await w.ports.store.putOwner('hq-egress', { owner: 'secondary', since: w.clock.now(), changedBy: 'exec-0', reason: 'failover' });
    const r = w.pair.routes[0]!;
    w.world.ec2.replaceRoute(r.routeTableId, r.destination, { networkInterfaceId: r.targets.secondary });
    const s = await recheckOf(w);
    expect(s).toMatchObject({ target: 'secondary', from: 'primary' });
    expect(s.recheck).toMatchObject({ mode: 'proceed', reason: 'completing an interrupted move to fw-b', awsOwner: 'split', recordedOwner: 'secondary' });
  });

  it('a healthy active firewall: no failover away from it, unless forced', async () => {
    const w = setup(makeConfig(), { 'fw-a': healthy });
    const s = await recheckOf(w);
    expect(s.recheck?.mode).toBe('noop');
    expect(s.recheck?.reason).toBe('re-checked: fw-a is healthy; no failover away from a healthy firewall (use force to override)');
    expect(s.target).toBe('secondary');
    const forced = await recheck(w.flowDeps(), { ...(await begin(w, { ...FAILOVER, force: true })) });
    expect(forced.recheck?.mode).toBe('proceed');
  });

  it('a degraded active firewall (tunnel down, API fine): no-op for a manual trigger; proceed for the probe when tunnelDown is failover', async () => {
    const w = setup(makeConfig({ probe: { tunnelDown: 'failover' } }), { 'fw-a': { tunnels: [] } });
    const manual = await recheckOf(w);
    expect(manual.recheck?.statuses.primary).toBe('degraded');
    expect(manual.recheck?.mode).toBe('noop');
    const probe = await recheckOf(w, { ...FAILOVER, source: 'probe' });
    expect(probe.recheck?.mode).toBe('proceed');
  });

  it.each([
    ['refusing the key', { outcomes: 'auth' }, 'auth-error'],
    ['presenting an untrusted certificate', { outcomes: 'untrusted' }, 'untrusted'],
  ] as const)('an active firewall %s is not failed: no-op', async (_what, script, status) => {
    const w = setup(makeConfig(), { 'fw-a': script });
    const s = await recheckOf(w);
    expect(s.recheck?.statuses.primary).toBe(status);
    expect(s.recheck?.mode).toBe('noop');
    expect(s.recheck?.reason).toBe(`re-checked: fw-a is ${status}, which is not a failure; no failover (use force to override)`);
  });

  it('chassis-ready "no" right after the instance (re)started is booting: no-op', async () => {
    const w = setup(makeConfig(), { 'fw-a': { chassisReady: false } });
    const id = w.pair.firewalls.primary.instanceId;
    w.world.ec2.stopInstances([id]);
    await w.clock.advance(25_000);
    w.world.ec2.startInstances([id]);
    await w.clock.advance(20_000);
    const s = await recheckOf(w);
    expect(s.recheck?.statuses.primary).toBe('booting');
    expect(s.recheck?.mode).toBe('noop');
    expect(s.recheck?.reason).toBe('re-checked: fw-a is booting, which is not a failure; no failover (use force to override)');
  });

  it('chassis-ready "no" long after the start is a dead dataplane: the failover proceeds', async () => {
    const w = setup(makeConfig(), { 'fw-a': { chassisReady: false } });
    const s = await recheckOf(w);
    expect(s.recheck?.statuses.primary).toBe('unreachable');
    expect(s.recheck?.mode).toBe('proceed');
  });

  it('403 right after the instance (re)started is booting, not an auth failure', async () => {
    const w = setup(makeConfig(), { 'fw-a': { outcomes: 'auth' } });
    const id = w.pair.firewalls.primary.instanceId;
    w.world.ec2.stopInstances([id]);
    await w.clock.advance(25_000);
    w.world.ec2.startInstances([id]);
    await w.clock.advance(20_000);
    const s = await recheckOf(w);
    expect(s.recheck?.statuses.primary).toBe('booting');
    expect(s.recheck?.mode).toBe('noop');
  });

  describe('an unusable target fails before anything is started or moved', () => {
    async function expectUnusable(w: WorldHarness, message: string, input: unknown = FAILOVER): Promise<void> {
      const spy = spyEc2(w.ports.ec2, w.clock);
      const deps = w.flowDeps({ ec2: spy.port });
      const state = await begin(w, input, deps);
      const err = await recheck(deps, state).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TargetUnusableError);
      expect((err as Error).message).toBe(message);
      expect([...MUTATING_EC2, 'startInstance', 'stopInstance'].map((m) => spy.count(m as never))).toEqual([0, 0, 0, 0, 0]);
    }

    it('terminated', async () => {
      const w = setup(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
      w.world.ec2.terminateInstance(w.pair.firewalls.secondary.instanceId);
      await expectUnusable(w, 'fw-b cannot take the traffic: its instance is terminated');
    });

    it.each([
      ['untrusted', 'its certificate does not match the pinned fingerprint'],
      ['auth', 'it refuses the API key'],
      ['unreachable', 'it runs but its API does not answer (and it is not booting)'],
    ] as const)('a running warm standby whose API answers %s', async (outcome, why) => {
      const w = setup(makeConfig({ standbyMode: 'warm' }), { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': { outcomes: outcome } });
      await expectUnusable(w, `fw-b cannot take the traffic: ${why}`);
    });

    it('impaired status checks', async () => {
      const w = setup(makeConfig({ standbyMode: 'warm' }), { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': healthy });
      w.world.faults.set({ instances: { [w.pair.firewalls.secondary.instanceId]: { impaired: true } } });
      await expectUnusable(w, 'fw-b cannot take the traffic: its EC2 status checks are impaired');
    });

    it('a failback toward an untrusted primary', async () => {
      const w = setup(makeConfig({ standbyMode: 'warm' }), { 'fw-a': { outcomes: 'untrusted' }, 'fw-b': healthy });
      await w.ports.store.putOwner('hq-egress', { owner: 'secondary', since: 0, changedBy: 'exec-0', reason: 'failover' });
      moveAll(w, 'secondary');
      await expectUnusable(w, 'fw-a cannot take the traffic: its certificate does not match the pinned fingerprint', { pair: 'hq-egress', action: 'failback' });
    });

    it('but a dry run only reports', async () => {
      const w = setup(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
      w.world.ec2.terminateInstance(w.pair.firewalls.secondary.instanceId);
      const s = await recheckOf(w, { ...FAILOVER, dryRun: true });
      expect(s.recheck?.mode).toBe('proceed');
    });
  });

  it('a managed route that does not exist: ManagedResourceNotFoundError naming it, before anything is started', async () => {
    const base = makeConfig();
    const w = setup(base, { 'fw-a': { outcomes: 'unreachable' } });
    const withExtra = makeConfig({
      routes: [
        ...base.pairs[0]!.routes,
        { routeTableId: 'rtb-0aa00000000000001', destination: '10.99.0.0/16', targets: { primary: 'eni-0a000000000000011', secondary: 'eni-0b000000000000011' } },
      ],
    });
    const spy = spyEc2(w.ports.ec2, w.clock);
    const deps = w.flowDeps({ config: withExtra, ec2: spy.port });
    const err = await recheck(deps, await begin(w, FAILOVER, deps)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManagedResourceNotFoundError);
    expect((err as Error).message).toContain('route 10.99.0.0/16 in rtb-0aa00000000000001 does not exist');
    expect((err as ManagedResourceNotFoundError).retryable).toBe(false);
    expect([...MUTATING_EC2, 'startInstance'].map((m) => spy.count(m as never))).toEqual([0, 0, 0, 0]);
  });

  it('everything already on the target but not recorded (a run interrupted after the cutover): complete', async () => {
    const w = setup(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    await w.ports.store.putOwner('hq-egress', { owner: 'primary', since: 0, changedBy: 'bootstrap', reason: 'x' });
    moveAll(w, 'secondary');
    const s = await recheckOf(w, { pair: 'hq-egress', action: 'failover' });
    expect(s.target).toBe('secondary');
    expect(s.recheck).toMatchObject({ mode: 'complete', reason: 'managed objects already on fw-b; recording and fencing', awsOwner: 'secondary', recordedOwner: 'primary' });
  });

  it('everything already on the recorded target: no-op', async () => {
    const w = setup(makeConfig({ standbyMode: 'warm' }), { 'fw-a': healthy, 'fw-b': healthy });
    await w.ports.store.putOwner('hq-egress', { owner: 'primary', since: 0, changedBy: 'bootstrap', reason: 'x' });
    const s = await recheckOf(w, { pair: 'hq-egress', action: 'reconcile' });
    expect(s.target).toBe('primary');
    expect(s.recheck?.mode).toBe('noop');
    expect(s.recheck?.reason).toBe('every managed object already points at fw-a, the recorded owner');
  });

  it('failback targets the primary whoever is active', async () => {
    const w = setup(makeConfig({ standbyMode: 'warm' }), { 'fw-a': healthy, 'fw-b': healthy });
    await w.ports.store.putOwner('hq-egress', { owner: 'secondary', since: 0, changedBy: 'exec-0', reason: 'failover' });
    moveAll(w, 'secondary');
    const s = await recheckOf(w, { pair: 'hq-egress', action: 'failback' });
    expect(s).toMatchObject({ target: 'primary', from: 'secondary' });
    expect(s.recheck?.mode).toBe('proceed');
  });

  it('reconcile moves drifted objects back to the recorded owner, unless that owner is unhealthy', async () => {
    const w = setup(makeConfig(), { 'fw-a': healthy });
    await w.ports.store.putOwner('hq-egress', { owner: 'primary', since: 0, changedBy: 'bootstrap', reason: 'x' });
    const r = w.pair.routes[2]!;
    w.world.ec2.replaceRoute(r.routeTableId, r.destination, { networkInterfaceId: r.targets.secondary });
    const reconcile = { pair: 'hq-egress', action: 'reconcile', source: 'drift', from: 'secondary' };
    const s = await recheckOf(w, reconcile);
    expect(s).toMatchObject({ target: 'primary', from: 'secondary' });
    expect(s.recheck).toMatchObject({ mode: 'proceed', awsOwner: 'split' });

    w.firewalls.set('fw-a', { outcomes: 'unreachable' });
    const unhealthy = await recheckOf(w, reconcile);
    expect(unhealthy.recheck?.mode).toBe('noop');
    expect(unhealthy.recheck?.reason).toBe('drift not repaired: the recorded owner fw-a is unreachable');
  });
});

describe('checkReady', () => {
  /** Re-checked and started: the cold standby is `pending`. */
  async function started(w: WorldHarness): Promise<FlowState> {
    const s = await recheckOf(w);
    const after = await startTarget(w.flowDeps(), s);
    expect(after.start).toMatchObject({ done: true, state: 'pending' });
    return after;
  }

  function bootingStandby(fwB: FakeFirewallScript, config: Config = makeConfig()): WorldHarness {
    return setup(config, { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': fwB });
  }

  it('a target that stops by itself while booting is started again (twice at most), within the same deadline', async () => {
    const w = bootingStandby({ outcomes: 'ok' });
    let s = await started(w);
    const id = w.pair.firewalls.secondary.instanceId;
    const requestedAt = s.start?.requestedAt;
    for (let restart = 1; restart <= 2; restart++) {
      await w.clock.advance(20_000); // running
      w.world.ec2.stopInstances([id]);
      await w.clock.advance(60_000);
      s = await checkReady(w.flowDeps(), s);
      expect(s.ready).toMatchObject({ ready: false, restart: true, restarts: restart, detail: 'instance stopped while booting: starting it again' });
      expect(s.start?.done).toBe(false);
      s = await startTarget(w.flowDeps(), s);
      expect(s.start).toMatchObject({ done: true, state: 'pending', requestedAt });
      expect(w.world.ec2.instanceNow(id).state).toBe('pending');
    }
    await w.clock.advance(20_000);
    w.world.ec2.stopInstances([id]);
    await w.clock.advance(60_000);
    await expect(checkReady(w.flowDeps(), s)).rejects.toThrow(/stopped again after 2 restarts/);
  });

  it('walks through the boot phases: pending, refused, 403, chassis not ready, AutoCom pending, ready', async () => {
    const w = bootingStandby({ outcomes: ['unreachable', 'auth', 'ok'], chassisReady: [false, true], autoCommit: ['pending', 'done'] });
    let s = await started(w);
    const requestedAt = s.start?.requestedAt ?? 0;
    const details: string[] = [];
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      s = await checkReady(w.flowDeps(), s);
      details.push(s.ready?.detail ?? '');
      expect(s.ready).toMatchObject({ checks: i + 1, deadlineAt: requestedAt + 1_200_000, deadlineExceeded: false });
      if (s.ready?.ready) break;
      waits.push(s.ready?.waitSeconds ?? 0);
      await w.clock.advance(10_000);
    }
    // The configured 10 s until the API first answers (the 403), then one second per request the check
    // sent: 3 after an error (counted as all of them), 2 while the chassis is not ready (no jobs asked), 3 with the jobs.
    expect(waits).toEqual([10, 10, 10, 3, 2, 3]);
    // EC2 takes 16 s from pending to running: two polls 10 s apart.
    expect(details).toEqual([
      'instance pending',
      'instance pending',
      'API unreachable',
      'API auth (normal during boot)',
      'chassis-ready: no',
      'AutoCom job not finished',
      'ready (PAN-OS 11.1.6-h1)',
    ]);
    expect(s.ready).toMatchObject({ ready: true, swVersion: '11.1.6-h1', readyAt: w.clock.now() });
    expect(s.phases.boot).toMatchObject({ endedAt: w.clock.now(), outcome: 'ok' });
  });

  /**
   * The Step Functions loop CheckReady -> Wait -> CheckReady on the test's clock, against a
   * firewall whose boot goes refused -> 403 -> chassis not ready -> ready at given times after
   * the start request, every call taking `latencyMs`.
   */
  async function waitReady(config: Config, boot: { apiUpMs: number; authUpMs: number; readyMs: number }, latencyMs: number) {
    const w = bootingStandby({ outcomes: 'unreachable', latencyMs }, config);
    let s = await started(w);
    const t0 = s.start?.requestedAt ?? 0;
    const starts: number[] = [];
    const phase = (now: number) => (now < t0 + boot.apiUpMs ? 'refused' : now < t0 + boot.authUpMs ? '403' : now < t0 + boot.readyMs ? 'not-ready' : 'ready');
    let scripted = '';
    for (let i = 0; i < 2000 && !s.ready?.ready; i++) {
      if (i > 0) await w.clock.advance((s.ready?.waitSeconds ?? 0) * 1000);
      const p = phase(w.clock.now());
      if (p !== scripted) {
        scripted = p;
        w.firewalls.set('fw-b', { outcomes: p === 'refused' ? 'unreachable' : p === '403' ? 'auth' : 'ok', chassisReady: p === 'ready', autoCommit: p === 'ready' ? 'done' : 'pending', latencyMs });
      }
      starts.push(w.clock.now());
      s = await drive(w.clock, checkReady(w.flowDeps(), s), { stepMs: 10 });
    }
    const calls = w.firewalls.callsTo('fw-b').filter((c) => c.method !== 'forFirewall');
    return { s, starts, calls, readyAt: t0 + boot.readyMs };
  }

  it.each([
    ['a cold boot (default timings)', { apiUpMs: 76_000, authUpMs: 121_000, readyMs: 376_000 }, 40],
    ['ready right after the 403s', { apiUpMs: 30_000, authUpMs: 31_500, readyMs: 31_700 }, 5],
    ['slow answers (800 ms a call)', { apiUpMs: 50_000, authUpMs: 60_000, readyMs: 200_300 }, 800],
  ])('once the API answers, readiness is noticed within one fast poll, and the booting firewall never gets more than one request per second: %s', async (_label, boot, latencyMs) => {
    const config = makeConfig();
    const { s, starts, calls, readyAt } = await waitReady(config, boot, latencyMs);
    expect(s.ready?.ready).toBe(true);
    // Noticed within 3 s (one request per second, 3 requests a check) plus the check itself.
    const noticed = (s.ready?.readyAt ?? 0) - readyAt;
    expect(noticed).toBeGreaterThanOrEqual(0);
    expect(noticed).toBeLessThanOrEqual(3000 + 3 * latencyMs);
    // The firewall was asked something: every check that reached it sent at most 3 requests, and
    // the next check started no sooner than one second per request later.
    expect(calls.length).toBeGreaterThan(0);
    for (let k = 0; k + 1 < starts.length; k++) {
      const from = starts[k] ?? 0;
      const to = starts[k + 1] ?? 0;
      const sent = calls.filter((c) => c.at >= from && c.at < to).length;
      expect(sent).toBeLessThanOrEqual(3);
      expect(sent * 1000).toBeLessThanOrEqual(to - from);
    }
    // The AutoCom job is asked only once the chassis is ready (one request less per check before).
    expect(calls.filter((c) => c.method === 'jobs').every((c) => c.at >= readyAt)).toBe(true);
    // And over the whole wait, from the first request on, fewer requests than seconds.
    const first = calls[0]?.at ?? 0;
    expect(calls.length * 1000).toBeLessThanOrEqual((s.ready?.readyAt ?? 0) - first + 3000);
    // Before the first answer, the configured interval: no fast polling of a firewall that refuses.
    const refusedStarts = starts.filter((t) => t < (s.start?.requestedAt ?? 0) + boot.apiUpMs);
    for (let k = 0; k + 1 < refusedStarts.length; k++) expect((refusedStarts[k + 1] ?? 0) - (refusedStarts[k] ?? 0)).toBeGreaterThanOrEqual(10_000);
  });

  it('without requireAutoCommit a check sends 2 requests: polls every 2 s once the API answers', async () => {
    const config = makeConfig({ readiness: { requireAutoCommit: false } });
    const { s, starts } = await waitReady(config, { apiUpMs: 40_000, authUpMs: 50_000, readyMs: 90_000 }, 0);
    expect(s.ready?.ready).toBe(true);
    const gaps = starts.slice(1).map((t, k) => t - (starts[k] ?? 0)).filter((g) => g < 10_000);
    expect(new Set(gaps)).toEqual(new Set([2000]));
  });

  it('a target that answers but does not get ready polls fast for 15 minutes, then at the configured interval (bounded execution history)', async () => {
    const config = makeConfig({ readiness: { deadlineSeconds: 3600 } });
    const { s, starts } = await waitReady(config, { apiUpMs: 60_000, authUpMs: 70_000, readyMs: 2_000_000 }, 0);
    expect(s.ready?.ready).toBe(true);
    const firstAnswer = (s.ready?.answeredAt ?? 0);
    expect(firstAnswer).toBeGreaterThan(0);
    const gaps = starts.slice(1).map((t, k) => ({ at: starts[k] ?? 0, gap: t - (starts[k] ?? 0) }));
    for (const g of gaps) {
      if (g.at < firstAnswer) expect(g.gap).toBe(10_000);
      else if (g.at - firstAnswer < 900_000 - 10_000) expect(g.gap).toBeLessThanOrEqual(3000);
      else if (g.at - firstAnswer >= 900_000) expect(g.gap).toBe(10_000);
    }
  });

  it('a configured poll interval shorter than the fast one is kept', async () => {
    const config = makeConfig({ readiness: { pollIntervalSeconds: 2 } });
    const { starts } = await waitReady(config, { apiUpMs: 40_000, authUpMs: 50_000, readyMs: 60_000 }, 0);
    // 2 s apart throughout: faster polling than configured would never be chosen, slower neither.
    expect(new Set(starts.slice(1).map((t, k) => t - (starts[k] ?? 0)))).toEqual(new Set([2000]));
  });

  it('a target restarted while booting goes back to the configured interval until its API answers again', async () => {
    const w = bootingStandby({ outcomes: 'auth' });
    let s = await started(w);
    await w.clock.advance(20_000);
    s = await checkReady(w.flowDeps(), s);
    expect(s.ready).toMatchObject({ answeredAt: w.clock.now(), waitSeconds: 3 });
    w.world.ec2.stopInstances([w.pair.firewalls.secondary.instanceId]);
    await w.clock.advance(60_000);
    s = await checkReady(w.flowDeps(), s);
    expect(s.ready).toMatchObject({ restart: true, waitSeconds: 10 });
    expect(s.ready?.answeredAt).toBeUndefined();
  });

  it('does not call the API of an instance that is not running yet', async () => {
    const w = bootingStandby({});
    const s = await checkReady(w.flowDeps(), await started(w));
    expect(s.ready?.detail).toBe('instance pending');
    expect(w.firewalls.callsTo('fw-b')).toEqual([]);
  });

  it('a failed AutoCom job: TargetUnusableError (waiting will not fix it)', async () => {
    const w = bootingStandby({ autoCommit: 'failed' });
    const s = await started(w);
    await w.clock.advance(20_000);
    await expect(checkReady(w.flowDeps(), s)).rejects.toThrow(new TargetUnusableError('fw-b: the AutoCom job failed after boot'));
  });

  it('with requireAutoCommit off, a pending AutoCom does not hold readiness (and jobs are not asked)', async () => {
    const w = bootingStandby({ autoCommit: 'pending' }, makeConfig({ readiness: { requireAutoCommit: false } }));
    const s = await started(w);
    await w.clock.advance(20_000);
    const after = await checkReady(w.flowDeps(), s);
    expect(after.ready?.ready).toBe(true);
    expect(w.firewalls.callsTo('fw-b', 'jobs')).toEqual([]);
  });

  it('an AutoCom job aged out of the job history counts as done', async () => {
    const w = bootingStandby({ autoCommit: 'absent' });
    const s = await started(w);
    await w.clock.advance(20_000);
    expect((await checkReady(w.flowDeps(), s)).ready?.ready).toBe(true);
  });

  it('a PAN-OS version other than the expected one: TargetUnusableError naming both', async () => {
    const w = bootingStandby({ swVersion: '10.2.11' }, makeConfig({ readiness: { expectedSoftwareVersion: '11.1.6-h1' } }));
    const s = await started(w);
    await w.clock.advance(20_000);
    await expect(checkReady(w.flowDeps(), s)).rejects.toThrow(new TargetUnusableError('fw-b runs PAN-OS 10.2.11, expected 11.1.6-h1'));
  });

  it('the expected version: ready', async () => {
    const w = bootingStandby({}, makeConfig({ readiness: { expectedSoftwareVersion: '11.1.6-h1' } }));
    const s = await started(w);
    await w.clock.advance(20_000);
    expect((await checkReady(w.flowDeps(), s)).ready?.ready).toBe(true);
  });

  it('a ready target, but the pair\'s lock is no longer this execution\'s (taken over, or a redriven old execution): LockLostError, no cutover', async () => {
    const w = bootingStandby({});
    const s = await started(w);
    await w.clock.advance(20_000);
    const taken = await w.ports.store.takeOver('hq-egress', 'exec-2', s.execution, w.clock.now(), 600_000);
    expect(taken.acquired).toBe(true);
    await expect(checkReady(w.flowDeps(), s)).rejects.toThrow(new LockLostError(`${s.execution} no longer holds the lock of hq-egress (held by exec-2): not cutting over`));
  });

  it('an untrusted certificate: TargetUnusableError, no key sent', async () => {
    const w = bootingStandby({ outcomes: 'untrusted' });
    const s = await started(w);
    await w.clock.advance(20_000);
    await expect(checkReady(w.flowDeps(), s)).rejects.toBeInstanceOf(TargetUnusableError);
    expect(w.firewalls.callsTo('fw-b', 'chassisReady')).toEqual([]);
  });

  it('an instance terminated while we wait: TargetUnusableError', async () => {
    const w = bootingStandby({});
    const s = await started(w);
    w.world.ec2.terminateInstance(w.pair.firewalls.secondary.instanceId);
    await expect(checkReady(w.flowDeps(), s)).rejects.toThrow(new TargetUnusableError('fw-b: instance terminated while waiting for it'));
  });

  it('past the deadline (counted from the start request): deadlineExceeded, with the last detail', async () => {
    const w = bootingStandby({ chassisReady: false });
    let s = await started(w);
    const requestedAt = s.start?.requestedAt ?? 0;
    await w.clock.advance(30_000);
    s = await checkReady(w.flowDeps(), s);
    expect(s.ready?.deadlineExceeded).toBe(false);
    await w.clock.advance(requestedAt + 1_200_000 - w.clock.now() - 1);
    s = await checkReady(w.flowDeps(), s);
    expect(s.ready?.deadlineExceeded).toBe(false);
    await w.clock.advance(1);
    s = await checkReady(w.flowDeps(), s);
    expect(s.ready).toMatchObject({
      ready: false,
      deadlineExceeded: true,
      checks: 3,
      detail: 'fw-b not ready 1200 s after the start request (deadline 1200 s); last: chassis-ready: no',
    });
    expect(s.phases.boot?.outcome).toBe('deadline');
  });
});

describe('postVerify', () => {
  async function afterCutover(w: WorldHarness): Promise<FlowState> {
    return recheckOf(w);
  }

  it('the new owner answers and its tunnels are up: done', async () => {
    const w = setup(makeConfig(), { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': healthy });
    const s = await postVerify(w.flowDeps(), await afterCutover(w));
    expect(s.verify).toEqual({ done: true, waitSeconds: 10, healthy: true, tunnelsUp: [TUNNEL], tunnelsDown: [], timedOut: false, checks: 1 });
    expect(s.phases.verify?.outcome).toBe('ok');
  });

  it('tunnels still negotiating: not done; then up: done', async () => {
    const w = setup(makeConfig(), { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': { tunnels: [] } });
    let s = await postVerify(w.flowDeps(), await afterCutover(w));
    expect(s.verify).toMatchObject({ done: false, healthy: true, tunnelsDown: [TUNNEL], timedOut: false, checks: 1 });
    expect(s.phases.verify?.endedAt).toBeUndefined();
    await w.clock.advance(10_000);
    w.firewalls.set('fw-b', healthy);
    s = await postVerify(w.flowDeps(), s);
    expect(s.verify).toMatchObject({ done: true, tunnelsUp: [TUNNEL], checks: 2 });
  });

  it('tunnels not up within tunnelTimeoutSeconds: done and reported as timed out (never rolled back)', async () => {
    const w = setup(makeConfig(), { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': { tunnels: [] } });
    let s = await postVerify(w.flowDeps(), await afterCutover(w));
    await w.clock.advance(300_000);
    s = await postVerify(w.flowDeps(), s);
    expect(s.verify).toMatchObject({ done: true, timedOut: true, tunnelsDown: [TUNNEL], healthy: true });
    expect(s.phases.verify?.outcome).toBe('incomplete: 1 tunnel(s) down');
  });

  it('expects every proxy-ID of a tunnel', async () => {
    const config = makeConfig({ tunnels: [{ name: 'tun-branch', proxyIds: ['lan', 'voice'] }] });
    const w = setup(config, { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': { tunnels: ['tun-branch:lan'] } });
    const s = await postVerify(w.flowDeps(), await afterCutover(w));
    expect(s.verify).toMatchObject({ done: false, tunnelsUp: ['tun-branch:lan'], tunnelsDown: ['tun-branch:voice'] });
  });

  it('an API that does not answer is not healthy', async () => {
    const w = setup(makeConfig(), { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': { chassisReady: false, tunnels: [TUNNEL] } });
    const s = await postVerify(w.flowDeps(), await afterCutover(w));
    expect(s.verify).toMatchObject({ done: false, healthy: false });
  });

  it('once done, a repeated poll changes nothing and calls nothing', async () => {
    const w = setup(makeConfig(), { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': healthy });
    const done = await postVerify(w.flowDeps(), await afterCutover(w));
    const calls = w.firewalls.calls.length;
    expect(await postVerify(w.flowDeps(), done)).toBe(done);
    expect(w.firewalls.calls.length).toBe(calls);
  });
});
