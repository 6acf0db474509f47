/**
 * Describe answers of the simulated EC2 at a time `t` (the world's lag applies): an instance with
 * its status checks and ENIs, an ENI with its Elastic IPs, a route table with each route's state,
 * an Elastic IP with its instance.
 */
import type { StatusCheck } from '#shared/ports/ec2.js';
import {
  INSTANCE_STATE_CODES,
  type AddressRecord,
  type AddressView,
  type EniRecord,
  type InstanceRecord,
  type InstanceSnapshot,
  type InstanceView,
  type NetworkInterfaceView,
  type PrivateIpView,
  type RouteTableRecord,
  type RouteTableView,
} from './model.js';
import type { Ec2State } from './state.js';

export function statusAt(
  s: Ec2State,
  rec: InstanceRecord,
  snap: InstanceSnapshot,
  t: number,
): { system: StatusCheck; instance: StatusCheck } {
  if (snap.state !== 'running' || snap.runningSince === undefined)
    return { system: 'not-applicable', instance: 'not-applicable' };
  const fault = s.ctx.faults.instance(rec.instanceId);
  const initMs = fault.statusInitMs ?? s.ctx.timings.statusInitMs;
  const base: StatusCheck = t - snap.runningSince < initMs ? 'initializing' : 'ok';
  const impaired = fault.impaired;
  return {
    system: impaired === true || impaired === 'system' ? 'impaired' : base,
    instance: impaired === true || impaired === 'instance' ? 'impaired' : base,
  };
}

export function instanceView(s: Ec2State, rec: InstanceRecord, t: number): InstanceView {
  const snap = rec.timeline.at(t);
  const status = statusAt(s, rec, snap, t);
  const enis = rec.eniIds.map((id) => eniView(s, s.enis.get(id) as EniRecord, t));
  const primary = enis[0];
  return {
    instanceId: rec.instanceId,
    imageId: rec.imageId,
    state: snap.state,
    stateCode: INSTANCE_STATE_CODES[snap.state],
    instanceType: snap.instanceType,
    availabilityZone: rec.availabilityZone,
    subnetId: rec.subnetId,
    vpcId: rec.vpcId,
    privateIp: primary?.privateIps[0]?.address,
    launchTime: snap.launchTime,
    runningSince: snap.state === 'running' ? snap.runningSince : undefined,
    stateReason: snap.stateReason,
    stateTransitionReason: snap.stateTransitionReason,
    tags: rec.tags,
    sourceDestCheck: primary?.sourceDestCheck ?? true,
    systemStatus: status.system,
    instanceStatus: status.instance,
    networkInterfaces: snap.state === 'terminated' ? [] : enis,
    scheduledEvents: [...rec.scheduledEvents],
  };
}

export function eniView(s: Ec2State, rec: EniRecord, t: number): NetworkInterfaceView {
  const byIp = new Map<string, PrivateIpView['association']>();
  for (const a of s.addresses.values()) {
    const snap = a.timeline.at(t);
    if (
      snap.networkInterfaceId === rec.networkInterfaceId &&
      snap.privateIp !== undefined &&
      snap.associationId !== undefined
    ) {
      byIp.set(snap.privateIp, {
        publicIp: a.publicIp,
        allocationId: a.allocationId,
        associationId: snap.associationId,
      });
    }
  }
  return {
    networkInterfaceId: rec.networkInterfaceId,
    subnetId: rec.subnetId,
    vpcId: rec.vpcId,
    availabilityZone: rec.availabilityZone,
    description: rec.description,
    macAddress: rec.macAddress,
    status: rec.instanceId === undefined ? 'available' : 'in-use',
    attachment:
      rec.instanceId === undefined || rec.deviceIndex === undefined || rec.attachmentId === undefined
        ? undefined
        : {
            attachmentId: rec.attachmentId,
            instanceId: rec.instanceId,
            deviceIndex: rec.deviceIndex,
            attachTime: rec.attachTime,
          },
    sourceDestCheck: rec.sourceDestCheck,
    tags: rec.tags,
    privateIps: rec.privateIps.map((address, i) => ({
      address,
      primary: i === 0,
      association: byIp.get(address),
    })),
  };
}

export function routeTableView(s: Ec2State, rec: RouteTableRecord, t: number): RouteTableView {
  return {
    routeTableId: rec.routeTableId,
    vpcId: rec.vpcId,
    associations: rec.associations,
    tags: rec.tags,
    routes: rec.timeline.at(t).map((r) => {
      if (r.networkInterfaceId === undefined) {
        return { ...r, instanceId: undefined, state: 'active' as const };
      }
      const eni = s.enis.get(r.networkInterfaceId);
      const inst = eni?.instanceId === undefined ? undefined : s.instances.get(eni.instanceId);
      const running = inst !== undefined && inst.timeline.at(t).state === 'running';
      return {
        ...r,
        instanceId: eni?.instanceId,
        state: running ? ('active' as const) : ('blackhole' as const),
      };
    }),
  };
}

export function addressView(s: Ec2State, rec: AddressRecord, t: number): AddressView {
  const snap = rec.timeline.at(t);
  return {
    allocationId: rec.allocationId,
    publicIp: rec.publicIp,
    associationId: snap.associationId,
    networkInterfaceId: snap.networkInterfaceId,
    privateIp: snap.privateIp,
    instanceId:
      snap.networkInterfaceId === undefined
        ? undefined
        : s.enis.get(snap.networkInterfaceId)?.instanceId,
    tags: rec.tags,
  };
}
