/**
 * Preflight, PAN-OS side: pure checks of what each firewall's running configuration must hold
 * for a failover to work on AWS, from what was read (configuration snapshot, `show system
 * info`, licences) and what EC2 reports (the instance's ENIs, scheduled events). No I/O here:
 * `shared/usecases/preflight.ts` reads, this decides.
 *
 * Each result is `pass`, `warn`, `fail`, `skip` (nothing to check: a stopped cold standby) or
 * `unknown` (could not be checked: the firewall did not answer), with the evidence in `detail`
 * and, when not passing, what to change in `fix`.
 */
import type { FirewallConfig, PairConfig, Role } from '../config/schema.js';
import { ROLES } from '../config/schema.js';
import { classifyIpv4, isIpv4 } from '../config/net.js';
import type { InstanceInfo, InstanceNetworkInterface } from '../ports/ec2.js';
import type { LicenseInfo, SystemInfo } from '../ports/firewall.js';
import {
  configDiff,
  comparableLines,
  inCidr,
  interfaceIps,
  interfaceSubnets,
  resolveIp,
  routeFor,
  vpcRouterOf,
  type PanosConfigSnapshot,
} from './panos-config.js';

export const PANOS_CHECKS = [
  'panos-read',
  'panos-static-addresses',
  'panos-interface-addresses',
  'panos-routes',
  'panos-eip-in-use',
  'panos-tunnels',
  'panos-management',
  'panos-config-match',
  'panos-licence',
  'panos-versions',
  'ec2-scheduled-events',
] as const;
export type PanosCheckId = (typeof PANOS_CHECKS)[number];

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip' | 'unknown';

export interface CheckResult {
  readonly check: PanosCheckId;
  readonly subject: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
}

/** What was read from one firewall: all of it, or why not. */
export type FirewallReading =
  | { readonly kind: 'read'; readonly snapshot: PanosConfigSnapshot; readonly system: SystemInfo; readonly licenses: readonly LicenseInfo[] }
  | { readonly kind: 'not-running'; readonly state: string }
  | { readonly kind: 'error'; readonly error: string };

export interface FirewallFacts {
  readonly role: Role;
  readonly firewall: FirewallConfig;
  /** `undefined`: EC2 does not know the instance (the AWS checks report it). */
  readonly instance: InstanceInfo | undefined;
  readonly reading: FirewallReading;
}

/** Licences expiring sooner than this are a warning. */
export const LICENCE_WARN_DAYS = 30;
const DAY_MS = 86_400_000;
/** At most this many lines of a configuration diff in one result (the rest counted). */
export const MAX_DIFF_LINES = 25;

const RETIRING = /retirement|instance-stop/i;

/** Device index of the management ENI: eth0, or eth1 with mgmt-interface-swap. */
export const mgmtDeviceIndex = (fw: FirewallConfig) => (fw.management.interfaceSwap ? 1 : 0);

/**
 * The dataplane interface each ENI is, by device order: the ENIs other than management's,
 * sorted by device index, are ethernet1/1, ethernet1/2, ... (eth0 = management, eth1 =
 * ethernet1/1; with mgmt-interface-swap eth0 = ethernet1/1 and eth1 = management).
 */
export function interfaceByEni(fw: FirewallConfig, instance: InstanceInfo): Map<string, { name: string; eni: InstanceNetworkInterface }> {
  const mgmt = mgmtDeviceIndex(fw);
  const dataplane = [...instance.networkInterfaces].filter((n) => n.deviceIndex !== mgmt).sort((a, b) => a.deviceIndex - b.deviceIndex);
  return new Map(dataplane.map((eni, i) => [eni.networkInterfaceId, { name: `ethernet1/${i + 1}`, eni }]));
}

const fmtDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function eipLabel(pair: PairConfig, allocationId: string): string {
  const e = pair.elasticIps.find((x) => x.allocationId === allocationId);
  return e?.publicIp ? `${e.publicIp} (${allocationId})` : allocationId;
}

