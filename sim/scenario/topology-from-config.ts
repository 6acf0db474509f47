/**
 * Builds the simulated AWS world a configuration describes: the VPC, one management and one
 * subnet per dataplane ENI in each firewall's AZ, both instances with their ENIs (management
 * on device 0, or 1 with mgmt-interface-swap), the managed route tables and routes, the Elastic
 * IPs with their secondary private IPs, the hosted zones and records, the API-key secrets, and
 * the controller's own table, topic, state machine and EC2 status-check alarms.
 *
 * At the start every managed object points at the primary, which runs; the secondary is
 * stopped (cold) or running (warm): the day before the disaster.
 */
import { createHash } from 'node:crypto';
import type { Config, PairConfig, Role } from '#shared/config/schema.js';
import { ROLES } from '#shared/config/schema.js';
import { classifyIpv4, isIpv4 } from '#shared/config/net.js';
import type { WorldTopologyInput } from '#sim/world/topology.js';
import { stageNames } from '../../infra/names.js';

// The names `infra/deployment.ts` gives them at stage `sim` (the simulator enforces that
// deployment's IAM policies, which name them; sim/iam/deployed-roles.ts checks they agree).
/** The simulator is a deployment of stage `sim`: `--stage sim` names its table, topic and state machine. */
export const SIM_STAGE = 'sim';
const SIM_NAMES = stageNames(SIM_STAGE);
export const SIM_TABLE = SIM_NAMES.table;
export const SIM_TOPIC = SIM_NAMES.topic;
export const SIM_STATE_MACHINE = SIM_NAMES.stateMachine;
export const SIM_INSTANCE_TYPE = 'm5.xlarge';

export interface TopologyOptions {
  /** API key value per secret id. */
  readonly secrets: Readonly<Record<string, string>>;
  /** API key value per SSM parameter name (SecureString parameters). */
  readonly parameters?: Readonly<Record<string, string>>;
  /**
   * Routes that point at the primary's ENI (the one the table's managed routes use) but are not
   * in the configuration: the controller must never touch them.
   */
  readonly unmanagedRoutes?: readonly { routeTableId: string; destination: string }[];
  readonly instanceType?: string;
}

