/**
 * Failure modes 18 to 21 (failure-modes.md): what the controller touches, and only that.
 * Drift on a managed route is reported and repaired toward the recorded owner (when it is
 * healthy); routes outside the configuration are never touched; each EIP lands on its mapped
 * private IP of the secondary's ENI in the other AZ; a managed route that is missing stops the
 * move with an error naming it, unless creating it is configured.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '#shared/config/schema.js';
import { runScenario } from '#sim/scenario/run.js';
import { loadScenario } from '#sim/scenario/schema.js';
import {
  IDS,
  PAIR,
  changesSince,
  executions,
  expectConsistentOn,
  instanceStates,
  manageRouteMissingFromWorld,
  moves,
  notices,
  orchConfig,
  resultNotice,
  story,
  worldEvents,
  orchSlot,
} from './support/orch-system.js';

const { start, adopt, sys } = orchSlot();

/** Where a route points now (no Describe lag, no faults): the world's own view. */
function routeTarget(rtb: string, destination: string): string | undefined {
  const table = sys().world.ec2.describeRouteTables({ ids: [rtb], current: true })[0];
  const route = table?.routes.find((r) => r.destination === destination);
  return route?.networkInterfaceId ?? route?.gatewayId;
}

async function ownerRecorded(): Promise<void> {
  expect(await sys().waitUntil(async () => (await sys().ownerRecord())?.owner === 'primary', 60_000)).toBe(true);
}

describe('drift (failure mode 18)', () => {
  it('a person points a managed route at the passive fw-b: the next probe reports it and a reconcile puts it back on fw-a, without fencing anyone', async () => {
    await start({ schedule: true });
    await ownerRecorded();
    const driftAt = sys().clock.now();
    sys().world.ec2.replaceRoute(IDS.rtbB, '0.0.0.0/0', { networkInterfaceId: IDS.fwBTrust });
    const afterDrift = sys().world.events.size;

    const repaired = () => executions(sys()).find((e) => e.state?.input.source === 'drift' && e.outcome === 'succeeded');
    expect(await sys().waitUntil(() => repaired() !== undefined, 3 * 60_000, 2000), story(sys())).toBe(true);
    const run = repaired();
    expect(run?.state?.input).toMatchObject({ action: 'reconcile', source: 'drift' });
    expect(run?.state?.cutover?.moved).toEqual([`replace route 0.0.0.0/0 in ${IDS.rtbB}: ${IDS.fwBTrust} -> ${IDS.fwATrust}`]);
    expect(run?.state?.fence?.action).toBe('none');
    const report = notices(sys()).find((n) => n.subject === '[pan-failover] hq-egress: drift detected, repairing toward fw-a');
    expect(report?.body.drifted).toEqual([`route 0.0.0.0/0 in ${IDS.rtbB}`]);
    // Reported by one of the first two probe rounds after the drift; only that route moved back.
    const roundsAfter = sys().logs.filter((l) => l.message === 'probe round' && l.at > driftAt).map((l) => l.at);
    expect(roundsAfter.length).toBeGreaterThanOrEqual(1);
    expect(report?.at ?? Infinity).toBeLessThan(roundsAfter[2] ?? Infinity);
    expect(routeTarget(IDS.rtbB, '0.0.0.0/0')).toBe(IDS.fwATrust);
    expect(moves(sys(), 0, afterDrift)).toHaveLength(1);
    // Nobody was started or stopped for it.
    expect(instanceStates(sys(), IDS.fwA)).toEqual([]);
    expect(instanceStates(sys(), IDS.fwB)).toEqual([]);
    await expectConsistentOn(sys(), 'primary');
  }, 90_000);

  it('drift while the recorded owner fw-a is not healthy (it refuses the API key): alert only, no repair; repaired once fw-a is healthy again', async () => {
    await start({ schedule: true });
    await ownerRecorded();
    sys().firewall('fw-a').setFaults({ authFails: true });
    sys().world.ec2.replaceRoute(IDS.rtbA, '172.16.0.0/12', { networkInterfaceId: IDS.fwBTrust });
    const afterDrift = sys().world.events.size;

    const driftAlert = () => notices(sys()).find((n) => n.subject === '[pan-failover] hq-egress: ALERT drift');
    expect(await sys().waitUntil(() => driftAlert() !== undefined, 2 * 60_000, 2000), story(sys())).toBe(true);
    expect(String(driftAlert()?.body.reason)).toMatch(/not repaired: the recorded owner fw-a is auth-error/);
    // Two more probe rounds: still no repair, no failover (auth errors alone never fail over).
    await sys().clock.sleep(25_000);
    expect(executions(sys())).toEqual([]);
    expect(sys().runningExecutions()).toEqual([]);
    expect(routeTarget(IDS.rtbA, '172.16.0.0/12')).toBe(IDS.fwBTrust);
    expect(moves(sys(), 0, afterDrift)).toEqual([]);

    sys().firewall('fw-a').setFaults({ authFails: false });
    const repaired = () => executions(sys()).find((e) => e.state?.input.source === 'drift' && e.outcome === 'succeeded');
    expect(await sys().waitUntil(() => repaired() !== undefined, 2 * 60_000, 2000), story(sys())).toBe(true);
    expect(routeTarget(IDS.rtbA, '172.16.0.0/12')).toBe(IDS.fwATrust);
    await expectConsistentOn(sys(), 'primary');
  }, 90_000);
});