/**
 * Every check of one pair. `now` for licence expiry; `active` is the firewall that carries the
 * traffic (the recorded owner), so a scheduled retirement is named for what it means.
 */
export function panosChecks(pair: PairConfig, facts: Readonly<Record<Role, FirewallFacts>>, now: number, active: Role = 'primary'): CheckResult[] {
  const out: CheckResult[] = [];
  const add = (check: PanosCheckId, subject: string, status: CheckStatus, detail: string, fix?: string) =>
    out.push(fix === undefined || status === 'pass' ? { check, subject, status, detail } : { check, subject, status, detail, fix });
  const managedPublic = new Set(pair.elasticIps.flatMap((e) => (e.publicIp ? [e.publicIp] : [])));

  for (const role of ROLES) {
    const f = facts[role];
    const fw = f.firewall;
    const r = f.reading;
    if (r.kind === 'not-running') {
      const cold = role === 'secondary' ? pair.standbyMode === 'cold' : false;
      add(
        'panos-read',
        fw.name,
        'skip',
        `instance is ${r.state}: PAN-OS can only be read while it runs`,
        cold || r.state === 'stopped' ? `run pan-failover drill -p ${pair.name}: it starts ${fw.name}, runs these checks on it against the active and stops it again (traffic untouched)` : undefined,
      );
      continue;
    }
    if (r.kind === 'error') {
      add('panos-read', fw.name, 'unknown', `could not read PAN-OS: ${r.error}`, 'check the management address, the API key and that the controller may reach TCP 443');
      continue;
    }
    add('panos-read', fw.name, 'pass', `PAN-OS ${r.system.swVersion ?? '?'} (${r.system.hostname ?? '?'}), ${r.snapshot.interfaces.length} interfaces, ${r.snapshot.natRules.length} NAT rules, ${r.snapshot.ikeGateways.length} IKE gateways`);
    if (f.instance) firewallChecks(pair, role, f.instance, r.snapshot, r.system, r.licenses, now, add, managedPublic);
  }
  pairChecks(pair, facts, add);
  for (const role of ROLES) scheduledEvents(role, active, facts[role], add);
  return out;
}

type Add = (check: PanosCheckId, subject: string, status: CheckStatus, detail: string, fix?: string) => void;

function firewallChecks(
  pair: PairConfig,
  role: Role,
  instance: InstanceInfo,
  s: PanosConfigSnapshot,
  system: SystemInfo,
  licenses: readonly LicenseInfo[],
  now: number,
  add: Add,
  managedPublic: ReadonlySet<string>,
): void {
  const fw = pair.firewalls[role];
  const byEni = interfaceByEni(fw, instance);
  const ifaces = new Map(s.interfaces.map((i) => [i.name, i]));
  // ENIs the pair uses on this side: route targets and EIP ENIs.
  const used = new Set<string>([...pair.routes.map((r) => r.targets[role]), ...pair.elasticIps.map((e) => e[role].networkInterfaceId)]);
  const eipsOn = (eni: string) => pair.elasticIps.filter((e) => e[role].networkInterfaceId === eni);

  for (const eniId of used) {
    const at = byEni.get(eniId);
    if (!at) continue; // not attached: the AWS check eni-attachment says so
    const subject = `${fw.name} ${at.name} (${eniId})`;
    const iface = ifaces.get(at.name);
    const want = at.eni.privateIps;
    if (!iface) {
      add('panos-static-addresses', subject, 'fail', `${at.name} is not configured as a layer-3 interface`, `configure ${at.name} with the static address(es) ${want.join(', ')}`);
      continue;
    }
    if (iface.dhcp) {
      add(
        'panos-static-addresses',
        subject,
        'fail',
        `DHCP client${iface.dhcpDefaultRoute ? ' (with create-default-route)' : ''}: a failed lease renewal takes the interface down, and a secondary private IP is never leased`,
        `set ${at.name} to static ${want.map((ip) => `${ip}/<subnet length>`).join(', ')} and remove its DHCP client`,
      );
      continue;
    }
    if (iface.unresolved.length > 0) {
      add('panos-static-addresses', subject, 'fail', `address object(s) ${iface.unresolved.join(', ')} do not exist`, `create the address objects or write the addresses`);
      continue;
    }
    add('panos-static-addresses', subject, 'pass', `static ${iface.entries.join(', ')}`);

    const have = interfaceIps(iface);
    const missing = want.filter((ip) => !have.includes(ip));
    const extra = have.filter((ip) => !want.includes(ip));
    const eipNotes = eipsOn(eniId)
      .filter((e) => missing.includes(e[role].privateIp))
      .map((e) => `${e[role].privateIp} carries ${eipLabel(pair, e.allocationId)}`);
    if (missing.length === 0 && extra.length === 0) {
      add('panos-interface-addresses', subject, 'pass', `${have.join(', ')}: exactly the ENI's private IPs`);
    } else {
      const parts = [
        ...(missing.length > 0 ? [`missing ${missing.join(', ')} (on the ENI${eipNotes.length > 0 ? `; ${eipNotes.join('; ')}` : ''})`] : []),
        ...(extra.length > 0 ? [`has ${extra.join(', ')}, which the ENI does not have (EC2 delivers nothing to it)`] : []),
      ];
      add(
        'panos-interface-addresses',
        subject,
        'fail',
        `${at.name} has ${have.join(', ') || 'no address'}; ${parts.join('; ')}`,
        `make ${at.name}'s addresses exactly ${want.join(', ')} (primary first), each with its subnet's prefix length`,
      );
    }
  }

  routeChecks(pair, fw.name, s, add, managedPublic);
  eipUse(pair, role, s, add);
  tunnelChecks(pair, fw.name, s, add);
  managementCheck(fw, instance, system, add);
  licenceCheck(fw.name, system, licenses, now, add);
}

