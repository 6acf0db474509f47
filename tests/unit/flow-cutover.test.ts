/**
 * The cutover step (`cutover.ts` through `cutoverStep`): every managed route and EIP to the
 * target within a concurrency bound and client-side token buckets, throttling retried, a
 * terminal failure rolled back so nothing stays split, verification through Describe lag,
 * and an idempotent re-run. Over the simulated world's direct ports on a ManualClock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '#shared/config/schema.js';
import { AwsCallError, AwsThrottledError, CutoverFailedError, CutoverNotVerifiedError, ManagedResourceNotFoundError } from '#shared/errors.js';
import { cutoverStep } from '#shared/usecases/flow/aws-steps.js';
import { acquireLock, validate } from '#shared/usecases/flow/control-steps.js';
import { recheck } from '#shared/usecases/flow/firewall-steps.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { makeConfig } from '../support/config.js';
import { MUTATING_EC2, drive, spyEc2, truePlacement, worldHarness, type HarnessOptions, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

const FAILOVER = { pair: 'hq-egress', action: 'failover', reason: 'test', source: 'manual', from: 'primary' } as const;
const UNMANAGED = { routeTableId: 'rtb-0aa00000000000001', destination: '10.0.99.0/24' };

function setup(config: Config = makeConfig(), options: HarnessOptions = {}): WorldHarness {
  h = worldHarness(config, { firewalls: { 'fw-a': { outcomes: 'unreachable' } }, ...options });
  return h;
}

async function rechecked(w: WorldHarness, input: Record<string, unknown> = FAILOVER): Promise<FlowState> {
  const deps = w.flowDeps();
  const s = await recheck(deps, await acquireLock(deps, validate(deps, { input, execution: 'exec-1' })));
  expect(s.recheck?.mode).toBe('proceed');
  return s;
}

const SECONDARY_EIPS = [
  { allocationId: 'eipalloc-0e000000000000001', networkInterfaceId: 'eni-0b000000000000012', privateIp: '10.20.1.10' },
  { allocationId: 'eipalloc-0e000000000000002', networkInterfaceId: 'eni-0b000000000000012', privateIp: '10.20.1.11' },
];

describe('cutoverStep', () => {
  it('moves every managed route and EIP to the target (each EIP onto its mapped private IP), and nothing else', async () => {
    const w = setup(makeConfig(), { unmanagedRoutes: [UNMANAGED] });
    const started = w.clock.now();
    const s = await drive(w.clock, cutoverStep(w.flowDeps(), await rechecked(w)));

    expect(s.cutover).toMatchObject({ unchanged: 0, calls: 6, throttled: 0, verifyAttempts: 1 });
    expect(s.cutover?.moved).toHaveLength(6);
    expect(s.cutover?.moved).toContain('replace route 172.16.0.0/12 in rtb-0aa00000000000002: eni-0a000000000000011 -> eni-0b000000000000011');
    expect(s.phases.cutover).toMatchObject({ startedAt: started, outcome: '6 moved, 0 already in place' });
    const { placement, owner } = truePlacement(w.world, w.pair);
    expect(owner).toBe('secondary');
    expect(placement.eips.map((e) => ({ allocationId: e.eip.allocationId, networkInterfaceId: e.currentEni, privateIp: e.currentPrivateIp }))).toEqual(SECONDARY_EIPS);
    const table = w.world.ec2.describeRouteTables({ ids: [UNMANAGED.routeTableId], current: true })[0];
    expect(table?.routes.find((r) => r.destination === UNMANAGED.destination)?.networkInterfaceId).toBe('eni-0a000000000000011');
  });

  it('is idempotent: a re-run moves nothing and makes no mutating call', async () => {
    const w = setup();
    const state = await rechecked(w);
    await drive(w.clock, cutoverStep(w.flowDeps(), state));
    const spy = spyEc2(w.ports.ec2, w.clock);
    const again = await drive(w.clock, cutoverStep(w.flowDeps({ ec2: spy.port }), state));
    expect(again.cutover).toMatchObject({ moved: [], unchanged: 6, calls: 0 });
    expect(MUTATING_EC2.map((m) => spy.count(m))).toEqual([0, 0, 0]);
  });

  it('completes a half-done cutover (a run that died mid-way) without moving anything twice', async () => {
    const w = setup();
    const state = await rechecked(w);
    const [r0] = w.pair.routes;
    w.world.ec2.replaceRoute(r0!.routeTableId, r0!.destination, { networkInterfaceId: r0!.targets.secondary });
    const spy = spyEc2(w.ports.ec2, w.clock);
    const s = await drive(w.clock, cutoverStep(w.flowDeps({ ec2: spy.port }), state));
    expect(s.cutover).toMatchObject({ unchanged: 1, calls: 5 });
    expect(spy.calls.filter((c) => c.method === 'replaceRoute').map((c) => c.args.slice(0, 2).join(' '))).not.toContain(`${r0!.routeTableId} ${r0!.destination}`);
    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
  });

  it.each([
    [1, 1],
    [2, 2],
    [10, 6],
  ])('bounded concurrency %i: at most that many mutating calls in flight (observed %i)', async (concurrency, expected) => {
    const w = setup(makeConfig({ cutover: { concurrency } }));
    w.world.faults.set({ latency: { 'ec2:ReplaceRoute': { fixedMs: 500 }, 'ec2:AssociateAddress': { fixedMs: 500 } } });
    const spy = spyEc2(w.ports.ec2, w.clock);
    const s = await drive(w.clock, cutoverStep(w.flowDeps({ ec2: spy.port }), await rechecked(w)), { stepMs: 100 });
    expect(s.cutover?.moved).toHaveLength(6);
    expect(spy.maxInFlight(MUTATING_EC2)).toBe(expected);
  });

  it('paces calls with a client-side token bucket per action, so EC2 never throttles', async () => {
    const w = setup(makeConfig({ cutover: { rateBurst: 2, ratePerSecond: 1 } }));
    // EC2's own buckets as small as ours: one call over would be throttled.
    w.world.faults.set({ throttle: { 'ec2:ReplaceRoute': { burst: 2, refillPerSecond: 1 }, 'ec2:AssociateAddress': { burst: 2, refillPerSecond: 1 } } });
    const state = await rechecked(w);
    const spy = spyEc2(w.ports.ec2, w.clock);
    const t0 = w.clock.now();
    const s = await drive(w.clock, cutoverStep(w.flowDeps({ ec2: spy.port }), state), { stepMs: 100 });
    expect(s.cutover).toMatchObject({ calls: 6, throttled: 0 });
    expect(spy.calls.filter((c) => c.method === 'replaceRoute').map((c) => c.at - t0)).toEqual([0, 0, 1000, 2000]);
    expect(spy.calls.filter((c) => c.method === 'associateAddress').map((c) => c.at - t0)).toEqual([0, 0]);
    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
  });

  it('retries throttled calls, counting them, and completes', async () => {
    const w = setup();
    const state = await rechecked(w);
    const throttledOnce = new Map<string, number>();
    const spy = spyEc2(w.ports.ec2, w.clock, (method, args) => {
      if (!(MUTATING_EC2 as readonly string[]).includes(method)) return;
      const key = `${method} ${args.slice(0, 2).join(' ')}`;
      const n = throttledOnce.get(key) ?? 0;
      throttledOnce.set(key, n + 1);
      if (n < 2) throw new AwsThrottledError(`ec2:${method}`, 'throttled (RequestLimitExceeded)', 'RequestLimitExceeded');
    });
    const s = await drive(w.clock, cutoverStep(w.flowDeps({ ec2: spy.port }), state));
    expect(s.cutover).toMatchObject({ calls: 18, throttled: 12 });
    expect(s.cutover?.moved).toHaveLength(6);
    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
  });

  it('a throttled answer empties our bucket for that action: the retry and the next moves wait for its refill, not for our burst', async () => {
    // Our bucket holds 10 tokens, but EC2 answered "throttled" to the first ReplaceRoute: EC2's
    // bucket for that action is empty, whatever ours says. One change at a time, so the order
    // of the calls is the order of the changes.
    const w = setup(makeConfig({ cutover: { concurrency: 1, rateBurst: 10, ratePerSecond: 1 } }));
    const state = await rechecked(w);
    let throttled = false;
    const spy = spyEc2(w.ports.ec2, w.clock, (method) => {
      if (method !== 'replaceRoute' || throttled) return;
      throttled = true;
      throw new AwsThrottledError('ec2:ReplaceRoute', 'throttled (RequestLimitExceeded)', 'RequestLimitExceeded');
    });
    const t0 = w.clock.now();
    const s = await drive(w.clock, cutoverStep(w.flowDeps({ ec2: spy.port }), state), { stepMs: 50 });
    expect(s.cutover).toMatchObject({ calls: 7, throttled: 1 });
    expect(s.cutover?.moved).toHaveLength(6);
    const routes = spy.calls.filter((c) => c.method === 'replaceRoute').map((c) => c.at - t0);
    expect(routes).toHaveLength(5);
    expect(routes[0]).toBe(0);
    // From an empty bucket refilled at 1 per second: the retry of the throttled move, and each
    // move after it, one second apart (with our 10 tokens left, they would all go at once).
    for (let i = 1; i < routes.length; i++) expect(routes[i]! - routes[i - 1]!, `ReplaceRoute calls at ${routes.join(', ')} ms`).toBeGreaterThanOrEqual(999);
    // EC2's buckets are per action: AssociateAddress's is untouched by the route's throttle.
    const eips = spy.calls.filter((c) => c.method === 'associateAddress').map((c) => c.at - t0);
    expect(eips).toHaveLength(2);
    expect(eips[1]! - eips[0]!).toBeLessThan(999);
    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
  });

  it("completes under EC2's own throttling (the simulated bucket)", async () => {
    const w = setup();
    w.world.faults.set({ throttle: { 'ec2:ReplaceRoute': { burst: 2, refillPerSecond: 5 } } });
    const s = await drive(w.clock, cutoverStep(w.flowDeps(), await rechecked(w)));
    expect(s.cutover?.throttled).toBeGreaterThan(0);
    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
  });

  it('the origin failed: a terminal failure mid-way leaves the completed moves on the ready target, never back on the dead firewall', async () => {
    const w = setup();
    const state = await rechecked(w);
    expect(state.recheck?.statuses.primary).toBe('unreachable');
    const spy = spyEc2(w.ports.ec2, w.clock, (method, args) => {
      if (method === 'associateAddress' && args[0] === 'eipalloc-0e000000000000002' && args[1] === 'eni-0b000000000000012') {
        throw new AwsCallError('ec2:AssociateAddress', 'InvalidParameterValue: injected', 'InvalidParameterValue');
      }
    });
    const err = await drive(w.clock, cutoverStep(w.flowDeps({ ec2: spy.port }), state)).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(CutoverFailedError);
    const failed = err as CutoverFailedError;
    expect(failed.retryable).toBe(false);
    expect(failed.message).toMatch(/^1 of 6 moves failed; the 5 completed move\(s\) stay on fw-b \(the origin failed/);
    expect(failed.details.keptOnTarget).toHaveLength(5);
    // Nothing was put back: the only calls towards fw-a's ENIs are none.
    expect(spy.calls.filter((c) => (MUTATING_EC2 as readonly string[]).includes(c.method) && c.args.some((a) => String(a).startsWith('eni-0a')))).toEqual([]);
    const { placement } = truePlacement(w.world, w.pair);
    expect(placement.routes.every((r) => r.side === 'secondary')).toBe(true);
    expect(placement.eips.filter((e) => e.side === 'secondary')).toHaveLength(1);
  });

  it('the origin can carry traffic (a forced failover of a healthy primary): a terminal failure mid-way puts back what had moved', async () => {
    const w = setup(makeConfig(), { firewalls: {} });
    const state = await rechecked(w, { ...FAILOVER, force: true });
    expect(['healthy', 'degraded']).toContain(state.recheck?.statuses.primary);
    const spy = spyEc2(w.ports.ec2, w.clock, (method, args) => {
      if (method === 'associateAddress' && args[0] === 'eipalloc-0e000000000000002' && args[1] === 'eni-0b000000000000012') {
        throw new AwsCallError('ec2:AssociateAddress', 'InvalidParameterValue: injected', 'InvalidParameterValue');
      }
    });
    const err = await drive(w.clock, cutoverStep(w.flowDeps({ ec2: spy.port }), state)).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(CutoverFailedError);
    const failed = err as CutoverFailedError;
    expect(failed.message).toMatch(/^1 of 6 moves failed; 5 of 5 completed moves were put back: associate EIP eipalloc-0e000000000000002/);
    expect(failed.details.rolledBack).toHaveLength(5);
    expect(failed.details.notRolledBack).toEqual([]);
    expect(failed.cause).toBeInstanceOf(AwsCallError);
    expect(truePlacement(w.world, w.pair).owner).toBe('primary');
  });

  it('a failure while putting back is named (the pair is split; abort converges it)', async () => {
    const w = setup(makeConfig(), { firewalls: {} });
    const state = await rechecked(w, { ...FAILOVER, force: true });
    const spy = spyEc2(w.ports.ec2, w.clock, (method, args) => {
      if (method === 'associateAddress' && args[0] === 'eipalloc-0e000000000000002') throw new AwsCallError('ec2:AssociateAddress', 'injected', 'InvalidParameterValue');
      if (method === 'replaceRoute' && args[0] === 'rtb-0aa00000000000002' && args[2] === 'eni-0a000000000000011') {
        throw new AwsCallError('ec2:ReplaceRoute', 'injected on the way back', 'InvalidParameterValue');
      }
    });
    const err = (await drive(w.clock, cutoverStep(w.flowDeps({ ec2: spy.port }), state)).catch((e: unknown) => e)) as CutoverFailedError;
    expect(err).toBeInstanceOf(CutoverFailedError);
    expect(err.message).toContain('(2 could not be: the pair is split, see details)');
    expect(err.details.notRolledBack).toHaveLength(2);
  });

  it('verification retries through Describe lag and succeeds', async () => {
    const w = setup();
    w.world.faults.set({ lag: { ms: 3000, resources: ['routes', 'addresses'] } });
    const s = await drive(w.clock, cutoverStep(w.flowDeps(), await rechecked(w)), { stepMs: 50 });
    expect(s.cutover?.verifyAttempts).toBeGreaterThan(1);
    expect(s.cutover?.moved).toHaveLength(6);
  });

  it('lag longer than verifyTimeoutSeconds: CutoverNotVerifiedError (retryable: the state machine retries)', async () => {
    const w = setup(makeConfig({ cutover: { verifyTimeoutSeconds: 5 } }));
    w.world.faults.set({ lag: { ms: 60_000, resources: ['routes', 'addresses'] } });
    const state = await rechecked(w);
    const t0 = w.clock.now();
    const err = await drive(w.clock, cutoverStep(w.flowDeps(), state), { stepMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CutoverNotVerifiedError);
    expect((err as CutoverNotVerifiedError).retryable).toBe(true);
    expect((err as Error).message).toContain('6 managed object(s) still do not show the target');
    expect(w.clock.now() - t0).toBeLessThanOrEqual(5000);
    // The moves themselves were made; only their confirmation is missing.
    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
  });

  it('a missing managed route refuses the whole cutover before any change', async () => {
    const base = makeConfig();
    const w = setup(base);
    const state = await rechecked(w);
    const extra = { routeTableId: 'rtb-0aa00000000000002', destination: '10.99.0.0/16', targets: { primary: 'eni-0a000000000000011', secondary: 'eni-0b000000000000011' } };
    const spy = spyEc2(w.ports.ec2, w.clock);
    const err = await drive(w.clock, cutoverStep(w.flowDeps({ ec2: spy.port, config: makeConfig({ routes: [...base.pairs[0]!.routes, extra] }) }), state)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManagedResourceNotFoundError);
    expect((err as Error).message).toContain('route 10.99.0.0/16 in rtb-0aa00000000000002 does not exist');
    expect(MUTATING_EC2.map((m) => spy.count(m))).toEqual([0, 0, 0]);
    expect(truePlacement(w.world, w.pair).owner).toBe('primary');
  });

  it('with createMissingRoutes, creates the missing route on the target', async () => {
    const base = makeConfig();
    const w = setup(base);
    const state = await rechecked(w);
    const extra = { routeTableId: 'rtb-0aa00000000000002', destination: '10.99.0.0/16', targets: { primary: 'eni-0a000000000000011', secondary: 'eni-0b000000000000011' } };
    const config = makeConfig({ routes: [...base.pairs[0]!.routes, extra], cutover: { createMissingRoutes: true } });
    const s = await drive(w.clock, cutoverStep(w.flowDeps({ config }), state));
    expect(s.cutover?.moved).toContain('create route 10.99.0.0/16 in rtb-0aa00000000000002: (none) -> eni-0b000000000000011');
    const table = w.world.ec2.describeRouteTables({ ids: ['rtb-0aa00000000000002'], current: true })[0];
    expect(table?.routes.find((r) => r.destination === '10.99.0.0/16')?.networkInterfaceId).toBe('eni-0b000000000000011');
  });
});
