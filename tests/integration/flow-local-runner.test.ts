/**
 * The deployed state machine definition (infra/state-machine.asl.json) run by `runFlowLocally`
 * with in-process step handlers (the dispatch tables the three flow Lambdas use) over the
 * simulated world's direct ports and scripted firewalls, on a ManualClock driven forward.
 * What it proves: the ASL and the steps fit together (a full failover), the Choice and Catch
 * paths (lock held, bad input, a failure after some moves, a standby that never gets ready),
 * and that the Retry blocks really match the error names the steps throw.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '#shared/config/schema.js';
import { AwsCallError, AwsThrottledError } from '#shared/errors.js';
import { runFlowLocally, type LocalRunResult } from '#shared/adapters/sfn-local/runner.js';
import type { Ec2Port } from '#shared/ports/ec2.js';
import { runAwsStep, runControlStep, runFirewallStep } from '#shared/usecases/flow/dispatch.js';
import { LambdaCrash, mortalEc2 } from '#sim/runtime/lambda.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { makeConfig } from '../support/config.js';
import {
  EC2_METHODS,
  MUTATING_EC2,
  drive,
  spyEc2,
  truePlacement,
  worldHarness,
  type FakeFirewallScript,
  type WorldHarness,
} from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

const FW_A = 'i-0a1b2c3d4e5f60001';
const FW_B = 'i-0a1b2c3d4e5f60002';
const TUNNEL = 'tun-head-office';
const FAILOVER = { pair: 'hq-egress', action: 'failover', reason: 'fw-a crashed', source: 'manual', from: 'primary' } as const;
const STANDBY_OK: Record<string, FakeFirewallScript> = { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': { tunnels: [TUNNEL] } };

function setup(config: Config = makeConfig(), firewalls: Record<string, FakeFirewallScript> = STANDBY_OK): WorldHarness {
  h = worldHarness(config, { firewalls });
  return h;
}

/** An Ec2Port that delegates every method except those given. */
function ec2With(base: Ec2Port, overrides: Partial<Ec2Port>): Ec2Port {
  const port = {} as Record<string, unknown>;
  for (const m of EC2_METHODS) port[m] = overrides[m] ?? ((...args: unknown[]) => (base[m] as (...a: unknown[]) => Promise<unknown>).apply(base, args));
  return port as unknown as Ec2Port;
}

interface RunOptions {
  /** EC2 port for the n-th invocation (0-based) of a flow-aws step. */
  readonly awsEc2?: (step: string, invocation: number) => Ec2Port | undefined;
  /** Wraps the n-th invocation of a flow-aws step (e.g. a container that dies mid-way). */
  readonly awsInvoke?: (step: string, invocation: number, invoke: (ec2?: Ec2Port) => Promise<unknown>) => Promise<unknown>;
}

async function run(w: WorldHarness, input: unknown, name = 'hq-egress-failover-test-1', options: RunOptions = {}): Promise<LocalRunResult> {
  const invocations = new Map<string, number>();
  const handlers = {
    flowControl: (e: unknown) => runControlStep(w.flowDeps(), e),
    flowFirewall: (e: unknown) => runFirewallStep(w.flowDeps(), e),
    flowAws: (e: unknown) => {
      const step = String((e as { step?: unknown }).step);
      const n = invocations.get(step) ?? 0;
      invocations.set(step, n + 1);
      const invoke = (ec2 = options.awsEc2?.(step, n)) => runAwsStep(w.flowDeps(ec2 ? { ec2 } : {}), e);
      return options.awsInvoke ? options.awsInvoke(step, n, invoke) : invoke();
    },
  };
  const result = await drive(w.clock, runFlowLocally(input, { handlers, clock: w.clock, executionName: name, retryScale: 0.001 }), { stepMs: 1000 });
  // Fail and Succeed states reach the history through the library's event log, a moment later.
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
  return result;
}

const statesOf = (r: LocalRunResult) => r.history.map((e) => e.state);
const count = (r: LocalRunResult, state: string) => statesOf(r).filter((s) => s === state).length;