function routeChecks(pair: PairConfig, name: string, s: PanosConfigSnapshot, add: Add, managedPublic: ReadonlySet<string>): void {
  const managed = new Set(['0.0.0.0/0', ...pair.routes.map((r) => r.destination)]);
  const relevant = s.staticRoutes.filter((r) => !r.noInstall && r.destination !== undefined && managed.has(r.destination));
  if (!relevant.some((r) => r.destination === '0.0.0.0/0')) {
    const dhcp = s.interfaces.find((i) => i.dhcpDefaultRoute);
    add(
      'panos-routes',
      `${name} 0.0.0.0/0`,
      'fail',
      dhcp ? `no static default route: it comes from the DHCP client of ${dhcp.name}` : 'no static default route',
      'add a static default route to the untrust subnet\'s VPC router (its first address, x.x.x.1) on the untrust interface',
    );
  }
  for (const r of relevant) {
    const subject = `${name} ${r.destination ?? '?'} (${r.router}/${r.name})`;
    if (r.nexthop.kind !== 'ip') {
      if (r.destination === '0.0.0.0/0') add('panos-routes', subject, 'fail', `next hop is ${r.nexthop.kind}${r.nexthop.value ? ` ${r.nexthop.value}` : ''}, not the VPC router`, 'use the untrust subnet\'s VPC router as next hop');
      else add('panos-routes', subject, 'pass', `via ${r.interface ?? r.nexthop.kind} (no next-hop address)`);
      continue;
    }
    const hop = r.nexthop.address;
    const iface = r.interface === undefined ? s.interfaces.find((i) => interfaceSubnets(i).some((sn) => isIpv4(hop) && inCidr(hop, sn))) : s.interfaces.find((i) => i.name === r.interface);
    const subnets = iface ? interfaceSubnets(iface) : [];
    const fixHop = subnets[0] ? `use ${vpcRouterOf(subnets[0])}, the VPC router of ${iface?.name ?? '?'}'s subnet ${subnets[0]}` : 'use the VPC router of the interface\'s subnet (its first address)';
    if (!isIpv4(hop)) {
      add('panos-routes', subject, 'fail', `next hop "${hop}" is not an IPv4 address`, fixHop);
    } else if (managedPublic.has(hop)) {
      add('panos-routes', subject, 'fail', `next hop ${hop} is a managed Elastic IP: AWS routes nothing to a public address inside the VPC`, fixHop);
    } else if (classifyIpv4(hop) !== 'private') {
      add('panos-routes', subject, 'fail', `next hop ${hop} is a ${classifyIpv4(hop)} address, not the VPC router`, fixHop);
    } else if (!subnets.some((sn) => inCidr(hop, sn))) {
      add('panos-routes', subject, 'fail', `next hop ${hop} is outside the subnet of ${iface?.name ?? r.interface ?? 'any interface'} (${subnets.join(', ') || 'no static address'})`, fixHop);
    } else if (!subnets.some((sn) => vpcRouterOf(sn) === hop)) {
      add('panos-routes', subject, 'warn', `next hop ${hop} is in ${iface?.name ?? '?'}'s subnet but is not its VPC router (${subnets.map(vpcRouterOf).join(', ')})`, fixHop);
    } else {
      add('panos-routes', subject, 'pass', `via ${hop}, the VPC router of ${iface?.name ?? '?'}'s subnet`);
    }
  }
}

