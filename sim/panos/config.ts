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
import type { FirewallProfile, SimInterface, SimStaticRoute, SimTunnel } from './profile.js';

export const DEVICE_ENTRY = 'localhost.localdomain';

function layer3(iface: SimInterface): XmlElement {
  const addressing = iface.dhcp
    ? el('dhcp-client', {}, leaf('create-default-route', iface.createDefaultRoute ? 'yes' : 'no'))
    : el('ip', {}, entry(iface.address));
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
        el('local-address', {}, leaf('interface', outerIf)),
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
    el('devices', {}, entry(DEVICE_ENTRY, network, el('deviceconfig', {}, deviceSystem(profile)))),
  );
}
