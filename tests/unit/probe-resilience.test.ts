/**
 * The probe when its own surroundings misbehave: one pair's round failing, a duplicate
 * invocation, EC2 answering with errors (an answer still proves the network; no answer does
 * not), a lock held by a holder Step Functions does not know, a drift repair that keeps
 * failing, and the owner bootstrap racing a flow. Fast fakes: the simulated world's direct
 * ports on a ManualClock and scripted firewalls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { translateAwsError } from '#shared/adapters/aws/errors.js';
import type { Config } from '#shared/config/schema.js';
import {
  AwsAccessDeniedError,
  AwsThrottledError,
  AwsTransientError,
  type PanFailoverError,
} from '#shared/errors.js';
import type { FlowStarter } from '#shared/ports/messaging.js';
import type { OwnerRecord } from '#shared/ports/store.js';
import { flowExecutionName } from '#shared/usecases/flow-input.js';
import {
  probeRound,
  REPAIR_RETRY_MS,
  type PairRoundResult,
  type ProbeDeps,
  type ProbeMemory,
} from '#shared/usecases/probe.js';
import { makeConfig } from '../support/config.js';
import {
  spyEc2,
  worldHarness,
  type FakeFirewallScript,
  type WorldHarness,
} from '../support/fake-firewalls.js';
import { twoPairConfig } from '../support/two-pairs.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

const TUNNEL = 'tun-head-office';
const healthy: FakeFirewallScript = { tunnels: [TUNNEL] };
const INTERVAL = 10_000;
const PAIR = 'hq-egress';

function harness(
  config: Config = makeConfig(),
  firewalls: Record<string, FakeFirewallScript> = { 'fw-a': healthy },
): WorldHarness {
  h = worldHarness(config, { firewalls });
  return h;
}

type Store = ProbeDeps['store'];

/** The world's store with some methods replaced. */
function storeWith(base: Store, overrides: Partial<Store>): Store {
  return {
    loadProbeState: (pair) => base.loadProbeState(pair),
    saveProbeState: (pair, value, expected) => base.saveProbeState(pair, value, expected),
    getOwner: (pair) => base.getOwner(pair),
    putOwner: (pair, record, options) => base.putOwner(pair, record, options),
    get: (pair) => base.get(pair),
    getPause: (pair) => base.getPause(pair),
    putPause: (pair, record, expected) => base.putPause(pair, record, expected),
    ...overrides,
  };
}

/** One round of the first pair; the clock is driven through any sleep (the Describe retry's backoff). */
async function round(w: WorldHarness, deps: ProbeDeps = w.probeDeps()): Promise<PairRoundResult> {
  const [r] = await w.clock.run(probeRound(deps), { limitMs: 60_000 });
  if (!r) throw new Error('no round result');
  return r;
}

async function rounds(w: WorldHarness, n: number, deps?: () => ProbeDeps): Promise<PairRoundResult[]> {
  const out: PairRoundResult[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await round(w, deps?.()));
    await w.clock.advance(INTERVAL);
  }
  return out;
}

async function stored(
  w: WorldHarness,
  pair = PAIR,
): Promise<{ value: ProbeMemory | undefined; version: number | undefined }> {
  return w.ports.store.loadProbeState(pair);
}

