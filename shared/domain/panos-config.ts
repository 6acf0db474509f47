/**
 * What the preflight knows of one firewall's running configuration, read from PAN-OS
 * (`shared/adapters/panos/config-snapshot.ts` builds it), and the normalisation that lets two
 * firewalls' configurations be compared although every address differs between the AZs.
 *
 * Addresses are kept as PAN-OS writes them (`10.10.1.10/24`, `10.10.1.1`, an object name) and
 * resolved where the checks need the value (`ipOf`).
 */
import { canonicalCidr, ipv4ToNumber, isIpv4, isIpv4Cidr } from '../config/net.js';

export interface PanosInterface {
  readonly name: string;
  /** `layer3/dhcp-client` is configured (the address is leased, not written). */
  readonly dhcp: boolean;
  /** `layer3/dhcp-client/create-default-route` is `yes`. */
  readonly dhcpDefaultRoute: boolean;
  /** Static addresses as written in `layer3/ip/entry/@name` (a CIDR, an address, or an object name). */
  readonly entries: readonly string[];
  /** The same, with address objects resolved to their `ip-netmask` (unresolvable names left out). */
  readonly addresses: readonly string[];
  /** Entries naming an address object that does not exist. */
  readonly unresolved: readonly string[];
}

export type PanosNexthop =
  | { readonly kind: 'ip'; readonly address: string }
  | { readonly kind: 'discard' | 'next-vr' | 'none' | 'other'; readonly value?: string };

export interface PanosStaticRoute {
  /** `virtual-router` or `logical-router` entry name. */
  readonly router: string;
  readonly name: string;
  readonly destination: string | undefined;
  readonly nexthop: PanosNexthop;
  readonly interface: string | undefined;
  /** `route-table/no-install`: configured, never in the forwarding table. */
  readonly noInstall: boolean;
}

/** What NAT and security rules both match on: zones and addresses, as written. */
export interface PanosRuleMatch {
  readonly name: string;
  readonly disabled: boolean;
  readonly from: readonly string[];
  readonly to: readonly string[];
  readonly source: readonly string[];
  readonly destination: readonly string[];
}

export interface PanosNatRule extends PanosRuleMatch {
  readonly service: string | undefined;
  /** Source translation: `dynamic-ip-and-port`, `dynamic-ip`, `static-ip`, or `none`. */
  readonly sourceType: string;
  /** Translated source addresses (members, or the static-ip translated-address). */
  readonly sourceAddresses: readonly string[];
  /** `interface-address`: the interface, and its `ip` when one is named. */
  readonly sourceInterface: string | undefined;
  readonly sourceInterfaceIp: string | undefined;
  readonly translatedDestination: string | undefined;
}

export interface PanosIkeGateway {
  readonly name: string;
  readonly localInterface: string | undefined;
  /** `local-address/ip` as written (may be empty: the interface's first address). */
  readonly localIp: string | undefined;
  readonly peerIp: string | undefined;
}

export interface PanosIpsecTunnel {
  readonly name: string;
  readonly gateway: string | undefined;
  readonly tunnelInterface: string | undefined;
  readonly proxyIds: readonly string[];
}

export interface PanosGlobalProtect {
  readonly kind: 'portal' | 'gateway';
  readonly name: string;
  readonly interface: string | undefined;
  readonly ip: string | undefined;
}

export interface PanosZone {
  readonly name: string;
  readonly interfaces: readonly string[];
}

export interface PanosSecurityRule extends PanosRuleMatch {
  readonly application: readonly string[];
  readonly service: readonly string[];
  readonly action: string | undefined;
}