/** Who uses a private address on this firewall: NAT rules, IKE gateways, GlobalProtect. */
function usersOf(s: PanosConfigSnapshot, ip: string): string[] {
  const is = (v: string | undefined) => resolveIp(s, v) === ip;
  const firstOf = (ifname: string | undefined) => {
    const iface = s.interfaces.find((i) => i.name === ifname);
    return iface ? interfaceIps(iface)[0] : undefined;
  };
  const users: string[] = [];
  for (const r of s.natRules) {
    if (r.disabled) continue;
    const bySource =
      r.sourceAddresses.some(is) || is(r.sourceInterfaceIp) || (r.sourceInterface !== undefined && r.sourceInterfaceIp === undefined && firstOf(r.sourceInterface) === ip);
    if (bySource) users.push(`NAT rule "${r.name}" (source)`);
    else if (r.destination.some(is)) users.push(`NAT rule "${r.name}" (destination)`);
  }
  for (const g of s.ikeGateways) if (is(g.localIp) || (g.localIp === undefined && firstOf(g.localInterface) === ip)) users.push(`IKE gateway "${g.name}"`);
  for (const g of s.globalProtect) if (is(g.ip) || (g.ip === undefined && firstOf(g.interface) === ip)) users.push(`GlobalProtect ${g.kind} "${g.name}"`);
  return users;
}

function eipUse(pair: PairConfig, role: Role, s: PanosConfigSnapshot, add: Add): void {
  const name = pair.firewalls[role].name;
  for (const e of pair.elasticIps) {
    const ip = e[role].privateIp;
    const users = usersOf(s, ip);
    const subject = `${name} ${ip} (${eipLabel(pair, e.allocationId)})`;
    if (users.length > 0) add('panos-eip-in-use', subject, 'pass', `used by ${users.join(', ')}`);
    else
      add(
        'panos-eip-in-use',
        subject,
        'warn',
        `no NAT rule, IKE gateway or GlobalProtect portal/gateway uses ${ip}: the public address answers nothing on ${name}`,
        `add the NAT rule (or service) that uses ${ip} on ${name}, or stop managing ${e.allocationId}`,
      );
  }
}

