/**
 * Preflight, AWS side: what must be true in the account for a failover of a pair to work, read
 * with Describe calls only (changes nothing). The lessons of running this by hand, as checks:
 *
 * - both instances exist, in the configured AZs, with the same number of ENIs (the standby's
 *   PAN-OS configuration expects the same interfaces);
 * - every ENI the configuration names exists and is attached to that side's firewall;
 * - source/destination check is off on every ENI a route points at (on, EC2 drops what the
 *   firewall forwards);
 * - every EIP's private address is on its ENI (several public addresses on one interface are
 *   secondary private IPs, one per EIP);
 * - the management address is on the instance and not on an ENI the flow moves traffic to (with
 *   mgmt-interface-swap, management is eth1 and ethernet1/1 is eth0: easy to map the wrong way);
 * - the instance type, and every fallback type, takes as many ENIs and addresses per ENI as the
 *   firewall uses (VM-Series uses one ENI for management);
 * - every managed route exists;
 * - the controller's own subnets (`deployment.subnetIds`) route to neither firewall: the
 *   controller must never depend on the network path it repairs.
 *
 * The PAN-OS side (`preflightPanosPair`, checks in `shared/domain/panos-preflight.ts`) reads each
 * running firewall's configuration through the XML API, read-only, and reports EC2 scheduled
 * events. Not checked: the VPC main route table of a subnet without its own.
 */
import type { FirewallConfig, PairConfig, Role } from '../config/schema.js';
import { readConfigSnapshot } from '../adapters/panos/config-snapshot.js';
import { panosChecks, type CheckStatus, type FirewallFacts, type FirewallReading, type PanosCheckId } from '../domain/panos-preflight.js';
import type { FirewallApiFactory } from '../ports/firewall.js';
import { ROLES } from '../config/schema.js';
import { classifyIpv4, isIpv4 } from '../config/net.js';
import { errorMessage } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { Ec2Port, InstanceInfo, NetworkInterfaceInfo } from '../ports/ec2.js';
import { readPlacement } from './placement.js';
import { describeInstancesTolerant } from './instances.js';
import { withRetry } from './pacing.js';

export const PREFLIGHT_CHECKS = [
  'instance',
  'eni-count',
  'eni-attachment',
  'source-dest-check',
  'eip-private-ip',
  'management-address',
  'instance-type-capacity',
  'routes-present',
  'controller-subnets',
] as const;
export type PreflightCheckId = (typeof PREFLIGHT_CHECKS)[number] | PanosCheckId;

export interface PreflightResult {
  readonly pair: string;
  readonly check: PreflightCheckId;
  /** What was checked (a firewall, an ENI, an EIP, a route). */
  readonly subject: string;
  /** `pass`, `warn`, `fail`, `skip` (nothing to check), `unknown` (could not be checked). */
  readonly status: CheckStatus;
  /** Not failed and not unknown. */
  readonly ok: boolean;
  readonly detail: string;
  /** What to change, when it does not pass. */
  readonly fix?: string;
}

export interface PreflightDeps {
  readonly ec2: Ec2Port;
  readonly clock: Clock;
}

const unique = <T>(xs: Iterable<T>): T[] => [...new Set(xs)];

/** Records one result of a pair's check. */
type AddResult = (check: PreflightCheckId, subject: string, ok: boolean, detail: string) => void;
/** One AWS read, with the usual retries. */
type Read = <T>(fn: () => Promise<T>) => Promise<T>;

/** The AWS-side checks of one pair (the list above), in that order; Describe calls only. */
export async function preflightPair(deps: PreflightDeps, pair: PairConfig, controllerSubnets: readonly string[] = []): Promise<PreflightResult[]> {
  const out: PreflightResult[] = [];
  const add: AddResult = (check, subject, ok, detail) => out.push({ pair: pair.name, check, subject, status: ok ? 'pass' : 'fail', ok, detail });
  const read: Read = (fn) => withRetry(deps.clock, fn);

  const eniSides = configuredEniSides(pair);
  const instances = await read(() => describeInstancesTolerant(deps.ec2, ROLES.map((r) => pair.firewalls[r].instanceId)));
  const enis = await readConfiguredEnis(deps.ec2, read, unique(eniSides.keys()), add);
  const found = instanceChecks(pair, instances, add);
  eniChecks(pair, eniSides, enis, add);
  eipPrivateIpChecks(pair, enis, add);
  managementAddressChecks(pair, found, eniSides, add);
  await instanceTypeChecks(deps.ec2, read, pair, found, add);
  await routePresenceChecks(deps.ec2, read, pair, add);
  await controllerSubnetChecks(deps.ec2, read, pair, found, eniSides, controllerSubnets, add);
  return out;
}

