/**
 * What the probe does about its decisions: start the failover flow once per incident (through
 * the FlowStarter port, with a deterministic name), retry a failed flow a bounded number of
 * times, notify an alert once and its resolution once, act once when two invocations overlap,
 * and repair or report drift.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '#shared/config/schema.js';
import { flowExecutionName, parseFlowInput } from '#shared/usecases/flow-input.js';
import { ALERT_REPEAT_MS, MAX_FLOW_ATTEMPTS, probeRound, type PairRoundResult } from '#shared/usecases/probe.js';
import { makeConfig } from '../support/config.js';
import { isSettled, worldHarness, type FakeFirewallScript, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

const TUNNEL = 'tun-head-office';
const healthy: FakeFirewallScript = { tunnels: [TUNNEL] };
const INTERVAL = 10_000;

function harness(config: Config = makeConfig(), firewalls: Record<string, FakeFirewallScript> = { 'fw-a': healthy }): WorldHarness {
  h = worldHarness(config, { firewalls });
  return h;
}

/** Runs `n` rounds, each followed by one interval; returns each round's result for the first pair. */
async function rounds(w: WorldHarness, n: number): Promise<PairRoundResult[]> {
  const out: PairRoundResult[] = [];
  for (let i = 0; i < n; i++) {
    const [r] = await probeRound(w.probeDeps());
    if (!r) throw new Error('no result');
    out.push(r);
    await w.clock.advance(INTERVAL);
  }
  return out;
}

describe('probe: failover through the FlowStarter port', () => {
  it('starts the flow exactly once per incident, with a deterministic name and a valid input', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    const t0 = w.clock.now();
    const results = await rounds(w, 6);

    expect(results.map((r) => r.decision.action)).toEqual(['none', 'none', 'failover', 'failover', 'failover', 'failover']);
    const name = flowExecutionName('hq-egress', 'failover', t0, 1);
    expect(name).toBe('hq-egress-failover-20260101T090000Z-1');
    expect(w.flows.starts).toEqual([
      {
        name,
        at: t0 + 2 * INTERVAL,
        input: {
          pair: 'hq-egress',
          action: 'failover',
          reason: results[2]?.decision.reason,
          source: 'probe',
          from: 'primary',
          incidentId: 'hq-egress@2026-01-01T09:00:00.000Z',
          // The failed rounds behind the decision: one per round, in order, what failed in each.
          rounds: [0, 1, 2].map((i) => ({
            at: t0 + i * INTERVAL,
            firewall: 'primary',
            status: 'unreachable',
            standby: 'stopped',
            api: 'unreachable',
            apiError: 'FirewallUnreachableError: 10.10.0.10:443: connect ECONNREFUSED (fake)',
            ec2: 'running; checks system ok, instance ok',
            tunnelsDown: [],
            action: i === 2 ? 'failover' : 'none',
            reason: results[i]?.decision.reason,
          })),
        },
      },
    ]);
    expect(results[2]?.acted).toContain(`started ${name}`);
    // Later rounds ask how the execution is doing instead of starting another.
    expect(w.flows.statusCalls).toEqual([name, name, name]);
    expect(results[3]?.acted).toContain(`flow ${name} running`);
    // The flow's own validation accepts what the probe sends.
    expect(parseFlowInput(w.flows.starts[0]?.input, w.config)).toMatchObject({ pair: 'hq-egress', action: 'failover', source: 'probe', from: 'primary', force: false, dryRun: false });
  });

  it('does not start a second execution while the first is not visible yet (status unknown)', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    w.flows.defaultStatus = undefined;
    const results = await rounds(w, 5);
    // Asking again under the same name is harmless (Step Functions makes it a no-op); a new name is not.
    expect(new Set(w.flows.starts.map((s) => s.name))).toEqual(new Set([flowExecutionName('hq-egress', 'failover', results[0]!.at, 1)]));
    expect(results.slice(3).every((r) => r.decision.action === 'failover')).toBe(true);
  });

  it('restarts a failed execution up to MAX_FLOW_ATTEMPTS, then alerts once and leaves it to people', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    const t0 = w.clock.now();
    w.flows.defaultStatus = 'FAILED';
    const results = await rounds(w, 3 + MAX_FLOW_ATTEMPTS + 2);

    expect(MAX_FLOW_ATTEMPTS).toBe(3);
    expect(w.flows.starts.map((s) => s.name)).toEqual([1, 2, 3].map((n) => flowExecutionName('hq-egress', 'failover', t0, n)));
    expect(w.notifier.published).toHaveLength(1);
    const alert = w.notifier.published[0];
    expect(alert?.subject).toBe('[pan-failover] hq-egress: ALERT flow-attempts-exhausted');
    expect(alert?.attributes).toEqual({ pair: 'hq-egress', event: 'alert', code: 'flow-attempts-exhausted' });
    expect(String(alert?.body.reason)).toContain('3 failover attempts ended without success');
    expect(results.at(-1)?.acted.some((a) => a.startsWith('started'))).toBe(false);
  });

  it('an execution that ended without curing the failure (e.g. a no-op re-check) counts as an attempt: bounded too', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    w.flows.defaultStatus = 'SUCCEEDED';
    await rounds(w, 12);
    expect(w.flows.starts).toHaveLength(MAX_FLOW_ATTEMPTS);
    expect(w.notifier.subjects()).toEqual(['[pan-failover] hq-egress: ALERT flow-attempts-exhausted']);
  });

  it('a failed StartExecution (throttled, network) is reported and tried again next round under the same name', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    w.flows.failStart = new Error('states:StartExecution: throttled (ThrottlingException)');
    const results = await rounds(w, 3);
    expect(results[2]?.acted).toContain('FAILED start-flow: states:StartExecution: throttled (ThrottlingException)');
    expect(w.flows.starts).toEqual([]);
    w.flows.failStart = undefined;
    await rounds(w, 2);
    // The incident must not be left without an execution: the start is retried, idempotently.
    expect(new Set(w.flows.starts.map((s) => s.name))).toEqual(new Set([flowExecutionName('hq-egress', 'failover', results[0]!.at, 1)]));
  });

  it('a new incident (the primary recovered in between) gets a new name', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: ['unreachable', 'unreachable', 'unreachable', 'ok', 'unreachable'], tunnels: [TUNNEL] } });
    w.flows.defaultStatus = 'SUCCEEDED';
    const results = await rounds(w, 7);
    expect(w.flows.starts.map((s) => s.name)).toEqual([
      flowExecutionName('hq-egress', 'failover', results[0]!.at, 1),
      flowExecutionName('hq-egress', 'failover', results[4]!.at, 1),
    ]);
  });
});