function tunnelChecks(pair: PairConfig, name: string, s: PanosConfigSnapshot, add: Add): void {
  const own = new Map(s.interfaces.flatMap((i) => interfaceIps(i).map((ip) => [ip, i.name] as const)));
  const eipPrivate = new Set(pair.elasticIps.flatMap((e) => ROLES.map((r) => e[r].privateIp)));
  for (const t of pair.tunnels) {
    const subject = `${name} ${t.name}`;
    const tunnel = s.ipsecTunnels.find((x) => x.name === t.name);
    if (!tunnel) {
      add('panos-tunnels', subject, 'fail', `no IPsec tunnel "${t.name}" (has: ${s.ipsecTunnels.map((x) => x.name).join(', ') || 'none'})`, `create the tunnel on ${name} as on the other firewall`);
      continue;
    }
    const gw = s.ikeGateways.find((g) => g.name === tunnel.gateway);
    if (!gw) {
      add('panos-tunnels', subject, 'fail', `its IKE gateway "${tunnel.gateway ?? '(none)'}" does not exist`, 'create the IKE gateway, or point the tunnel at the right one');
      continue;
    }
    const localIface = s.interfaces.find((i) => i.name === gw.localInterface);
    const localIp = gw.localIp === undefined ? (localIface ? interfaceIps(localIface)[0] : undefined) : resolveIp(s, gw.localIp);
    if (localIp === undefined || own.get(localIp) === undefined) {
      add(
        'panos-tunnels',
        subject,
        'fail',
        `IKE gateway "${gw.name}" binds to ${gw.localIp ?? '(the first address of ' + (gw.localInterface ?? '?') + ')'} on ${gw.localInterface ?? '?'}, which is not an address of ${name} (${[...own.keys()].join(', ')})`,
        `set the gateway's local address to ${name}'s own untrust address that carries the tunnel's Elastic IP`,
      );
      continue;
    }
    if (gw.localInterface !== undefined && own.get(localIp) !== gw.localInterface) {
      add('panos-tunnels', subject, 'fail', `IKE gateway "${gw.name}" local address ${localIp} is on ${own.get(localIp) ?? '?'}, not on its interface ${gw.localInterface}`, 'use an address of the gateway\'s own interface');
      continue;
    }
    const peer = gw.peerIp;
    if (peer === undefined || !isIpv4(peer)) {
      add('panos-tunnels', subject, 'pass', `gateway "${gw.name}" on ${localIp}; peer ${peer ?? 'dynamic'} not checked (not an address)`);
      continue;
    }
    const via = routeFor(s, peer);
    if (via.interface !== gw.localInterface) {
      add(
        'panos-tunnels',
        subject,
        'fail',
        `peer ${peer} is routed through ${via.interface ?? 'no interface (no route)'}, not through ${gw.localInterface ?? '?'}, where the gateway listens`,
        `route ${peer} (or the default route) through ${gw.localInterface ?? 'the untrust interface'}`,
      );
      continue;
    }
    if (!eipPrivate.has(localIp)) {
      add('panos-tunnels', subject, 'warn', `gateway "${gw.name}" on ${localIp}, which carries no managed Elastic IP: the peer's address for this firewall does not move with a failover`, 'bind the gateway to the private IP of the Elastic IP the peer dials');
      continue;
    }
    add('panos-tunnels', subject, 'pass', `gateway "${gw.name}" on ${gw.localInterface ?? '?'} ${localIp}, peer ${peer} via ${via.interface ?? '?'}`);
  }
}

function managementCheck(fw: FirewallConfig, instance: InstanceInfo, system: SystemInfo, add: Add): void {
  const subject = `${fw.name} management`;
  const reported = system.ipAddress;
  if (reported === undefined || !isIpv4(reported)) {
    add('panos-management', subject, 'unknown', `show system info reports no management address (${reported ?? 'none'})`);
    return;
  }
  const holder = instance.networkInterfaces.find((n) => n.privateIps.includes(reported));
  const want = mgmtDeviceIndex(fw);
  const host = fw.management.host;
  if (holder && holder.deviceIndex !== want) {
    add(
      'panos-management',
      subject,
      'fail',
      `PAN-OS management is on eth${holder.deviceIndex} (${holder.networkInterfaceId}), the configuration says eth${want}${fw.management.interfaceSwap ? ' (mgmt-interface-swap)' : ''}: the interfaces are mapped the other way`,
      fw.management.interfaceSwap ? 'remove management.interfaceSwap, or enable mgmt-interface-swap on the firewall' : 'set management.interfaceSwap: true, or disable mgmt-interface-swap on the firewall',
    );
  } else if (isIpv4(host) && classifyIpv4(host) !== 'loopback' && host !== reported) {
    add('panos-management', subject, 'fail', `the controller probes ${host}, PAN-OS reports its management address as ${reported}`, `set management.host of ${fw.name} to ${reported}, or fix the management interface`);
  } else if (!holder) {
    add('panos-management', subject, 'fail', `PAN-OS reports management address ${reported}, which no ENI of ${instance.instanceId} has`, 'check the management interface configuration (deviceconfig/system)');
  } else {
    add('panos-management', subject, 'pass', `${reported} on eth${holder.deviceIndex}${fw.management.interfaceSwap ? ' (mgmt-interface-swap)' : ''}${isIpv4(host) && classifyIpv4(host) !== 'loopback' ? ', as probed' : ''}`);
  }
}