function hexId(prefix: string, ...parts: string[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 17)}`;
}

function subnetCidrOf(ip: string): string {
  return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
}

export interface EniPlan {
  readonly id: string;
  readonly ips: string[];
  deviceIndex: number;
  readonly mgmt: boolean;
}

/** Second octet of the firewall's addresses (10.<n>.x.y), from its management address if private. */
function siteOctet(pair: PairConfig, role: Role): string {
  const host = pair.firewalls[role].management.host;
  if (isIpv4(host) && classifyIpv4(host) === 'private') return host.split('.')[1] ?? '10';
  return role === 'primary' ? '10' : '20';
}

/** Private address for a firewall ENI the configuration gives no address for: 10.<site>.<subnet>.10. */
function generatedIp(pair: PairConfig, role: Role, subnet: number): string {
  return `10.${siteOctet(pair, role)}.${subnet}.10`;
}

/** The firewall's dataplane ENIs in device order (ethernet1/1, ethernet1/2, ...). */
export function dataplaneEnis(pair: PairConfig, role: Role): readonly EniPlan[] {
  return enisOf(pair, role).filter((e) => !e.mgmt);
}

/** The management ENI's address (what PAN-OS reports as its management address). */
export function managementAddress(pair: PairConfig, role: Role): string {
  return enisOf(pair, role).find((e) => e.mgmt)?.ips[0] ?? generatedIp(pair, role, 0);
}

function enisOf(pair: PairConfig, role: Role): EniPlan[] {
  const fw = pair.firewalls[role];
  const host = fw.management.host;
  const mgmtIp = isIpv4(host) && classifyIpv4(host) === 'private' ? host : generatedIp(pair, role, 0);
  const plans = new Map<string, EniPlan>();
  const mgmt: EniPlan = { id: hexId('eni', pair.name, role, 'mgmt'), ips: [mgmtIp], deviceIndex: 0, mgmt: true };
  for (const eip of pair.elasticIps) {
    const side = eip[role];
    const plan = plans.get(side.networkInterfaceId) ?? { id: side.networkInterfaceId, ips: [], deviceIndex: 0, mgmt: false };
    if (!plan.ips.includes(side.privateIp)) plan.ips.push(side.privateIp);
    plans.set(side.networkInterfaceId, plan);
  }
  let generated = 0;
  for (const route of pair.routes) {
    const eni = route.targets[role];
    if (!plans.has(eni)) plans.set(eni, { id: eni, ips: [generatedIp(pair, role, 12 + generated++)], deviceIndex: 0, mgmt: false });
  }
  const dataplane = [...plans.values()];
  // VM-Series: eth0 = management, eth1 = ethernet1/1 ...; with mgmt-interface-swap eth0 and eth1 trade places.
  const ordered = fw.management.interfaceSwap && dataplane.length > 0 ? [dataplane[0] as EniPlan, mgmt, ...dataplane.slice(1)] : [mgmt, ...dataplane];
  ordered.forEach((p, i) => (p.deviceIndex = i));
  return ordered;
}

function zoneName(recordName: string): string {
  const labels = recordName.replace(/\.$/, '').split('.');
  return `${labels.slice(1).join('.')}.`;
}

export function topologyFromConfig(config: Config, options: TopologyOptions): WorldTopologyInput {
  const vpcId = hexId('vpc', 'sim');
  const subnets = new Map<string, { subnetId: string; vpcId: string; availabilityZone: string; cidr: string }>();
  const subnetFor = (ip: string, az: string) => {
    const cidr = subnetCidrOf(ip);
    const existing = subnets.get(cidr);
    if (existing) return existing.subnetId;
    const subnetId = hexId('subnet', cidr);
    subnets.set(cidr, { subnetId, vpcId, availabilityZone: az, cidr });
    return subnetId;
  };

  const instances: NonNullable<WorldTopologyInput['instances']> = [];
  const routeTables = new Map<
    string,
    { routeTableId: string; vpcId: string; subnetAssociations?: string[]; routes: { destination: string; networkInterfaceId: string }[] }
  >();
  const elasticIps: NonNullable<WorldTopologyInput['elasticIps']> = [];
  const zones = new Map<string, { id: string; name: string; records: { name: string; type: string; ttl: number; values: string[] }[] }>();
  const secrets = Object.entries(options.secrets).map(([name, value]) => ({ name, value }));
  const alarms: NonNullable<WorldTopologyInput['alarms']> = [];

  for (const pair of config.pairs) {
    for (const role of ROLES) {
      const fw = pair.firewalls[role];
      const running = role === 'primary' || pair.standbyMode === 'warm';
      instances.push({
        instanceId: fw.instanceId,
        instanceType: options.instanceType ?? SIM_INSTANCE_TYPE,
        state: running ? 'running' : 'stopped',
        tags: { Name: fw.name, 'pan-failover:pair': pair.name, 'pan-failover:role': role },
        networkInterfaces: enisOf(pair, role).map((e) => ({
          networkInterfaceId: e.id,
          subnetId: subnetFor(e.ips[0] ?? '10.0.0.10', fw.availabilityZone),
          deviceIndex: e.deviceIndex,
          privateIps: e.ips,
          // Dataplane ENIs forward traffic for others: source/destination check off.
          sourceDestCheck: e.mgmt,
          description: e.mgmt ? `${fw.name} management` : `${fw.name} dataplane`,
        })),
      });
      alarms.push({
        name: `pan-failover-${pair.name}-${fw.name}-status-check`,
        namespace: 'AWS/EC2',
        metric: 'StatusCheckFailed',
        dimensions: { InstanceId: fw.instanceId },
        statistic: 'Maximum',
        periodSeconds: 60,
        evaluationPeriods: 2,
        threshold: 1,
        comparison: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
        description: `EC2 status checks of ${fw.name} failing (a trigger of the failover flow)`,
      });
    }
    for (const route of pair.routes) {
      const table = routeTables.get(route.routeTableId) ?? { routeTableId: route.routeTableId, vpcId, routes: [] };
      table.routes.push({ destination: route.destination, networkInterfaceId: route.targets.primary });
      routeTables.set(route.routeTableId, table);
    }
    for (const extra of options.unmanagedRoutes ?? []) {
      const table = routeTables.get(extra.routeTableId);
      const target = pair.routes.find((r) => r.routeTableId === extra.routeTableId)?.targets.primary;
      if (table && target) table.routes.push({ destination: extra.destination, networkInterfaceId: target });
    }
    for (const eip of pair.elasticIps) {
      elasticIps.push({
        allocationId: eip.allocationId,
        publicIp: eip.publicIp ?? `198.51.100.${100 + elasticIps.length}`,
        association: { networkInterfaceId: eip.primary.networkInterfaceId, privateIp: eip.primary.privateIp },
      });
    }
    for (const rec of pair.dnsRecords) {
      const id = rec.hostedZoneId.replace('/hostedzone/', '');
      const zone = zones.get(id) ?? { id, name: zoneName(rec.name), records: [] };
      const values = rec.values ? [...rec.values.primary] : [pair.elasticIps.find((e) => e.allocationId === rec.followElasticIp)?.publicIp ?? '192.0.2.1'];
      zone.records.push({ name: rec.name, type: rec.type, ttl: rec.ttl, values });
      zones.set(id, zone);
    }
  }

  // The controller's own subnets (deployment section): their route table points at neither
  // firewall (AWS is reached through VPC endpoints), as the deployment requires.
  const controller = config.deployment?.subnetIds ?? [];
  controller.forEach((subnetId, i) => {
    const az = config.pairs[0]?.firewalls[i % 2 === 0 ? 'primary' : 'secondary'].availabilityZone ?? 'eu-central-1a';
    subnets.set(`controller-${subnetId}`, { subnetId, vpcId, availabilityZone: az, cidr: `10.250.${i}.0/24` });
  });
  if (controller.length > 0) {
    const routeTableId = hexId('rtb', 'controller');
    routeTables.set(routeTableId, { routeTableId, vpcId, subnetAssociations: [...controller], routes: [] });
  }

  return {
    // The firewalls' region (the deployment's, whose IAM policies name it in every ARN).
    region: config.pairs[0]?.firewalls.primary.availabilityZone.slice(0, -1),
    vpcs: [{ vpcId, cidr: '10.0.0.0/8' }],
    subnets: [...subnets.values()],
    instances,
    routeTables: [...routeTables.values()],
    elasticIps,
    hostedZones: [...zones.values()],
    secrets,
    parameters: Object.entries(options.parameters ?? {}).map(([name, value]) => ({ name, value, type: 'SecureString' as const })),
    tables: [{ name: SIM_TABLE }],
    topics: [{ name: SIM_TOPIC }],
    stateMachines: [{ name: SIM_STATE_MACHINE }],
    alarms,
  };
}