describe('probe: alerts', () => {
  it('notifies an alert once (not every round), again after an hour, and its resolution once', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'auth' } });
    await rounds(w, 5);
    expect(w.notifier.published).toHaveLength(1);
    const alert = w.notifier.published[0];
    expect(alert?.subject).toBe('[pan-failover] hq-egress: ALERT active-auth-error');
    expect(alert?.attributes).toEqual({ pair: 'hq-egress', event: 'alert', code: 'active-auth-error' });
    expect(alert?.body).toMatchObject({ pair: 'hq-egress', event: 'alert', code: 'active-auth-error' });
    expect(w.flows.starts).toEqual([]);

    await w.clock.advance(ALERT_REPEAT_MS);
    await rounds(w, 2);
    expect(w.notifier.subjects()).toEqual(Array(2).fill('[pan-failover] hq-egress: ALERT active-auth-error'));

    w.firewalls.set('fw-a', healthy);
    await rounds(w, 3);
    expect(w.notifier.subjects().slice(2)).toEqual(['[pan-failover] hq-egress: resolved (active-auth-error)']);
    expect(w.notifier.published[2]?.attributes).toEqual({ pair: 'hq-egress', event: 'alert-resolved', code: 'active-auth-error' });
  });

  it('a new alert code is notified even within the hour, and the one it replaces is resolved', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'auth' } });
    await rounds(w, 2);
    w.firewalls.set('fw-a', { outcomes: 'untrusted' });
    await rounds(w, 2);
    expect(w.notifier.subjects()).toEqual([
      '[pan-failover] hq-egress: ALERT active-auth-error',
      '[pan-failover] hq-egress: ALERT active-untrusted',
      '[pan-failover] hq-egress: resolved (active-auth-error)',
    ]);
  });

  it('a failed notification does not stop the round; the failure is in `acted` and logged', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'auth' } });
    w.notifier.failWith = new Error('sns:Publish: throttled');
    const [r] = await rounds(w, 1);
    expect(r?.acted).toContain('FAILED notify: sns:Publish: throttled');
    expect(w.telemetry.logs.some((l) => l.level === 'error' && l.message === 'probe action failed')).toBe(true);
  });

  it('an alert whose notification failed is sent again next round, not lost for an hour', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'auth' } });
    w.notifier.failWith = new Error('sns:Publish: throttled');
    await rounds(w, 1);
    w.notifier.failWith = undefined;
    await rounds(w, 2);
    expect(w.notifier.subjects()).toEqual(['[pan-failover] hq-egress: ALERT active-auth-error']);
  });
});

describe('probe: overlapping invocations', () => {
  it('two invocations reading the same stored version: one alerts, the other hits the conflict and does nothing', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'auth', latencyMs: { systemInfo: 1000 } } });
    const a = probeRound(w.probeDeps());
    const b = probeRound(w.probeDeps());
    await w.clock.advance(1000);
    expect(await isSettled(Promise.all([a, b]))).toBe(true);
    const [[ra], [rb]] = await Promise.all([a, b]);
    const acted = [ra?.acted ?? [], rb?.acted ?? []];
    expect(w.notifier.published).toHaveLength(1);
    expect(acted.filter((x) => x.some((s) => s.startsWith('notified')))).toHaveLength(1);
    expect(acted.filter((x) => x.length === 1 && x[0] === 'nothing: another probe invocation recorded this round first')).toHaveLength(1);
    expect(w.telemetry.logs.filter((l) => l.message === 'probe state conflict: another invocation acts on this round')).toHaveLength(1);
  });

  it('two invocations both deciding failover start one execution', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    await rounds(w, 2);
    await w.clock.advance(INTERVAL);
    w.firewalls.set('fw-a', { outcomes: 'unreachable', latencyMs: { systemInfo: 1000 } });
    const a = probeRound(w.probeDeps());
    const b = probeRound(w.probeDeps());
    await w.clock.advance(1000);
    const [[ra], [rb]] = await Promise.all([a, b]);
    expect([ra?.decision.action, rb?.decision.action]).toEqual(['failover', 'failover']);
    expect(w.flows.starts).toHaveLength(1);
  });
});