describe('probe: one pair failing does not stop the others', () => {
  it('a pair whose round throws is logged and counted (ProbeError); the other pair is still returned and acted on', async () => {
    const w = harness(twoPairConfig('cold'), { 'fw-a': healthy, 'fw-c': { outcomes: 'auth' } });
    const reason = new AwsThrottledError(
      'dynamodb:GetItem',
      'throttled (ProvisionedThroughputExceededException)',
      'ProvisionedThroughputExceededException',
    );
    const store = storeWith(w.ports.store, {
      loadProbeState: (pair) => (pair === PAIR ? Promise.reject(reason) : w.ports.store.loadProbeState(pair)),
    });

    const results = await w.clock.run(probeRound(w.probeDeps({ store })));

    expect(results.map((r) => r.pair)).toEqual(['branch-egress']);
    const [branch] = results;
    expect(branch?.decision).toMatchObject({ action: 'alert', code: 'active-auth-error' });
    expect(branch?.acted).toContain('notified: [pan-failover] branch-egress: ALERT active-auth-error');
    expect(w.notifier.subjects()).toEqual(['[pan-failover] branch-egress: ALERT active-auth-error']);
    expect((await stored(w, 'branch-egress')).version).toBe(1);

    const failed = w.telemetry.logs.filter((l) => l.message === 'probe round failed');
    expect(failed).toEqual([
      { level: 'error', message: 'probe round failed', fields: { pair: PAIR, error: reason.message } },
    ]);
    expect(w.telemetry.recordedMetrics.filter((m) => m.name === 'ProbeError')).toEqual([
      { name: 'ProbeError', unit: 'Count', value: 1, dimensions: { Pair: PAIR } },
    ]);
    // The failed pair stored nothing and recorded nothing.
    expect(await stored(w)).toEqual({ value: undefined, version: undefined });
    expect(await w.ports.store.getOwner(PAIR)).toBeUndefined();
  });
});

describe('probe: overlapping invocations (stored lastRoundAt)', () => {
  it('a round within 0.8 of an interval of the last decided one observes only; a full interval later it decides', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    const r1 = await round(w);
    await w.clock.advance(INTERVAL);
    const r2 = await round(w);
    expect([r1.decision.code, r2.decision.code]).toEqual(['active-failing', 'active-failing']);
    expect((await stored(w)).value?.firewalls.primary.consecutiveFailures).toBe(2);

    // A duplicate delivery 4 s later (within 8 s of the 10 s interval): it sees the third failure...
    await w.clock.advance(4000);
    const dup = await round(w);
    expect(dup.decision).toMatchObject({ action: 'failover', code: 'active-failed' });
    // ...but decides nothing, saves nothing, starts nothing.
    expect(dup.acted).toEqual(['nothing: another invocation probed this pair 4 s ago']);
    const afterDup = await stored(w);
    expect(afterDup.version).toBe(2);
    expect(afterDup.value?.firewalls.primary.consecutiveFailures).toBe(2);
    expect(afterDup.value?.lastRoundAt).toBe(r2.at);
    expect(w.flows.starts).toEqual([]);
    expect(w.notifier.published).toEqual([]);

    // The scheduled round a full interval after the last decided one counts the failure and acts.
    await w.clock.advance(INTERVAL - 4000);
    const r3 = await round(w);
    expect(r3.decision).toMatchObject({ action: 'failover', code: 'active-failed' });
    expect(r3.acted).toContain(`started ${flowExecutionName(PAIR, 'failover', r1.at, 1)}`);
    const afterR3 = await stored(w);
    expect(afterR3.version).toBe(3);
    expect(afterR3.value?.firewalls.primary.consecutiveFailures).toBe(3);
    expect(afterR3.value?.lastRoundAt).toBe(r3.at);
    expect(w.flows.starts).toHaveLength(1);
  });

  it('an invocation ticking at a shorter interval (another pair\'s 5 s) counts this pair\'s failures at its own 10 s, not faster', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    const codes: string[] = [];
    const decided: boolean[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await round(w);
      codes.push(r.decision.code);
      decided.push(!r.acted.some((a) => a.startsWith('nothing: another invocation')));
      await w.clock.advance(5000);
    }
    // Rounds at 0, 5, ..., 30 s: only those at 0, 10, 20, 30 s decide; the third failure is at 20 s.
    expect(decided).toEqual([true, false, true, false, true, false, true]);
    expect(w.flows.starts).toHaveLength(1);
    expect((await stored(w)).value?.firewalls.primary.consecutiveFailures).toBeGreaterThanOrEqual(3);
  });

  it('a round whose clock is behind the last decided one (another container) observes only', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    await round(w);
    const last = (await stored(w)).value?.lastRoundAt ?? 0;
    const behind = { now: () => last - 3000, sleep: (ms: number, signal?: AbortSignal) => w.clock.sleep(ms, signal) };
    const early = await round(w, { ...w.probeDeps(), clock: behind });
    expect(early.acted[0]).toMatch(/^nothing: another invocation probed this pair/);
  });
});

