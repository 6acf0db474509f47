/**
 * Flow control steps at their edges: RecordOwner keeps an unchanged owner's record (so a
 * drift repair does not restart the probe's cooldown), phase notifications never throw, and
 * abort's convergence is bounded in time and limited to flows that meant to move something.
 * Over the simulated world's direct ports on a ManualClock, with scripted firewalls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runFlowLocally } from '#shared/adapters/sfn-local/runner.js';
import type { Config } from '#shared/config/schema.js';
import type { Notifier } from '#shared/ports/messaging.js';
import type { OwnerRecord } from '#shared/ports/store.js';
import {
  abort,
  acquireLock,
  CONVERGE_VERIFY_MS,
  notify,
  recordOwner,
  validate,
} from '#shared/usecases/flow/control-steps.js';
import { runAwsStep, runControlStep, runFirewallStep } from '#shared/usecases/flow/dispatch.js';
import { startTarget } from '#shared/usecases/flow/aws-steps.js';
import { checkReady, recheck } from '#shared/usecases/flow/firewall-steps.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { probeRound } from '#shared/usecases/probe.js';
import { makeConfig } from '../support/config.js';
import {
  drive,
  MUTATING_EC2,
  spyEc2,
  truePlacement,
  worldHarness,
  type FakeFirewallScript,
  type WorldHarness,
} from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

const PAIR = 'hq-egress';
const TUNNEL = 'tun-head-office';
const FAILOVER = {
  pair: PAIR,
  action: 'failover',
  reason: 'fw-a is dead',
  source: 'manual',
  from: 'primary',
} as const;
const RECONCILE = {
  pair: PAIR,
  action: 'reconcile',
  reason: 'drift: route 0.0.0.0/0 in rtb-0aa00000000000001',
  source: 'drift',
  from: 'secondary',
} as const;

function setup(firewalls: Record<string, FakeFirewallScript>, config: Config = makeConfig()): WorldHarness {
  h = worldHarness(config, { firewalls });
  return h;
}

async function rechecked(w: WorldHarness, input: unknown, execution = 'exec-1'): Promise<FlowState> {
  const deps = w.flowDeps();
  return recheck(deps, await acquireLock(deps, validate(deps, { input, execution })));
}

/** A person points the first managed route at fw-b. */
function driftFirstRoute(w: WorldHarness): void {
  const r = w.pair.routes[0]!;
  w.world.ec2.replaceRoute(r.routeTableId, r.destination, { networkInterfaceId: r.targets.secondary });
  expect(truePlacement(w.world, w.pair).owner).toBe('split');
}

/** fw-a became the owner again through a failback an hour before the test begins. */
function failbackRecord(w: WorldHarness): OwnerRecord {
  return {
    owner: 'primary',
    since: w.clock.now() - 3_600_000,
    changedBy: 'hq-egress-failback-20260101T080000Z-1',
    reason: 'failback: fw-a healthy again',
  };
}

