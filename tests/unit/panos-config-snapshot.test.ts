/**
 * What the preflight reads from PAN-OS, against real samples (tests/fixtures/panos, provenance
 * in SOURCES.md there): `request license info`, and configuration excerpts whose pitfalls the
 * reader must survive (an interface address that is an address-object name, an empty GlobalProtect
 * `<ip />`, DHCP clients, IKE gateways with a local address and proxy-IDs). And the caps.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_ENTRIES, snapshotFromConfig } from '#shared/adapters/panos/config-snapshot.js';
import { parseLicenseDate, parseLicenses, parseSystemInfo, parseXmlDocument, toConfigNode, type XmlNode } from '#shared/adapters/panos/index.js';
import { FirewallMalformedResponseError } from '#shared/errors.js';
import type { ConfigNode } from '#shared/ports/firewall.js';
import { normaliseAddress, routeFor } from '#shared/domain/panos-config.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/panos/${name}`, import.meta.url), 'utf8');

/** A whole `<config>` sample, cut into the three `config show` results the reader asks for. */
function snapshotOf(name: string) {
  const doc = parseXmlDocument(fixture(name), name);
  const device = ((doc.config as XmlNode).devices as XmlNode).entry as XmlNode[];
  const d = device[0] as XmlNode;
  const vsys = ((d.vsys as XmlNode).entry as XmlNode[])[0] as XmlNode;
  return snapshotFromConfig(
    {
      network: toConfigNode({ network: d.network as XmlNode }),
      vsys: toConfigNode({ entry: [vsys] }),
      sharedAddress: undefined,
    },
    name,
  );
}