describe('probe: EC2 DescribeInstances failing', () => {
  const op = { operation: 'ec2:DescribeInstances' };
  /** What the EC2 adapter makes of the SDK's exceptions. */
  const errors = {
    throttled: () =>
      translateAwsError(
        {
          name: 'RequestLimitExceeded',
          message: 'Request limit exceeded.',
          $metadata: { httpStatusCode: 503 },
        },
        op,
      ),
    serverError: () =>
      translateAwsError(
        {
          name: 'InternalError',
          message: 'An internal error has occurred',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        },
        op,
      ),
    network: () =>
      translateAwsError(
        Object.assign(new Error('connect ECONNREFUSED 52.95.0.1:443'), { code: 'ECONNREFUSED' }),
        op,
      ),
    accessDenied: () =>
      translateAwsError(
        {
          name: 'UnauthorizedOperation',
          message: 'You are not authorized',
          $metadata: { httpStatusCode: 403 },
        },
        op,
      ),
  };

  it('the errors are what the adapter really produces: the 5xx keeps its HTTP status, the network error has none', () => {
    expect(errors.throttled()).toBeInstanceOf(AwsThrottledError);
    expect(errors.serverError()).toBeInstanceOf(AwsTransientError);
    expect(errors.network()).toBeInstanceOf(AwsTransientError);
    expect(errors.accessDenied()).toBeInstanceOf(AwsAccessDeniedError);
    const status = (e: PanFailoverError) =>
      (e.cause as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    expect(status(errors.serverError())).toBe(500);
    expect(status(errors.network())).toBeUndefined();
  });

  /** A dead primary and a stopped cold standby (which, asked anyway, does not answer either). */
  function deadPrimary(fail: () => PanFailoverError | undefined) {
    const w = harness(makeConfig(), {
      'fw-a': { outcomes: 'unreachable' },
      'fw-b': { outcomes: 'unreachable' },
    });
    const spy = spyEc2(w.ports.ec2, w.clock, (method) => {
      if (method !== 'describeInstances') return;
      const e = fail();
      if (e) throw e;
    });
    return { w, spy, deps: () => w.probeDeps({ ec2: spy.port }) };
  }

  it.each([
    ['throttled (AwsThrottledError)', errors.throttled],
    ['an HTTP 5xx (AwsTransientError with a status)', errors.serverError],
  ])(
    '%s is an answer, not blindness: the dead primary still counts failures and is failed over',
    async (_, error) => {
      const { w, spy, deps } = deadPrimary(error);
      const results = await rounds(w, 3, deps);

      expect(results.map((r) => r.decision.code)).toEqual([
        'active-failing',
        'active-failing',
        'active-failed',
      ]);
      expect(results[2]?.decision.action).toBe('failover');
      expect(w.flows.starts.map((s) => s.input.action)).toEqual(['failover']);
      expect(
        w.telemetry.recordedMetrics.filter((m) => m.name === 'ControllerBlind').map((m) => m.value),
      ).toEqual([]);
      expect(w.notifier.subjects().some((s) => s.includes('controller-blind'))).toBe(false);
      // Each round tried DescribeInstances twice (one retry of the transient error), then went on without it.
      expect(spy.count('describeInstances')).toBe(6);
      expect(results[0]?.firewalls.map((f) => f.observation.instance.state)).toEqual(['unknown', 'unknown']);
    },
  );

  it('a transport failure (no HTTP answer) with both firewalls silent is blind: alert once, never fail over', async () => {
    const { w, spy, deps } = deadPrimary(errors.network);
    const results = await rounds(w, 5, deps);

    expect(results.map((r) => r.decision.code)).toEqual(Array(5).fill('controller-blind'));
    expect(w.flows.starts).toEqual([]);
    expect(w.notifier.subjects()).toEqual(['[pan-failover] hq-egress: ALERT controller-blind']);
    expect(String(w.notifier.published[0]?.body.reason)).toContain('neither the EC2 API nor any firewall');
    expect(spy.count('describeInstances')).toBe(10);
    // Blind rounds do not count toward the failover threshold.
    expect((await stored(w)).value?.firewalls.primary.consecutiveFailures).toBe(0);
  });

  it('a transient failure is retried once: when the retry answers, the round sees the instances', async () => {
    let calls = 0;
    const { w, spy, deps } = deadPrimary(() => (++calls === 1 ? errors.network() : undefined));
    const r = await round(w, deps());
    expect(spy.count('describeInstances')).toBe(2);
    expect(r.firewalls.map((f) => f.observation.instance.state)).toEqual(['running', 'stopped']);
    expect(r.decision.code).toBe('active-failing');
    // The stopped standby is known to be stopped again: its API is not called.
    expect(w.firewalls.callsTo('fw-b')).toEqual([]);
  });

  it('a terminal answer (access denied) is not retried, and it is not blindness either', async () => {
    const { w, spy, deps } = deadPrimary(errors.accessDenied);
    const r = await round(w, deps());
    expect(spy.count('describeInstances')).toBe(1);
    expect(r.decision.code).toBe('active-failing');
  });
});

describe('probe: a lock held while a failover is due', () => {
  const HOLDER = 'cli-hq-egress-failover-20260101T085500-abc123';

  async function lockedDeadPrimary(
    flows?: FlowStarter,
  ): Promise<{ w: WorldHarness; results: PairRoundResult[] }> {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    await w.ports.store.acquire(PAIR, HOLDER, w.clock.now(), 3_600_000);
    const results = await rounds(w, 5, () => w.probeDeps(flows ? { flows } : {}));
    expect(results.slice(2).map((r) => r.decision.action)).toEqual(['failover', 'failover', 'failover']);
    return { w, results };
  }

  it('a holder Step Functions does not know (an interrupted CLI run): one alert naming it, no flow started', async () => {
    const { w, results } = await lockedDeadPrimary();
    expect(w.flows.starts).toEqual([]);
    expect(w.notifier.subjects()).toEqual(['[pan-failover] hq-egress: ALERT failover-blocked-by-lock']);
    const alert = w.notifier.published[0];
    expect(alert?.attributes).toEqual({ pair: PAIR, event: 'alert', code: 'failover-blocked-by-lock' });
    expect(String(alert?.body.reason)).toContain(`held by ${HOLDER}, which Step Functions does not know`);
    expect(results[2]?.acted).toEqual([
      `flow in progress (lock held by ${HOLDER}): no repair`,
      'notified: [pan-failover] hq-egress: ALERT failover-blocked-by-lock',
    ]);
    expect(w.flows.statusCalls).toContain(HOLDER);

    // Once the lock is gone, the failover the alert was about starts.
    await w.ports.store.release(PAIR, HOLDER);
    const after = await round(w);
    expect(after.decision.action).toBe('failover');
    expect(w.flows.starts.map((s) => s.input.action)).toEqual(['failover']);
  });

  it('a holder that is RUNNING is a flow at work: no alert, no second flow', async () => {
    const w0 = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    w0.flows.statuses.set(HOLDER, 'RUNNING');
    await w0.ports.store.acquire(PAIR, HOLDER, w0.clock.now(), 3_600_000);
    const results = await rounds(w0, 5);
    expect(results[4]?.decision.action).toBe('failover');
    expect(results[4]?.acted).toEqual([`flow in progress (lock held by ${HOLDER}): no repair`]);
    expect(w0.flows.starts).toEqual([]);
    expect(w0.notifier.published).toEqual([]);
  });

  it('a status lookup that fails is not "unknown holder": no alert, no flow', async () => {
    const calls: string[] = [];
    const flows: FlowStarter = {
      start: () => Promise.reject(new Error('must not start while the pair is locked')),
      status: (name) => {
        calls.push(name);
        return Promise.reject(
          new AwsTransientError('states:DescribeExecution', 'connect ETIMEDOUT', 'ETIMEDOUT'),
        );
      },
    };
    const { w, results } = await lockedDeadPrimary(flows);
    expect(calls.length).toBeGreaterThan(0);
    expect(w.notifier.published).toEqual([]);
    expect(results[4]?.acted).toEqual([`flow in progress (lock held by ${HOLDER}): no repair`]);
  });
});

describe('probe: a drift repair that fails', () => {
  const label = 'route 0.0.0.0/0 in rtb-0aa00000000000001';

  it(`is not restarted within ${REPAIR_RETRY_MS / 60_000} min: one drift alert says so; then a new repair starts`, async () => {
    const w = harness();
    await round(w); // bootstraps fw-a as the owner
    const route = w.pair.routes[0]!;
    w.world.ec2.replaceRoute(route.routeTableId, route.destination, {
      networkInterfaceId: route.targets.secondary,
    });
    await w.clock.advance(INTERVAL);

    const first = await round(w);
    const repair = flowExecutionName(PAIR, 'reconcile', Math.floor(first.at / 60_000) * 60_000, 1);
    expect(w.flows.starts.map((s) => s.name)).toEqual([repair]);
    expect(w.notifier.subjects()).toEqual([
      '[pan-failover] hq-egress: drift detected, repairing toward fw-a',
    ]);
    w.flows.statuses.set(repair, 'FAILED');

    expect(REPAIR_RETRY_MS).toBe(15 * 60_000);
    // A round every minute (each minute would otherwise name a new repair) up to 14 minutes later.
    for (let minute = 1; minute < 15; minute++) {
      await w.clock.set(first.at + minute * 60_000);
      const r = await round(w);
      expect(r.drift).toEqual([label]);
    }
    expect(w.flows.starts.map((s) => s.name)).toEqual([repair]);
    const alerts = w.notifier.published.filter((n) => n.attributes?.code === 'drift');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.subject).toBe('[pan-failover] hq-egress: ALERT drift');
    expect(String(alerts[0]?.body.reason)).toContain(`the repair ${repair} ended FAILED`);
    expect(String(alerts[0]?.body.reason)).toContain(label);

    // Fifteen minutes after the failed one, the repair is tried again.
    await w.clock.set(first.at + REPAIR_RETRY_MS);
    const retry = await round(w);
    const second = flowExecutionName(PAIR, 'reconcile', Math.floor(retry.at / 60_000) * 60_000, 1);
    expect(second).not.toBe(repair);
    expect(w.flows.starts.map((s) => s.name)).toEqual([repair, second]);
    expect(retry.acted).toContain(`started ${second}`);
  });
});

