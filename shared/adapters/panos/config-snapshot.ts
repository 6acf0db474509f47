/**
 * Reads the parts of a firewall's running configuration the preflight checks, read-only
 * (`type=config&action=show`, three xpaths), into a `PanosConfigSnapshot`.
 *
 * Config paths (see the PAN-OS XML API reference): `D` = `/config/devices/entry[@name='localhost.localdomain']`,
 * `V` = `D/vsys/entry[@name='vsys1']`. From `D/network`: ethernet interfaces (static
 * `layer3/ip/entry` or `layer3/dhcp-client`), static routes of every virtual router (or logical
 * router, advanced routing), IKE gateways and IPsec tunnels. From `V`: zones, NAT and security
 * rules, address objects, GlobalProtect portals and gateways. From `/config/shared/address`:
 * shared address objects.
 *
 * Tolerant of what varies between releases (a missing section is empty), strict about size: a
 * list longer than `MAX_ENTRIES` is refused with `FirewallMalformedResponseError` (the response
 * itself is already capped by the client).
 */
import { FirewallMalformedResponseError } from '../../errors.js';
import type {
  PanosConfigSnapshot,
  PanosGlobalProtect,
  PanosIkeGateway,
  PanosInterface,
  PanosIpsecTunnel,
  PanosNatRule,
  PanosRuleMatch,
  PanosNexthop,
  PanosSecurityRule,
  PanosStaticRoute,
  PanosZone,
} from '../../domain/panos-config.js';
import { ipOf } from '../../domain/panos-config.js';
import type { CallOptions, ConfigNode, FirewallApi } from '../../ports/firewall.js';

export const DEVICE_XPATH = "/config/devices/entry[@name='localhost.localdomain']";
export const VSYS_XPATH = `${DEVICE_XPATH}/vsys/entry[@name='vsys1']`;
export const CONFIG_XPATHS = {
  network: `${DEVICE_XPATH}/network`,
  vsys: VSYS_XPATH,
  sharedAddress: '/config/shared/address',
} as const;

/** More entries in one list than any real firewall holds (rulebases stay in the low thousands). */
export const MAX_ENTRIES = 20_000;

type Value = ConfigNode | readonly ConfigNode[] | string | undefined;

/** The first of a repeated element, or the element. */
function firstOf(v: Value): ConfigNode | string | undefined {
  return Array.isArray(v) ? (v as readonly ConfigNode[])[0] : (v as ConfigNode | string | undefined);
}

class Reader {
  constructor(readonly target: string) {}

  /** The node (first one when repeated); an empty element (`<x/>`) is an empty node. */
  node(v: Value): ConfigNode | undefined {
    const first = firstOf(v);
    if (typeof first === 'string') return first.trim() === '' ? {} : undefined;
    return first;
  }

  at(v: Value, ...path: string[]): Value {
    let cur: Value = v;
    for (const key of path) {
      const n = this.node(cur);
      if (n === undefined || !Object.hasOwn(n, key)) return undefined;
      cur = n[key];
    }
    return cur;
  }

  has(v: Value, ...path: string[]): boolean {
    return this.at(v, ...path) !== undefined;
  }

  text(v: Value): string | undefined {
    const first = firstOf(v);
    const inner = typeof first === 'object' ? first['#text'] : undefined;
    const s = typeof first === 'string' ? first : typeof inner === 'string' ? inner : undefined;
    const t = s?.trim();
    return t === '' ? undefined : t;
  }

  #capped<T>(items: readonly T[], what: string): readonly T[] {
    if (items.length > MAX_ENTRIES) throw new FirewallMalformedResponseError(this.target, `config: ${items.length} ${what} (more than ${MAX_ENTRIES})`);
    return items;
  }

  /** `entry` children with their name; nameless entries are skipped (nothing can refer to them). */
  entries(v: Value): { name: string; node: ConfigNode }[] {
    const raw = this.at(v, 'entry');
    const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    return this.#capped(list, 'entries').flatMap((e) => {
      const node = this.node(e as Value);
      const name = node ? this.text(node['@_name']) : undefined;
      return node && name !== undefined ? [{ name, node }] : [];
    });
  }

  /** `member` texts, or the element's own text (`<service>any</service>`). */
  members(v: Value): string[] {
    const own = typeof v === 'string' ? this.text(v) : undefined;
    if (own !== undefined) return [own];
    const raw = this.at(v, 'member');
    const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    return this.#capped(list, 'members').flatMap((m) => this.text(m as Value) ?? []);
  }
}