/** ENIs per side, as the configuration names them (route targets and Elastic IPs' interfaces). */
function configuredEniSides(pair: PairConfig): Map<string, Role> {
  const eniSides = new Map<string, Role>();
  for (const r of pair.routes) for (const role of ROLES) eniSides.set(r.targets[role], role);
  for (const e of pair.elasticIps) for (const role of ROLES) eniSides.set(e[role].networkInterfaceId, role);
  return eniSides;
}

/** Reads the configured ENIs; those that do not exist are absent from the answer (reported by `eniChecks`). */
async function readConfiguredEnis(ec2: Ec2Port, read: Read, configured: readonly string[], add: AddResult): Promise<Map<string, NetworkInterfaceInfo>> {
  const enis = new Map<string, NetworkInterfaceInfo>();
  try {
    for (const e of await read(() => ec2.describeNetworkInterfaces(configured))) enis.set(e.networkInterfaceId, e);
  } catch (e) {
    // One missing ENI fails the whole call: look them up one by one to name it.
    for (const id of configured) {
      try {
        for (const x of await read(() => ec2.describeNetworkInterfaces([id]))) enis.set(x.networkInterfaceId, x);
      } catch {
        // Reported as missing by eniChecks.
      }
    }
    if (enis.size === 0) add('eni-attachment', configured.join(', '), false, `DescribeNetworkInterfaces failed: ${errorMessage(e)}`);
  }
  return enis;
}

/** Both instances exist in their configured AZs, with as many ENIs each; returns those found. */
function instanceChecks(pair: PairConfig, instances: ReadonlyMap<string, InstanceInfo | undefined>, add: AddResult): Partial<Record<Role, InstanceInfo>> {
  const found: Partial<Record<Role, InstanceInfo>> = {};
  for (const role of ROLES) {
    const fw = pair.firewalls[role];
    const info = instances.get(fw.instanceId);
    const subject = `${fw.name} (${fw.instanceId})`;
    if (!info || info.state === 'terminated' || info.state === 'shutting-down') {
      add('instance', subject, false, info ? `instance is ${info.state}` : 'no such instance');
      continue;
    }
    found[role] = info;
    const azOk = info.availabilityZone === undefined || info.availabilityZone === fw.availabilityZone;
    add('instance', subject, azOk, azOk ? `${info.state}, ${info.instanceType} in ${fw.availabilityZone}` : `in ${info.availabilityZone ?? '?'}, configured ${fw.availabilityZone}`);
  }
  const [a, b] = [found.primary, found.secondary];
  if (a && b) {
    const same = a.networkInterfaces.length === b.networkInterfaces.length;
    add(
      'eni-count',
      `${pair.firewalls.primary.name} / ${pair.firewalls.secondary.name}`,
      same,
      same
        ? `${a.networkInterfaces.length} ENIs each`
        : `${a.networkInterfaces.length} vs ${b.networkInterfaces.length} ENIs: the standby's configuration expects the same interfaces as the primary's`,
    );
  }
  return found;
}

/** Every configured ENI exists and is attached to its side's firewall; route targets have source/destination check off. */
function eniChecks(pair: PairConfig, eniSides: ReadonlyMap<string, Role>, enis: ReadonlyMap<string, NetworkInterfaceInfo>, add: AddResult): void {
  const routeTargets = new Set(pair.routes.flatMap((r) => ROLES.map((role) => r.targets[role])));
  for (const [id, role] of eniSides) {
    const fw = pair.firewalls[role];
    const eni = enis.get(id);
    if (!eni) {
      add('eni-attachment', id, false, `no such ENI (configured for ${fw.name})`);
      continue;
    }
    const attached = eni.attachedInstanceId === fw.instanceId;
    add('eni-attachment', id, attached, attached ? `attached to ${fw.name} as device ${eni.deviceIndex ?? '?'}` : `attached to ${eni.attachedInstanceId ?? 'nothing'}, configured for ${fw.name} (${fw.instanceId})`);
    if (routeTargets.has(id)) {
      add('source-dest-check', id, !eni.sourceDestCheck, eni.sourceDestCheck ? `on: EC2 drops the traffic ${fw.name} forwards; turn it off on this ENI` : 'off');
    }
  }
}