describe('probe: drift', () => {
  async function drifted(config: Config, firewalls: Record<string, FakeFirewallScript> = { 'fw-a': healthy }): Promise<WorldHarness> {
    const w = harness(config, firewalls);
    // Bootstrap the owner record while everything is in place, then move one route by hand.
    await probeRound(w.probeDeps());
    expect((await w.ports.store.getOwner('hq-egress'))?.owner).toBe('primary');
    const route = w.pair.routes[0]!;
    w.world.ec2.replaceRoute(route.routeTableId, route.destination, { networkInterfaceId: route.targets.secondary });
    await w.clock.advance(INTERVAL);
    return w;
  }
  const label = 'route 0.0.0.0/0 in rtb-0aa00000000000001';

  it('reports a drifted route and repairs it through one reconcile flow toward the healthy recorded owner', async () => {
    const w = await drifted(makeConfig());
    const now = w.clock.now();
    const [r] = await probeRound(w.probeDeps());
    expect(r?.drift).toEqual([label]);
    const name = flowExecutionName('hq-egress', 'reconcile', Math.floor(now / 60_000) * 60_000, 1);
    expect(w.flows.starts).toEqual([
      { name, at: now, input: { pair: 'hq-egress', action: 'reconcile', reason: `drift: ${label}`, source: 'drift', from: 'secondary' } },
    ]);
    expect(parseFlowInput(w.flows.starts[0]?.input, w.config).action).toBe('reconcile');
    expect(w.notifier.published).toHaveLength(1);
    expect(w.notifier.published[0]?.subject).toBe('[pan-failover] hq-egress: drift detected, repairing toward fw-a');
    expect(w.notifier.published[0]?.body).toMatchObject({ event: 'drift', owner: 'primary', drifted: [label], execution: name });

    // The next round in the same minute does not start another repair.
    await w.clock.advance(INTERVAL);
    await probeRound(w.probeDeps());
    expect(w.flows.starts).toHaveLength(1);
    expect(w.notifier.published).toHaveLength(1);
  });

  it('does not repair while a flow holds the pair (drift is expected mid-cutover)', async () => {
    const w = await drifted(makeConfig());
    await w.ports.store.acquire('hq-egress', 'hq-egress-failover-x-1', w.clock.now(), 600_000);
    const [r] = await probeRound(w.probeDeps());
    expect(r?.acted).toEqual(['flow in progress (lock held by hq-egress-failover-x-1): no repair']);
    expect(w.flows.starts).toEqual([]);
    expect(w.notifier.published).toEqual([]);
  });

  it('an expired lock does not hold back the repair', async () => {
    const w = await drifted(makeConfig());
    await w.ports.store.acquire('hq-egress', 'hq-egress-failover-x-1', w.clock.now() - 700_000, 600_000);
    await probeRound(w.probeDeps());
    expect(w.flows.starts.map((s) => s.input.action)).toEqual(['reconcile']);
  });

  it('only alerts when driftRepair is "report"', async () => {
    const w = await drifted(makeConfig({ driftRepair: 'report' }));
    await probeRound(w.probeDeps());
    expect(w.flows.starts).toEqual([]);
    expect(w.notifier.subjects()).toEqual(['[pan-failover] hq-egress: ALERT drift']);
    expect(String(w.notifier.published[0]?.body.reason)).toContain('driftRepair is "report"');
    expect(String(w.notifier.published[0]?.body.reason)).toContain(label);
  });

  it('only alerts when the recorded owner is not healthy (no repair toward a broken firewall)', async () => {
    const w = await drifted(makeConfig());
    w.firewalls.set('fw-a', { outcomes: 'auth' });
    await probeRound(w.probeDeps());
    expect(w.flows.starts).toEqual([]);
    const drift = w.notifier.published.find((n) => n.attributes?.code === 'drift');
    expect(String(drift?.body.reason)).toContain('not repaired: the recorded owner fw-a is auth-error');
  });

  it('two standing alert conditions (owner auth error and drift) are each notified once, not every round', async () => {
    const w = await drifted(makeConfig());
    w.firewalls.set('fw-a', { outcomes: 'auth' });
    for (let i = 0; i < 4; i++) {
      await probeRound(w.probeDeps());
      await w.clock.advance(INTERVAL);
    }
    expect(w.notifier.subjects()).toEqual(['[pan-failover] hq-egress: ALERT active-auth-error', '[pan-failover] hq-egress: ALERT drift']);
  });
});
