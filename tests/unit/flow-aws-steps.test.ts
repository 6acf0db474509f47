/**
 * The flow steps that only call AWS (`aws-steps.ts`), except the cutover (flow-cutover.test.ts):
 * starting the target, fencing the old owner, the DNS update and its sync poll, the dry-run
 * plan. Over the simulated world's direct ports on a ManualClock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config, Role } from '#shared/config/schema.js';
import { InsufficientCapacityError, LockLostError, TargetUnusableError } from '#shared/errors.js';
import { runAwsStep } from '#shared/usecases/flow/dispatch.js';
import type { DnsPort } from '#shared/ports/dns.js';
import { dnsStatus, dnsUpsert, fence, plan, startTarget } from '#shared/usecases/flow/aws-steps.js';
import { acquireLock, validate } from '#shared/usecases/flow/control-steps.js';
import { checkReady, recheck } from '#shared/usecases/flow/firewall-steps.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { makeConfig } from '../support/config.js';
import { MUTATING_EC2, drive, spyEc2, truePlacement, worldHarness, type FakeFirewallScript, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

const TUNNEL = 'tun-head-office';
const FAILOVER = { pair: 'hq-egress', action: 'failover', reason: 'test', source: 'manual', from: 'primary' } as const;
const DEAD_A: Record<string, FakeFirewallScript> = { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': { tunnels: [TUNNEL] } };
const FW_A = 'i-0a1b2c3d4e5f60001';
const FW_B = 'i-0a1b2c3d4e5f60002';

function setup(config: Config = makeConfig(), firewalls: Record<string, FakeFirewallScript> = DEAD_A): WorldHarness {
  h = worldHarness(config, { firewalls });
  return h;
}

async function rechecked(w: WorldHarness, input: unknown = FAILOVER): Promise<FlowState> {
  const deps = w.flowDeps();
  return recheck(deps, await acquireLock(deps, validate(deps, { input, execution: 'exec-1' })));
}

function stateOf(w: WorldHarness, instanceId: string): string {
  return w.world.ec2.instanceNow(instanceId).state;
}

function moveAll(w: WorldHarness, role: Role): void {
  for (const r of w.pair.routes) w.world.ec2.replaceRoute(r.routeTableId, r.destination, { networkInterfaceId: r.targets[role] });
  for (const e of w.pair.elasticIps) {
    w.world.ec2.associateAddress({ allocationId: e.allocationId, networkInterfaceId: e[role].networkInterfaceId, privateIp: e[role].privateIp, allowReassociation: true });
  }
}

describe('startTarget', () => {
  it('a stopped target: one StartInstances, done (pending), the request time kept for the readiness deadline', async () => {
    const w = setup();
    const spy = spyEc2(w.ports.ec2, w.clock);
    const s = await startTarget(w.flowDeps({ ec2: spy.port }), await rechecked(w));
    expect(s.start).toEqual({
      done: true,
      state: 'pending',
      attempts: 0,
      typeIndex: 0,
      instanceType: 'm5.xlarge',
      waitSeconds: 0,
      requestedAt: w.clock.now(),
      lastTryAt: w.clock.now(),
      capacityWaitMs: 0,
      runningAt: undefined,
      notes: ['StartInstances on m5.xlarge'],
    });
    expect(spy.count('startInstance')).toBe(1);
    expect(stateOf(w, FW_B)).toBe('pending');
    expect(s.phases.start?.outcome).toBe('ok');
  });

  it('a running target: done at once, no StartInstances', async () => {
    const w = setup(makeConfig({ standbyMode: 'warm' }));
    const spy = spyEc2(w.ports.ec2, w.clock);
    const s = await startTarget(w.flowDeps({ ec2: spy.port }), await rechecked(w));
    expect(s.start).toMatchObject({ done: true, state: 'running', runningAt: w.clock.now() });
    expect(s.phases.start?.outcome).toBe('already running');
    expect(spy.count('startInstance')).toBe(0);
  });

  it('a pending target: done at once, no second StartInstances', async () => {
    const w = setup();
    const state = await rechecked(w);
    w.world.ec2.startInstances([FW_B]);
    const spy = spyEc2(w.ports.ec2, w.clock);
    const s = await startTarget(w.flowDeps({ ec2: spy.port }), state);
    expect(s.start).toMatchObject({ done: true, state: 'pending' });
    expect(spy.count('startInstance')).toBe(0);
  });

  it('a target still stopping is waited out (5 s polls), then started', async () => {
    const w = setup(makeConfig({ standbyMode: 'warm' }));
    const state = await rechecked(w);
    w.world.ec2.stopInstances([FW_B]);
    const spy = spyEc2(w.ports.ec2, w.clock);
    const deps = w.flowDeps({ ec2: spy.port });
    let s = await startTarget(deps, state);
    expect(s.start).toMatchObject({ done: false, state: 'stopping', waitSeconds: 5 });
    expect(s.phases.start?.endedAt).toBeUndefined();
    expect(spy.count('startInstance')).toBe(0);
    await w.clock.advance(20_000);
    s = await startTarget(deps, s);
    expect(s.start).toMatchObject({ done: true, state: 'pending', requestedAt: state.phases.recheck?.endedAt });
    expect(spy.count('startInstance')).toBe(1);
  });

  it('a terminated target: TargetUnusableError, nothing started', async () => {
    const w = setup();
    const state = await rechecked(w);
    w.world.ec2.terminateInstance(FW_B);
    await expect(startTarget(w.flowDeps(), state)).rejects.toThrow(new TargetUnusableError(`fw-b: instance ${FW_B} is terminated`));
  });

  describe('no capacity', () => {
    const capacityConfig = (fallbackInstanceTypes: string[] = ['c5.xlarge'], maxAttempts = 3) =>
      makeConfig({ start: { maxAttempts, retryIntervalSeconds: 15, fallbackInstanceTypes } });

    it('retries start.maxAttempts times per type, then switches to the fallback type, which starts', async () => {
      const w = setup(capacityConfig());
      w.world.faults.set({ capacity: [{ instanceId: FW_B, instanceType: 'm5.xlarge', count: 'always' }] });
      const deps = w.flowDeps();
      let s = await rechecked(w);
      const seen: unknown[] = [];
      for (let i = 0; i < 4; i++) {
        s = await drive(w.clock, startTarget(deps, s));
        seen.push({ done: s.start?.done, state: s.start?.state, attempts: s.start?.attempts, typeIndex: s.start?.typeIndex, waitSeconds: s.start?.waitSeconds });
        await w.clock.advance((s.start?.waitSeconds ?? 0) * 1000);
      }
      expect(seen).toEqual([
        { done: false, state: 'capacity', attempts: 1, typeIndex: 0, waitSeconds: 15 },
        { done: false, state: 'capacity', attempts: 2, typeIndex: 0, waitSeconds: 15 },
        { done: false, state: 'capacity', attempts: 0, typeIndex: 1, waitSeconds: 1 },
        { done: true, state: 'pending', attempts: 0, typeIndex: 1, waitSeconds: 0 },
      ]);
      expect(s.start?.notes).toEqual([
        'no capacity for m5.xlarge (attempt 1 of 3)',
        'no capacity for m5.xlarge (attempt 2 of 3)',
        'no capacity for m5.xlarge (attempt 3 of 3)',
        'instance type changed to c5.xlarge',
        'StartInstances on c5.xlarge',
      ]);
      expect(w.world.ec2.instanceNow(FW_B).instanceType).toBe('c5.xlarge');
      expect(stateOf(w, FW_B)).toBe('pending');
      // The waits for capacity (15 + 15 + 1 s) are not the boot's: the readiness deadline counts from the start that worked.
      expect(s.start?.capacityWaitMs).toBeGreaterThanOrEqual(31_000);
      const checked = await drive(w.clock, checkReady(w.flowDeps(), s));
      expect(checked.ready?.deadlineAt).toBe((s.start?.requestedAt ?? 0) + (s.start?.capacityWaitMs ?? 0) + 1_200_000);
    });

    it('skips a fallback type too small for the firewall\'s ENIs and addresses', async () => {
      // fw-b has 3 ENIs (management, untrust with 2 addresses, trust); m4.large takes 2 ENIs.
      const w = setup(capacityConfig(['m4.large', 'c5.xlarge'], 1));
      w.world.faults.set({ capacity: [{ instanceId: FW_B, instanceType: 'm5.xlarge', count: 'always' }] });
      const s = await drive(w.clock, startTarget(w.flowDeps(), await rechecked(w)));
      expect(s.start).toMatchObject({ done: false, state: 'capacity', typeIndex: 2 });
      expect(s.start?.notes).toEqual([
        'no capacity for m5.xlarge (attempt 1 of 1)',
        'm4.large skipped: 2 ENIs x 10 addresses, this firewall needs 3 x 2',
        'instance type changed to c5.xlarge',
      ]);
      expect(w.world.ec2.instanceNow(FW_B).instanceType).toBe('c5.xlarge');
    });

    it('each attempt is one StartInstances call; attempts are retryIntervalSeconds apart', async () => {
      const w = setup(capacityConfig([], 3));
      w.world.faults.set({ capacity: [{ instanceId: FW_B, count: 'always' }] });
      const spy = spyEc2(w.ports.ec2, w.clock);
      const deps = w.flowDeps({ ec2: spy.port });
      let s = await rechecked(w);
      for (let i = 0; i < 2; i++) {
        s = await drive(w.clock, startTarget(deps, s));
        await w.clock.advance(15_000);
      }
      await drive(w.clock, startTarget(deps, s)).catch(() => undefined);
      const starts = spy.calls.filter((c) => c.method === 'startInstance').map((c) => c.at);
      expect(starts).toHaveLength(3);
      expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(15_000);
      expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(15_000);
    });

    it('two capacity failures with 4 attempts allowed: starts on the third attempt', async () => {
      const w = setup(capacityConfig([], 4));
      w.world.faults.set({ capacity: [{ instanceId: FW_B, count: 2 }] });
      const deps = w.flowDeps();
      let s = await rechecked(w);
      const states: string[] = [];
      for (let i = 0; i < 3; i++) {
        s = await drive(w.clock, startTarget(deps, s));
        states.push(`${s.start?.state}/${s.start?.attempts}`);
        await w.clock.advance(15_000);
      }
      expect(states).toEqual(['capacity/1', 'capacity/2', 'pending/2']);
    });

    it('exhausted on every type: InsufficientCapacityError naming the types; the target stays stopped', async () => {
      const w = setup(capacityConfig([], 2));
      w.world.faults.set({ capacity: [{ instanceId: FW_B, count: 'always' }] });
      const deps = w.flowDeps();
      let s = await rechecked(w);
      s = await drive(w.clock, startTarget(deps, s));
      expect(s.start).toMatchObject({ done: false, state: 'capacity', attempts: 1 });
      const err = await drive(w.clock, startTarget(deps, s)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InsufficientCapacityError);
      expect((err as Error).message).toBe(`StartInstances: fw-b (${FW_B}) could not start: no capacity for m5.xlarge after 2 attempts each`);
      expect(stateOf(w, FW_B)).toBe('stopped');
    });
  });
});

describe('steps that change AWS run only for the lock holder', () => {
  it('an execution whose lock was taken over (or an old one redriven by hand) starts, moves, fences and updates DNS nothing', async () => {
    const w = setup();
    const state = await rechecked(w);
    await w.ports.store.takeOver('hq-egress', 'exec-2', 'exec-1', w.clock.now(), 600_000);
    const spy = spyEc2(w.ports.ec2, w.clock);
    for (const step of ['startTarget', 'cutover', 'fence', 'dnsUpsert'] as const) {
      await expect(runAwsStep(w.flowDeps({ ec2: spy.port }), { step, state }), step).rejects.toThrow(
        new LockLostError(`exec-1 no longer holds the lock of hq-egress (held by exec-2): not running ${step}`),
      );
    }
    expect([...MUTATING_EC2, 'startInstance', 'stopInstance'].map((m) => spy.count(m as never))).toEqual([0, 0, 0, 0, 0]);
    // Reading steps need no lock.
    await expect(runAwsStep(w.flowDeps(), { step: 'plan', state })).resolves.toMatchObject({ plan: expect.anything() });
  });
});

describe('fence', () => {
  it('cold failover: stops the old owner', async () => {
    const w = setup();
    const s = await fence(w.flowDeps(), await rechecked(w));
    expect(s.fence).toEqual({ action: 'stopped', detail: `fw-a (${FW_A}) stopping` });
    expect(stateOf(w, FW_A)).toBe('stopping');
    expect(s.phases.fence?.outcome).toBe('ok');
  });

  it('an old owner already stopped (crashed) stays stopped; fencing still reports it', async () => {
    const w = setup();
    w.world.ec2.crashInstance(FW_A);
    await w.clock.advance(60_000);
    const s = await fence(w.flowDeps(), await rechecked(w));
    expect(s.fence).toEqual({ action: 'stopped', detail: `fw-a (${FW_A}) stopped` });
  });

  it('warm failover: the old primary is stopped (fenced) like a cold one; only a failback leaves a warm standby running', async () => {
    const w = setup(makeConfig({ standbyMode: 'warm' }), { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': { tunnels: [TUNNEL] } });
    expect(stateOf(w, FW_B)).toBe('running');
    const state = await rechecked(w);
    expect(state.recheck?.mode).toBe('proceed');
    // The dry run says so (nothing to start: the warm standby runs).
    expect((await plan(w.flowDeps(), state)).plan?.instances).toEqual([`stop ${FW_A} (fw-a, now running) to fence it`]);
    const spy = spyEc2(w.ports.ec2, w.clock);
    const s = await fence(w.flowDeps({ ec2: spy.port }), state);
    expect(s.fence).toEqual({ action: 'stopped', detail: `fw-a (${FW_A}) stopping` });
    expect(spy.calls.filter((c) => c.method === 'stopInstance').map((c) => c.args[0])).toEqual([FW_A]);
    expect(stateOf(w, FW_A)).toBe('stopping');
    expect(stateOf(w, FW_B)).toBe('running');
  });

  it('warm failback: the secondary is the running warm standby again, not stopped', async () => {
    const w = setup(makeConfig({ standbyMode: 'warm' }), { 'fw-a': { tunnels: [TUNNEL] }, 'fw-b': { tunnels: [TUNNEL] } });
    await w.ports.store.putOwner('hq-egress', { owner: 'secondary', since: 0, changedBy: 'exec-0', reason: 'failover' });
    moveAll(w, 'secondary');
    const spy = spyEc2(w.ports.ec2, w.clock);
    const s = await fence(w.flowDeps({ ec2: spy.port }), await rechecked(w, { pair: 'hq-egress', action: 'failback' }));
    expect(s.fence).toEqual({ action: 'none', detail: 'fencing not applicable for failback' });
    expect(spy.count('stopInstance')).toBe(0);
    expect(stateOf(w, FW_B)).toBe('running');
  });

  it('cold failback: the secondary goes back to being a stopped standby', async () => {
    const w = setup(makeConfig(), { 'fw-a': { tunnels: [TUNNEL] } });
    await w.ports.store.putOwner('hq-egress', { owner: 'secondary', since: 0, changedBy: 'exec-0', reason: 'failover' });
    moveAll(w, 'secondary');
    w.world.ec2.startInstances([FW_B]);
    await w.clock.advance(20_000);
    const s = await fence(w.flowDeps(), await rechecked(w, { pair: 'hq-egress', action: 'failback' }));
    expect(s.fence?.action).toBe('stopped');
    expect(stateOf(w, FW_B)).toBe('stopping');
  });

  it('fencing "none": nothing stopped', async () => {
    const w = setup(makeConfig({ fencing: 'none' }));
    const s = await fence(w.flowDeps(), await rechecked(w));
    expect(s.fence).toEqual({ action: 'none', detail: 'fencing disabled for failover' });
    expect(stateOf(w, FW_A)).toBe('running');
  });

  it('reconcile never fences', async () => {
    const w = setup(makeConfig(), { 'fw-a': { tunnels: [TUNNEL] } });
    await w.ports.store.putOwner('hq-egress', { owner: 'primary', since: 0, changedBy: 'bootstrap', reason: 'x' });
    const s = await fence(w.flowDeps(), await rechecked(w, { pair: 'hq-egress', action: 'reconcile' }));
    expect(s.fence?.action).toBe('none');
    expect(stateOf(w, FW_B)).toBe('stopped');
  });

  it('a failure to stop is reported (stop it by hand), never thrown: the cutover stands', async () => {
    const w = setup();
    const state = await rechecked(w);
    w.world.faults.set({ errorRates: { 'ec2:StopInstances': { rate: 1, code: 'UnauthorizedOperation' } } });
    const s = await fence(w.flowDeps(), state);
    expect(s.fence?.action).toBe('failed');
    expect(s.fence?.detail).toMatch(new RegExp(`^could not stop fw-a \\(${FW_A}\\): .*access denied.*; stop it by hand$`));
    expect(s.phases.fence?.outcome).toBe('FAILED');
    expect(w.telemetry.logs.some((l) => l.level === 'error' && l.message === 'fencing failed')).toBe(true);
    expect(stateOf(w, FW_A)).toBe('running');
  });
});

describe('DNS', () => {
  const APP = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', name: 'app.example.com', type: 'A' as const, ttl: 60, values: { primary: ['192.0.2.10'], secondary: ['192.0.2.20'] } };
  const GP = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', name: 'gp.example.com', type: 'A' as const, ttl: 60, followElasticIp: 'eipalloc-0e000000000000001' };
  const dnsConfig = (postVerify = {}) => makeConfig({ dnsRecords: [GP, APP], postVerify });

  function countingDns(dns: DnsPort): { port: DnsPort; upserts: string[] } {
    const upserts: string[] = [];
    return {
      upserts,
      port: {
        getRecord: (z, n, t) => dns.getRecord(z, n, t),
        upsertRecord: (z, r, c) => {
          upserts.push(`${r.name} ${r.values.join(',')}`);
          return dns.upsertRecord(z, r, c);
        },
        getChangeStatus: (id) => dns.getChangeStatus(id),
      },
    };
  }

  it('UPSERTs only records that do not hold the target value yet; PENDING, then INSYNC', async () => {
    const w = setup(dnsConfig(), DEAD_A);
    const dns = countingDns(w.ports.dns);
    const deps = w.flowDeps({ dns: dns.port });
    let s = await dnsUpsert(deps, await rechecked(w));
    expect(dns.upserts).toEqual(['app.example.com 192.0.2.20']);
    // The record following the EIP keeps its address: the EIP itself moves.
    expect(s.dns?.skipped).toEqual(['gp.example.com A already 198.51.100.10']);
    expect(s.dns?.changes).toEqual([{ record: 'app.example.com A -> 192.0.2.20', changeId: expect.any(String), status: 'PENDING' }]);
    expect(s.dns).toMatchObject({ done: false, timedOut: false });
    expect(s.phases.dns?.endedAt).toBeUndefined();
    // Route 53 serves the new value only once the change is INSYNC.
    expect(w.world.route53.resolve('app.example.com')?.values).toEqual(['192.0.2.10']);

    await w.clock.advance(10_000);
    s = await dnsStatus(deps, s);
    expect(s.dns).toMatchObject({ done: false, changes: [{ status: 'PENDING' }] });
    await w.clock.advance(20_000);
    s = await dnsStatus(deps, s);
    expect(s.dns).toMatchObject({ done: true, timedOut: false, insyncAt: w.clock.now(), changes: [{ status: 'INSYNC' }] });
    expect(s.phases.dns?.outcome).toBe('INSYNC');
    expect(w.world.route53.resolve('app.example.com')?.values).toEqual(['192.0.2.20']);
    expect(await dnsStatus(deps, s)).toBe(s);
  });

  it('a re-run finds the records right and changes nothing', async () => {
    const w = setup(dnsConfig(), DEAD_A);
    const state = await rechecked(w);
    await dnsUpsert(w.flowDeps(), state);
    const dns = countingDns(w.ports.dns);
    const again = await dnsUpsert(w.flowDeps({ dns: dns.port }), state);
    expect(dns.upserts).toEqual([]);
    expect(again.dns).toMatchObject({ done: true, changes: [], skipped: ['gp.example.com A already 198.51.100.10', 'app.example.com A already 192.0.2.20'] });
    expect(again.phases.dns?.outcome).toBe('nothing to change');
  });

  it('a change PENDING past dnsSyncTimeoutSeconds is reported as late, and no longer waited for', async () => {
    const w = setup(dnsConfig({ dnsSyncTimeoutSeconds: 60 }), DEAD_A);
    w.world.faults.set({ dnsSyncMs: 3_600_000 });
    let s = await dnsUpsert(w.flowDeps(), await rechecked(w));
    await w.clock.advance(59_999);
    s = await dnsStatus(w.flowDeps(), s);
    expect(s.dns?.done).toBe(false);
    await w.clock.advance(1);
    s = await dnsStatus(w.flowDeps(), s);
    expect(s.dns).toMatchObject({ done: true, timedOut: true, insyncAt: undefined, changes: [{ status: 'PENDING' }] });
    expect(s.phases.dns?.outcome).toBe('still PENDING (reported)');
  });
});

describe('plan (dry run)', () => {
  it('lists every route, EIP, record and instance that would change, and changes nothing', async () => {
    const w = setup(makeConfig({ dnsRecords: [{ hostedZoneId: 'Z0123456789ABCDEFGHIJ', name: 'app.example.com', type: 'A', ttl: 60, values: { primary: ['192.0.2.10'], secondary: ['192.0.2.20'] } }] }), DEAD_A);
    const state = await rechecked(w, { ...FAILOVER, dryRun: true });
    const spy = spyEc2(w.ports.ec2, w.clock);
    const s = await plan(w.flowDeps({ ec2: spy.port }), state);
    expect(s.plan?.changes).toHaveLength(6);
    expect(s.plan?.changes[0]).toBe('replace route 0.0.0.0/0 in rtb-0aa00000000000001: eni-0a000000000000011 -> eni-0b000000000000011');
    expect(s.plan?.changes).toContain('associate EIP eipalloc-0e000000000000002 (198.51.100.20): eni-0a000000000000012/10.10.1.11 -> eni-0b000000000000012/10.20.1.11');
    expect(s.plan?.dns).toEqual(['UPSERT app.example.com A 192.0.2.10 -> 192.0.2.20 (TTL 60)']);
    expect(s.plan?.instances).toEqual([`start ${FW_B} (fw-b, now stopped)`, `stop ${FW_A} (fw-a, now running) to fence it`]);
    expect(s.plan?.blockers).toEqual([]);
    expect([...MUTATING_EC2, 'startInstance', 'stopInstance'].map((m) => spy.count(m as never))).toEqual([0, 0, 0, 0, 0]);
    expect(truePlacement(w.world, w.pair).owner).toBe('primary');
    expect(w.world.route53.resolve('app.example.com')?.values).toEqual(['192.0.2.10']);
  });
});
