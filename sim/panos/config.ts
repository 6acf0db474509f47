/**
 * The running configuration the simulated firewall serves to `type=config&action=show`, built
 * from its profile in the shape of a real VM-Series bootstrap.xml on AWS (see the sample
 * `config-excerpt-vmseries-aws-dhcp-client-static-routes.xml`): dataplane interfaces (static
 * `layer3/ip/entry` or `layer3/dhcp-client`), static routes under the legacy virtual router (or
 * the logical router with advanced routing), IKE gateways and IPsec tunnels, and
 * `deviceconfig/system`.
 */
import { el, entry, leaf } from './xml.js';
import type { XmlElement } from './xml.js';
import type { FirewallProfile, SimInterface, SimNatRule, SimSecurityRule, SimStaticRoute, SimTunnel } from './profile.js';

export const DEVICE_ENTRY = 'localhost.localdomain';

function layer3(iface: SimInterface): XmlElement {
  const addressing = iface.dhcp
    ? el('dhcp-client', {}, leaf('create-default-route', iface.createDefaultRoute ? 'yes' : 'no'))
    : el('ip', {}, entry(iface.address), ...iface.secondaryAddresses.map((a) => entry(a)));
  return el(
    'layer3',
    {},
    el('ndp-proxy', {}, leaf('enabled', 'no')),
    addressing,
    el('lldp', {}, leaf('enable', 'no')),
  );
}

function staticRoute(route: SimStaticRoute, advanced: boolean): XmlElement {
  const nexthop = route.nexthop === undefined ? el('discard') : leaf('ip-address', route.nexthop);
  const parts: XmlElement[] = [el('nexthop', {}, nexthop)];
  if (!advanced) parts.push(el('bfd', {}, leaf('profile', 'None')));
  if (route.interface !== undefined) parts.push(leaf('interface', route.interface));
  parts.push(leaf('metric', route.metric), leaf('destination', route.destination));
  if (!advanced) parts.push(el('route-table', {}, el('unicast')));
  return entry(route.name, ...parts);
}

function routing(profile: FirewallProfile): XmlElement {
  const members = el('interface', {}, ...profile.interfaces.map((i) => leaf('member', i.name)));
  const advanced = profile.advancedRouting;
  const table = el(
    'routing-table',
    {},
    el('ip', {}, el('static-route', {}, ...profile.staticRoutes.map((r) => staticRoute(r, advanced)))),
  );
  if (advanced) {
    return el('logical-router', {}, entry('default', el('vrf', {}, entry('default', members, table))));
  }
  return el('virtual-router', {}, entry('default', members, table));
}

function ikeGateways(tunnels: readonly SimTunnel[], outerIf: string): XmlElement {
  const localAddress = (t: SimTunnel) =>
    el('local-address', {}, ...(t.localIp !== undefined ? [leaf('ip', t.localIp)] : []), leaf('interface', t.localInterface ?? outerIf));
  const seen = new Set<string>();
  const gateways: XmlElement[] = [];
  for (const t of tunnels) {
    if (seen.has(t.gateway)) continue;
    seen.add(t.gateway);
    gateways.push(
      entry(
        t.gateway,
        el('protocol', {}, leaf('version', 'ikev2')),
        el('peer-address', {}, leaf('ip', t.peerIp)),
        localAddress(t),
      ),
    );
  }
  return el('ike', {}, el('gateway', {}, ...gateways));
}

function ipsecTunnels(tunnels: readonly SimTunnel[]): XmlElement {
  return el(
    'tunnel',
    {},
    el(
      'ipsec',
      {},
      ...tunnels.map((t, i) => {
        const autoKey = el(
          'auto-key',
          {},
          el('ike-gateway', {}, entry(t.gateway)),
          ...(t.proxyIds.length > 0 ? [el('proxy-id', {}, ...t.proxyIds.map((p) => entry(p)))] : []),
        );
        return entry(
          t.name,
          autoKey,
          el('tunnel-monitor', {}, leaf('enable', t.monitor ? 'yes' : 'no')),
          leaf('tunnel-interface', `tunnel.${i + 1}`),
        );
      }),
    ),
  );
}

function interfaces(profile: FirewallProfile): XmlElement {
  const ethernet = el('ethernet', {}, ...profile.interfaces.map((i) => entry(i.name, layer3(i))));
  const parts: XmlElement[] = [ethernet];
  if (profile.tunnels.length > 0) {
    parts.push(el('tunnel', {}, el('units', {}, ...profile.tunnels.map((_, i) => entry(`tunnel.${i + 1}`)))));
  }
  return el('interface', {}, ...parts);
}