describe('RecordOwner with an unchanged owner', () => {
  it('leaves the record alone: its since and changedBy are kept', async () => {
    const w = setup({ 'fw-a': { tunnels: [TUNNEL] } });
    const record = failbackRecord(w);
    await w.ports.store.putOwner(PAIR, record);
    driftFirstRoute(w);
    const state = await rechecked(w, RECONCILE, 'hq-egress-reconcile-20260101T090000Z-1');
    expect(state.recheck?.mode).toBe('proceed');
    expect(state.target).toBe('primary');

    await w.clock.advance(30_000);
    const after = await recordOwner(w.flowDeps(), state);
    expect(await w.ports.store.getOwner(PAIR)).toEqual(record);
    expect(after.phases.record?.outcome).toBe('primary (unchanged)');
  });

  it('so a drift repair does not restart the cooldown: a dead owner right after a repair is failed over, no cooldown alert', async () => {
    const w = setup({ 'fw-a': { tunnels: [TUNNEL] } });
    const record = failbackRecord(w);
    expect(w.pair.probe.cooldownSeconds * 1000).toBeGreaterThan(15 * 60_000);
    await w.ports.store.putOwner(PAIR, record);
    driftFirstRoute(w);

    // The repair, through the deployed state machine definition.
    const handlers = {
      flowControl: (e: unknown) => runControlStep(w.flowDeps(), e),
      flowFirewall: (e: unknown) => runFirewallStep(w.flowDeps(), e),
      flowAws: (e: unknown) => runAwsStep(w.flowDeps(), e),
    };
    const repair = await drive(
      w.clock,
      runFlowLocally(RECONCILE, {
        handlers,
        clock: w.clock,
        executionName: 'hq-egress-reconcile-20260101T090000Z-1',
        retryScale: 0.001,
      }),
      {
        stepMs: 1000,
      },
    );
    expect(repair.status).toBe('SUCCEEDED');
    expect((repair.output as FlowState).result?.outcome).toBe('succeeded');
    expect(truePlacement(w.world, w.pair).owner).toBe('primary');
    expect(await w.ports.store.getOwner(PAIR)).toEqual(record);

    // Minutes later (well inside the cooldown had the repair restarted it), fw-a dies.
    await w.clock.advance(60_000);
    w.firewalls.set('fw-a', { outcomes: 'unreachable' });
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [r] = await probeRound(w.probeDeps());
      codes.push(r?.decision.code ?? '?');
      await w.clock.advance(10_000);
    }
    expect(codes).toEqual(['active-failing', 'active-failing', 'active-failed']);
    expect(w.flows.starts.map((s) => s.input.action)).toEqual(['failover']);
    expect(w.notifier.subjects().filter((s) => s.includes('cooldown'))).toEqual([]);
  });
});

describe('notify', () => {
  it('never throws when the notifier rejects; it logs "notification failed" with the phase', async () => {
    const w = setup({ 'fw-a': { outcomes: 'unreachable' } });
    const state = await rechecked(w, FAILOVER);
    w.notifier.failWith = new Error('sns:Publish: throttled (Throttling)');
    await expect(notify(w.flowDeps(), state, 'started')).resolves.toBeUndefined();
    await expect(runControlStep(w.flowDeps(), { step: 'notify', phase: 'ready', state })).resolves.toEqual(
      {},
    );
    const failures = w.telemetry.logs.filter((l) => l.message === 'notification failed');
    expect(failures).toEqual([
      {
        level: 'error',
        message: 'notification failed',
        fields: {
          pair: PAIR,
          execution: 'exec-1',
          phase: 'started',
          error: 'sns:Publish: throttled (Throttling)',
        },
      },
      {
        level: 'error',
        message: 'notification failed',
        fields: {
          pair: PAIR,
          execution: 'exec-1',
          phase: 'ready',
          error: 'sns:Publish: throttled (Throttling)',
        },
      },
    ]);
  });

  it('nor when the notifier throws synchronously', async () => {
    const w = setup({ 'fw-a': { outcomes: 'unreachable' } });
    const state = await rechecked(w, FAILOVER);
    const notifier: Notifier = {
      publish: () => {
        throw new TypeError('client not configured');
      },
    };
    await expect(notify(w.flowDeps({ notifier }), state, 'cutover')).resolves.toBeUndefined();
    expect(
      w.telemetry.logs.filter((l) => l.message === 'notification failed').map((l) => l.fields.error),
    ).toEqual(['client not configured']);
  });
});

