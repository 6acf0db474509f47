/**
 * The probe round at the use-case level: what it observes, how (concurrently, never calling a
 * stopped firewall), what it remembers, which owner it believes, what it measures, and what
 * read-only mode leaves alone. Fast fakes: the simulated world's direct ports on a ManualClock
 * and scripted firewalls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '#shared/config/schema.js';
import { probeRound, runProbeInvocation, type ProbeMemory } from '#shared/usecases/probe.js';
import { deployment, LOGICAL } from '../../infra/deployment.js';
import { METRICS_NAMESPACE } from '#shared/observability/powertools.js';
import { makeConfig } from '../support/config.js';
import { twoPairConfig } from '../support/two-pairs.js';
import { isSettled, worldHarness, type FakeFirewallScript, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

const TUNNEL = 'tun-head-office';
const healthy: FakeFirewallScript = { tunnels: [TUNNEL] };

function harness(config: Config = makeConfig(), firewalls: Record<string, FakeFirewallScript> = { 'fw-a': healthy }): WorldHarness {
  h = worldHarness(config, { firewalls });
  return h;
}

describe('probeRound: concurrency', () => {
  it('probes both firewalls of every pair at once: four 1 s liveness calls take 1 s of clock time, not 4', async () => {
    const slow: FakeFirewallScript = { tunnels: [TUNNEL], latencyMs: { systemInfo: 1000 } };
    const w = harness(twoPairConfig('warm'), { 'fw-a': slow, 'fw-b': slow, 'fw-c': slow, 'fw-d': slow });
    const t0 = w.clock.now();

    const round = probeRound(w.probeDeps());
    await w.clock.advance(1000);

    expect(await isSettled(round)).toBe(true);
    const results = await round;
    expect(results.map((r) => r.pair)).toEqual(['hq-egress', 'branch-egress']);
    const liveness = w.firewalls.calls.filter((c) => c.method === 'systemInfo');
    expect(liveness.map((c) => c.firewall).sort()).toEqual(['fw-a', 'fw-b', 'fw-c', 'fw-d']);
    // Every liveness call began at the round's start: none waited for another.
    expect(liveness.every((c) => c.at === t0)).toBe(true);
    for (const r of results) {
      for (const fw of r.firewalls) {
        expect(fw.observation.api).toMatchObject({ outcome: 'ok', latencyMs: 1000 });
        expect(fw.status).toBe('healthy');
      }
    }
  });

  it('a round is bounded by the probe timeout: a hanging firewall costs 4 s, and the other is still observed', async () => {
    const w = harness(makeConfig({ standbyMode: 'warm' }), { 'fw-a': healthy, 'fw-b': { outcomes: 'hang' } });
    const t0 = w.clock.now();
    const round = probeRound(w.probeDeps());
    await w.clock.advance(3999);
    expect(await isSettled(round)).toBe(false);
    await w.clock.advance(1);
    expect(await isSettled(round)).toBe(true);
    const [r] = await round;
    expect(r?.firewalls.find((f) => f.role === 'secondary')?.observation.api).toMatchObject({ outcome: 'timeout', latencyMs: 4000 });
    expect(r?.firewalls.find((f) => f.role === 'primary')?.status).toBe('healthy');
    expect(w.clock.now() - t0).toBe(4000);
  });
});

describe('probeRound: stopped instances', () => {
  it('never calls the API of a stopped (cold) standby: no client, no call; it is "stopped"', async () => {
    const w = harness();
    const [r] = await probeRound(w.probeDeps());
    expect(w.firewalls.callsTo('fw-b')).toEqual([]);
    const fwB = r?.firewalls.find((f) => f.name === 'fw-b');
    expect(fwB?.status).toBe('stopped');
    expect(fwB?.observation.api).toEqual({ outcome: 'skipped', latencyMs: 0 });
    expect(fwB?.observation.instance.state).toBe('stopped');
    expect(w.firewalls.callsTo('fw-a', 'systemInfo')).toHaveLength(1);
  });

  it('stops calling the primary as soon as EC2 reports it stopping', async () => {
    const w = harness();
    w.world.ec2.crashInstance(w.pair.firewalls.primary.instanceId);
    const [r] = await probeRound(w.probeDeps());
    expect(w.firewalls.calls).toEqual([]);
    expect(r?.firewalls.map((f) => f.status)).toEqual(['stopped', 'stopped']);
    expect(r?.decision).toMatchObject({ action: 'none', code: 'active-failing' });
  });

  it('asks the owner (and only the owner) for its tunnels, and only when the pair expects some', async () => {
    const w = harness(makeConfig({ standbyMode: 'warm' }), { 'fw-a': healthy, 'fw-b': healthy });
    await probeRound(w.probeDeps());
    expect(w.firewalls.callsTo('fw-a', 'ipsecState')).toHaveLength(1);
    expect(w.firewalls.callsTo('fw-b', 'ipsecState')).toHaveLength(0);
    expect(w.firewalls.callsTo('fw-b', 'chassisReady')).toHaveLength(1);

    w.close();
    const noTunnels = harness(makeConfig({ tunnels: [] }));
    await probeRound(noTunnels.probeDeps());
    expect(noTunnels.firewalls.callsTo('fw-a', 'ipsecState')).toHaveLength(0);
  });
});

describe('probeRound: memory in the store', () => {
  it('consecutive failures survive invocation boundaries: three one-round invocations reach the failover threshold', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    const t0 = w.clock.now();
    const codes: string[] = [];
    const failures: number[] = [];
    for (let i = 0; i < 3; i++) {
      // A fresh deps object per invocation: nothing is remembered in process.
      const rounds = await runProbeInvocation(w.probeDeps(), { windowMs: 5000 });
      expect(rounds).toHaveLength(1);
      codes.push(rounds[0]?.[0]?.decision.code ?? '?');
      const stored = await w.ports.store.loadProbeState(w.pair.name);
      failures.push((stored.value as ProbeMemory).firewalls.primary.consecutiveFailures);
      await w.clock.advance(10_000);
    }
    expect(failures).toEqual([1, 2, 3]);
    expect(codes).toEqual(['active-failing', 'active-failing', 'active-failed']);
    const stored = await w.ports.store.loadProbeState(w.pair.name);
    expect(stored.version).toBe(3);
    expect((stored.value as ProbeMemory).firewalls.primary.failingSince).toBe(t0);
    expect(w.flows.starts).toHaveLength(1);
  });

  it('one success resets the streak: fail, fail, ok, fail, fail never fails over', async () => {
    const w = harness(makeConfig(), {
      'fw-a': { outcomes: ['unreachable', 'unreachable', 'ok', 'unreachable', 'unreachable'], tunnels: [TUNNEL] },
    });
    const actions: string[] = [];
    for (let i = 0; i < 5; i++) {
      const [r] = await probeRound(w.probeDeps());
      actions.push(r?.decision.action ?? '?');
      await w.clock.advance(10_000);
    }
    expect(actions).toEqual(['none', 'none', 'none', 'none', 'none']);
    expect(w.flows.starts).toEqual([]);
  });
});

describe('probeRound: owner', () => {
  it('bootstraps the owner record from AWS once, when every managed object points at one firewall', async () => {
    const w = harness();
    const t0 = w.clock.now();
    const [first] = await probeRound(w.probeDeps());
    expect(first).toMatchObject({ owner: 'primary', ownerSource: 'aws' });
    expect(first?.acted).toContain('recorded primary as owner (all managed objects point at it)');
    expect(await w.ports.store.getOwner(w.pair.name)).toEqual({
      owner: 'primary',
      since: t0,
      changedBy: 'bootstrap',
      reason: 'all managed objects point at it',
    });

    await w.clock.advance(10_000);
    const [second] = await probeRound(w.probeDeps());
    expect(second).toMatchObject({ owner: 'primary', ownerSource: 'record' });
    expect((await w.ports.store.getOwner(w.pair.name))?.since).toBe(t0);
  });

  it('bootstraps the secondary when AWS shows everything on it', async () => {
    const w = harness(makeConfig({ standbyMode: 'warm' }), { 'fw-a': healthy, 'fw-b': healthy });
    for (const r of w.pair.routes) w.world.ec2.replaceRoute(r.routeTableId, r.destination, { networkInterfaceId: r.targets.secondary });
    for (const e of w.pair.elasticIps) {
      w.world.ec2.associateAddress({ allocationId: e.allocationId, networkInterfaceId: e.secondary.networkInterfaceId, privateIp: e.secondary.privateIp, allowReassociation: true });
    }
    const [r] = await probeRound(w.probeDeps());
    expect(r).toMatchObject({ owner: 'secondary', ownerSource: 'aws', drift: [] });
    expect((await w.ports.store.getOwner(w.pair.name))?.owner).toBe('secondary');
  });

  it('records nothing when AWS is split and no owner is recorded: the primary is assumed, not written', async () => {
    const w = harness();
    const route = w.pair.routes[0]!;
    w.world.ec2.replaceRoute(route.routeTableId, route.destination, { networkInterfaceId: route.targets.secondary });
    const [r] = await probeRound(w.probeDeps());
    expect(r).toMatchObject({ owner: 'primary', ownerSource: 'assumed' });
    expect(await w.ports.store.getOwner(w.pair.name)).toBeUndefined();
  });
});

describe('probeRound: read-only', () => {
  it('observes and decides, but stores, records, starts and notifies nothing', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    const decisions: string[] = [];
    for (let i = 0; i < 4; i++) {
      const [r] = await probeRound(w.probeDeps(), { readOnly: true });
      decisions.push(r?.decision.code ?? '?');
      expect(r?.acted).toEqual([]);
      await w.clock.advance(10_000);
    }
    expect(decisions.every((d) => d === 'active-failing')).toBe(true);
    expect(await w.ports.store.loadProbeState(w.pair.name)).toEqual({ value: undefined, version: undefined });
    expect(await w.ports.store.getOwner(w.pair.name)).toBeUndefined();
    expect(w.flows.starts).toEqual([]);
    expect(w.flows.statusCalls).toEqual([]);
    expect(w.notifier.published).toEqual([]);
  });

  it('does not notify an alert condition either', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'auth' } });
    const [r] = await probeRound(w.probeDeps(), { readOnly: true });
    expect(r?.decision).toMatchObject({ action: 'alert', code: 'active-auth-error' });
    expect(w.notifier.published).toEqual([]);
  });

  it('probes only the selected pairs', async () => {
    const w = harness(twoPairConfig('cold'), { 'fw-a': healthy, 'fw-c': healthy });
    const results = await probeRound(w.probeDeps(), { readOnly: true, pairs: ['branch-egress'] });
    expect(results.map((r) => r.pair)).toEqual(['branch-egress']);
    expect(w.firewalls.callsTo('fw-a')).toEqual([]);
    expect(w.firewalls.callsTo('fw-c', 'systemInfo')).toHaveLength(1);
  });
});

describe('probeRound: metrics', () => {
  const of = (w: WorldHarness, name: string) => w.telemetry.recordedMetrics.filter((m) => m.name === name);

  it('publishes per-firewall and per-pair metrics with their dimensions', async () => {
    const w = harness(makeConfig(), { 'fw-a': { tunnels: [TUNNEL], latencyMs: { systemInfo: 300 } } });
    const round = probeRound(w.probeDeps());
    await w.clock.advance(300);
    await round;
    const a = { Pair: 'hq-egress', Firewall: 'fw-a' };
    const b = { Pair: 'hq-egress', Firewall: 'fw-b' };
    const p = { Pair: 'hq-egress' };
    // fw-b is the stopped cold standby: as expected, so not written (a metric is billed for the hours it is written).
    expect(of(w, 'FirewallStatusCode').map((m) => [m.dimensions, m.value, m.unit])).toEqual([[a, 0, 'None']]);
    expect(b).toEqual({ Pair: 'hq-egress', Firewall: 'fw-b' });
    // Only metrics an alarm or the dashboard reads are written (each costs a month's fee).
    expect(of(w, 'FirewallHealthy')).toEqual([]);
    expect(of(w, 'FirewallReachable')).toEqual([]);
    // Latency only for an answer; tunnels only for the owner.
    expect(of(w, 'ApiLatency').map((m) => [m.dimensions, m.value, m.unit])).toEqual([[a, 300, 'Milliseconds']]);
    expect(of(w, 'TunnelsUp').map((m) => [m.dimensions, m.value])).toEqual([[a, 1]]);
    expect(of(w, 'ProbeRound').map((m) => [m.dimensions, m.value])).toEqual([[p, 1]]);
    // Event metrics are written only when they happen: a quiet round writes none of them.
    for (const name of ['FailoverDecision', 'ProbeAlert', 'ControllerBlind', 'Paused', 'DriftedObjects']) expect(of(w, name), name).toEqual([]);
  });

  it("a standby's status is written whenever it is not a stopped cold standby: warm, booting, or the owner", async () => {
    const b = { Pair: 'hq-egress', Firewall: 'fw-b' };
    const warm = harness(makeConfig({ standbyMode: 'warm' }), { 'fw-a': { tunnels: [TUNNEL] } });
    warm.world.ec2.stopInstances([warm.pair.firewalls.secondary.instanceId]);
    await warm.clock.advance(120_000);
    await probeRound(warm.probeDeps());
    // A stopped warm standby is not what it should be: written (3).
    expect(of(warm, 'FirewallStatusCode').filter((m) => m.dimensions.Firewall === 'fw-b').map((m) => m.value)).toEqual([3]);
    warm.close();

    const cold = harness(makeConfig(), { 'fw-a': { tunnels: [TUNNEL] } });
    cold.world.ec2.startInstances([cold.pair.firewalls.secondary.instanceId]);
    await cold.clock.advance(1000);
    await probeRound(cold.probeDeps());
    // A cold standby that runs (a drill, a failover) is written like any other firewall.
    expect(of(cold, 'FirewallStatusCode').filter((m) => m.dimensions.Firewall === 'fw-b').map((m) => m.dimensions)).toEqual([b]);
  });

  it('writes only metrics an alarm or the dashboard reads (each name and dimension set is billed a month)', async () => {
    const config = makeConfig({ standbyMode: 'warm', probe: { intervalSeconds: 10 } });
    const w = harness(config, { 'fw-a': { tunnels: [TUNNEL] } });
    await probeRound(w.probeDeps());
    // A failing active, drift, a blind round: every metric the probe knows gets written at least once.
    const route = w.pair.routes[0]!;
    w.world.ec2.replaceRoute(route.routeTableId, route.destination, { networkInterfaceId: route.targets.secondary });
    w.firewalls.set('fw-a', { outcomes: 'unreachable' });
    for (let i = 0; i < 3; i++) {
      await w.clock.advance(10_000);
      await probeRound(w.probeDeps());
    }
    w.firewalls.set('fw-b', { outcomes: 'timeout' });
    await w.clock.advance(10_000);
    await probeRound(w.probeDeps());
    const written = new Set(w.telemetry.recordedMetrics.map((m) => m.name));
    // All but Paused (tests/unit/probe-pause.test.ts writes it).
    expect(written.size).toBeGreaterThanOrEqual(8);

    const d = deployment(config, { stage: 'prod' });
    const body = (d.resources[LOGICAL.dashboard] as { Properties: { DashboardBody: { 'Fn::Sub': string } } }).Properties.DashboardBody['Fn::Sub'];
    const charted = (JSON.parse(body) as { widgets: { properties: { metrics?: unknown[][] } }[] }).widgets
      .flatMap((x) => x.properties.metrics ?? [])
      .filter((m) => m[0] === METRICS_NAMESPACE)
      .map((m) => String(m[1]));
    const alarmed = Object.values(d.resources)
      .map((r) => r as { Type: string; Properties: { Namespace?: string; MetricName?: string } })
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.Namespace === METRICS_NAMESPACE)
      .map((r) => String(r.Properties.MetricName));
    const read = new Set([...charted, ...alarmed]);
    for (const name of written) expect(read.has(name), `${name} is written but no alarm or dashboard widget reads it`).toBe(true);
  });

  it('counts a down tunnel, an alert, a failover decision and drift', async () => {
    const w = harness(makeConfig(), { 'fw-a': { tunnels: [] } });
    const route = w.pair.routes[1]!;
    await probeRound(w.probeDeps());
    expect(of(w, 'TunnelsUp').at(-1)?.value).toBe(0);
    expect(of(w, 'FirewallStatusCode').at(0)?.value).toBe(1);
    expect(of(w, 'ProbeAlert').at(-1)?.value).toBe(1);

    w.world.ec2.replaceRoute(route.routeTableId, route.destination, { networkInterfaceId: route.targets.secondary });
    w.firewalls.set('fw-a', { outcomes: 'unreachable' });
    for (let i = 0; i < 3; i++) {
      await w.clock.advance(10_000);
      await probeRound(w.probeDeps());
    }
    // One point, in the deciding round; the three rounds before it wrote none.
    expect(of(w, 'FailoverDecision').map((m) => m.value)).toEqual([1]);
    expect(of(w, 'DriftedObjects').at(-1)?.value).toBe(1);
    expect(of(w, 'TunnelsUp').at(-1)?.value).toBe(0);
    expect(of(w, 'FirewallStatusCode').filter((m) => m.dimensions.Firewall === 'fw-a').at(-1)?.value).toBe(6);
  });

  it('counts a blind controller', async () => {
    const w = harness(makeConfig({ standbyMode: 'warm' }), { 'fw-a': { outcomes: 'timeout' }, 'fw-b': { outcomes: 'unreachable' } });
    const [r] = await probeRound(w.probeDeps());
    expect(r?.decision.code).toBe('controller-blind');
    expect(of(w, 'ControllerBlind').map((m) => m.value)).toEqual([1]);
    expect(of(w, 'ProbeAlert').map((m) => m.value)).toEqual([1]);
  });
});

describe('probeRound: canaries', () => {
  function canaryConfig(): Config {
    return makeConfig({ probe: { canaries: [{ host: '10.10.9.9', port: 443 }] } });
  }

  it('every canary failing while no firewall answers: the controller is blind and never fails over', async () => {
    const w = harness(canaryConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    const checks: [string, number, number][] = [];
    const canary = (host: string, port: number, timeoutMs: number) => {
      checks.push([host, port, timeoutMs]);
      return Promise.resolve(false);
    };
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const [r] = await probeRound(w.probeDeps({ canary }));
      codes.push(r?.decision.code ?? '?');
      await w.clock.advance(10_000);
    }
    expect(codes).toEqual(Array(5).fill('controller-blind'));
    expect(checks).toEqual(Array(5).fill(['10.10.9.9', 443, 4000]));
    expect(w.flows.starts).toEqual([]);
    expect(w.notifier.subjects()).toEqual(['[pan-failover] hq-egress: ALERT controller-blind']);
  });

  it('a canary that throws counts as failed', async () => {
    const w = harness(canaryConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    const [r] = await probeRound(w.probeDeps({ canary: () => Promise.reject(new Error('EPERM')) }));
    expect(r?.decision.code).toBe('controller-blind');
  });

  it('a canary that answers proves the network: the dead primary is failed over after the threshold', async () => {
    const w = harness(canaryConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [r] = await probeRound(w.probeDeps({ canary: () => Promise.resolve(true) }));
      codes.push(r?.decision.code ?? '?');
      await w.clock.advance(10_000);
    }
    expect(codes).toEqual(['active-failing', 'active-failing', 'active-failed']);
    expect(w.flows.starts).toHaveLength(1);
  });
});