function deviceSystem(profile: FirewallProfile): XmlElement {
  const m = profile.management;
  const addressing = m.dhcp
    ? [
        el(
          'type',
          {},
          el(
            'dhcp-client',
            {},
            leaf('send-hostname', 'yes'),
            leaf('send-client-id', 'no'),
            leaf('accept-dhcp-hostname', 'no'),
            leaf('accept-dhcp-domain', 'no'),
          ),
        ),
      ]
    : [el('type', {}, el('static')), leaf('ip-address', m.ip), leaf('netmask', m.netmask), leaf('default-gateway', m.defaultGateway)];
  return el('system', {}, leaf('hostname', profile.hostname), ...addressing, leaf('timezone', 'UTC'));
}

const members = (name: string, values: readonly string[]) => el(name, {}, ...values.map((v) => leaf('member', v)));

function natRule(r: SimNatRule): XmlElement {
  const parts: XmlElement[] = [];
  if (r.sourceInterface !== undefined) {
    const ifAddr = el('interface-address', {}, ...(r.sourceInterfaceIp !== undefined ? [leaf('ip', r.sourceInterfaceIp)] : []), leaf('interface', r.sourceInterface));
    parts.push(el('source-translation', {}, el('dynamic-ip-and-port', {}, ifAddr)));
  } else if (r.translatedSource.length > 0) {
    parts.push(el('source-translation', {}, el('dynamic-ip-and-port', {}, members('translated-address', r.translatedSource))));
  }
  if (r.translatedDestination !== undefined) parts.push(el('destination-translation', {}, leaf('translated-address', r.translatedDestination)));
  parts.push(members('to', r.to), members('from', r.from), members('source', r.source), members('destination', r.destination), leaf('service', 'any'));
  if (r.disabled) parts.push(leaf('disabled', 'yes'));
  return entry(r.name, ...parts);
}

function securityRule(r: SimSecurityRule): XmlElement {
  return entry(
    r.name,
    members('to', r.to),
    members('from', r.from),
    members('source', r.source),
    members('destination', r.destination),
    members('source-user', ['any']),
    members('application', r.application),
    members('service', r.service),
    leaf('action', r.action),
  );
}

function vsys(profile: FirewallProfile): XmlElement {
  const zones = el('zone', {}, ...profile.zones.map((z) => entry(z.name, el('network', {}, members('layer3', z.interfaces)))));
  const rulebase = el(
    'rulebase',
    {},
    el('security', {}, el('rules', {}, ...profile.securityRules.map(securityRule))),
    el('nat', {}, el('rules', {}, ...profile.natRules.map(natRule))),
  );
  const address = el('address', {}, ...Object.entries(profile.addressObjects).map(([name, value]) => entry(name, leaf('ip-netmask', value))));
  const local = (g: FirewallProfile['globalProtect'][number]) =>
    el('local-address', {}, el('ip', {}, ...(g.ip !== undefined ? [leaf('ipv4', g.ip)] : [])), leaf('interface', g.interface));
  const portals = profile.globalProtect.filter((g) => g.kind === 'portal').map((g) => entry(g.name, el('portal-config', {}, local(g))));
  const gateways = profile.globalProtect.filter((g) => g.kind === 'gateway').map((g) => entry(g.name, local(g)));
  const gp = el('global-protect', {}, el('global-protect-portal', {}, ...portals), el('global-protect-gateway', {}, ...gateways));
  return el('vsys', {}, entry('vsys1', zones, rulebase, address, gp));
}

/** The whole running configuration, rooted at `<config>`. */
export function runningConfig(profile: FirewallProfile): XmlElement {
  const outerIf = profile.interfaces[0]?.name ?? 'ethernet1/1';
  const network = el(
    'network',
    {},
    interfaces(profile),
    ...(profile.tunnels.length > 0 ? [ikeGateways(profile.tunnels, outerIf), ipsecTunnels(profile.tunnels)] : []),
    routing(profile),
  );
  const major = /^(\d+\.\d+)/.exec(profile.swVersion)?.[1] ?? profile.swVersion;
  return el(
    'config',
    { version: `${major}.0`, urldb: 'paloaltonetworks', 'detail-version': profile.swVersion.replace(/-h\d+$/, '') },
    el('devices', {}, entry(DEVICE_ENTRY, network, el('deviceconfig', {}, deviceSystem(profile)), vsys(profile))),
  );
}