export interface PanosConfigSnapshot {
  readonly interfaces: readonly PanosInterface[];
  readonly staticRoutes: readonly PanosStaticRoute[];
  readonly natRules: readonly PanosNatRule[];
  readonly ikeGateways: readonly PanosIkeGateway[];
  readonly ipsecTunnels: readonly PanosIpsecTunnel[];
  readonly globalProtect: readonly PanosGlobalProtect[];
  readonly zones: readonly PanosZone[];
  readonly securityRules: readonly PanosSecurityRule[];
  /** Address objects (vsys and shared): name -> value (`ip-netmask`, `ip-range` or `fqdn`). */
  readonly addressObjects: Readonly<Record<string, string>>;
}

/** The address part of a CIDR or address (`10.0.1.10/24` -> `10.0.1.10`); `undefined` if neither. */
export function ipOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (isIpv4(v)) return v;
  if (isIpv4Cidr(v)) return v.split('/')[0];
  return undefined;
}

/** An address or object name resolved through the snapshot's address objects, to an address. */
export function resolveIp(snapshot: PanosConfigSnapshot, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return ipOf(value) ?? ipOf(snapshot.addressObjects[value]);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base = '', len = '32'] = cidr.split('/');
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((ipv4ToNumber(ip) & mask) >>> 0) === ((ipv4ToNumber(base) & mask) >>> 0);
}

/** The interface's address ips, in order. */
export function interfaceIps(iface: PanosInterface): string[] {
  return iface.addresses.flatMap((a) => ipOf(a) ?? []);
}

/** The interface's subnets (its addresses with a prefix length). */
export function interfaceSubnets(iface: PanosInterface): string[] {
  return [...new Set(iface.addresses.filter(isIpv4Cidr).map(canonicalCidr))];
}