describe('request license info (real samples)', () => {
  it('a VM-300 with subscriptions: Never is perpetual, dates are UTC midnights', () => {
    const ls = parseLicenses(fixture('request-license-info-pavm-vm300-2017.xml'));
    expect(ls).toHaveLength(6);
    expect(ls[0]).toEqual({ feature: 'PA-VM', description: 'Standard VM-300', expires: 'Never', expiresAt: undefined, perpetual: true, expired: false });
    expect(ls[1]).toMatchObject({ feature: 'WildFire License', expires: 'June 30, 2020', expiresAt: Date.UTC(2020, 5, 30), perpetual: false, expired: false });
  });

  it('an eval licence with an expired subscription (expires before issued, as published)', () => {
    const ls = parseLicenses(fixture('request-license-info-pavm-vm50-eval-2019.xml'));
    expect(ls.find((l) => l.feature === 'Threat Prevention')).toMatchObject({ expired: true, expiresAt: Date.UTC(2017, 3, 23) });
    expect(ls.find((l) => l.feature === 'PA-VM')).toMatchObject({ description: 'Standard VM-50 Eval', expiresAt: Date.UTC(2019, 8, 7) });
  });

  it('dates that are not dates read as unknown, never as a wrong day', () => {
    expect(parseLicenseDate('February 31, 2020')).toBeUndefined();
    expect(parseLicenseDate('Never')).toBeUndefined();
    expect(parseLicenseDate('2020-06-30')).toBeUndefined();
    expect(parseLicenseDate('  june 30,2020 ')).toBe(Date.UTC(2020, 5, 30));
  });

  it('show system info reports the management address', () => {
    expect(parseSystemInfo(fixture('show-system-info-pavm-kvm-8.1.3.xml')).ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });
});

describe('configuration snapshot (real excerpts)', () => {
  it('PA-VM 9.0: a CIDR plus an address-object entry on one interface, interface-address NAT, a portal with an empty ip', () => {
    const s = snapshotOf('config-excerpt-pavm50-static-ip-plus-addrobj-nat-gp-portal-cis-check.xml');
    const e1 = s.interfaces.find((i) => i.name === 'ethernet1/1');
    expect(e1).toEqual({
      name: 'ethernet1/1',
      dhcp: false,
      dhcpDefaultRoute: false,
      entries: ['192.168.55.20/24', 'msft-iis-vctim-w2012r2-outside'],
      addresses: ['192.168.55.20/24', '192.168.55.62'],
      unresolved: [],
    });
    expect(s.staticRoutes).toEqual([
      { router: 'default', name: 'default', destination: '0.0.0.0/0', nexthop: { kind: 'ip', address: '192.168.55.2' }, interface: 'ethernet1/1', noInstall: false },
    ]);
    expect(s.natRules.map((r) => r.name)).toEqual(['inbound NAT - IIS DEMO', 'kali-to-pc', 'No-Nat-toKali', 'outbound NAT']);
    expect(s.natRules[3]).toMatchObject({ sourceType: 'dynamic-ip-and-port', sourceInterface: 'ethernet1/1', sourceInterfaceIp: '192.168.55.20/24', from: ['server', 'trust'], to: ['untrust'], disabled: false });
    expect(s.natRules[0]).toMatchObject({ disabled: true, destination: ['msft-iis-vctim-w2012r2-outside'], translatedDestination: 'msft-iis-victim-w2012r2', sourceType: 'none' });
    expect(s.globalProtect).toEqual([{ kind: 'portal', name: 'gp-test', interface: 'ethernet1/1', ip: undefined }]);
    expect(s.zones.map((z) => `${z.name}:${z.interfaces.join(',')}`)).toEqual(['untrust:ethernet1/1', 'trust:ethernet1/2', 'server:ethernet1/3']);
    // The object-named address normalises like a literal one.
    expect(normaliseAddress(s, '192.168.55.62')).toBe('<ethernet1/1#1>');
    expect(normaliseAddress(s, '192.168.55.2')).toBe('<ethernet1/1 subnet +2>');
  });

  it('IKE gateway with a local address and a peer; an IPsec tunnel with a proxy-ID', () => {
    const s = snapshotOf('config-excerpt-ike-gateway-local-address-ipsec-proxy-id-nat-pan-os-php.xml');
    expect(s.ikeGateways).toEqual([{ name: 'SuperPatnerCorp', localInterface: 'ethernet1/1', localIp: '203.0.113.1/24', peerIp: '198.51.100.79' }]);
    expect(s.ipsecTunnels).toEqual([{ name: 'SuperPartner-ipsec', gateway: 'SuperPatnerCorp', tunnelInterface: 'tunnel.2', proxyIds: ['proxy1'] }]);
    // A host of the interface's own subnet is reached directly through it.
    expect(routeFor(s, '203.0.113.50').interface).toBe('ethernet1/1');
  });

  it('VM-Series on AWS: an ip entry that is an address-object name resolves through the vsys objects', () => {
    const s = snapshotOf('config-excerpt-vmseries-aws-ip-entry-is-address-object.xml');
    expect(s.interfaces.find((i) => i.name === 'ethernet1/1')).toMatchObject({ entries: ['eth1'], addresses: ['172.15.15.15'], unresolved: [] });
  });

  it('VM-Series on AWS with DHCP clients on the dataplane (bare and with create-default-route no)', () => {
    const s = snapshotOf('config-excerpt-vmseries-aws-dhcp-nat-to-dhcp-learned-ip.xml');
    expect(s.interfaces.map((i) => [i.name, i.dhcp, i.dhcpDefaultRoute, i.entries.length])).toEqual([
      ['ethernet1/1', true, false, 0],
      ['ethernet1/2', true, false, 0],
    ]);
    expect(s.staticRoutes).toEqual([]);
  });

  it('an entry list longer than any firewall holds is refused with a typed error', () => {
    const many: ConfigNode[] = Array.from({ length: MAX_ENTRIES + 1 }, (_, i) => ({ '@_name': `r${i}` }));
    const vsys = { entry: [{ '@_name': 'vsys1', rulebase: { nat: { rules: { entry: many } } } }] } as ConfigNode;
    expect(() => snapshotFromConfig({ network: undefined, vsys, sharedAddress: undefined }, 'fw')).toThrow(FirewallMalformedResponseError);
  });

  it('nothing configured reads as empty lists, not errors', () => {
    expect(snapshotFromConfig({ network: undefined, vsys: undefined, sharedAddress: undefined }, 'fw')).toMatchObject({ interfaces: [], staticRoutes: [], natRules: [], ikeGateways: [] });
  });
});