describe('abort: convergence is bounded', () => {
  /**
   * fw-b was started and found ready, then the cutover died with two routes and one EIP moved
   * (as the state machine's Catch hands it over: nothing in the state says the cutover began).
   */
  async function halfMovedReady(w: WorldHarness): Promise<FlowState> {
    await w.ports.store.putOwner(PAIR, {
      owner: 'primary',
      since: w.clock.now(),
      changedBy: 'bootstrap',
      reason: 'all managed objects point at it',
    });
    let state = await startTarget(w.flowDeps(), await rechecked(w, FAILOVER));
    await w.clock.advance(20_000);
    state = await checkReady(w.flowDeps(), state);
    expect(state.ready?.ready).toBe(true);
    const [r0, r1] = w.pair.routes;
    const [e0] = w.pair.elasticIps;
    w.world.ec2.replaceRoute(r0!.routeTableId, r0!.destination, {
      networkInterfaceId: r0!.targets.secondary,
    });
    w.world.ec2.replaceRoute(r1!.routeTableId, r1!.destination, {
      networkInterfaceId: r1!.targets.secondary,
    });
    w.world.ec2.associateAddress({
      allocationId: e0!.allocationId,
      networkInterfaceId: e0!.secondary.networkInterfaceId,
      privateIp: e0!.secondary.privateIp,
      allowReassociation: true,
    });
    expect(truePlacement(w.world, w.pair).owner).toBe('split');
    return {
      ...state,
      error: { Error: 'Lambda.Unknown', Cause: 'RequestId: 1 Error: Runtime exited during cutover' },
    };
  }

  it(`Describe lagging far beyond CONVERGE_VERIFY_MS: finishes within minutes, "moved, not yet visible", nothing back onto the origin, lock released`, async () => {
    const w = setup({ 'fw-a': { outcomes: 'unreachable' }, 'fw-b': { tunnels: [TUNNEL] } });
    const state = await halfMovedReady(w);
    // Describe shows the world as it was 20 minutes earlier; let the split become what it shows.
    const lagMs = 20 * 60_000;
    w.world.faults.set({ lag: { ms: lagMs, resources: ['routes', 'addresses'] } });
    await w.clock.advance(lagMs + 1000);
    const spy = spyEc2(w.ports.ec2, w.clock);

    expect(CONVERGE_VERIFY_MS).toBe(120_000);
    const t0 = w.clock.now();
    // ClockStuckError if abort waits longer than this much clock time.
    const failed = await w.clock.run(abort(w.flowDeps({ ec2: spy.port }), state), {
      limitMs: CONVERGE_VERIFY_MS + 60_000,
    });
    const elapsed = w.clock.now() - t0;

    expect(elapsed).toBeLessThanOrEqual(CONVERGE_VERIFY_MS + 30_000);
    expect(failed.result?.outcome).toBe('failed');
    expect(failed.result?.summary).toContain('moved, not yet visible in Describe on fw-b');
    // The moves went forward, onto the ready target; nothing went back onto fw-a.
    const mutations = spy.calls.filter((c) => (MUTATING_EC2 as readonly string[]).includes(c.method));
    expect(mutations.length).toBeGreaterThan(0);
    for (const c of mutations)
      expect(String(c.args[c.method === 'associateAddress' ? 1 : 2])).toMatch(/^eni-0b/);
    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
    expect(await w.ports.store.get(PAIR)).toBeUndefined();
    const [n] = w.notifier.published.filter((x) => x.subject.includes('FAILED'));
    expect(n?.subject).toBe('[pan-failover] hq-egress FAILOVER FAILED in phase cutover: Lambda.Unknown');
    expect((n?.body.consistency as string[]).join(' ')).toContain('moved, not yet visible');
  });
});

describe('abort of a no-op flow', () => {
  it('does not converge: pre-existing drift is left as it was (the flow never meant to move anything)', async () => {
    const w = setup({ 'fw-a': { tunnels: [TUNNEL] } });
    await w.ports.store.putOwner(PAIR, {
      owner: 'primary',
      since: w.clock.now() - 3_600_000,
      changedBy: 'bootstrap',
      reason: 'all managed objects point at it',
    });
    driftFirstRoute(w);
    // A manual failover away from a healthy fw-a: the re-check makes it a no-op.
    const state = await rechecked(w, FAILOVER);
    expect(state.lock?.acquired).toBe(true);
    expect(state.recheck?.mode).toBe('noop');
    const before = truePlacement(w.world, w.pair).placement;

    // Finish failed (say, DynamoDB throttled the lock release): the Catch sends the no-op state to Abort.
    const spy = spyEc2(w.ports.ec2, w.clock);
    const failed = await w.clock.run(
      abort(w.flowDeps({ ec2: spy.port }), {
        ...state,
        error: { Error: 'AwsThrottledError', Cause: 'dynamodb:DeleteItem: throttled' },
      }),
      {
        limitMs: 600_000,
      },
    );

    expect(failed.result?.outcome).toBe('failed');
    expect(MUTATING_EC2.map((m) => spy.count(m))).toEqual([0, 0, 0]);
    expect(truePlacement(w.world, w.pair).placement).toEqual(before);
    expect(await w.ports.store.getOwner(PAIR)).toMatchObject({ owner: 'primary', changedBy: 'bootstrap' });
    expect(await w.ports.store.get(PAIR)).toBeUndefined();
  });
});