/** Every Elastic IP's private address is on its ENI, on each side. */
function eipPrivateIpChecks(pair: PairConfig, enis: ReadonlyMap<string, NetworkInterfaceInfo>, add: AddResult): void {
  for (const e of pair.elasticIps) {
    for (const role of ROLES) {
      const side = e[role];
      const eni = enis.get(side.networkInterfaceId);
      if (!eni) continue;
      const has = eni.privateIps.some((p) => p.address === side.privateIp);
      add(
        'eip-private-ip',
        `${e.allocationId} on ${pair.firewalls[role].name}`,
        has,
        has
          ? `${side.privateIp} is on ${side.networkInterfaceId}`
          : `${side.privateIp} is not on ${side.networkInterfaceId} (it has ${eni.privateIps.map((p) => p.address).join(', ')}): each public address needs its own secondary private IP on the ENI`,
      );
    }
  }
}

/** The management address is on the instance, and not on an ENI the flow moves traffic to. */
function managementAddressChecks(pair: PairConfig, found: Partial<Record<Role, InstanceInfo>>, eniSides: ReadonlyMap<string, Role>, add: AddResult): void {
  for (const role of ROLES) {
    const fw = pair.firewalls[role];
    const info = found[role];
    if (!info) continue;
    const host = fw.management.host;
    if (!isIpv4(host) || classifyIpv4(host) === 'loopback') {
      // A host name, or a local tunnel (an SSH port forward, the simulator): nothing to compare.
      add('management-address', `${fw.name} ${host}`, true, `not checked: ${isIpv4(host) ? 'a loopback address (a tunnel?)' : 'a host name'}`);
      continue;
    }
    const holder = info.networkInterfaces.find((n) => n.privateIps.includes(fw.management.host));
    const managed = holder !== undefined && eniSides.has(holder.networkInterfaceId);
    add(
      'management-address',
      `${fw.name} ${fw.management.host}`,
      holder !== undefined && !managed,
      holder === undefined
        ? `no ENI of ${fw.instanceId} has ${fw.management.host}: the probe would talk to something else`
        : managed
          ? `${fw.management.host} is on ${holder.networkInterfaceId}, an ENI the flow moves traffic to: management and dataplane are mixed up (with mgmt-interface-swap, management is eth1)`
          : `on ${holder.networkInterfaceId} (device ${holder.deviceIndex})${fw.management.interfaceSwap ? ', mgmt-interface-swap' : ''}`,
    );
  }
}

/** Instance types: what each firewall uses (ENIs, addresses per ENI) against what its type and every fallback type allow. */
async function instanceTypeChecks(ec2: Ec2Port, read: Read, pair: PairConfig, found: Partial<Record<Role, InstanceInfo>>, add: AddResult): Promise<void> {
  const types = unique(ROLES.flatMap((r) => [found[r]?.instanceType, ...pair.start.fallbackInstanceTypes]).filter((t): t is string => t !== undefined));
  const specs = new Map((types.length > 0 ? await read(() => ec2.describeInstanceTypes(types)) : []).map((s) => [s.instanceType, s]));
  for (const role of ROLES) {
    const info = found[role];
    if (!info) continue;
    const needEnis = info.networkInterfaces.length;
    const needAddresses = Math.max(1, ...info.networkInterfaces.map((n) => n.privateIps.length));
    // Either side may be the one started (failover, failback), with the same fallbacks.
    for (const t of unique([info.instanceType, ...pair.start.fallbackInstanceTypes])) {
      const spec = specs.get(t);
      const ok = spec !== undefined && spec.maxNetworkInterfaces >= needEnis && spec.ipv4AddressesPerInterface >= needAddresses;
      add(
        'instance-type-capacity',
        `${pair.firewalls[role].name} on ${t}${t === info.instanceType ? '' : ' (fallback)'}`,
        ok,
        spec
          ? `${spec.maxNetworkInterfaces} ENIs x ${spec.ipv4AddressesPerInterface} addresses; the firewall uses ${needEnis} x ${needAddresses}`
          : 'unknown instance type',
      );
    }
  }
}

/** Every managed route exists (or the cutover is allowed to create it). */
async function routePresenceChecks(ec2: Ec2Port, read: Read, pair: PairConfig, add: AddResult): Promise<void> {
  const placement = await read(() => readPlacement(ec2, pair));
  for (const r of placement.routes) {
    const missing = r.side === 'missing';
    add(
      'routes-present',
      `${r.route.destination} in ${r.route.routeTableId}`,
      !missing || pair.cutover.createMissingRoutes,
      missing
        ? pair.cutover.createMissingRoutes
          ? 'missing: the cutover will create it (cutover.createMissingRoutes)'
          : 'missing: a cutover would refuse to run; create it, or set cutover.createMissingRoutes'
        : `present, on ${r.side}`,
    );
  }
}