function interfacesOf(r: Reader, network: Value, objects: Readonly<Record<string, string>>): PanosInterface[] {
  const out: PanosInterface[] = [];
  const add = (name: string, node: ConfigNode) => {
    const l3 = r.at(node, 'layer3');
    if (l3 === undefined) return;
    const entries = r.entries(r.at(l3, 'ip')).map((e) => e.name);
    const addresses: string[] = [];
    const unresolved: string[] = [];
    for (const e of entries) {
      if (ipOf(e) !== undefined) addresses.push(e);
      else if (objects[e] !== undefined && ipOf(objects[e]) !== undefined) addresses.push(objects[e]);
      else unresolved.push(e);
    }
    const dhcp = r.at(l3, 'dhcp-client');
    const dhcpEnabled = dhcp !== undefined && r.text(r.at(dhcp, 'enable'))?.toLowerCase() !== 'no';
    out.push({
      name,
      dhcp: dhcpEnabled,
      dhcpDefaultRoute: dhcpEnabled && r.text(r.at(dhcp, 'create-default-route'))?.toLowerCase() === 'yes',
      entries,
      addresses,
      unresolved,
    });
  };
  for (const e of r.entries(r.at(network, 'interface', 'ethernet'))) {
    add(e.name, e.node);
    for (const unit of r.entries(r.at(e.node, 'layer3', 'units'))) add(unit.name, unit.node);
  }
  return out;
}

function nexthopOf(r: Reader, v: Value): PanosNexthop {
  if (v === undefined) return { kind: 'none' };
  const ip = r.text(r.at(v, 'ip-address')) ?? r.text(r.at(v, 'ipv4-address'));
  if (ip !== undefined) return { kind: 'ip', address: ip };
  if (r.has(v, 'discard')) return { kind: 'discard' };
  const vr = r.text(r.at(v, 'next-vr')) ?? r.text(r.at(v, 'next-lr'));
  if (vr !== undefined) return { kind: 'next-vr', value: vr };
  return { kind: 'other' };
}

function routesOf(r: Reader, network: Value): PanosStaticRoute[] {
  const out: PanosStaticRoute[] = [];
  const fromTable = (router: string, table: Value) => {
    for (const e of r.entries(r.at(table, 'ip', 'static-route'))) {
      out.push({
        router,
        name: e.name,
        destination: r.text(r.at(e.node, 'destination')),
        nexthop: nexthopOf(r, r.at(e.node, 'nexthop')),
        interface: r.text(r.at(e.node, 'interface')),
        noInstall: r.has(e.node, 'route-table', 'no-install'),
      });
    }
  };
  for (const vr of r.entries(r.at(network, 'virtual-router'))) fromTable(vr.name, r.at(vr.node, 'routing-table'));
  for (const lr of r.entries(r.at(network, 'logical-router'))) {
    for (const vrf of r.entries(r.at(lr.node, 'vrf'))) fromTable(`${lr.name}/${vrf.name}`, r.at(vrf.node, 'routing-table'));
  }
  return out;
}

function ikeGatewaysOf(r: Reader, network: Value): PanosIkeGateway[] {
  return r.entries(r.at(network, 'ike', 'gateway')).map((e) => {
    const local = r.at(e.node, 'local-address');
    return {
      name: e.name,
      localInterface: r.text(r.at(local, 'interface')),
      localIp: r.text(r.at(local, 'ip')) ?? r.text(r.at(local, 'floating-ip')),
      peerIp: r.text(r.at(e.node, 'peer-address', 'ip')),
    };
  });
}

function tunnelsOf(r: Reader, network: Value): PanosIpsecTunnel[] {
  return r.entries(r.at(network, 'tunnel', 'ipsec')).map((e) => ({
    name: e.name,
    gateway: r.entries(r.at(e.node, 'auto-key', 'ike-gateway'))[0]?.name,
    tunnelInterface: r.text(r.at(e.node, 'tunnel-interface')),
    proxyIds: r.entries(r.at(e.node, 'auto-key', 'proxy-id')).map((p) => p.name),
  }));
}

/** What NAT and security rules match on, read the same way for both (PanosRuleMatch). */
function ruleMatchOf(r: Reader, e: { name: string; node: ConfigNode }): PanosRuleMatch {
  return {
    name: e.name,
    disabled: r.text(r.at(e.node, 'disabled'))?.toLowerCase() === 'yes',
    from: r.members(r.at(e.node, 'from')),
    to: r.members(r.at(e.node, 'to')),
    source: r.members(r.at(e.node, 'source')),
    destination: r.members(r.at(e.node, 'destination')),
  };
}