/** The subnet's first host: what AWS answers as the VPC router (x.x.x.1 of a /24). */
export function vpcRouterOf(subnet: string): string {
  const [base = '0.0.0.0'] = canonicalCidr(subnet).split('/');
  const n = ipv4ToNumber(base) + 1;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/**
 * Longest-prefix match over the static routes that are installed and have an ip next hop or an
 * interface: the route a packet to `ip` takes. Connected subnets win over everything.
 */
export function routeFor(snapshot: PanosConfigSnapshot, ip: string): { interface: string | undefined; route: PanosStaticRoute | undefined } {
  for (const iface of snapshot.interfaces) {
    if (interfaceSubnets(iface).some((s) => inCidr(ip, s))) return { interface: iface.name, route: undefined };
  }
  let best: PanosStaticRoute | undefined;
  let bestLen = -1;
  for (const r of snapshot.staticRoutes) {
    if (r.noInstall || r.destination === undefined || !isIpv4Cidr(r.destination)) continue;
    const len = Number(r.destination.split('/')[1]);
    if (len > bestLen && inCidr(ip, r.destination)) {
      best = r;
      bestLen = len;
    }
  }
  if (!best) return { interface: undefined, route: undefined };
  const viaIp = best.nexthop.kind === 'ip' ? best.nexthop.address : undefined;
  const viaIface = best.interface ?? (viaIp ? snapshot.interfaces.find((i) => interfaceSubnets(i).some((s) => inCidr(viaIp, s)))?.name : undefined);
  return { interface: viaIface, route: best };
}

/**
 * An address written the same way on both firewalls: the k-th address of an interface becomes
 * `<ethernet1/1#k>`, another host of an interface's subnet `<ethernet1/1 subnet +n>` (the VPC
 * router is `+1`), anything else stays as written. Object names stay names.
 */
export function normaliseAddress(snapshot: PanosConfigSnapshot, value: string | undefined): string {
  if (value === undefined) return '-';
  const ip = ipOf(value);
  if (ip === undefined) return value;
  const suffix = value.includes('/') ? `/${value.split('/')[1]}` : '';
  for (const iface of snapshot.interfaces) {
    const k = interfaceIps(iface).indexOf(ip);
    if (k >= 0) return `<${iface.name}#${k}>${suffix}`;
  }
  for (const iface of snapshot.interfaces) {
    for (const subnet of interfaceSubnets(iface)) {
      if (inCidr(ip, subnet)) {
        const offset = ipv4ToNumber(ip) - ipv4ToNumber(subnet.split('/')[0] ?? '0.0.0.0');
        return `<${iface.name} subnet +${offset}>${suffix}`;
      }
    }
  }
  return value;
}

/**
 * The parts of the configuration that must be the same on both firewalls, one line per object
 * (`nat rule "outbound": ...`), addresses normalised. Order of rules matters (first match wins),
 * so rules carry their position.
 */
export function comparableLines(s: PanosConfigSnapshot): Map<string, string> {
  const n = (v: string | undefined) => normaliseAddress(s, v);
  const ns = (vs: readonly string[]) => vs.map(n).join(',');
  const out = new Map<string, string>();
  for (const i of s.interfaces) {
    out.set(`interface ${i.name}`, i.dhcp ? 'dhcp' : `${i.entries.length} address(es): ${i.entries.map((e) => (ipOf(e) ? n(e) : e)).join(', ')}`);
  }
  for (const z of s.zones) out.set(`zone ${z.name}`, [...z.interfaces].sort().join(','));
  for (const r of s.staticRoutes) {
    out.set(`route ${r.router}/${r.name}`, `${r.destination ?? '-'} via ${r.nexthop.kind === 'ip' ? n(r.nexthop.address) : r.nexthop.kind} on ${r.interface ?? '-'}${r.noInstall ? ' (no-install)' : ''}`);
  }
  for (const g of s.ikeGateways) out.set(`ike gateway ${g.name}`, `local ${g.localInterface ?? '-'} ${n(g.localIp)}, peer ${g.peerIp ?? '-'}`);
  for (const t of s.ipsecTunnels) out.set(`ipsec tunnel ${t.name}`, `gateway ${t.gateway ?? '-'}, ${t.tunnelInterface ?? '-'}, proxy-ids ${t.proxyIds.join(',') || '-'}`);
  s.natRules.forEach((r, i) =>
    out.set(
      `nat rule ${r.name}`,
      `#${i + 1}${r.disabled ? ' disabled' : ''} ${r.from.join(',')} -> ${r.to.join(',')} src ${ns(r.source)} dst ${ns(r.destination)} svc ${r.service ?? '-'}; ` +
        `source ${r.sourceType} ${ns(r.sourceAddresses)}${r.sourceInterface ? ` if ${r.sourceInterface} ${n(r.sourceInterfaceIp)}` : ''}; dest ${n(r.translatedDestination)}`,
    ),
  );
  s.securityRules.forEach((r, i) =>
    out.set(
      `security rule ${r.name}`,
      `#${i + 1}${r.disabled ? ' disabled' : ''} ${r.from.join(',')} -> ${r.to.join(',')} src ${ns(r.source)} dst ${ns(r.destination)} app ${r.application.join(',')} svc ${r.service.join(',')} ${r.action ?? '-'}`,
    ),
  );
  for (const g of s.globalProtect) out.set(`globalprotect ${g.kind} ${g.name}`, `${g.interface ?? '-'} ${n(g.ip)}`);
  for (const [name, value] of Object.entries(s.addressObjects)) out.set(`address ${name}`, n(value));
  return out;
}

/** Differences between two firewalls' comparable lines, readable (`only on fw-a: ...`, `differs: ...`). */
export function configDiff(a: { name: string; snapshot: PanosConfigSnapshot }, b: { name: string; snapshot: PanosConfigSnapshot }): string[] {
  const la = comparableLines(a.snapshot);
  const lb = comparableLines(b.snapshot);
  const out: string[] = [];
  for (const [key, va] of la) {
    const vb = lb.get(key);
    if (vb === undefined) out.push(`only on ${a.name}: ${key} (${va})`);
    else if (vb !== va) out.push(`${key}: ${a.name} ${va} | ${b.name} ${vb}`);
  }
  for (const [key, vb] of lb) if (!la.has(key)) out.push(`only on ${b.name}: ${key} (${vb})`);
  return out;
}