describe('runFlowLocally with the real definition', () => {
  it('a full cold failover: starts fw-b, waits until ready, moves everything, fences fw-a, records, notifies, releases', async () => {
    const w = setup();
    w.world.ec2.crashInstance(FW_A);
    const result = await run(w, FAILOVER);

    expect(result.status).toBe('SUCCEEDED');
    const out = result.output as FlowState;
    expect(out.result).toEqual({ outcome: 'succeeded', summary: 'fw-b is active' });
    expect(out.recheck?.mode).toBe('proceed');
    expect(out.start).toMatchObject({ done: true, notes: ['StartInstances on m5.xlarge'] });
    expect(out.ready).toMatchObject({ ready: true, swVersion: '11.1.6-h1' });
    expect(out.cutover?.moved).toHaveLength(6);
    expect(out.fence?.action).toBe('stopped');
    expect(out.verify).toMatchObject({ done: true, healthy: true, tunnelsUp: [TUNNEL] });

    const tasks = statesOf(result).filter((s) => !s.startsWith('Wait'));
    expect(tasks.filter((s, i) => s !== tasks[i - 1])).toEqual([
      'Validate',
      'AcquireLock',
      'Recheck',
      'NotifyStarted',
      'StartTarget',
      'NotifyStarting',
      'CheckReady',
      'NotifyReady',
      'Cutover',
      'Fence',
      'RecordOwner',
      'NotifyCutover',
      'UpdateDns',
      'CheckSettled',
      'CheckTunnels',
      'Finish',
    ]);
    expect(count(result, 'WaitBeforeReadyCheck')).toBeGreaterThan(0);

    // Consistent: everything on fw-b, which is the recorded owner; no lock left; fw-a fenced; fw-b up.
    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
    expect(await w.ports.store.getOwner('hq-egress')).toMatchObject({ owner: 'secondary', changedBy: 'hq-egress-failover-test-1' });
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
    expect(w.world.ec2.instanceNow(FW_A).state).toBe('stopped');
    expect(w.world.ec2.instanceNow(FW_B).state).toBe('running');
    expect(w.notifier.subjects().map((s) => s.replace(/\(.*\)$/, '').replace(/after .*$/, 'after'))).toEqual([
      '[pan-failover] hq-egress FAILOVER started: fw-a -> fw-b',
      '[pan-failover] hq-egress fw-b starting; waiting until ready',
      '[pan-failover] hq-egress fw-b ready after',
      '[pan-failover] hq-egress traffic moved to fw-b: 6 change(s) in 0s',
      '[pan-failover] hq-egress FAILOVER succeeded: fw-b is active ',
    ]);

    // A re-run changes nothing: the trigger is stale now.
    const spy = spyEc2(w.ports.ec2, w.clock);
    const again = await run(w, FAILOVER, 'hq-egress-failover-test-2', { awsEc2: () => spy.port });
    expect(again.status).toBe('SUCCEEDED');
    expect((again.output as FlowState).result?.outcome).toBe('noop');
    expect(MUTATING_EC2.map((m) => spy.count(m))).toEqual([0, 0, 0]);
    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
  });

  it('the pair is locked by another execution: ends as a no-op, changes nothing, notifies nothing', async () => {
    const w = setup();
    await w.ports.store.acquire('hq-egress', 'hq-egress-failover-other-1', w.clock.now(), 3_600_000);
    const result = await run(w, FAILOVER);
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as FlowState).result?.outcome).toBe('skipped-locked');
    expect(statesOf(result)).toEqual(['Validate', 'AcquireLock', 'SkippedLocked']);
    expect((await w.ports.store.get('hq-egress'))?.holder).toBe('hq-egress-failover-other-1');
    expect(truePlacement(w.world, w.pair).owner).toBe('primary');
    expect(w.world.ec2.instanceNow(FW_B).state).toBe('stopped');
    expect(w.notifier.published).toEqual([]);
  });

  it('bad input: Fail with InputInvalidError naming the problem, nothing taken or changed', async () => {
    const w = setup();
    const result = await run(w, { pair: 'hq-egres', action: 'failover', force: 'yes' });
    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('InputInvalidError');
    expect(result.error?.cause).toContain('force');
    expect(statesOf(result)).toEqual(['Validate', 'InputRejected']);
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
    expect(w.notifier.published).toEqual([]);

    const unknownPair = await run(w, { pair: 'hq-egres', action: 'failover' }, 'x-2');
    expect(unknownPair.error).toEqual({ name: 'InputInvalidError', cause: 'invalid flow input: pair: unknown pair "hq-egres" (configured: hq-egress)' });
  });

  it('Retry on CutoverNotVerifiedError: a cutover whose Describe calls lag is run again, and the flow succeeds', async () => {
    const w = setup(makeConfig({ cutover: { verifyTimeoutSeconds: 5 } }));
    w.world.ec2.crashInstance(FW_A);
    // The first cutover invocation sees Describe results frozen before its moves (EC2 lagging).
    const frozen = (base: Ec2Port): Ec2Port => {
      let tables: ReturnType<Ec2Port['describeRouteTables']> | undefined;
      let addresses: ReturnType<Ec2Port['describeAddresses']> | undefined;
      return ec2With(base, {
        describeRouteTables: (ids) => (tables ??= base.describeRouteTables(ids)),
        describeAddresses: (ids) => (addresses ??= base.describeAddresses(ids)),
      });
    };
    const result = await run(w, FAILOVER, 'hq-egress-failover-test-1', {
      awsEc2: (step, n) => (step === 'cutover' && n === 0 ? frozen(w.ports.ec2) : undefined),
    });
    expect(count(result, 'Cutover')).toBe(2);
    expect(count(result, 'Abort')).toBe(0);
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as FlowState).cutover).toMatchObject({ moved: [], unchanged: 6 });
    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
    expect((await w.ports.store.getOwner('hq-egress'))?.owner).toBe('secondary');
  });

  it('Retry on AwsThrottledError: a cutover throttled beyond its own retries is run again by the state machine', async () => {
    const w = setup();
    w.world.ec2.crashInstance(FW_A);
    const throttled = (base: Ec2Port): Ec2Port => {
      const overrides: Partial<Record<keyof Ec2Port, () => Promise<never>>> = {};
      for (const m of EC2_METHODS) overrides[m] = () => Promise.reject(new AwsThrottledError(`ec2:${m}`, 'throttled (RequestLimitExceeded)', 'RequestLimitExceeded'));
      return ec2With(base, overrides);
    };
    const result = await run(w, FAILOVER, 'hq-egress-failover-test-1', {
      awsEc2: (step, n) => (step === 'cutover' && n === 0 ? throttled(w.ports.ec2) : undefined),
    });
    expect(count(result, 'Cutover')).toBe(2);
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as FlowState).cutover?.moved).toHaveLength(6);
    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
  });

  it('a terminal cutover failure with a dead origin is not retried and never undone onto fw-a: Abort finishes the move onto the ready fw-b', async () => {
    const w = setup();
    // The probe had recorded the owner before it triggered the flow.
    await w.ports.store.putOwner('hq-egress', { owner: 'primary', since: w.clock.now(), changedBy: 'bootstrap', reason: 'all managed objects point at it' });
    w.world.ec2.crashInstance(FW_A);
    const failing = spyEc2(w.ports.ec2, w.clock, (method, args) => {
      if (method === 'associateAddress' && args[0] === 'eipalloc-0e000000000000002') {
        throw new AwsCallError('ec2:AssociateAddress', 'InvalidParameterValue: injected', 'InvalidParameterValue');
      }
    });
    const result = await run(w, FAILOVER, 'hq-egress-failover-test-1', { awsEc2: (step) => (step === 'cutover' ? failing.port : undefined) });
    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('CutoverFailedError');
    expect(count(result, 'Cutover')).toBe(1);
    expect(statesOf(result).slice(-2)).toEqual(['Abort', 'Failed']);
    // Nothing was put back on the dead fw-a; Abort's own attempt (the failure was the cutover
    // container's path only) moved the rest and recorded fw-b.
    expect(failing.calls.filter((c) => c.method === 'replaceRoute' && c.args[2] === 'eni-0a000000000000011')).toEqual([]);
    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
    expect((await w.ports.store.getOwner('hq-egress'))?.owner).toBe('secondary');
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
    expect(w.notifier.subjects().at(-1)).toBe('[pan-failover] hq-egress FAILOVER FAILED in phase cutover: CutoverFailedError');
  });

  it('a cutover that fails and cannot put everything back: Abort converges the split pair onto one recorded side', async () => {
    const w = setup();
    await w.ports.store.putOwner('hq-egress', { owner: 'primary', since: w.clock.now(), changedBy: 'bootstrap', reason: 'all managed objects point at it' });
    w.world.ec2.crashInstance(FW_A);
    const failing = spyEc2(w.ports.ec2, w.clock, (method, args) => {
      if (method === 'associateAddress' && args[0] === 'eipalloc-0e000000000000002') throw new AwsCallError('ec2:AssociateAddress', 'injected', 'InvalidParameterValue');
      if (method === 'replaceRoute' && args[0] === 'rtb-0aa00000000000002' && args[2] === 'eni-0a000000000000011') {
        throw new AwsCallError('ec2:ReplaceRoute', 'injected on the way back', 'InvalidParameterValue');
      }
    });
    const result = await run(w, FAILOVER, 'hq-egress-failover-test-1', { awsEc2: (step) => (step === 'cutover' ? failing.port : undefined) });
    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('CutoverFailedError');
    const { owner } = truePlacement(w.world, w.pair);
    expect(owner).not.toBe('split');
    expect((await w.ports.store.getOwner('hq-egress'))?.owner).toBe(owner);
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
  });

  it('a flow-aws container that dies after each move (Lambda.Unknown, retried twice): Abort converges what was left split', async () => {
    const w = setup(makeConfig({ cutover: { concurrency: 1 } }));
    await w.ports.store.putOwner('hq-egress', { owner: 'primary', since: w.clock.now(), changedBy: 'bootstrap', reason: 'all managed objects point at it' });
    w.world.ec2.crashInstance(FW_A);
    const result = await run(w, FAILOVER, 'hq-egress-failover-test-1', {
      awsInvoke: (step, _n, invoke) =>
        step !== 'cutover'
          ? invoke()
          : new Promise((resolve, reject) => {
              const ec2 = mortalEc2(w.ports.ec2, 1, () => reject(new LambdaCrash('RequestId: 1 Error: Runtime exited during cutover')));
              invoke(ec2).then(resolve, reject);
            }),
    });
    expect(result.status).toBe('FAILED');
    expect(count(result, 'Cutover')).toBe(3);
    expect(result.error?.name).toBe('Lambda.Unknown');
    const { owner } = truePlacement(w.world, w.pair);
    expect(owner).not.toBe('split');
    expect((await w.ports.store.getOwner('hq-egress'))?.owner).toBe(owner);
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
    expect(w.notifier.subjects().at(-1)).toBe('[pan-failover] hq-egress FAILOVER FAILED in phase cutover: Lambda.Unknown');
  });

  it('a standby that never gets ready: no cutover at the deadline, StandbyNotReadyError, traffic stays put', async () => {
    const w = setup(makeConfig({ readiness: { deadlineSeconds: 120, pollIntervalSeconds: 10 } }), { 'fw-a': { outcomes: 'unreachable' }, 'fw-b': { chassisReady: false } });
    const spy = spyEc2(w.ports.ec2, w.clock);
    const result = await run(w, FAILOVER, 'hq-egress-failover-test-1', { awsEc2: () => spy.port });
    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('StandbyNotReadyError');
    expect(result.error?.cause).toContain('fw-b not ready');
    expect(count(result, 'Cutover')).toBe(0);
    expect(MUTATING_EC2.map((m) => spy.count(m))).toEqual([0, 0, 0]);
    expect(truePlacement(w.world, w.pair).owner).toBe('primary');
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
    expect(w.notifier.subjects().at(-1)).toBe('[pan-failover] hq-egress FAILOVER FAILED in phase boot: StandbyNotReadyError');
  });
});
