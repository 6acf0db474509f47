/**
 * The probe while a pair is paused for maintenance: it keeps observing, recording and alerting,
 * but starts no flow of any kind (no failover, no automatic failback, no drift repair); its
 * `Paused` metric says so; when the pause runs out it records the end once, notifies once, and
 * automation resumes by itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '#shared/config/schema.js';
import { flowExecutionName } from '#shared/usecases/flow-input.js';
import { pausePairs } from '#shared/usecases/pause.js';
import { probeRound, type PairRoundResult } from '#shared/usecases/probe.js';
import { makeConfig } from '../support/config.js';
import { worldHarness, type FakeFirewallScript, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

const TUNNEL = 'tun-head-office';
const healthy: FakeFirewallScript = { tunnels: [TUNNEL] };
const INTERVAL = 10_000;
const PAIR = 'hq-egress';

function harness(config: Config = makeConfig(), firewalls: Record<string, FakeFirewallScript> = { 'fw-a': healthy }): WorldHarness {
  h = worldHarness(config, { firewalls });
  return h;
}

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

async function pause(w: WorldHarness, seconds: number): Promise<void> {
  await pausePairs({ store: w.ports.store, notifier: w.notifier, clock: w.clock }, { pairs: [PAIR], seconds, reason: 'upgrade fw-a to 11.1.6', by: 'alice' });
}

const pausedMetric = (w: WorldHarness) => w.telemetry.recordedMetrics.filter((m) => m.name === 'Paused').map((m) => [m.dimensions, m.value, m.unit]);

describe('probe: a paused pair', () => {
  it('a dead active firewall: decided and alerted once (failover-paused), no flow started, Paused = 1 every round', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    await pause(w, 3600);
    const results = await rounds(w, 8);

    expect(results.map((r) => r.decision.action)).toEqual(['none', 'none', 'failover', 'failover', 'failover', 'failover', 'failover', 'failover']);
    expect(w.flows.starts).toEqual([]);
    expect(results[2]?.acted).toContain(
      'failover due, not started: the pair is PAUSED until 2026-01-01T10:00:00Z (59m40s left) by alice: upgrade fw-a to 11.1.6',
    );
    expect(results.every((r) => r.paused?.by === 'alice')).toBe(true);
    const alerts = w.notifier.published.filter((n) => n.attributes?.event === 'alert');
    expect(alerts.map((n) => n.subject)).toEqual(['[pan-failover] hq-egress: ALERT failover-paused']);
    expect(alerts[0]?.kind).toBe('alert-failover-paused');
    expect(alerts[0]?.text?.headline).toMatch(/paused for maintenance until \S+ by /);
    expect(alerts[0]?.body).toMatchObject({ code: 'failover-paused', reason: expect.stringContaining('pan-failover failover -p hq-egress --force') as string });
    expect(pausedMetric(w)).toEqual(Array.from({ length: 8 }, () => [{ Pair: PAIR }, 1, 'Count']));
    // The failure streak is still recorded (observing and recording go on).
    expect((await w.ports.store.loadProbeState(PAIR)).value?.incident).toBeUndefined();
  });

  it('when the pause runs out: its end is recorded once, notified once, and the failover starts in the same round', async () => {
    const w = harness(makeConfig(), { 'fw-a': { outcomes: 'unreachable' } });
    await pause(w, 60);
    const t0 = w.clock.now();
    const results = await rounds(w, 8);
    // Rounds at t0 .. t0+50 s are paused; the round at t0+60 s finds the pause expired.
    expect(results.map((r) => r.paused !== undefined)).toEqual([true, true, true, true, true, true, false, false]);
    expect(results[6]?.acted).toContain('pause by alice expired at 2026-01-01T09:01:00Z: automation resumed');
    expect(w.notifier.subjects().filter((s) => s.includes('pause expired'))).toEqual(['[pan-failover] hq-egress: pause expired; automatic failover is back on']);
    expect((await w.ports.store.getPause(PAIR)).value).toMatchObject({ endedAt: t0 + 60_000, endedBy: 'expiry' });
    // The failure had been seen all along: the failover starts as soon as the pause is over, once.
    expect(w.flows.starts.map((s) => [s.name, s.at])).toEqual([[flowExecutionName(PAIR, 'failover', t0, 1), t0 + 60_000]]);
    expect(w.notifier.subjects()).toContain('[pan-failover] hq-egress: resolved (failover-paused)');
    // Written in the six paused rounds only: an unpaused round writes no Paused point.
    expect(pausedMetric(w).map(([, v]) => v)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('drift is reported (alert drift), not repaired', async () => {
    const w = harness();
    await probeRound(w.probeDeps()); // records fw-a as the owner
    await pause(w, 3600);
    const route = w.pair.routes[0]!;
    w.world.ec2.replaceRoute(route.routeTableId, route.destination, { networkInterfaceId: route.targets.secondary });
    await w.clock.advance(INTERVAL);
    const results = await rounds(w, 3);
    expect(results[0]?.drift).toEqual(['route 0.0.0.0/0 in rtb-0aa00000000000001']);
    expect(w.flows.starts).toEqual([]);
    const drift = w.notifier.published.filter((n) => n.attributes?.code === 'drift');
    expect(drift).toHaveLength(1);
    expect(drift[0]?.body).toMatchObject({ reason: expect.stringContaining('not repaired: the pair is PAUSED until') as string });
  });

  it('an automatic failback that is due is not started while paused (no alert: nothing is broken)', async () => {
    const config = makeConfig({ failback: { mode: 'auto', holdSeconds: 60 } });
    const w = harness(config, { 'fw-a': healthy, 'fw-b': healthy });
    // fw-b is the recorded owner after an earlier failover; fw-a is healthy again.
    await w.ports.store.putOwner(PAIR, { owner: 'secondary', since: w.clock.now() - 7_200_000, changedBy: 'earlier-failover', reason: 'failover' });
    for (const r of w.pair.routes) w.world.ec2.replaceRoute(r.routeTableId, r.destination, { networkInterfaceId: r.targets.secondary });
    for (const e of w.pair.elasticIps) w.world.ec2.associateAddress({ allocationId: e.allocationId, networkInterfaceId: e.secondary.networkInterfaceId, privateIp: e.secondary.privateIp, allowReassociation: true });
    w.world.ec2.startInstances([w.pair.firewalls.secondary.instanceId]);
    await w.clock.advance(120_000);
    await pause(w, 3600);
    const results = await rounds(w, 10);
    expect(results.some((r) => r.decision.action === 'failback')).toBe(true);
    expect(w.flows.starts).toEqual([]);
    expect(w.notifier.published.filter((n) => n.attributes?.event === 'alert')).toEqual([]);
  });

  it('a pair that is not paused writes no Paused point (an event metric costs only in the hours it is written)', async () => {
    const w = harness();
    const [r] = await rounds(w, 1);
    expect(r?.paused).toBeUndefined();
    expect(w.telemetry.recordedMetrics.some((m) => m.name === 'ProbeRound')).toBe(true);
    expect(pausedMetric(w)).toEqual([]);
  });
});
