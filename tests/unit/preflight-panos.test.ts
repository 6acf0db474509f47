/**
 * Preflight, PAN-OS side (`preflightPanosPair`, checks in `shared/domain/panos-preflight.ts`) on
 * the simulated example deployment: both firewalls configured as the example implies pass every
 * check; each pitfall, injected into one firewall's simulated configuration (or EC2's answers),
 * fails its check with the evidence naming the object.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config, Role } from '#shared/config/schema.js';
import type { Ec2Port } from '#shared/ports/ec2.js';
import { PANOS_CHECKS } from '#shared/domain/panos-preflight.js';
import { preflightPanosPair, type PreflightResult } from '#shared/usecases/preflight.js';
import type { FirewallProfileInput } from '#sim/panos/index.js';
import { profileFromConfig } from '#sim/scenario/firewall-profile.js';
import { makeConfig } from '../support/config.js';
import { worldHarness, type WorldHarness } from '../support/fake-firewalls.js';
import { SimPanosApis } from '../support/sim-panos-api.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

interface Setup {
  readonly w: WorldHarness;
  readonly apis: SimPanosApis;
}

/** The example with a warm standby (both firewalls run and can be read), PAN-OS as the example implies. */
function setup(config: Config = makeConfig({ standbyMode: 'warm' }), patch: Partial<Record<'fw-a' | 'fw-b', FirewallProfileInput>> = {}): Setup {
  h = worldHarness(config);
  const pair = h.pair;
  const profiles: Record<string, FirewallProfileInput> = {};
  for (const role of ['primary', 'secondary'] as Role[]) {
    const name = pair.firewalls[role].name;
    profiles[name] = { ...profileFromConfig(pair, role), ...patch[name as 'fw-a' | 'fw-b'] };
  }
  return { w: h, apis: new SimPanosApis(h.clock, profiles) };
}

async function run(s: Setup, ec2: Ec2Port = s.w.ports.ec2): Promise<PreflightResult[]> {
  return s.w.clock.run(preflightPanosPair({ ec2, clock: s.w.clock, firewalls: s.apis }, s.w.pair), { limitMs: 60_000 });
}

const notPassing = (rs: PreflightResult[]) => rs.filter((r) => r.status !== 'pass').map((r) => `${r.status} ${r.check} ${r.subject}: ${r.detail}`);
const of = (rs: PreflightResult[], check: string) => rs.filter((r) => r.check === check);

/** fw-b's profile as the example builds it, for patches that change one field of a list. */
function bProfile(s?: Setup) {
  const pair = (s?.w ?? h)?.pair ?? makeConfig({ standbyMode: 'warm' }).pairs[0];
  if (!pair) throw new Error('no pair');
  return profileFromConfig(pair, 'secondary');
}