describe('routes outside the configuration (failure mode 19)', () => {
  it('routes toward fw-a that are not in the managed list stay untouched when the traffic moves to fw-b (scenario orch-unmanaged-route.yaml)', async () => {
    const scenario = await loadScenario(fileURLToPath(new URL('../../scenarios/orch-unmanaged-route.yaml', import.meta.url)));
    const run = await runScenario(scenario, { keepOpen: true });
    adopt(run.system);
    expect(run.failures, story(sys())).toEqual([]);
    expect(run.consistency.owner).toBe('secondary');
    for (const u of scenario.unmanagedRoutes) {
      expect(routeTarget(u.routeTableId, u.destination), `${u.destination} in ${u.routeTableId}`).toBe(IDS.fwATrust);
      const touched = sys()
        .world.events.list({ type: ['ec2.route.replaced', 'ec2.route.created'] })
        .filter((e) => e.data.routeTableId === u.routeTableId && e.data.destination === u.destination);
      expect(touched).toEqual([]);
    }
    // The managed ones did move.
    expect(routeTarget(IDS.rtbA, '0.0.0.0/0')).toBe(IDS.fwBTrust);
    expect(routeTarget(IDS.rtbB, '172.16.0.0/12')).toBe(IDS.fwBTrust);
  }, 90_000);
});

describe('several EIPs on secondary private IPs, firewalls in different AZs (failure mode 20)', () => {
  it('each EIP lands on its mapped private IP of fw-b\'s untrust ENI in eu-central-1b, even when the mapping crosses the address order', async () => {
    const eip3 = 'eipalloc-0e000000000000003';
    const mapping = [
      { allocationId: IDS.eipIpsec, publicIp: '198.51.100.10', primaryIp: '10.10.1.10', secondaryIp: '10.20.1.12' },
      { allocationId: IDS.eipNat, publicIp: '198.51.100.20', primaryIp: '10.10.1.11', secondaryIp: '10.20.1.10' },
      { allocationId: eip3, publicIp: '198.51.100.30', primaryIp: '10.10.1.12', secondaryIp: '10.20.1.11' },
    ];
    const config = orchConfig({
      elasticIps: mapping.map((m) => ({
        allocationId: m.allocationId,
        publicIp: m.publicIp,
        primary: { networkInterfaceId: IDS.fwAUntrust, privateIp: m.primaryIp },
        secondary: { networkInterfaceId: IDS.fwBUntrust, privateIp: m.secondaryIp },
      })),
    });
    await start({ config, transport: 'wire' });
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    const run = await sys().runFlow({ pair: PAIR, action: 'failover', reason: 'fw-a dead' });
    expect(run.status, story(sys())).toBe('SUCCEEDED');

    const eni = sys().world.ec2.describeNetworkInterfaces({ ids: [IDS.fwBUntrust], current: true })[0];
    expect(eni?.availabilityZone).toBe('eu-central-1b');
    const addresses = sys().world.ec2.describeAddresses({ ids: mapping.map((m) => m.allocationId), current: true });
    for (const m of mapping) {
      const a = addresses.find((x) => x.allocationId === m.allocationId);
      expect(a, m.allocationId).toMatchObject({ networkInterfaceId: IDS.fwBUntrust, privateIp: m.secondaryIp, instanceId: IDS.fwB });
    }
    // Every association made went straight to its mapped address: never a private IP of the other AZ, never a wrong one.
    const associations = worldEvents(sys(), 'ec2.eip.associated', before);
    expect(associations).toHaveLength(3);
    for (const e of associations) {
      const m = mapping.find((x) => x.allocationId === e.data.allocationId);
      expect([e.data.networkInterfaceId, e.data.privateIp]).toEqual([IDS.fwBUntrust, m?.secondaryIp]);
    }
    expect(worldEvents(sys(), 'ec2.eip.disassociated', before)).toEqual([]);
    // The head office dials the first EIP: its tunnel comes up on fw-b.
    expect(run.state?.verify?.tunnelsUp).toEqual(['tun-head-office']);
    await expectConsistentOn(sys(), 'secondary');
  }, 90_000);
});