function licenceCheck(name: string, system: SystemInfo, licenses: readonly LicenseInfo[], now: number, add: Add): void {
  const subject = `${name} licences`;
  const base = licenses.find((l) => l.feature === 'PA-VM');
  if (!base || (system.vmLicense ?? '').toLowerCase() === 'none') {
    add('panos-licence', subject, 'fail', `no VM-Series licence (vm-license ${system.vmLicense ?? '?'}; ${licenses.length} licence entries)`, 'license the firewall (auth code or Panorama), then check again');
    return;
  }
  const expired = licenses.filter((l) => l.expired || (l.expiresAt !== undefined && l.expiresAt + DAY_MS <= now));
  const soon = licenses.filter((l) => !expired.includes(l) && l.expiresAt !== undefined && l.expiresAt - now < LICENCE_WARN_DAYS * DAY_MS);
  const fmt = (l: LicenseInfo) => `${l.feature} ${l.expires ?? '?'}`;
  if (expired.length > 0) {
    add('panos-licence', subject, 'fail', `expired: ${expired.map(fmt).join('; ')}`, 'renew and re-fetch the licences (Device > Licenses)');
  } else if (soon.length > 0) {
    add('panos-licence', subject, 'warn', `expires within ${LICENCE_WARN_DAYS} days: ${soon.map((l) => `${fmt(l)} (${Math.max(0, Math.floor(((l.expiresAt ?? now) - now) / DAY_MS))} days)`).join('; ')}`, 'renew before the date; a cold standby cannot fetch a renewal while stopped');
  } else {
    const next = licenses.filter((l) => l.expiresAt !== undefined).sort((a, b) => (a.expiresAt ?? 0) - (b.expiresAt ?? 0))[0];
    add('panos-licence', subject, 'pass', `${licenses.length} valid (${base.description ?? 'PA-VM'})${next ? `; next expiry ${next.feature} ${fmtDate(next.expiresAt ?? now)}` : ''}`);
  }
}

