/**
 * Preflight, AWS side (`shared/usecases/preflight.ts`) on the simulated world of the example
 * deployment: every check passes as shipped, and each pitfall the engineer who ran this by hand
 * met makes its check fail, naming the object. The world's EC2 answers are altered where the
 * simulator has no way to break the account itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '#shared/config/schema.js';
import type { Ec2Port, NetworkInterfaceInfo } from '#shared/ports/ec2.js';
import { preflightPair, type PreflightResult } from '#shared/usecases/preflight.js';
import { makeConfig } from '../support/config.js';
import { worldHarness, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

function setup(config: Config = makeConfig()): WorldHarness {
  h = worldHarness(config);
  return h;
}

/** The world's EC2 with some answers rewritten. */
function ec2With(base: Ec2Port, overrides: Partial<Ec2Port>): Ec2Port {
  return new Proxy(base, {
    get(target, prop, receiver) {
      const o = overrides[prop as keyof Ec2Port];
      if (o) return o;
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function enisWith(base: Ec2Port, change: (e: NetworkInterfaceInfo) => NetworkInterfaceInfo): Partial<Ec2Port> {
  return { describeNetworkInterfaces: async (ids) => (await base.describeNetworkInterfaces(ids)).map(change) };
}

async function run(w: WorldHarness, ec2: Ec2Port = w.ports.ec2): Promise<PreflightResult[]> {
  return w.clock.run(preflightPair({ ec2, clock: w.clock }, w.pair, w.config.deployment?.subnetIds ?? []), { limitMs: 60_000 });
}

const failures = (rs: PreflightResult[]) => rs.filter((r) => !r.ok).map((r) => `${r.check} ${r.subject}: ${r.detail}`);

describe('preflight (AWS side)', () => {
  it('passes on the example deployment, with every kind of check made', async () => {
    const w = setup();
    const rs = await run(w);
    expect(failures(rs)).toEqual([]);
    expect(new Set(rs.map((r) => r.check))).toEqual(
      new Set(['instance', 'eni-count', 'eni-attachment', 'source-dest-check', 'eip-private-ip', 'management-address', 'instance-type-capacity', 'routes-present', 'controller-subnets']),
    );
    // One source/destination check per route-target ENI, one private-IP check per EIP side, one route check per managed route.
    expect(rs.filter((r) => r.check === 'source-dest-check').map((r) => r.subject).sort()).toEqual(['eni-0a000000000000011', 'eni-0b000000000000011']);
    expect(rs.filter((r) => r.check === 'eip-private-ip')).toHaveLength(4);
    expect(rs.filter((r) => r.check === 'routes-present')).toHaveLength(4);
  });

  it('source/destination check on a route-target ENI', async () => {
    const w = setup();
    const ec2 = ec2With(w.ports.ec2, enisWith(w.ports.ec2, (e) => (e.networkInterfaceId === 'eni-0b000000000000011' ? { ...e, sourceDestCheck: true } : e)));
    expect(failures(await run(w, ec2))).toEqual(['source-dest-check eni-0b000000000000011: on: EC2 drops the traffic fw-b forwards; turn it off on this ENI']);
  });

  it('a public address without its own secondary private IP on the standby', async () => {
    const w = setup();
    const ec2 = ec2With(
      w.ports.ec2,
      enisWith(w.ports.ec2, (e) => (e.networkInterfaceId === 'eni-0b000000000000012' ? { ...e, privateIps: e.privateIps.filter((p) => p.address !== '10.20.1.11') } : e)),
    );
    expect(failures(await run(w, ec2))).toEqual([
      'eip-private-ip eipalloc-0e000000000000002 on fw-b: 10.20.1.11 is not on eni-0b000000000000012 (it has 10.20.1.10): each public address needs its own secondary private IP on the ENI',
    ]);
  });

  it('an ENI attached to the other firewall', async () => {
    const w = setup();
    const ec2 = ec2With(w.ports.ec2, enisWith(w.ports.ec2, (e) => (e.networkInterfaceId === 'eni-0b000000000000012' ? { ...e, attachedInstanceId: 'i-0a1b2c3d4e5f60001' } : e)));
    expect(failures(await run(w, ec2))).toEqual(['eni-attachment eni-0b000000000000012: attached to i-0a1b2c3d4e5f60001, configured for fw-b (i-0a1b2c3d4e5f60002)']);
  });

  it('a fallback instance type too small for the firewall (VM-Series needs every ENI it was built with)', async () => {
    const w = setup(makeConfig({ start: { fallbackInstanceTypes: ['m4.large'] } }));
    const fails = failures(await run(w));
    expect(fails).toHaveLength(2);
    expect(fails[0]).toMatch(/^instance-type-capacity fw-a on m4\.large \(fallback\): 2 ENIs x 10 addresses; the firewall uses 3 x 2$/);
  });

  it('a management address on a dataplane ENI (management and ethernet1/1 mixed up)', async () => {
    const w = setup();
    // The configuration names the untrust address as fw-b's management address.
    const pair = makeConfig({ firewalls: { secondary: { management: { host: '10.20.1.10' } } } }).pairs[0];
    if (!pair) throw new Error('no pair');
    const rs = await w.clock.run(preflightPair({ ec2: w.ports.ec2, clock: w.clock }, pair), { limitMs: 60_000 });
    expect(failures(rs)).toEqual([
      'management-address fw-b 10.20.1.10: 10.20.1.10 is on eni-0b000000000000012, an ENI the flow moves traffic to: management and dataplane are mixed up (with mgmt-interface-swap, management is eth1)',
    ]);
  });

  it("a controller subnet whose route table sends traffic through a firewall (the controller would depend on the path it repairs)", async () => {
    const w = setup();
    const base = w.ports.ec2;
    const ec2 = ec2With(base, {
      describeSubnetRouteTables: async (ids) =>
        (await base.describeSubnetRouteTables?.(ids) ?? []).map((t) => ({
          ...t,
          table: { ...t.table, routes: [...t.table.routes, { destination: '0.0.0.0/0', networkInterfaceId: 'eni-0a000000000000011', instanceId: undefined, gatewayId: undefined, state: 'active' as const }] },
        })),
    });
    const fails = failures(await run(w, ec2));
    expect(fails).toHaveLength(2);
    expect(fails[0]).toMatch(/^controller-subnets subnet-0c000000000000001: routes through a firewall: 0\.0\.0\.0\/0 -> eni-0a000000000000011 \(fw-a\) in rtb-/);
    // As shipped, the controller's table routes through neither firewall.
    const ok = (await run(w)).filter((r) => r.check === 'controller-subnets');
    expect(ok.map((r) => [r.subject, r.ok])).toEqual([
      ['subnet-0c000000000000001', true],
      ['subnet-0c000000000000002', true],
    ]);
  });

  it('a managed route deleted by hand, and a stopped-for-good (terminated) standby', async () => {
    const w = setup();
    const r0 = w.pair.routes[0];
    if (!r0) throw new Error('no route');
    const ec2 = ec2With(w.ports.ec2, {
      describeRouteTables: async (ids) =>
        (await w.ports.ec2.describeRouteTables(ids)).map((t) => (t.routeTableId === r0.routeTableId ? { ...t, routes: t.routes.filter((x) => x.destination !== r0.destination) } : t)),
    });
    w.world.ec2.terminateInstance('i-0a1b2c3d4e5f60002');
    const fails = failures(await run(w, ec2));
    expect(fails).toContain(`routes-present ${r0.destination} in ${r0.routeTableId}: missing: a cutover would refuse to run; create it, or set cutover.createMissingRoutes`);
    expect(fails.some((f) => f.startsWith('instance fw-b (i-0a1b2c3d4e5f60002): instance is'))).toBe(true);
  });
});