describe('a managed route deleted by hand (failure mode 21)', () => {
  const MISSING = { routeTableId: IDS.rtbB, destination: '172.16.0.0/12' } as const;

  /**
   * The simulated EC2 has no DeleteRoute, so the deletion happens before the start: the world is
   * built from a configuration without the route, and the controller's configuration, which
   * still manages it, gets it back once the system runs.
   */
  async function startWithRouteDeleted(createMissingRoutes: boolean): Promise<RouteConfig> {
    const managed = orchConfig({ cutover: { createMissingRoutes } });
    const pair = managed.pairs[0];
    const deleted = pair?.routes.find((r) => r.routeTableId === MISSING.routeTableId && r.destination === MISSING.destination);
    if (!pair || !deleted) throw new Error('example route missing');
    const worldConfig = orchConfig({ cutover: { createMissingRoutes }, routes: pair.routes.filter((r) => r !== deleted) });
    await start({ config: worldConfig, transport: 'wire' });
    manageRouteMissingFromWorld(sys(), deleted);
    expect(sys().pair().routes).toHaveLength(4);
    expect(routeTarget(MISSING.routeTableId, MISSING.destination)).toBeUndefined();
    return deleted;
  }

  const FORCED = { pair: PAIR, action: 'failover', force: true, reason: 'maintenance on fw-a', requestedBy: 'netops' } as const;

  it('without createMissingRoutes: the move is refused before anything changes, with an error naming the route', async () => {
    await startWithRouteDeleted(false);
    const before = sys().clock.now();
    const run = await sys().runFlow(FORCED, 'failover-route-missing');

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ManagedResourceNotFoundError');
    expect(run.cause).toMatch(/route 172\.16\.0\.0\/12 in rtb-0aa00000000000002 does not exist \(deleted by hand\?\); create it or set cutover\.createMissingRoutes/);
    const notice = resultNotice(sys(), 'failover-route-missing');
    expect.soft(notice.subject).toBe('[pan-failover] hq-egress FAILOVER FAILED in phase recheck: ManagedResourceNotFoundError');
    expect.soft(notice.body.failedPhase).toBe('recheck');
    // Nothing moved or created, fw-b was not started, fw-a not fenced.
    expect(changesSince(sys(), before)).toEqual([]);
    expect(routeTarget(MISSING.routeTableId, MISSING.destination)).toBeUndefined();
    // A person re-creates the route as the notice says; then the pair is consistent on fw-a.
    sys().world.ec2.createRoute(MISSING.routeTableId, MISSING.destination, { networkInterfaceId: IDS.fwATrust });
    await expectConsistentOn(sys(), 'primary');
  }, 90_000);

  it('with createMissingRoutes: the missing route is created toward fw-b along with the other moves', async () => {
    await startWithRouteDeleted(true);
    const before = sys().clock.now();
    const run = await sys().runFlow(FORCED, 'failover-route-created');

    expect(run.status, story(sys())).toBe('SUCCEEDED');
    expect(run.state?.cutover?.moved).toContain(`create route 172.16.0.0/12 in ${IDS.rtbB}: (none) -> ${IDS.fwBTrust}`);
    const created = worldEvents(sys(), 'ec2.route.created', before);
    expect(created.map((e) => [e.data.routeTableId, e.data.destination, e.data.to])).toEqual([[MISSING.routeTableId, MISSING.destination, IDS.fwBTrust]]);
    expect(moves(sys(), before)).toHaveLength(6);
    expect(routeTarget(MISSING.routeTableId, MISSING.destination)).toBe(IDS.fwBTrust);
    await expectConsistentOn(sys(), 'secondary');
  }, 90_000);
});