describe('probe: the owner bootstrap', () => {
  const flowRecord = (at: number): OwnerRecord => ({
    owner: 'primary',
    since: at,
    changedBy: 'hq-egress-failback-20260101T084000Z-1',
    reason: 'failback: fw-a healthy again',
  });

  it('never overwrites a record a flow wrote after the probe read "none"', async () => {
    const w = harness();
    const record = flowRecord(w.clock.now() - 5000);
    let reads = 0;
    const store = storeWith(w.ports.store, {
      getOwner: async (pair) => {
        const seen = await w.ports.store.getOwner(pair);
        // The flow's RecordOwner lands between the probe's read and its bootstrap write.
        if (reads++ === 0) await w.ports.store.putOwner(pair, record);
        return seen;
      },
    });
    const r = await round(w, w.probeDeps({ store }));
    expect(r.ownerSource).toBe('aws');
    expect(r.acted.some((a) => a.startsWith('recorded'))).toBe(false);
    expect(await w.ports.store.getOwner(PAIR)).toEqual(record);
  });

  it('writes nothing while the pair is locked by a running flow; bootstraps once it is free', async () => {
    const w = harness();
    const holder = 'hq-egress-failover-20260101T085900Z-1';
    w.flows.statuses.set(holder, 'RUNNING');
    await w.ports.store.acquire(PAIR, holder, w.clock.now(), 600_000);
    const locked = await round(w);
    expect(locked.ownerSource).toBe('aws');
    expect(await w.ports.store.getOwner(PAIR)).toBeUndefined();
    expect(locked.acted).toEqual([`flow in progress (lock held by ${holder}): no repair`]);

    await w.ports.store.release(PAIR, holder);
    await w.clock.advance(INTERVAL);
    const free = await round(w);
    expect(free.acted).toContain('recorded primary as owner (all managed objects point at it)');
    expect(await w.ports.store.getOwner(PAIR)).toMatchObject({
      owner: 'primary',
      changedBy: 'bootstrap',
      since: free.at,
    });
  });
});
