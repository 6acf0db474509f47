/**
 * Loading a topology into the simulated EC2, resource by resource, in an order that keeps the
 * generated ids (MAC addresses, association ids) the same from one run to the next.
 */
import type { WorldTopology } from '../topology.js';
import { Timeline } from '../timeline.js';
import type { AddressSnapshot, InstanceSnapshot, RouteEntry } from './model.js';
import type { Ec2Instances } from './instances.js';
import type { Ec2State } from './state.js';

const DAY_MS = 86_400_000;

/** Loads networks, instances with their ENIs, free ENIs, route tables and Elastic IPs, then starts the running instances' tasks. */
export function loadTopology(s: Ec2State, t: WorldTopology, instances: Ec2Instances): void {
  const now = s.ctx.now();
  for (const v of t.vpcs) s.vpcCidrs.set(v.vpcId, v.cidr);
  for (const x of t.subnets) s.subnets.set(x.subnetId, { ...x });
  for (const x of t.instanceTypes) s.types.set(x.instanceType, { ...x });
  for (const inst of t.instances) loadInstance(s, inst, now);
  for (const eni of t.networkInterfaces) loadEni(s, eni, now);
  for (const rt of t.routeTables) loadRouteTable(s, rt);
  for (const eip of t.elasticIps) loadAddress(s, eip, now);
  for (const rec of s.instances.values()) {
    const snap = rec.timeline.current;
    if (snap.state === 'running' && snap.runningSince !== undefined) instances.scheduleRunningTasks(rec, snap.runningSince, now);
  }
}

/** One ENI, attached to an instance or free. */
function loadEni(
  s: Ec2State,
  eni: WorldTopology['networkInterfaces'][number],
  now: number,
  attachment?: { instanceId: string; deviceIndex: number },
): void {
  const subnet = s.subnet(eni.subnetId);
  s.enis.set(eni.networkInterfaceId, {
    networkInterfaceId: eni.networkInterfaceId,
    subnetId: eni.subnetId,
    vpcId: subnet.vpcId,
    availabilityZone: subnet.availabilityZone,
    instanceId: attachment?.instanceId,
    deviceIndex: attachment?.deviceIndex,
    attachmentId: attachment === undefined ? undefined : `eni-attach-${eni.networkInterfaceId.slice(4)}`,
    // Attached when the instance was launched, long before the world began.
    attachTime: now - 30 * DAY_MS,
    privateIps: [...eni.privateIps],
    sourceDestCheck: eni.sourceDestCheck,
    description: eni.description,
    macAddress: s.mac(),
    tags: { ...eni.tags },
  });
}

/** One instance with its ENIs (by device index); a running one launched a week before the world began, unless told. */
function loadInstance(s: Ec2State, inst: WorldTopology['instances'][number], now: number): void {
  const sorted = [...inst.networkInterfaces].sort((a, b) => a.deviceIndex - b.deviceIndex);
  for (const eni of sorted) loadEni(s, eni, now, { instanceId: inst.instanceId, deviceIndex: eni.deviceIndex });
  const primary = s.enis.get(sorted[0]?.networkInterfaceId ?? '');
  if (primary === undefined) throw new RangeError(`instance ${inst.instanceId} has no ENI`);
  const launch =
    inst.launchTime === undefined
      ? inst.state === 'running'
        ? now - 7 * DAY_MS
        : undefined
      : typeof inst.launchTime === 'number'
        ? inst.launchTime
        : Date.parse(inst.launchTime);
  s.instances.set(inst.instanceId, {
    instanceId: inst.instanceId,
    imageId: inst.imageId,
    tags: { ...inst.tags },
    availabilityZone: primary.availabilityZone,
    subnetId: primary.subnetId,
    vpcId: primary.vpcId,
    scheduledEvents: [],
    eniIds: sorted.map((e) => e.networkInterfaceId),
    timeline: new Timeline<InstanceSnapshot>({
      state: inst.state,
      instanceType: inst.instanceType,
      launchTime: launch,
      runningSince: inst.state === 'running' ? launch : undefined,
      stateReason:
        inst.state === 'stopped'
          ? {
              code: 'Client.UserInitiatedShutdown',
              message: 'Client.UserInitiatedShutdown: User initiated shutdown',
            }
          : undefined,
      stateTransitionReason: '',
    }),
    gen: 0,
    crashTask: undefined,
  });
}

/** One route table: the VPC's local route first, then its routes; its main and subnet associations. */
function loadRouteTable(s: Ec2State, rt: WorldTopology['routeTables'][number]): void {
  const routes: RouteEntry[] = [];
  const local = s.vpcCidrs.get(rt.vpcId);
  if (local !== undefined) {
    routes.push({
      destination: local,
      gatewayId: 'local',
      networkInterfaceId: undefined,
      origin: 'CreateRouteTable',
    });
  }
  for (const r of rt.routes) {
    routes.push({
      destination: r.destination,
      networkInterfaceId: r.networkInterfaceId,
      gatewayId: r.gatewayId,
      origin: 'CreateRoute',
    });
  }
  s.routeTables.set(rt.routeTableId, {
    routeTableId: rt.routeTableId,
    vpcId: rt.vpcId,
    associations: [
      ...(rt.main
        ? [
            {
              routeTableAssociationId: `rtbassoc-${s.ctx.ids.hex(17)}`,
              subnetId: undefined,
              main: true,
            },
          ]
        : []),
      ...rt.subnetAssociations.map((subnetId) => ({
        routeTableAssociationId: `rtbassoc-${s.ctx.ids.hex(17)}`,
        subnetId,
        main: false,
      })),
    ],
    tags: { ...rt.tags },
    timeline: new Timeline<readonly RouteEntry[]>(routes),
  });
}

/** One Elastic IP, associated (for a week already) or not. */
function loadAddress(s: Ec2State, eip: WorldTopology['elasticIps'][number], now: number): void {
  const a = eip.association;
  const eni = a === undefined ? undefined : s.enis.get(a.networkInterfaceId);
  s.addresses.set(eip.allocationId, {
    allocationId: eip.allocationId,
    publicIp: eip.publicIp,
    tags: { ...eip.tags },
    timeline: new Timeline<AddressSnapshot>(
      a === undefined || eni === undefined
        ? {
            associationId: undefined,
            networkInterfaceId: undefined,
            privateIp: undefined,
            since: undefined,
          }
        : {
            associationId: a.associationId ?? `eipassoc-${s.ctx.ids.hex(17)}`,
            networkInterfaceId: a.networkInterfaceId,
            privateIp: a.privateIp ?? eni.privateIps[0],
            since: now - 7 * DAY_MS,
          },
    ),
  });
}