/** The controller's subnets: no route through either firewall's ENIs (it must not depend on the path it repairs). */
async function controllerSubnetChecks(
  ec2: Ec2Port,
  read: Read,
  pair: PairConfig,
  found: Partial<Record<Role, InstanceInfo>>,
  eniSides: ReadonlyMap<string, Role>,
  controllerSubnets: readonly string[],
  add: AddResult,
): Promise<void> {
  if (controllerSubnets.length === 0 || !ec2.describeSubnetRouteTables) return;
  const describeSubnets = ec2.describeSubnetRouteTables.bind(ec2);
  const firewallEnis = new Map<string, string>();
  for (const role of ROLES) for (const n of found[role]?.networkInterfaces ?? []) firewallEnis.set(n.networkInterfaceId, pair.firewalls[role].name);
  for (const id of eniSides.keys()) firewallEnis.set(id, pair.firewalls[eniSides.get(id) ?? 'primary'].name);
  const tables = await read(() => describeSubnets(controllerSubnets));
  for (const subnet of controllerSubnets) {
    const mine = tables.filter((t) => t.subnetIds.includes(subnet));
    if (mine.length === 0) {
      add('controller-subnets', subnet, true, 'not checked: no route table of its own (the VPC main route table applies: check by hand that it points at neither firewall)');
      continue;
    }
    const bad = mine.flatMap((t) =>
      t.table.routes
        .filter((r) => r.networkInterfaceId !== undefined && firewallEnis.has(r.networkInterfaceId))
        .map((r) => `${r.destination} -> ${r.networkInterfaceId} (${firewallEnis.get(r.networkInterfaceId ?? '') ?? '?'}) in ${t.table.routeTableId}`),
    );
    add(
      'controller-subnets',
      subnet,
      bad.length === 0,
      bad.length === 0
        ? `${mine.map((t) => t.table.routeTableId).join(', ')}: no route through either firewall`
        : `routes through a firewall: ${bad.join('; ')}: the controller would lose its way to AWS when that firewall dies; give its subnets a route table with VPC endpoints only`,
    );
  }
}

export interface PanosPreflightDeps {
  readonly ec2: Ec2Port;
  readonly clock: Clock;
  readonly firewalls: FirewallApiFactory;
}

/** Budget of each PAN-OS call of the preflight (configuration reads are larger than probes). */
export const PANOS_READ_TIMEOUT_MS = 15_000;

/** Reads one firewall for the checks; a firewall that is not running is not contacted. */
export async function readFirewall(
  deps: Pick<PanosPreflightDeps, 'firewalls'>,
  fw: FirewallConfig,
  instance: InstanceInfo | undefined,
  timeoutMs = PANOS_READ_TIMEOUT_MS,
): Promise<FirewallReading> {
  if (!instance || instance.state !== 'running') return { kind: 'not-running', state: instance?.state ?? 'not found' };
  try {
    const api = await deps.firewalls.forFirewall(fw, { timeoutMs });
    const system = await api.systemInfo();
    const licenses = await api.licenses();
    const snapshot = await readConfigSnapshot(api);
    return { kind: 'read', snapshot, system, licenses };
  } catch (e) {
    return { kind: 'error', error: `${e instanceof Error ? e.name : 'Error'}: ${errorMessage(e)}` };
  }
}

/** Turns the pure checks' results into preflight results of `pair`. */
export function panosResults(pair: PairConfig, facts: Readonly<Record<Role, FirewallFacts>>, now: number, active: Role = 'primary'): PreflightResult[] {
  return panosChecks(pair, facts, now, active).map((r) => ({ pair: pair.name, ...r, ok: r.status !== 'fail' && r.status !== 'unknown' }));
}

/**
 * The PAN-OS side of one pair: reads both firewalls (those running), then checks them and EC2's
 * scheduled events. `active` is the firewall carrying the traffic (default the primary).
 */
export async function preflightPanosPair(deps: PanosPreflightDeps, pair: PairConfig, options: { active?: Role } = {}): Promise<PreflightResult[]> {
  const instances = await withRetry(deps.clock, () => describeInstancesTolerant(deps.ec2, ROLES.map((r) => pair.firewalls[r].instanceId)));
  const facts = {} as Record<Role, FirewallFacts>;
  await Promise.all(
    ROLES.map(async (role) => {
      const fw = pair.firewalls[role];
      const instance = instances.get(fw.instanceId);
      facts[role] = { role, firewall: fw, instance, reading: await readFirewall(deps, fw, instance) };
    }),
  );
  return panosResults(pair, facts, deps.clock.now(), options.active);
}