describe('preflight, PAN-OS side', () => {
  it('the example passes every check, each check made, read-only', async () => {
    const s = setup();
    const rs = await run(s);
    expect(notPassing(rs)).toEqual([]);
    expect(new Set(rs.map((r) => r.check))).toEqual(new Set(PANOS_CHECKS));
    // Per firewall: two interfaces used (untrust with two addresses, trust), two EIPs, one tunnel.
    expect(of(rs, 'panos-interface-addresses').map((r) => r.subject)).toEqual([
      'fw-a ethernet1/2 (eni-0a000000000000011)',
      'fw-a ethernet1/1 (eni-0a000000000000012)',
      'fw-b ethernet1/2 (eni-0b000000000000011)',
      'fw-b ethernet1/1 (eni-0b000000000000012)',
    ]);
    expect(of(rs, 'panos-interface-addresses')[3]?.detail).toBe("10.20.1.10, 10.20.1.11: exactly the ENI's private IPs");
    expect(of(rs, 'panos-eip-in-use').map((r) => r.detail)).toEqual([
      'used by NAT rule "internet-egress" (source), IKE gateway "gw-tun-head-office", GlobalProtect portal "gp-portal"',
      'used by NAT rule "eip-2-outbound" (source)',
      'used by NAT rule "internet-egress" (source), IKE gateway "gw-tun-head-office", GlobalProtect portal "gp-portal"',
      'used by NAT rule "eip-2-outbound" (source)',
    ]);
    expect(of(rs, 'panos-routes').find((r) => r.subject.startsWith('fw-b 0.0.0.0/0'))?.detail).toBe("via 10.20.1.1, the VPC router of ethernet1/1's subnet");
    expect(of(rs, 'panos-config-match')[0]?.detail).toMatch(/^\d+ objects match/);
    // Read-only: system info, licences, three config reads per firewall.
    expect(s.apis.calls.filter((c) => c.startsWith('fw-b')).sort()).toEqual(['fw-b configShow', 'fw-b configShow', 'fw-b configShow', 'fw-b licenses', 'fw-b systemInfo']);
  });

  it('a stopped cold standby is not contacted: its checks are skipped, with advice to run the drill', async () => {
    const s = setup(makeConfig());
    const rs = await run(s);
    expect(rs.filter((r) => r.status === 'fail' || r.status === 'unknown')).toEqual([]);
    expect(of(rs, 'panos-read').map((r) => [r.subject, r.status])).toEqual([
      ['fw-a', 'pass'],
      ['fw-b', 'skip'],
    ]);
    expect(of(rs, 'panos-read')[1]?.fix).toBe('run pan-failover drill -p hq-egress: it starts fw-b, runs these checks on it against the active and stops it again (traffic untouched)');
    expect(of(rs, 'panos-config-match')[0]?.status).toBe('skip');
    expect(s.apis.calls.some((c) => c.startsWith('fw-b'))).toBe(false);
  });

  it('a running firewall that does not answer: unknown (could not check), not pass', async () => {
    const s = setup();
    s.apis.down.add('fw-b');
    const rs = await run(s);
    expect(of(rs, 'panos-read')[1]).toMatchObject({ status: 'unknown', ok: false });
    expect(of(rs, 'panos-read')[1]?.detail).toMatch(/FirewallUnreachableError: .*ECONNREFUSED/);
  });

  it('DHCP on a dataplane interface', async () => {
    const b = bProfile();
    const s = setup(undefined, { 'fw-b': { interfaces: (b.interfaces ?? []).map((i) => (i.name === 'ethernet1/2' ? { ...i, dhcp: true, createDefaultRoute: true } : i)) } });
    const rs = await run(s);
    expect(notPassing(rs)).toEqual([
      'fail panos-static-addresses fw-b ethernet1/2 (eni-0b000000000000011): DHCP client (with create-default-route): a failed lease renewal takes the interface down, and a secondary private IP is never leased',
      // Without its address, fw-b's route through ethernet1/2 no longer normalises either.
      'fail panos-config-match fw-a / fw-b: 2 difference(s): interface ethernet1/2: fw-a 1 address(es): <ethernet1/2#0>/24 | fw-b dhcp; route default/vpc: fw-a 10.0.0.0/8 via <ethernet1/2 subnet +1> on ethernet1/2 | fw-b 10.0.0.0/8 via 10.20.12.1 on ethernet1/2',
    ]);
    expect(of(rs, 'panos-static-addresses').find((r) => r.status === 'fail')?.fix).toBe('set ethernet1/2 to static 10.20.12.10/<subnet length> and remove its DHCP client');
  });

  it("an interface without the secondary private IP of the second EIP", async () => {
    const b = bProfile();
    const s = setup(undefined, { 'fw-b': { interfaces: (b.interfaces ?? []).map((i) => (i.name === 'ethernet1/1' ? { ...i, secondaryAddresses: [] } : i)) } });
    const rs = await run(s);
    const fails = rs.filter((r) => r.status === 'fail' && r.check === 'panos-interface-addresses');
    expect(fails.map((r) => `${r.subject}: ${r.detail}`)).toEqual([
      'fw-b ethernet1/1 (eni-0b000000000000012): ethernet1/1 has 10.20.1.10; missing 10.20.1.11 (on the ENI; 10.20.1.11 carries 198.51.100.20 (eipalloc-0e000000000000002))',
    ]);
    // The NAT rule now translates to an address the firewall does not have: no longer a use of it.
    expect(of(rs, 'panos-eip-in-use').find((r) => r.subject.startsWith('fw-b 10.20.1.11'))?.status).toBe('pass');
  });

  it('an address the ENI does not have (a static address copied from the other firewall)', async () => {
    const b = bProfile();
    const s = setup(undefined, { 'fw-b': { interfaces: (b.interfaces ?? []).map((i) => (i.name === 'ethernet1/1' ? { ...i, address: '10.10.1.10/24' } : i)) } });
    const fail = of(await run(s), 'panos-interface-addresses').find((r) => r.status === 'fail');
    expect(fail?.detail).toBe('ethernet1/1 has 10.10.1.10, 10.20.1.11; missing 10.20.1.10 (on the ENI; 10.20.1.10 carries 198.51.100.10 (eipalloc-0e000000000000001)); has 10.10.1.10, which the ENI does not have (EC2 delivers nothing to it)');
  });

  it('a default route whose next hop is an Elastic IP', async () => {
    const b = bProfile();
    const s = setup(undefined, { 'fw-b': { staticRoutes: (b.staticRoutes ?? []).map((r) => (r.name === 'default' ? { ...r, nexthop: '198.51.100.10' } : r)) } });
    const fail = of(await run(s), 'panos-routes').find((r) => r.status === 'fail');
    expect(fail).toMatchObject({
      subject: 'fw-b 0.0.0.0/0 (default/default)',
      detail: 'next hop 198.51.100.10 is a managed Elastic IP: AWS routes nothing to a public address inside the VPC',
      fix: "use 10.20.1.1, the VPC router of ethernet1/1's subnet 10.20.1.0/24",
    });
  });

  it('a default route to an address outside its interface subnet, and one to a host that is not the VPC router', async () => {
    const b = bProfile();
    const outside = setup(undefined, { 'fw-b': { staticRoutes: (b.staticRoutes ?? []).map((r) => (r.name === 'default' ? { ...r, nexthop: '10.10.1.1' } : r)) } });
    expect(of(await run(outside), 'panos-routes').find((r) => r.status !== 'pass')?.detail).toBe('next hop 10.10.1.1 is outside the subnet of ethernet1/1 (10.20.1.0/24)');
    h?.close();
    const notRouter = setup(undefined, { 'fw-b': { staticRoutes: (b.staticRoutes ?? []).map((r) => (r.name === 'default' ? { ...r, nexthop: '10.20.1.5' } : r)) } });
    expect(of(await run(notRouter), 'panos-routes').find((r) => r.status !== 'pass')).toMatchObject({ status: 'warn', detail: "next hop 10.20.1.5 is in ethernet1/1's subnet but is not its VPC router (10.20.1.1)" });
  });

  it('no static default route at all (it came from DHCP)', async () => {
    const b = bProfile();
    const s = setup(undefined, { 'fw-b': { staticRoutes: (b.staticRoutes ?? []).filter((r) => r.name !== 'default') } });
    expect(of(await run(s), 'panos-routes').find((r) => r.status === 'fail')).toMatchObject({ subject: 'fw-b 0.0.0.0/0', detail: 'no static default route' });
  });

  it('an Elastic IP whose private IP no NAT rule or service uses: a warning', async () => {
    const b = bProfile();
    const s = setup(undefined, { 'fw-b': { natRules: (b.natRules ?? []).filter((r) => r.name !== 'eip-2-outbound') } });
    const rs = await run(s);
    expect(of(rs, 'panos-eip-in-use').filter((r) => r.status !== 'pass')).toEqual([
      expect.objectContaining({
        status: 'warn',
        subject: 'fw-b 10.20.1.11 (198.51.100.20 (eipalloc-0e000000000000002))',
        detail: 'no NAT rule, IKE gateway or GlobalProtect portal/gateway uses 10.20.1.11: the public address answers nothing on fw-b',
      }),
    ]);
    // And the rulebases differ.
    expect(of(rs, 'panos-config-match')[0]?.detail).toMatch(/only on fw-a: nat rule eip-2-outbound/);
  });

  it("an IKE gateway bound to the other firewall's address (copied from the primary)", async () => {
    const b = bProfile();
    const s = setup(undefined, { 'fw-b': { tunnels: (b.tunnels ?? []).map((t) => ({ ...t, localIp: '10.10.1.10/24' })) } });
    const fail = of(await run(s), 'panos-tunnels').find((r) => r.status === 'fail');
    expect(fail?.subject).toBe('fw-b tun-head-office');
    expect(fail?.detail).toBe('IKE gateway "gw-tun-head-office" binds to 10.10.1.10/24 on ethernet1/1, which is not an address of fw-b (10.20.1.10, 10.20.1.11, 10.20.12.10)');
  });

  it('a configured tunnel missing on the standby, and a peer routed through the trust interface', async () => {
    const b = bProfile();
    const missing = setup(undefined, { 'fw-b': { tunnels: [] } });
    expect(of(await run(missing), 'panos-tunnels').find((r) => r.status === 'fail')?.detail).toBe('no IPsec tunnel "tun-head-office" (has: none)');
    h?.close();
    const wrongWay = setup(undefined, {
      'fw-b': { staticRoutes: [...(b.staticRoutes ?? []), { name: 'head-office', destination: '203.0.113.0/24', nexthop: '10.20.12.1', interface: 'ethernet1/2' }] },
    });
    expect(of(await run(wrongWay), 'panos-tunnels').find((r) => r.status === 'fail')?.detail).toBe(
      'peer 203.0.113.1 is routed through ethernet1/2, not through ethernet1/1, where the gateway listens',
    );
  });

  it('mgmt-interface-swap on one firewall only: PAN-OS management is not where the configuration says', async () => {
    // fw-b reports its management address on the untrust ENI's address (eth1): swapped on the firewall, not in the configuration.
    const s = setup(undefined, { 'fw-b': { management: { ip: '10.20.1.10', netmask: '255.255.255.0', defaultGateway: '10.20.1.1', dhcp: true } } });
    const rs = of(await run(s), 'panos-management');
    expect(rs.filter((r) => r.status === 'fail').map((r) => `${r.subject}: ${r.detail}`)).toEqual([
      'fw-b management: PAN-OS management is on eth1 (eni-0b000000000000012), the configuration says eth0: the interfaces are mapped the other way',
      'fw-a / fw-b management: management on eth0 on fw-a but eth1 on fw-b: mgmt-interface-swap is set on one firewall only',
    ]);
  });

  it('a probed management address that is not the one PAN-OS reports', async () => {
    // The configuration names 10.20.0.10 (on the management ENI), PAN-OS answers for 10.20.0.99.
    const s = setup(undefined, { 'fw-b': { management: { ip: '10.20.0.99', netmask: '255.255.255.0', defaultGateway: '10.20.0.1', dhcp: true } } });
    const fail = of(await run(s), 'panos-management').find((r) => r.status === 'fail');
    expect(fail?.detail).toBe('the controller probes 10.20.0.10, PAN-OS reports its management address as 10.20.0.99');
  });

  it('a configuration difference between the firewalls (a security rule added on the primary only), shown as a readable diff', async () => {
    const pair = makeConfig({ standbyMode: 'warm' }).pairs[0];
    if (!pair) throw new Error('no pair');
    const a = profileFromConfig(pair, 'primary');
    const s = setup(undefined, { 'fw-a': { securityRules: [...(a.securityRules ?? []), { name: 'allow-smtp', from: ['trust'], to: ['untrust'], application: ['smtp'] }] } });
    const fail = of(await run(s), 'panos-config-match')[0];
    expect(fail?.status).toBe('fail');
    expect(fail?.detail).toBe('1 difference(s): only on fw-a: security rule allow-smtp (#3 trust -> untrust src any dst any app smtp svc application-default allow)');
  });

  it('licences: an expired subscription fails, one expiring within 30 days warns, a missing feature on one side fails', async () => {
    const expired = setup(undefined, { 'fw-b': { licenses: [{ feature: 'PA-VM', expires: 'never' }, { feature: 'Threat Prevention', expires: '2025-12-01' }, { feature: 'GlobalProtect Gateway', expires: '2029-06-30' }] } });
    const e = of(await run(expired), 'panos-licence').filter((r) => r.status !== 'pass');
    expect(e.map((r) => `${r.status} ${r.subject}: ${r.detail}`)).toEqual(['fail fw-b licences: expired: Threat Prevention December 01, 2025']);
    h?.close();
    // The simulated date is 2026-01-01.
    const soon = setup(undefined, { 'fw-b': { licenses: [{ feature: 'PA-VM', expires: 'never' }, { feature: 'Threat Prevention', expires: '2026-01-20' }, { feature: 'GlobalProtect Gateway', expires: '2029-06-30' }] } });
    expect(of(await run(soon), 'panos-licence').filter((r) => r.status !== 'pass').map((r) => `${r.status} ${r.detail}`)).toEqual([
      'warn expires within 30 days: Threat Prevention January 20, 2026 (18 days)',
    ]);
    h?.close();
    const missing = setup(undefined, { 'fw-b': { licenses: [{ feature: 'PA-VM', expires: 'never' }, { feature: 'Threat Prevention', expires: '2029-06-30' }] } });
    expect(of(await run(missing), 'panos-licence').filter((r) => r.status !== 'pass').map((r) => `${r.status} ${r.subject}: ${r.detail}`)).toEqual([
      'fail fw-a / fw-b: only fw-a holds GlobalProtect Gateway',
    ]);
  });

  it('versions: another PAN-OS release fails, other content versions warn', async () => {
    const sw = setup(undefined, { 'fw-b': { swVersion: '10.2.9-h1' } });
    expect(of(await run(sw), 'panos-versions')[0]).toMatchObject({ status: 'fail', detail: 'software 10.2.11-h12 vs 10.2.9-h1' });
    h?.close();
    const content = setup(undefined, { 'fw-b': { threatVersion: '8900-9000' } });
    expect(of(await run(content), 'panos-versions')[0]).toMatchObject({ status: 'warn', detail: 'software 10.2.11-h12 on both; app 8971-9419 vs 8971-9419, threat 8971-9419 vs 8900-9000' });
  });

  it('an EC2 scheduled retirement of the standby fails; a reboot of the active warns', async () => {
    const s = setup();
    const day = Date.UTC(2026, 0, 20);
    s.w.world.ec2.scheduleEvent('i-0a1b2c3d4e5f60002', { code: 'instance-retirement', description: 'The instance is running on degraded hardware', notBefore: day, notAfter: undefined });
    s.w.world.ec2.scheduleEvent('i-0a1b2c3d4e5f60001', { code: 'system-reboot', description: 'scheduled reboot', notBefore: day, notAfter: day + 7_200_000 });
    const rs = of(await run(s), 'ec2-scheduled-events');
    expect(rs.map((r) => `${r.status} ${r.subject}: ${r.detail}`)).toEqual([
      'warn fw-a (i-0a1b2c3d4e5f60001): system-reboot from 2026-01-20 (scheduled reboot)',
      'fail fw-b (i-0a1b2c3d4e5f60002): instance-retirement from 2026-01-20 (The instance is running on degraded hardware): on that day the standby cannot be started',
    ]);
  });
});