function pairChecks(pair: PairConfig, facts: Readonly<Record<Role, FirewallFacts>>, add: Add): void {
  const [a, b] = [facts.primary, facts.secondary];
  const subject = `${a.firewall.name} / ${b.firewall.name}`;
  if (a.reading.kind !== 'read' || b.reading.kind !== 'read') {
    const missing = [a, b].filter((f) => f.reading.kind !== 'read').map((f) => f.firewall.name);
    const why = `${missing.join(' and ')} could not be read`;
    const fix = `run pan-failover drill -p ${pair.name}: it starts the stopped firewall, compares it with the active and stops it again (traffic untouched)`;
    for (const check of ['panos-config-match', 'panos-versions'] as const) add(check, subject, 'skip', `not compared: ${why}`, fix);
    return;
  }
  const ra = a.reading;
  const rb = b.reading;
  const diff = configDiff({ name: a.firewall.name, snapshot: ra.snapshot }, { name: b.firewall.name, snapshot: rb.snapshot });
  if (diff.length === 0) {
    add('panos-config-match', subject, 'pass', `${comparableLines(ra.snapshot).size} objects match (interfaces, zones, routes, IKE gateways, tunnels, NAT and security rules, GlobalProtect, address objects; addresses normalised)`);
  } else {
    const shown = diff.slice(0, MAX_DIFF_LINES);
    add(
      'panos-config-match',
      subject,
      'fail',
      `${diff.length} difference(s): ${shown.join('; ')}${diff.length > shown.length ? `; and ${diff.length - shown.length} more` : ''}`,
      'make the standby\'s configuration match the active\'s (export it, replace the addresses, commit) and check again',
    );
  }
  const versions = (s: SystemInfo) => ({ software: s.swVersion, app: s.appVersion, threat: s.threatVersion });
  const va = versions(ra.system);
  const vb = versions(rb.system);
  if (va.software !== vb.software) {
    add('panos-versions', subject, 'fail', `software ${va.software ?? '?'} vs ${vb.software ?? '?'}`, 'upgrade the older firewall to the same PAN-OS release');
  } else if (va.app !== vb.app || va.threat !== vb.threat) {
    add('panos-versions', subject, 'warn', `software ${va.software ?? '?'} on both; app ${va.app ?? '?'} vs ${vb.app ?? '?'}, threat ${va.threat ?? '?'} vs ${vb.threat ?? '?'}`, 'install the same content release on both (the standby updates only while it runs)');
  } else {
    add('panos-versions', subject, 'pass', `software ${va.software ?? '?'}, app ${va.app ?? '?'}, threat ${va.threat ?? '?'} on both`);
  }
  const fa = new Set(ra.licenses.map((l) => l.feature));
  const fb = new Set(rb.licenses.map((l) => l.feature));
  const onlyA = [...fa].filter((x) => !fb.has(x));
  const onlyB = [...fb].filter((x) => !fa.has(x));
  if (onlyA.length + onlyB.length > 0) {
    add(
      'panos-licence',
      subject,
      'fail',
      [onlyA.length > 0 ? `only ${a.firewall.name} holds ${onlyA.join(', ')}` : '', onlyB.length > 0 ? `only ${b.firewall.name} holds ${onlyB.join(', ')}` : ''].filter(Boolean).join('; '),
      'license both firewalls for the same features',
    );
  } else {
    add('panos-licence', subject, 'pass', `same ${fa.size} licensed features`);
  }
  const ma = mgmtIndexOf(a);
  const mb = mgmtIndexOf(b);
  if (ma !== undefined && mb !== undefined) {
    add(
      'panos-management',
      `${subject} management`,
      ma === mb ? 'pass' : 'fail',
      ma === mb ? `management on eth${ma} on both` : `management on eth${ma} on ${a.firewall.name} but eth${mb} on ${b.firewall.name}: mgmt-interface-swap is set on one firewall only`,
      'set mgmt-interface-swap the same way on both firewalls',
    );
  }
}

function mgmtIndexOf(f: FirewallFacts): number | undefined {
  if (f.reading.kind !== 'read' || !f.instance) return undefined;
  const ip = f.reading.system.ipAddress;
  return f.instance.networkInterfaces.find((n) => ip !== undefined && n.privateIps.includes(ip))?.deviceIndex;
}

function scheduledEvents(role: Role, active: Role, f: FirewallFacts, add: Add): void {
  if (!f.instance) return;
  const subject = `${f.firewall.name} (${f.instance.instanceId})`;
  const events = f.instance.scheduledEvents ?? [];
  if (events.length === 0) {
    add('ec2-scheduled-events', subject, 'pass', 'no scheduled event');
    return;
  }
  const fmt = events.map((e) => `${e.code}${e.notBefore !== undefined ? ` from ${fmtDate(e.notBefore)}` : ''}${e.description ? ` (${e.description})` : ''}`).join('; ');
  const retiring = events.some((e) => RETIRING.test(e.code));
  const standby = role !== active;
  add(
    'ec2-scheduled-events',
    subject,
    retiring ? 'fail' : 'warn',
    retiring
      ? `${fmt}: ${standby ? 'on that day the standby cannot be started' : 'AWS will stop the active firewall on that day'}`
      : fmt,
    retiring ? `stop and start ${f.firewall.name} in a maintenance window before the date: it moves to healthy hardware` : 'plan for the reboot (it is a failover if it hits the active firewall)',
  );
}