function natRulesOf(r: Reader, vsys: Value): PanosNatRule[] {
  return r.entries(r.at(vsys, 'rulebase', 'nat', 'rules')).map((e) => {
    const st = r.node(r.at(e.node, 'source-translation'));
    const type = st ? (['dynamic-ip-and-port', 'dynamic-ip', 'static-ip'].find((t) => r.has(st, t)) ?? 'other') : 'none';
    const body = st ? r.at(st, type) : undefined;
    const translated = r.at(body, 'translated-address');
    const ifAddr = r.at(body, 'interface-address');
    const dt = r.at(e.node, 'destination-translation') ?? r.at(e.node, 'dynamic-destination-translation');
    return {
      ...ruleMatchOf(r, e),
      service: r.text(r.at(e.node, 'service')),
      sourceType: type,
      sourceAddresses: translated === undefined ? [] : r.members(translated),
      sourceInterface: r.text(r.at(ifAddr, 'interface')),
      sourceInterfaceIp: r.text(r.at(ifAddr, 'ip')),
      translatedDestination: r.text(r.at(dt, 'translated-address')),
    };
  });
}

function securityRulesOf(r: Reader, vsys: Value): PanosSecurityRule[] {
  return r.entries(r.at(vsys, 'rulebase', 'security', 'rules')).map((e) => ({
    ...ruleMatchOf(r, e),
    application: r.members(r.at(e.node, 'application')),
    service: r.members(r.at(e.node, 'service')),
    action: r.text(r.at(e.node, 'action')),
  }));
}

function zonesOf(r: Reader, vsys: Value): PanosZone[] {
  return r.entries(r.at(vsys, 'zone')).map((e) => ({
    name: e.name,
    interfaces: r.members(r.at(e.node, 'network', 'layer3')),
  }));
}

function globalProtectOf(r: Reader, vsys: Value): PanosGlobalProtect[] {
  const gp = r.at(vsys, 'global-protect');
  const local = (kind: 'portal' | 'gateway', name: string, v: Value): PanosGlobalProtect => ({
    kind,
    name,
    interface: r.text(r.at(v, 'interface')),
    ip: r.text(r.at(v, 'ip', 'ipv4')) ?? r.text(r.at(v, 'ip')),
  });
  return [
    ...r.entries(r.at(gp, 'global-protect-portal')).map((e) => local('portal', e.name, r.at(e.node, 'portal-config', 'local-address'))),
    ...r.entries(r.at(gp, 'global-protect-gateway')).map((e) => local('gateway', e.name, r.at(e.node, 'local-address'))),
  ];
}

function addressObjectsOf(r: Reader, ...lists: Value[]): Record<string, string> {
  const out: Record<string, string> = {};
  // Shared first: a vsys object of the same name hides the shared one.
  for (const list of lists) {
    for (const e of r.entries(list)) {
      const value = r.text(r.at(e.node, 'ip-netmask')) ?? r.text(r.at(e.node, 'ip-range')) ?? r.text(r.at(e.node, 'fqdn'));
      if (value !== undefined) out[e.name] = value;
    }
  }
  return out;
}

/**
 * The snapshot from the three `config show` results (each the whole `result` node: `{ network }`,
 * `{ entry: [vsys1] }`, `{ address }`; `undefined` when not present).
 */
export function snapshotFromConfig(
  parts: { network: ConfigNode | undefined; vsys: ConfigNode | undefined; sharedAddress: ConfigNode | undefined },
  target: string,
): PanosConfigSnapshot {
  const r = new Reader(target);
  const network = r.at(parts.network, 'network');
  const vsys = r.entries(parts.vsys)[0]?.node ?? r.node(r.at(parts.vsys, 'entry'));
  const addressObjects = addressObjectsOf(r, r.at(parts.sharedAddress, 'address'), r.at(vsys, 'address'));
  return {
    interfaces: interfacesOf(r, network, addressObjects),
    staticRoutes: routesOf(r, network),
    natRules: natRulesOf(r, vsys),
    ikeGateways: ikeGatewaysOf(r, network),
    ipsecTunnels: tunnelsOf(r, network),
    globalProtect: globalProtectOf(r, vsys),
    zones: zonesOf(r, vsys),
    securityRules: securityRulesOf(r, vsys),
    addressObjects,
  };
}

/** Reads the running configuration the preflight needs: three `config show` calls, one at a time. */
export async function readConfigSnapshot(api: FirewallApi, options?: CallOptions): Promise<PanosConfigSnapshot> {
  const network = await api.configShow(CONFIG_XPATHS.network, options);
  const vsys = await api.configShow(CONFIG_XPATHS.vsys, options);
  const sharedAddress = await api.configShow(CONFIG_XPATHS.sharedAddress, options);
  return snapshotFromConfig({ network, vsys, sharedAddress }, api.target);
}
