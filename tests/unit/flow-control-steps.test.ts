/**
 * The flow's bookkeeping steps one by one (`control-steps.ts`): validate, the pair lock, the
 * owner record, notifications, and the two ways out (finish, abort). Over the simulated world's
 * direct ports on a ManualClock, with scripted firewalls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '#shared/config/schema.js';
import { AwsCallError, InputInvalidError, LockLostError } from '#shared/errors.js';
import { abort, acquireLock, causeMessage, finish, leaseMs, notify, recordOwner, validate } from '#shared/usecases/flow/control-steps.js';
import { runControlStep } from '#shared/usecases/flow/dispatch.js';
import { startTarget } from '#shared/usecases/flow/aws-steps.js';
import { checkReady, recheck } from '#shared/usecases/flow/firewall-steps.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { makeConfig, makePair } from '../support/config.js';
import { MUTATING_EC2, spyEc2, truePlacement, worldHarness, type FakeFirewallScript, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

const FAILOVER = { pair: 'hq-egress', action: 'failover', reason: 'fw-a is dead', source: 'manual', from: 'primary' } as const;
const DEAD_PRIMARY: Record<string, FakeFirewallScript> = { 'fw-a': { outcomes: 'unreachable' } };

function setup(config: Config = makeConfig(), firewalls: Record<string, FakeFirewallScript> = DEAD_PRIMARY): WorldHarness {
  h = worldHarness(config, { firewalls });
  return h;
}

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputInvalidError);
    return [...(e as InputInvalidError).issues];
  }
  throw new Error('expected InputInvalidError');
}

async function locked(w: WorldHarness, input: unknown = FAILOVER, execution = 'exec-1'): Promise<FlowState> {
  const deps = w.flowDeps();
  return acquireLock(deps, validate(deps, { input, execution }));
}

async function rechecked(w: WorldHarness, input: unknown = FAILOVER, execution = 'exec-1'): Promise<FlowState> {
  return recheck(w.flowDeps(), await locked(w, input, execution));
}

describe('validate', () => {
  it('accepts a manual trigger and fills the defaults', () => {
    const w = setup();
    const state = validate(w.flowDeps(), { input: { pair: 'hq-egress', action: 'failover' }, execution: 'exec-1' });
    expect(state).toEqual({
      input: { pair: 'hq-egress', action: 'failover', reason: 'manual request', force: false, dryRun: false, source: 'manual' },
      execution: 'exec-1',
      startedAt: w.clock.now(),
      phases: { validate: { startedAt: w.clock.now(), endedAt: w.clock.now(), outcome: 'ok' } },
    });
  });

  it('rejects an unknown pair, naming the configured ones', () => {
    const w = setup();
    expect(issuesOf(() => validate(w.flowDeps(), { input: { pair: 'hq-egres', action: 'failover' }, execution: 'e' }))).toEqual([
      { path: 'pair', message: 'unknown pair "hq-egres" (configured: hq-egress)' },
    ]);
  });

  it('rejects extra fields (a typo is not silently ignored)', () => {
    const w = setup();
    expect(issuesOf(() => validate(w.flowDeps(), { input: { ...FAILOVER, frm: 'primary' }, execution: 'e' }))).toEqual([
      { path: '', message: 'unknown field "frm"' },
    ]);
  });

  it('rejects wrong types and values, with each field path', () => {
    const w = setup();
    const issues = issuesOf(() =>
      validate(w.flowDeps(), { input: { pair: 'hq-egress', action: 'failover', force: 'yes', from: 'tertiary', dryRun: 1 }, execution: 'e' }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(['dryRun', 'force', 'from']);
    expect(issuesOf(() => validate(w.flowDeps(), { input: { pair: 'hq-egress', action: 'explode' }, execution: 'e' })).map((i) => i.path)).toEqual([
      'action',
    ]);
    expect(issuesOf(() => validate(w.flowDeps(), { input: { pair: 'hq-egress' }, execution: 'e' })).map((i) => i.path)).toEqual(['action']);
    expect(issuesOf(() => validate(w.flowDeps(), { input: 'failover hq-egress', execution: 'e' })).map((i) => i.path)).toEqual(['']);
  });

  const alarm = (instanceId: string | undefined, value = 'ALARM', alarmName = 'pan-failover-hq-egress-fw-a-status-check') => ({
    version: '0',
    id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: '2026-01-01T09:05:00Z',
    region: 'eu-central-1',
    resources: [`arn:aws:cloudwatch:eu-central-1:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: { value, reason: 'Threshold Crossed: 2 datapoints were greater than or equal to the threshold (1.0).', timestamp: '2026-01-01T09:05:00.000+0000' },
      previousState: { value: 'OK', timestamp: '2026-01-01T08:00:00.000+0000' },
      configuration: {
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: { namespace: 'AWS/EC2', name: 'StatusCheckFailed', dimensions: instanceId ? { InstanceId: instanceId } : {} },
              period: 60,
              stat: 'Maximum',
            },
            returnData: true,
          },
        ],
      },
    },
  });

  it('accepts an ALARM event: the InstanceId dimension names the pair and the failed role', () => {
    const w = setup();
    const fromA = validate(w.flowDeps(), { input: alarm('i-0a1b2c3d4e5f60001'), execution: 'e' }).input;
    expect(fromA).toEqual({
      pair: 'hq-egress',
      action: 'failover',
      reason: 'CloudWatch alarm pan-failover-hq-egress-fw-a-status-check: Threshold Crossed: 2 datapoints were greater than or equal to the threshold (1.0).',
      source: 'alarm',
      from: 'primary',
      incidentId: 'pan-failover-hq-egress-fw-a-status-check@2026-01-01T09:05:00.000+0000',
      force: false,
      dryRun: false,
    });
    const fromB = validate(w.flowDeps(), { input: alarm('i-0a1b2c3d4e5f60002', 'ALARM', 'fw-b-status'), execution: 'e' }).input;
    expect(fromB).toMatchObject({ pair: 'hq-egress', from: 'secondary', source: 'alarm' });
  });

  it('an ALARM event without a managed instance is refused, whatever its name (names carry the stage and are not read)', () => {
    const w = setup();
    for (const [instanceId, name] of [
      [undefined, 'pan-failover-hq-egress-fw-a-status-check'],
      [undefined, 'pan-failover-prod-hq-egress-fw-a-status-check'],
      ['i-0fffffffffffffff0', 'pan-failover-prod-hq-egress-fw-a-status-check'],
    ] as const) {
      expect(issuesOf(() => validate(w.flowDeps(), { input: alarm(instanceId, 'ALARM', name), execution: 'e' })).map((i) => i.path), name).toEqual([
        'detail.configuration.metrics',
      ]);
    }
  });

  it('rejects an alarm back in OK state, and one that names no managed pair', () => {
    const w = setup();
    expect(issuesOf(() => validate(w.flowDeps(), { input: alarm('i-0a1b2c3d4e5f60001', 'OK'), execution: 'e' }))).toEqual([
      { path: 'detail.state.value', message: 'alarm pan-failover-hq-egress-fw-a-status-check is OK, not ALARM: nothing to do' },
    ]);
    expect(issuesOf(() => validate(w.flowDeps(), { input: alarm('i-0fffffffffffffff0', 'ALARM', 'someone-elses-alarm'), execution: 'e' })).map((i) => i.path)).toEqual([
      'detail.configuration.metrics',
    ]);
  });

  it('the flow-control envelope is strict too', async () => {
    const w = setup();
    await expect(runControlStep(w.flowDeps(), { step: 'validate', input: FAILOVER, execution: 'e', extra: true })).rejects.toBeInstanceOf(InputInvalidError);
    await expect(runControlStep(w.flowDeps(), { step: 'selfDestruct', state: {} })).rejects.toBeInstanceOf(InputInvalidError);
    // Later steps re-validate the input inside the state they are given.
    const state = await locked(w);
    await expect(runControlStep(w.flowDeps(), { step: 'finish', state: { ...state, input: { ...state.input, force: 'yes' } } })).rejects.toBeInstanceOf(
      InputInvalidError,
    );
  });
});

describe('acquireLock', () => {
  it('takes the pair for this execution for leaseMs(pair)', async () => {
    const w = setup();
    const now = w.clock.now();
    const state = await locked(w);
    expect(state.lock).toEqual({ acquired: true, expiresAt: now + leaseMs(w.pair) });
    expect(state.phases.lock?.outcome).toBe('acquired');
    expect(await w.ports.store.get('hq-egress')).toEqual({ holder: 'exec-1', expiresAt: now + leaseMs(w.pair) });
  });

  it('the lease outlives the longest flow the policy allows, capped at the state machine timeout (3 hours)', () => {
    // Start retries on every instance type, the readiness deadline, four verification windows, DNS/tunnel settling.
    const longest = (p: ReturnType<typeof makePair>) =>
      (p.start.maxAttempts * p.start.retryIntervalSeconds * (1 + p.start.fallbackInstanceTypes.length) +
        p.readiness.deadlineSeconds +
        4 * p.cutover.verifyTimeoutSeconds +
        Math.max(p.postVerify.dnsSyncTimeoutSeconds, p.postVerify.tunnelTimeoutSeconds)) *
      1000;
    for (const pair of [makePair(), makePair({ start: { fallbackInstanceTypes: ['c5.xlarge', 'm5.2xlarge'] } }), makePair({ readiness: { deadlineSeconds: 2400 } })]) {
      expect(leaseMs(pair)).toBeGreaterThan(longest(pair));
      expect(leaseMs(pair)).toBeLessThanOrEqual(3 * 3600 * 1000);
    }
    expect(leaseMs(makePair({ readiness: { deadlineSeconds: 3600 }, start: { maxAttempts: 8, retryIntervalSeconds: 300 } }))).toBe(3 * 3600 * 1000);
  });

  it('single-flight: a second execution does not get it, and learns who holds it', async () => {
    const w = setup();
    const first = await locked(w, FAILOVER, 'exec-1');
    const second = await locked(w, FAILOVER, 'exec-2');
    expect(second.lock).toEqual({ acquired: false, heldBy: 'exec-1', expiresAt: first.lock?.expiresAt });
    expect(second.phases.lock?.outcome).toBe('held by exec-1');
    expect((await w.ports.store.get('hq-egress'))?.holder).toBe('exec-1');
  });

  it('re-entrant for the same execution (a retried step does not lock itself out), extending the lease', async () => {
    const w = setup();
    const first = await locked(w, FAILOVER, 'exec-1');
    await w.clock.advance(5000);
    const again = await acquireLock(w.flowDeps(), first);
    expect(again.lock).toEqual({ acquired: true, expiresAt: w.clock.now() + leaseMs(w.pair) });
  });

  it('an expired lease can be taken over', async () => {
    const w = setup();
    await locked(w, FAILOVER, 'exec-1');
    await w.clock.advance(leaseMs(w.pair) + 1);
    const second = await locked(w, FAILOVER, 'exec-2');
    expect(second.lock?.acquired).toBe(true);
    expect((await w.ports.store.get('hq-egress'))?.holder).toBe('exec-2');
  });
});

describe('recordOwner', () => {
  it('records the target as owner, naming the execution and the reason', async () => {
    const w = setup();
    const state = await rechecked(w);
    await w.clock.advance(60_000);
    const after = await recordOwner(w.flowDeps(), state);
    expect(await w.ports.store.getOwner('hq-egress')).toEqual({
      owner: 'secondary',
      since: w.clock.now(),
      changedBy: 'exec-1',
      reason: 'failover: fw-a is dead',
    });
    expect(after.phases.record?.outcome).toBe('secondary');
  });

  it('refuses without the lock: another execution took it over after the lease expired (LockLostError)', async () => {
    const w = setup();
    const state = await rechecked(w);
    await w.clock.advance(leaseMs(w.pair) + 1);
    await locked(w, FAILOVER, 'exec-2');
    await expect(recordOwner(w.flowDeps(), state)).rejects.toBeInstanceOf(LockLostError);
    await expect(recordOwner(w.flowDeps(), state)).rejects.toThrow('exec-1 no longer holds the lock of hq-egress (held by exec-2)');
    expect(await w.ports.store.getOwner('hq-egress')).toBeUndefined();
  });

  it('refuses with an expired lease even if nobody took it', async () => {
    const w = setup();
    const state = await rechecked(w);
    await w.clock.advance(leaseMs(w.pair));
    await expect(recordOwner(w.flowDeps(), state)).rejects.toBeInstanceOf(LockLostError);
    expect(await w.ports.store.getOwner('hq-egress')).toBeUndefined();
  });

  it('refuses when the lock was never acquired', async () => {
    const w = setup();
    await w.ports.store.acquire('hq-egress', 'exec-0', w.clock.now(), 600_000);
    const state = await rechecked(w);
    expect(state.lock?.acquired).toBe(false);
    await expect(recordOwner(w.flowDeps(), state)).rejects.toBeInstanceOf(LockLostError);
  });
});

describe('notify', () => {
  it('names the direction in the started notification, with filterable attributes', async () => {
    const w = setup();
    const state = await rechecked(w);
    await notify(w.flowDeps(), state, 'started');
    await expect(runControlStep(w.flowDeps(), { step: 'notify', phase: 'starting', state })).resolves.toEqual({});
    const [started, starting] = w.notifier.published;
    expect(started?.subject).toBe('[pan-failover] hq-egress FAILOVER started: fw-a -> fw-b');
    expect(started?.attributes).toEqual({ pair: 'hq-egress', event: 'started', action: 'failover', outcome: 'in-progress' });
    expect(started?.body).toMatchObject({
      pair: 'hq-egress',
      execution: 'exec-1',
      event: 'started',
      from: { role: 'primary', name: 'fw-a', instanceId: 'i-0a1b2c3d4e5f60001', availabilityZone: 'eu-central-1a' },
      to: { role: 'secondary', name: 'fw-b', instanceId: 'i-0a1b2c3d4e5f60002', availabilityZone: 'eu-central-1b' },
    });
    expect(starting?.subject).toBe('[pan-failover] hq-egress fw-b starting; waiting until ready');
  });
});

describe('finish', () => {
  it('a completed flow: lock released, success notified with the phases, metrics published', async () => {
    const w = setup();
    const state = await rechecked(w);
    await w.clock.advance(90_000);
    const done = await finish(w.flowDeps(), { ...state, phases: { ...state.phases, cutover: { startedAt: w.clock.now() - 4000, endedAt: w.clock.now() - 1000, outcome: '6 moved' } } });

    expect(done.result).toEqual({ outcome: 'succeeded', summary: 'fw-b is active' });
    expect(done.phases.finish).toMatchObject({ outcome: 'ok' });
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
    expect(w.notifier.subjects()).toEqual(['[pan-failover] hq-egress FAILOVER succeeded: fw-b is active (1m 30s)']);
    expect(w.notifier.published[0]?.attributes).toEqual({ pair: 'hq-egress', event: 'result', action: 'failover', outcome: 'succeeded' });
    const metrics = w.telemetry.recordedMetrics;
    expect(metrics.find((m) => m.name === 'FlowResult')).toMatchObject({ value: 1, dimensions: { Pair: 'hq-egress', Action: 'failover', Outcome: 'succeeded' } });
    expect(metrics.find((m) => m.name === 'FlowDuration')).toMatchObject({ value: 90, unit: 'Seconds', dimensions: { Pair: 'hq-egress', Action: 'failover' } });
    expect(metrics.find((m) => m.name === 'Failovers')).toMatchObject({ value: 1, dimensions: { Pair: 'hq-egress', Outcome: 'succeeded' } });
    expect(metrics.filter((m) => m.name === 'FlowPhaseDuration').find((m) => m.dimensions.Phase === 'cutover')?.value).toBe(3);
  });

  it('skipped because another execution holds the pair: its lock stays, no notification (the winner reports)', async () => {
    const w = setup();
    await locked(w, FAILOVER, 'exec-1');
    const loser = await locked(w, FAILOVER, 'exec-2');
    const done = await finish(w.flowDeps(), loser);
    expect(done.result).toEqual({ outcome: 'skipped-locked', summary: 'another execution (exec-1) holds hq-egress: nothing changed' });
    expect((await w.ports.store.get('hq-egress'))?.holder).toBe('exec-1');
    expect(w.notifier.published).toEqual([]);
    expect(w.telemetry.recordedMetrics.map((m) => [m.name, m.dimensions.Outcome])).toEqual([['FlowResult', 'skipped-locked']]);
  });

  it('a no-op re-check ends as "not needed", with the reason, and releases the lock', async () => {
    const w = setup(makeConfig(), { 'fw-a': { tunnels: ['tun-head-office'] } });
    const state = await rechecked(w);
    expect(state.recheck?.mode).toBe('noop');
    const done = await finish(w.flowDeps(), state);
    expect(done.result?.outcome).toBe('noop');
    expect(done.result?.summary).toContain('fw-a is healthy');
    expect(w.notifier.subjects()[0]).toMatch(/^\[pan-failover\] hq-egress FAILOVER not needed: re-checked: fw-a is healthy/);
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
  });

  it('still releases the lock and returns when the notification fails', async () => {
    const w = setup();
    const state = await rechecked(w);
    w.notifier.failWith = new Error('sns:Publish: AccessDenied');
    const done = await finish(w.flowDeps(), state);
    expect(done.result?.outcome).toBe('succeeded');
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
    expect(w.telemetry.logs.some((l) => l.level === 'error' && l.message === 'notification failed')).toBe(true);
  });
});

describe('abort', () => {
  /** Bootstrapped owner (the probe records it before it triggers a flow). */
  async function recordPrimary(w: WorldHarness): Promise<void> {
    await w.ports.store.putOwner('hq-egress', { owner: 'primary', since: w.clock.now(), changedBy: 'bootstrap', reason: 'all managed objects point at it' });
  }

  /**
   * A flow that started fw-b and (if `ready`) saw it ready, then died with part of the objects
   * moved. As the state machine's Catch does, abort gets the failed task's input state plus
   * the error: nothing in it says the cutover began.
   */
  async function halfMoved(w: WorldHarness, ready: boolean): Promise<FlowState> {
    await recordPrimary(w);
    let state = await startTarget(w.flowDeps(), await rechecked(w));
    if (ready) await w.clock.advance(20_000);
    state = await checkReady(w.flowDeps(), state);
    expect(state.ready?.ready).toBe(ready);
    const [r0, r1] = w.pair.routes;
    const [e0] = w.pair.elasticIps;
    w.world.ec2.replaceRoute(r0!.routeTableId, r0!.destination, { networkInterfaceId: r0!.targets.secondary });
    w.world.ec2.replaceRoute(r1!.routeTableId, r1!.destination, { networkInterfaceId: r1!.targets.secondary });
    w.world.ec2.associateAddress({ allocationId: e0!.allocationId, networkInterfaceId: e0!.secondary.networkInterfaceId, privateIp: e0!.secondary.privateIp, allowReassociation: true });
    expect(truePlacement(w.world, w.pair).owner).toBe('split');
    return { ...state, error: { Error: 'Lambda.Unknown', Cause: 'RequestId: 1 Error: Runtime exited during cutover' } };
  }

  it('a split pair whose target was ready is converged forward onto the target, recorded, unlocked, reported', async () => {
    const w = setup();
    const failed = await abort(w.flowDeps(), await halfMoved(w, true));

    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
    expect(await w.ports.store.getOwner('hq-egress')).toMatchObject({ owner: 'secondary', changedBy: 'exec-1', reason: 'converged after Lambda.Unknown' });
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
    expect(failed.result?.outcome).toBe('failed');
    expect(failed.result?.summary).toContain('Lambda.Unknown in phase cutover: RequestId: 1 Error: Runtime exited during cutover');
    expect(failed.result?.summary).toContain('converged on fw-b');
    expect(failed.phases.cutover?.outcome).toBe('failed: Lambda.Unknown');
    const [n] = w.notifier.published;
    expect(n?.subject).toBe('[pan-failover] hq-egress FAILOVER FAILED in phase cutover: Lambda.Unknown');
    expect(n?.body).toMatchObject({ failedPhase: 'cutover', error: { Error: 'Lambda.Unknown' } });
    expect(n?.body.consistency).toEqual(expect.arrayContaining([expect.stringContaining('converged on fw-b'), 'recorded fw-b as owner']));
    expect(n?.attributes).toMatchObject({ event: 'result', outcome: 'failed' });
    const metrics = w.telemetry.recordedMetrics;
    expect(metrics.find((m) => m.name === 'FlowResult')?.dimensions).toEqual({ Pair: 'hq-egress', Action: 'failover', Outcome: 'failed' });
    expect(metrics.find((m) => m.name === 'Failovers')?.dimensions).toEqual({ Pair: 'hq-egress', Outcome: 'failed' });
  });

  it('a split pair whose target was not found ready is converged back onto the origin when the origin can carry traffic', async () => {
    const w = setup();
    const state = await halfMoved(w, false);
    const recheck = state.recheck;
    if (!recheck) throw new Error('no recheck');
    // As in a forced failover or a failback: the origin was found healthy.
    const failed = await abort(w.flowDeps(), { ...state, recheck: { ...recheck, statuses: { ...recheck.statuses, primary: 'healthy' } } });
    expect(truePlacement(w.world, w.pair).owner).toBe('primary');
    expect((await w.ports.store.getOwner('hq-egress'))?.owner).toBe('primary');
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
    expect(failed.result?.summary).toContain('converged on fw-a');
    expect(w.notifier.subjects()).toEqual(['[pan-failover] hq-egress FAILOVER FAILED in phase boot: Lambda.Unknown']);
  });

  it('a split pair whose target was not found ready, with a failed origin, is left as it is: nothing goes back onto the dead firewall', async () => {
    const w = setup();
    const state = await halfMoved(w, false);
    expect(state.recheck?.statuses.primary).toBe('unreachable');
    const before = truePlacement(w.world, w.pair);
    const spy = spyEc2(w.ports.ec2, w.clock);
    const failed = await abort(w.flowDeps({ ec2: spy.port }), state);
    expect(MUTATING_EC2.map((m) => spy.count(m))).toEqual([0, 0, 0]);
    expect(truePlacement(w.world, w.pair).owner).toBe(before.owner);
    expect(failed.result?.summary).toContain('left as they are: fw-a was not found able to carry traffic and the target was not found ready');
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
  });

  it('if the ready target cannot be reached, it does not move traffic back onto the failed origin: the split is reported', async () => {
    const w = setup();
    const state = await halfMoved(w, true);
    const before = truePlacement(w.world, w.pair);
    const spy = spyEc2(w.ports.ec2, w.clock, (method, args) => {
      if (method === 'associateAddress' && String(args[1]).startsWith('eni-0b')) throw new Error('fw-b side unreachable (injected)');
    });
    const failed = await abort(w.flowDeps({ ec2: spy.port }), state);
    // What had moved to fw-b stays there: nothing already on fw-b went back to fw-a (the firewall
    // that failed); the forward attempt that could not finish undid only its own moves.
    const [r0, r1] = w.pair.routes;
    for (const r of [r0!, r1!]) {
      const now = w.world.ec2.describeRouteTables({ ids: [r.routeTableId] })[0]?.routes.find((x) => x.destination === r.destination);
      expect(now?.networkInterfaceId).toBe(r.targets.secondary);
    }
    expect(truePlacement(w.world, w.pair).owner).toBe(before.owner);
    expect(failed.result?.summary).toContain('managed objects were split');
    expect(failed.result?.summary).toContain('could not converge on fw-b');
    // fw-b carries what could be moved: it is the owner now (the probe reports the rest as drift).
    expect((await w.ports.store.getOwner('hq-egress'))?.owner).toBe('secondary');
    expect(failed.result?.summary).toContain('recorded fw-b as owner (it carries what could be moved)');
    // Nothing fenced while objects still point at fw-a.
    expect(spy.count('stopInstance')).toBe(0);
  });

  it('a failure before the cutover changes nothing in AWS; the notice names the phase and the error', async () => {
    const w = setup();
    await recordPrimary(w);
    const state = await checkReady(w.flowDeps(), await startTarget(w.flowDeps(), await rechecked(w)));
    const spy = spyEc2(w.ports.ec2, w.clock);
    const failed = await abort(w.flowDeps({ ec2: spy.port }), {
      ...state,
      error: { Error: 'StandbyNotReadyError', Cause: 'fw-b not ready 1200 s after the start request' },
    });
    expect(MUTATING_EC2.map((m) => spy.count(m))).toEqual([0, 0, 0]);
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
    expect((await w.ports.store.getOwner('hq-egress'))?.owner).toBe('primary');
    expect(truePlacement(w.world, w.pair).owner).toBe('primary');
    expect(failed.error).toEqual({ Error: 'StandbyNotReadyError', Cause: 'fw-b not ready 1200 s after the start request' });
    expect(w.notifier.subjects()).toEqual(['[pan-failover] hq-egress FAILOVER FAILED in phase boot: StandbyNotReadyError']);
    expect(w.notifier.published[0]?.body).toMatchObject({ failedPhase: 'boot' });
  });

  it('changes nothing in AWS when the pair\'s lock is no longer this execution\'s (taken over, or a redriven old execution)', async () => {
    const w = setup();
    const state = await halfMoved(w, true);
    await w.ports.store.takeOver('hq-egress', 'exec-2', 'exec-1', w.clock.now(), 600_000);
    const spy = spyEc2(w.ports.ec2, w.clock);
    const failed = await abort(w.flowDeps({ ec2: spy.port }), state);
    expect(MUTATING_EC2.map((m) => spy.count(m))).toEqual([0, 0, 0]);
    expect((await w.ports.store.getOwner('hq-egress'))?.owner).toBe('primary');
    expect((await w.ports.store.get('hq-egress'))?.holder).toBe('exec-2');
    expect(failed.result?.summary).toContain('AWS left as it is: the pair\'s lock is held by exec-2, not by this execution');
  });

  it('a Route 53 failure while finishing does not keep the new owner from being recorded, and is reported with what was done', async () => {
    const w = setup(makeConfig({ dnsRecords: [{ hostedZoneId: 'Z0123456789ABCDEFGHIJ', name: 'vpn.example.com', type: 'A', ttl: 60, values: { primary: ['203.0.113.10'], secondary: ['203.0.113.20'] } }] }));
    const state = await halfMoved(w, true);
    const brokenDns = { getRecord: w.ports.dns.getRecord.bind(w.ports.dns), getChangeStatus: w.ports.dns.getChangeStatus.bind(w.ports.dns), upsertRecord: () => Promise.reject(new AwsCallError('route53:ChangeResourceRecordSets', 'injected', 'InvalidChangeBatch')) };
    const failed = await abort(w.flowDeps({ dns: brokenDns }), state);
    expect(truePlacement(w.world, w.pair).owner).toBe('secondary');
    expect((await w.ports.store.getOwner('hq-egress'))?.owner).toBe('secondary');
    expect(failed.result?.summary).toContain('recorded fw-b as owner');
    expect(failed.result?.summary).toContain('fencing:');
    expect(failed.result?.summary).toContain('DNS update failed (pan-failover repair puts it right)');
  });

  it("does not release another execution's lock", async () => {
    const w = setup();
    await locked(w, FAILOVER, 'exec-1');
    const loser = await locked(w, FAILOVER, 'exec-2');
    await abort(w.flowDeps(), { ...loser, error: { Error: 'AwsTransientError', Cause: 'x' } });
    expect((await w.ports.store.get('hq-egress'))?.holder).toBe('exec-1');
  });

  it('reads the message out of a Lambda error payload', async () => {
    const w = setup();
    const state = await rechecked(w);
    const cause = JSON.stringify({ errorType: 'TargetUnusableError', errorMessage: 'fw-b cannot take the traffic: its instance is terminated', trace: [] });
    const failed = await abort(w.flowDeps(), { ...state, error: { Error: 'TargetUnusableError', Cause: cause } });
    expect(failed.error).toEqual({ Error: 'TargetUnusableError', Cause: 'fw-b cannot take the traffic: its instance is terminated' });
    expect(failed.result?.summary).toMatch(/^TargetUnusableError in phase \w+: fw-b cannot take the traffic: its instance is terminated( \(.*\))?$/);
    expect(causeMessage(undefined)).toBe('');
    expect(causeMessage('plain text')).toBe('plain text');
  });

  it('still returns the failed state when the notification fails, with the lock released', async () => {
    const w = setup();
    const state = await rechecked(w);
    w.notifier.failWith = new Error('sns down');
    const failed = await abort(w.flowDeps(), { ...state, error: { Error: 'AwsAccessDeniedError', Cause: 'no ec2:StartInstances' } });
    expect(failed.result?.outcome).toBe('failed');
    expect(await w.ports.store.get('hq-egress')).toBeUndefined();
  });
});
