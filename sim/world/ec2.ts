/**
 * EC2 as the controller sees it: instances with their life cycle, ENIs, route tables, Elastic
 * IPs, subnets and instance types. Every state that the controller changes keeps a history
 * (`Timeline`) so Describe calls can lag behind mutations the way EC2's do.
 *
 * Methods throw `SimAwsError` with EC2's codes and messages; they never apply throttling or
 * latency themselves (the world's `call` does, for the wire server and the direct ports alike).
 */
import type { InstanceState, StatusCheck } from '#shared/ports/ec2.js';
import type { HeldAddress, FirewallHostView } from './firewall-host.js';
import { SimAwsError } from './aws-error.js';
import { worldArn, type WorldContext } from './context.js';
import type { LagResource } from './faults.js';
import { INSTANCE_TYPES, type InstanceTypeSpec } from './instance-types.js';
import type { TaskHandle } from './scheduler.js';
import { Timeline } from './timeline.js';
import type { WorldTopology } from './topology.js';

export const INSTANCE_STATE_CODES: Readonly<Record<InstanceState, number>> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface Filter {
  readonly name: string;
  readonly values: readonly string[];
}

export interface DescribeQuery {
  readonly ids?: readonly string[];
  readonly filters?: readonly Filter[];
  /** The true state now, ignoring the lag fault (the demo and scenario checks; never the API). */
  readonly current?: boolean;
}

interface StateReason {
  readonly code: string;
  readonly message: string;
}

interface InstanceSnapshot {
  readonly state: InstanceState;
  readonly instanceType: string;
  readonly launchTime: number | undefined;
  readonly runningSince: number | undefined;
  readonly stateReason: StateReason | undefined;
  readonly stateTransitionReason: string;
}

interface InstanceRecord {
  readonly instanceId: string;
  readonly imageId: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly availabilityZone: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly eniIds: readonly string[];
  readonly timeline: Timeline<InstanceSnapshot>;
  /** Bumped at every state change; timed transitions scheduled under an older generation are void. */
  gen: number;
  crashTask: TaskHandle | undefined;
  /** EC2 scheduled events (retirement, reboot, stop), as AWS announces them. */
  scheduledEvents: ScheduledEventView[];
}

export interface ScheduledEventView {
  readonly code: string;
  readonly description: string;
  readonly notBefore: number;
  readonly notAfter: number | undefined;
}

interface EniRecord {
  readonly networkInterfaceId: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly instanceId: string | undefined;
  readonly deviceIndex: number | undefined;
  readonly attachmentId: string | undefined;
  readonly attachTime: number;
  readonly privateIps: readonly string[];
  sourceDestCheck: boolean;
  readonly description: string;
  readonly macAddress: string;
  readonly tags: Readonly<Record<string, string>>;
}

interface RouteEntry {
  readonly destination: string;
  readonly networkInterfaceId: string | undefined;
  readonly gatewayId: string | undefined;
  readonly origin: 'CreateRouteTable' | 'CreateRoute';
}

interface RouteTableRecord {
  readonly routeTableId: string;
  readonly vpcId: string;
  readonly associations: readonly {
    routeTableAssociationId: string;
    subnetId: string | undefined;
    main: boolean;
  }[];
  readonly tags: Readonly<Record<string, string>>;
  readonly timeline: Timeline<readonly RouteEntry[]>;
}

interface AddressSnapshot {
  readonly associationId: string | undefined;
  readonly networkInterfaceId: string | undefined;
  readonly privateIp: string | undefined;
  /** When it became associated with the instance that holds it now. */
  readonly since: number | undefined;
}

interface AddressRecord {
  readonly allocationId: string;
  readonly publicIp: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly timeline: Timeline<AddressSnapshot>;
}

interface SubnetRecord {
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly cidr: string;
  readonly tags: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------
// Views: what Describe returns.

export interface PrivateIpView {
  readonly address: string;
  readonly primary: boolean;
  readonly association:
    { readonly publicIp: string; readonly allocationId: string; readonly associationId: string } | undefined;
}

export interface NetworkInterfaceView {
  readonly networkInterfaceId: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly description: string;
  readonly macAddress: string;
  readonly status: 'in-use' | 'available';
  readonly attachment:
    | {
        readonly attachmentId: string;
        readonly instanceId: string;
        readonly deviceIndex: number;
        readonly attachTime: number;
      }
    | undefined;
  readonly sourceDestCheck: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly privateIps: readonly PrivateIpView[];
}

export interface InstanceView {
  readonly instanceId: string;
  readonly imageId: string;
  readonly state: InstanceState;
  readonly stateCode: number;
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly privateIp: string | undefined;
  readonly launchTime: number | undefined;
  readonly runningSince: number | undefined;
  readonly stateReason: StateReason | undefined;
  readonly stateTransitionReason: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly sourceDestCheck: boolean;
  readonly systemStatus: StatusCheck;
  readonly instanceStatus: StatusCheck;
  readonly networkInterfaces: readonly NetworkInterfaceView[];
  readonly scheduledEvents: readonly ScheduledEventView[];
}

export interface RouteView {
  readonly destination: string;
  readonly networkInterfaceId: string | undefined;
  readonly instanceId: string | undefined;
  readonly gatewayId: string | undefined;
  readonly state: 'active' | 'blackhole';
  readonly origin: 'CreateRouteTable' | 'CreateRoute';
}

export interface RouteTableView {
  readonly routeTableId: string;
  readonly vpcId: string;
  readonly associations: readonly {
    routeTableAssociationId: string;
    subnetId: string | undefined;
    main: boolean;
  }[];
  readonly tags: Readonly<Record<string, string>>;
  readonly routes: readonly RouteView[];
}

export interface AddressView {
  readonly allocationId: string;
  readonly publicIp: string;
  readonly associationId: string | undefined;
  readonly networkInterfaceId: string | undefined;
  readonly privateIp: string | undefined;
  readonly instanceId: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

export interface SubnetView extends SubnetRecord {
  readonly availableIpAddressCount: number;
}

export interface InstanceStateChange {
  readonly instanceId: string;
  readonly previousState: InstanceState;
  readonly currentState: InstanceState;
}

export interface AssociateAddressInput {
  readonly allocationId: string;
  readonly networkInterfaceId?: string;
  readonly instanceId?: string;
  readonly privateIp?: string;
  readonly allowReassociation?: boolean;
  readonly dryRun?: boolean;
}

export interface RouteTarget {
  readonly networkInterfaceId?: string;
  readonly gatewayId?: string;
}

const ec2Error = (code: string, message: string, httpStatus = 400) =>
  new SimAwsError('ec2', code, message, { httpStatus });

function notFound(code: string, kind: string, ids: readonly string[]): SimAwsError {
  const list = ids.join(', ');
  return ec2Error(
    code,
    ids.length === 1 ? `The ${kind} ID '${list}' does not exist` : `The ${kind} IDs '${list}' do not exist`,
  );
}

function dryRunSucceeded(): SimAwsError {
  return ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
}

function glob(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

type Extractors<V> = Readonly<Record<string, (v: V) => readonly (string | undefined)[]>>;

function matches<V extends { tags: Readonly<Record<string, string>> }>(
  view: V,
  filters: readonly Filter[] | undefined,
  extractors: Extractors<V>,
): boolean {
  for (const f of filters ?? []) {
    let candidates: readonly (string | undefined)[];
    if (f.name.startsWith('tag:')) candidates = [view.tags[f.name.slice(4)]];
    else if (f.name === 'tag-key') candidates = Object.keys(view.tags);
    else {
      const extract = extractors[f.name];
      if (extract === undefined) throw ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
      candidates = extract(view);
    }
    const patterns = f.values.map(glob);
    if (!candidates.some((c) => c !== undefined && patterns.some((p) => p.test(c)))) return false;
  }
  return true;
}

function gmt(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' GMT';
}

export class Ec2World {
  readonly #ctx: WorldContext;
  readonly #subnets = new Map<string, SubnetRecord>();
  readonly #vpcCidrs = new Map<string, string>();
  readonly #types = new Map<string, InstanceTypeSpec>(INSTANCE_TYPES);
  readonly #instances = new Map<string, InstanceRecord>();
  readonly #enis = new Map<string, EniRecord>();
  readonly #routeTables = new Map<string, RouteTableRecord>();
  readonly #addresses = new Map<string, AddressRecord>();

  constructor(ctx: WorldContext) {
    this.#ctx = ctx;
    ctx.faults.onChange(() => this.#applyInstanceFaults());
  }

  load(t: WorldTopology): void {
    const now = this.#ctx.now();
    for (const v of t.vpcs) this.#vpcCidrs.set(v.vpcId, v.cidr);
    for (const s of t.subnets) this.#subnets.set(s.subnetId, { ...s });
    for (const x of t.instanceTypes) this.#types.set(x.instanceType, { ...x });
    const addEni = (
      eni: WorldTopology['networkInterfaces'][number],
      attachment?: { instanceId: string; deviceIndex: number },
    ) => {
      const subnet = this.#subnet(eni.subnetId);
      this.#enis.set(eni.networkInterfaceId, {
        networkInterfaceId: eni.networkInterfaceId,
        subnetId: eni.subnetId,
        vpcId: subnet.vpcId,
        availabilityZone: subnet.availabilityZone,
        instanceId: attachment?.instanceId,
        deviceIndex: attachment?.deviceIndex,
        attachmentId: attachment === undefined ? undefined : `eni-attach-${eni.networkInterfaceId.slice(4)}`,
        // Attached when the instance was launched, long before the world began.
        attachTime: now - 30 * 86_400_000,
        privateIps: [...eni.privateIps],
        sourceDestCheck: eni.sourceDestCheck,
        description: eni.description,
        macAddress: this.#mac(),
        tags: { ...eni.tags },
      });
    };
    for (const inst of t.instances) {
      const sorted = [...inst.networkInterfaces].sort((a, b) => a.deviceIndex - b.deviceIndex);
      for (const eni of sorted) addEni(eni, { instanceId: inst.instanceId, deviceIndex: eni.deviceIndex });
      const primary = this.#enis.get(sorted[0]?.networkInterfaceId ?? '');
      if (primary === undefined) throw new RangeError(`instance ${inst.instanceId} has no ENI`);
      const launch =
        inst.launchTime === undefined
          ? inst.state === 'running'
            ? now - 7 * 86_400_000
            : undefined
          : typeof inst.launchTime === 'number'
            ? inst.launchTime
            : Date.parse(inst.launchTime);
      this.#instances.set(inst.instanceId, {
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
    for (const eni of t.networkInterfaces) addEni(eni);
    for (const rt of t.routeTables) {
      const routes: RouteEntry[] = [];
      const local = this.#vpcCidrs.get(rt.vpcId);
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
      this.#routeTables.set(rt.routeTableId, {
        routeTableId: rt.routeTableId,
        vpcId: rt.vpcId,
        associations: [
          ...(rt.main
            ? [
                {
                  routeTableAssociationId: `rtbassoc-${this.#ctx.ids.hex(17)}`,
                  subnetId: undefined,
                  main: true,
                },
              ]
            : []),
          ...rt.subnetAssociations.map((subnetId) => ({
            routeTableAssociationId: `rtbassoc-${this.#ctx.ids.hex(17)}`,
            subnetId,
            main: false,
          })),
        ],
        tags: { ...rt.tags },
        timeline: new Timeline<readonly RouteEntry[]>(routes),
      });
    }
    for (const eip of t.elasticIps) {
      const a = eip.association;
      const eni = a === undefined ? undefined : this.#enis.get(a.networkInterfaceId);
      this.#addresses.set(eip.allocationId, {
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
                associationId: a.associationId ?? `eipassoc-${this.#ctx.ids.hex(17)}`,
                networkInterfaceId: a.networkInterfaceId,
                privateIp: a.privateIp ?? eni.privateIps[0],
                since: now - 7 * 86_400_000,
              },
        ),
      });
    }
    for (const rec of this.#instances.values()) {
      const snap = rec.timeline.current;
      if (snap.state === 'running' && snap.runningSince !== undefined)
        this.#scheduleRunningTasks(rec, snap.runningSince, now);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Instances

  describeInstances(query: DescribeQuery = {}): InstanceView[] {
    this.#authorize('DescribeInstances');
    this.#ctx.scheduler.runDue();
    const t = query.current === true ? this.#ctx.now() : this.#viewTime('instances');
    const records = this.#pick(
      this.#instances,
      query.ids,
      'InvalidInstanceID.NotFound',
      'instance',
      /^i-[0-9a-f]+$/,
    );
    return records
      .map((rec) => this.#instanceView(rec, t))
      .filter((v) =>
        matches(v, query.filters, {
          'instance-id': (x) => [x.instanceId],
          'instance-state-name': (x) => [x.state],
          'instance-state-code': (x) => [String(x.stateCode)],
          'instance-type': (x) => [x.instanceType],
          'availability-zone': (x) => [x.availabilityZone],
          'vpc-id': (x) => [x.vpcId],
          'subnet-id': (x) => [x.subnetId],
          'image-id': (x) => [x.imageId],
          'private-ip-address': (x) => [x.privateIp],
          'network-interface.network-interface-id': (x) =>
            x.networkInterfaces.map((n) => n.networkInterfaceId),
          'network-interface.addresses.private-ip-address': (x) =>
            x.networkInterfaces.flatMap((n) => n.privateIps.map((p) => p.address)),
          'instance-status.status': (x) => [x.instanceStatus],
          'system-status.status': (x) => [x.systemStatus],
        }),
      );
  }

  /** AWS schedules an event for the instance (a retirement, a reboot, a stop); `undefined` clears them all. */
  scheduleEvent(instanceId: string, event: ScheduledEventView | undefined): void {
    const [rec] = this.#requireInstances([instanceId]);
    if (!rec) return;
    if (event === undefined) rec.scheduledEvents = [];
    else rec.scheduledEvents.push(event);
  }

  /** DescribeInstanceStatus: only running instances unless `includeAll`. */
  describeInstanceStatus(query: DescribeQuery & { includeAll?: boolean } = {}): InstanceView[] {
    this.#authorize('DescribeInstanceStatus');
    return this.describeInstances(query).filter((v) => query.includeAll === true || v.state === 'running');
  }

  startInstances(ids: readonly string[], dryRun = false): InstanceStateChange[] {
    this.#authorize('StartInstances', ids.map((id) => this.#arn('instance', id)));
    this.#ctx.scheduler.runDue();
    const records = this.#requireInstances(ids);
    for (const rec of records) {
      const state = rec.timeline.current.state;
      if (state === 'stopping' || state === 'terminated' || state === 'shutting-down') {
        throw ec2Error(
          'IncorrectInstanceState',
          `The instance '${rec.instanceId}' is not in a state from which it can be started.`,
        );
      }
    }
    if (dryRun) throw dryRunSucceeded();
    const at = this.#ctx.now();
    return records.map((rec) => {
      const snap = rec.timeline.current;
      if (snap.state !== 'stopped')
        return { instanceId: rec.instanceId, previousState: snap.state, currentState: snap.state };
      if (this.#ctx.faults.takeCapacityFailure(rec.instanceId, snap.instanceType)) {
        this.#ctx.events.record(
          at,
          'fault.injected',
          rec.instanceId,
          `no ${snap.instanceType} capacity for ${rec.instanceId}`,
          {
            op: 'ec2:StartInstances',
            code: 'InsufficientInstanceCapacity',
            kind: 'capacity',
            instanceType: snap.instanceType,
          },
        );
        // EC2 returns this as a server error (HTTP 500), which the SDK's standard retry retries.
        throw ec2Error(
          'InsufficientInstanceCapacity',
          `We currently do not have sufficient ${snap.instanceType} capacity in the Availability Zone you requested (${rec.availabilityZone}). Our system will be working on provisioning additional capacity. You can currently get ${snap.instanceType} capacity by not specifying an Availability Zone in your request or choosing another Availability Zone.`,
          500,
        );
      }
      this.#transition(rec, at, {
        state: 'pending',
        launchTime: at,
        runningSince: undefined,
        stateReason: undefined,
        stateTransitionReason: '',
      });
      const fault = this.#ctx.faults.instance(rec.instanceId);
      const gen = rec.gen;
      this.#ctx.scheduler.at(at + (fault.pendingMs ?? this.#ctx.timings.pendingMs), (when) => {
        if (rec.gen !== gen) return;
        this.#transition(rec, when, { state: 'running', runningSince: when });
        this.#scheduleRunningTasks(rec, when);
      });
      return { instanceId: rec.instanceId, previousState: 'stopped', currentState: 'pending' };
    });
  }

  stopInstances(ids: readonly string[], dryRun = false): InstanceStateChange[] {
    this.#authorize('StopInstances', ids.map((id) => this.#arn('instance', id)));
    this.#ctx.scheduler.runDue();
    const records = this.#requireInstances(ids);
    for (const rec of records) {
      const state = rec.timeline.current.state;
      if (state === 'pending' || state === 'terminated' || state === 'shutting-down') {
        throw ec2Error(
          'IncorrectInstanceState',
          `This instance '${rec.instanceId}' is not in a state from which it can be stopped.`,
        );
      }
    }
    if (dryRun) throw dryRunSucceeded();
    const at = this.#ctx.now();
    return records.map((rec) => {
      const snap = rec.timeline.current;
      if (snap.state !== 'running')
        return { instanceId: rec.instanceId, previousState: snap.state, currentState: snap.state };
      this.#beginStop(rec, at, {
        stateReason: {
          code: 'Client.UserInitiatedShutdown',
          message: 'Client.UserInitiatedShutdown: User initiated shutdown',
        },
        stateTransitionReason: `User initiated (${gmt(at)})`,
      });
      return { instanceId: rec.instanceId, previousState: 'running', currentState: 'stopping' };
    });
  }

  /** The instance stops by itself (host failure): what the crash fault does, callable directly by tests. */
  crashInstance(instanceId: string): void {
    this.#ctx.scheduler.runDue();
    const rec = this.#requireInstances([instanceId])[0] as InstanceRecord;
    const at = this.#ctx.now();
    if (rec.timeline.current.state !== 'running') return;
    this.#crash(rec, at);
  }

  /** Terminates an instance (scenario setup: a standby that no longer exists). */
  terminateInstance(instanceId: string): void {
    this.#ctx.scheduler.runDue();
    const rec = this.#requireInstances([instanceId])[0] as InstanceRecord;
    if (rec.timeline.current.state === 'terminated') return;
    const at = this.#ctx.now();
    this.#transition(rec, at, {
      state: 'terminated',
      runningSince: undefined,
      stateReason: {
        code: 'Client.UserInitiatedShutdown',
        message: 'Client.UserInitiatedShutdown: User initiated shutdown',
      },
      stateTransitionReason: `User initiated (${gmt(at)})`,
    });
  }

  modifyInstanceType(instanceId: string, instanceType: string, dryRun = false): void {
    // The attribute and its new value are condition keys (ec2:Attribute/${AttributeName}).
    this.#authorize('ModifyInstanceAttribute', [this.#arn('instance', instanceId)], { 'ec2:Attribute/InstanceType': instanceType });
    this.#ctx.scheduler.runDue();
    const rec = this.#requireInstances([instanceId])[0] as InstanceRecord;
    const snap = rec.timeline.current;
    const spec = this.#types.get(instanceType);
    if (spec === undefined) {
      throw ec2Error('InvalidParameterValue', `The instance type '${instanceType}' does not exist`);
    }
    if (snap.state !== 'stopped') {
      throw ec2Error('IncorrectInstanceState', `The instance '${instanceId}' is not in the 'stopped' state.`);
    }
    if (rec.eniIds.length > spec.maxNetworkInterfaces) {
      throw ec2Error(
        'InvalidParameterValue',
        `The instance type '${instanceType}' supports at most ${spec.maxNetworkInterfaces} network interfaces; ${instanceId} has ${rec.eniIds.length}`,
      );
    }
    if (dryRun) throw dryRunSucceeded();
    if (snap.instanceType === instanceType) return;
    const at = this.#ctx.now();
    rec.timeline.set(at, { ...snap, instanceType });
    this.#ctx.events.record(
      at,
      'ec2.instance.type',
      instanceId,
      `${instanceId} type ${snap.instanceType} -> ${instanceType}`,
      {
        from: snap.instanceType,
        to: instanceType,
      },
    );
  }

  /** ModifyInstanceAttribute SourceDestCheck: applies to the instance's primary ENI, as in EC2. */
  modifySourceDestCheck(instanceId: string, enabled: boolean, dryRun = false): void {
    this.#authorize('ModifyInstanceAttribute', [this.#arn('instance', instanceId)]);
    const rec = this.#requireInstances([instanceId])[0] as InstanceRecord;
    if (dryRun) throw dryRunSucceeded();
    const eni = this.#enis.get(rec.eniIds[0] ?? '');
    if (eni === undefined || eni.sourceDestCheck === enabled) return;
    eni.sourceDestCheck = enabled;
    this.#ctx.events.record(
      this.#ctx.now(),
      'ec2.instance.attribute',
      instanceId,
      `${instanceId} sourceDestCheck=${enabled}`,
      {
        attribute: 'sourceDestCheck',
        value: enabled,
      },
    );
  }

  // -------------------------------------------------------------------------------------------
  // Route tables

  describeRouteTables(query: DescribeQuery = {}): RouteTableView[] {
    this.#authorize('DescribeRouteTables');
    this.#ctx.scheduler.runDue();
    const t = query.current === true ? this.#ctx.now() : this.#viewTime('routes');
    const records = this.#pick(
      this.#routeTables,
      query.ids,
      'InvalidRouteTableID.NotFound',
      'routeTable',
      /^rtb-[0-9a-f]+$/,
    );
    return records
      .map((rec) => this.#routeTableView(rec, t))
      .filter((v) =>
        matches(v, query.filters, {
          'route-table-id': (x) => [x.routeTableId],
          'vpc-id': (x) => [x.vpcId],
          'association.subnet-id': (x) => x.associations.map((a) => a.subnetId),
          'association.main': (x) => [String(x.associations.some((a) => a.main))],
          'route.destination-cidr-block': (x) => x.routes.map((r) => r.destination),
          'route.network-interface-id': (x) => x.routes.map((r) => r.networkInterfaceId),
          'route.instance-id': (x) => x.routes.map((r) => r.instanceId),
          'route.gateway-id': (x) => x.routes.map((r) => r.gatewayId),
          'route.state': (x) => x.routes.map((r) => r.state),
        }),
      );
  }

  replaceRoute(routeTableId: string, destination: string, target: RouteTarget, dryRun = false): void {
    this.#authorize('ReplaceRoute', [this.#arn('route-table', routeTableId)]);
    this.#ctx.scheduler.runDue();
    const rec = this.#routeTable(routeTableId);
    this.#checkTarget(rec, target);
    const routes = rec.timeline.current;
    const index = routes.findIndex((r) => r.destination === destination);
    const existing = routes[index];
    if (existing === undefined) {
      throw ec2Error(
        'InvalidRoute.NotFound',
        `There is no route defined for '${destination}' in the route table. Use CreateRoute instead.`,
      );
    }
    if (existing.gatewayId === 'local') {
      throw ec2Error('InvalidParameterValue', `cannot replace local route ${destination} in ${routeTableId}`);
    }
    if (dryRun) throw dryRunSucceeded();
    const at = this.#ctx.now();
    const next: RouteEntry = {
      destination,
      networkInterfaceId: target.networkInterfaceId,
      gatewayId: target.gatewayId,
      origin: existing.origin,
    };
    const changed =
      existing.networkInterfaceId !== next.networkInterfaceId || existing.gatewayId !== next.gatewayId;
    if (changed)
      rec.timeline.set(
        at,
        routes.map((r, i) => (i === index ? next : r)),
      );
    const from = existing.networkInterfaceId ?? existing.gatewayId;
    const to = next.networkInterfaceId ?? next.gatewayId;
    this.#ctx.events.record(
      at,
      'ec2.route.replaced',
      routeTableId,
      changed
        ? `${routeTableId} ${destination}: ${from} -> ${to}`
        : `${routeTableId} ${destination}: already ${to}`,
      { routeTableId, destination, from, to, changed },
    );
  }

  createRoute(routeTableId: string, destination: string, target: RouteTarget, dryRun = false): void {
    this.#authorize('CreateRoute', [this.#arn('route-table', routeTableId)]);
    this.#ctx.scheduler.runDue();
    const rec = this.#routeTable(routeTableId);
    this.#checkTarget(rec, target);
    const routes = rec.timeline.current;
    if (routes.some((r) => r.destination === destination)) {
      throw ec2Error('RouteAlreadyExists', `The route identified by ${destination} already exists.`);
    }
    if (dryRun) throw dryRunSucceeded();
    const at = this.#ctx.now();
    rec.timeline.set(at, [
      ...routes,
      {
        destination,
        networkInterfaceId: target.networkInterfaceId,
        gatewayId: target.gatewayId,
        origin: 'CreateRoute',
      },
    ]);
    const to = target.networkInterfaceId ?? target.gatewayId;
    this.#ctx.events.record(
      at,
      'ec2.route.created',
      routeTableId,
      `${routeTableId} ${destination} created -> ${to}`,
      {
        routeTableId,
        destination,
        to,
      },
    );
  }

  // -------------------------------------------------------------------------------------------
  // Elastic IPs

  describeAddresses(query: DescribeQuery & { publicIps?: readonly string[] } = {}): AddressView[] {
    this.#authorize('DescribeAddresses');
    this.#ctx.scheduler.runDue();
    const t = query.current === true ? this.#ctx.now() : this.#viewTime('addresses');
    let records = this.#pick(
      this.#addresses,
      query.ids,
      'InvalidAllocationID.NotFound',
      'allocation',
      /^eipalloc-[0-9a-f]+$/,
    );
    if (query.publicIps !== undefined && query.publicIps.length > 0) {
      const known = new Set([...this.#addresses.values()].map((a) => a.publicIp));
      const missing = query.publicIps.filter((ip) => !known.has(ip));
      if (missing.length > 0) {
        throw ec2Error('InvalidAddress.NotFound', `Address '${missing.join(', ')}' not found.`);
      }
      records = records.filter((r) => query.publicIps?.includes(r.publicIp));
    }
    return records
      .map((rec) => this.#addressView(rec, t))
      .filter((v) =>
        matches(v, query.filters, {
          'allocation-id': (x) => [x.allocationId],
          'public-ip': (x) => [x.publicIp],
          'association-id': (x) => [x.associationId],
          'network-interface-id': (x) => [x.networkInterfaceId],
          'private-ip-address': (x) => [x.privateIp],
          'instance-id': (x) => [x.instanceId],
          domain: () => ['vpc'],
        }),
      );
  }

  /**
   * AssociateAddress. Same target again: success with the current association id (EC2 calls
   * the operation idempotent). Associated elsewhere: moves only with `allowReassociation`,
   * else `Resource.AlreadyAssociated`. An EIP already on the target private IP is displaced
   * under the same rule.
   */
  associateAddress(input: AssociateAddressInput): string {
    // Every resource of the request: the address, the ENI, and the instance (given, or the one
    // the ENI is attached to), as the authorization reference lists for AssociateAddress.
    const eniInstance = input.networkInterfaceId === undefined ? undefined : this.#enis.get(input.networkInterfaceId)?.instanceId;
    this.#authorize('AssociateAddress', [
      this.#arn('elastic-ip', input.allocationId),
      ...(input.networkInterfaceId === undefined ? [] : [this.#arn('network-interface', input.networkInterfaceId)]),
      ...[...new Set([input.instanceId, eniInstance])].flatMap((id) => (id === undefined ? [] : [this.#arn('instance', id)])),
    ]);
    this.#ctx.scheduler.runDue();
    const rec = this.#addresses.get(input.allocationId);
    if (rec === undefined) throw notFound('InvalidAllocationID.NotFound', 'allocation', [input.allocationId]);
    let eniId = input.networkInterfaceId;
    if (eniId === undefined) {
      if (input.instanceId === undefined) {
        throw ec2Error(
          'MissingParameter',
          'Either an instance ID or a network interface ID must be specified.',
        );
      }
      const inst = this.#requireInstances([input.instanceId])[0] as InstanceRecord;
      if (inst.eniIds.length > 1) {
        throw ec2Error(
          'InvalidInstanceID',
          `There are multiple interfaces attached to instance '${inst.instanceId}'. Please specify an interface ID for the operation instead.`,
        );
      }
      eniId = inst.eniIds[0];
    }
    const eni = this.#enis.get(eniId ?? '');
    if (eni === undefined || eniId === undefined) {
      throw notFound('InvalidNetworkInterfaceID.NotFound', 'networkInterface', [eniId ?? '']);
    }
    const privateIp = input.privateIp ?? eni.privateIps[0];
    if (privateIp === undefined || !eni.privateIps.includes(privateIp)) {
      throw ec2Error(
        'InvalidParameterValue',
        `The specified private IP address ${input.privateIp ?? ''} is not assigned to network interface ${eniId}`,
      );
    }
    const current = rec.timeline.current;
    if (
      current.networkInterfaceId === eniId &&
      current.privateIp === privateIp &&
      current.associationId !== undefined
    ) {
      if (input.dryRun === true) throw dryRunSucceeded();
      return current.associationId;
    }
    const allow = input.allowReassociation === true;
    if (current.associationId !== undefined && !allow) {
      throw ec2Error(
        'Resource.AlreadyAssociated',
        `resource ${input.allocationId} is already associated with associate-id ${current.associationId}`,
      );
    }
    const occupant = [...this.#addresses.values()].find(
      (a) =>
        a !== rec &&
        a.timeline.current.networkInterfaceId === eniId &&
        a.timeline.current.privateIp === privateIp,
    );
    if (occupant !== undefined && !allow) {
      throw ec2Error(
        'Resource.AlreadyAssociated',
        `resource ${eniId} private IP ${privateIp} is already associated with ${occupant.allocationId}`,
      );
    }
    if (input.dryRun === true) throw dryRunSucceeded();
    const at = this.#ctx.now();
    if (occupant !== undefined) this.#disassociate(occupant, at, `displaced by ${input.allocationId}`);
    const previousInstance =
      current.networkInterfaceId === undefined
        ? undefined
        : this.#enis.get(current.networkInterfaceId)?.instanceId;
    const associationId = `eipassoc-${this.#ctx.ids.hex(17)}`;
    const since = previousInstance !== undefined && previousInstance === eni.instanceId ? current.since : at;
    rec.timeline.set(at, { associationId, networkInterfaceId: eniId, privateIp, since });
    const from =
      current.networkInterfaceId === undefined
        ? 'unassociated'
        : `${current.networkInterfaceId}/${current.privateIp ?? ''}`;
    this.#ctx.events.record(
      at,
      'ec2.eip.associated',
      input.allocationId,
      `${rec.publicIp} (${input.allocationId}): ${from} -> ${eniId}/${privateIp}`,
      {
        allocationId: input.allocationId,
        publicIp: rec.publicIp,
        associationId,
        networkInterfaceId: eniId,
        privateIp,
        instanceId: eni.instanceId,
        previousNetworkInterfaceId: current.networkInterfaceId,
        previousInstanceId: previousInstance,
      },
    );
    return associationId;
  }

  disassociateAddress(associationId: string, dryRun = false): void {
    this.#ctx.scheduler.runDue();
    const rec = [...this.#addresses.values()].find((a) => a.timeline.current.associationId === associationId);
    this.#authorize('DisassociateAddress', rec === undefined ? [] : [this.#arn('elastic-ip', rec.allocationId)]);
    if (rec === undefined) {
      throw ec2Error('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`);
    }
    if (dryRun) throw dryRunSucceeded();
    this.#disassociate(rec, this.#ctx.now(), 'DisassociateAddress');
  }

  // -------------------------------------------------------------------------------------------
  // Network interfaces, subnets, instance types

  describeNetworkInterfaces(query: DescribeQuery = {}): NetworkInterfaceView[] {
    this.#authorize('DescribeNetworkInterfaces');
    this.#ctx.scheduler.runDue();
    const t = query.current === true ? this.#ctx.now() : this.#viewTime('networkInterfaces');
    const records = this.#pick(
      this.#enis,
      query.ids,
      'InvalidNetworkInterfaceID.NotFound',
      'networkInterface',
      /^eni-[0-9a-f]+$/,
    );
    return records
      .map((rec) => this.#eniView(rec, t))
      .filter((v) =>
        matches(v, query.filters, {
          'network-interface-id': (x) => [x.networkInterfaceId],
          'attachment.instance-id': (x) => [x.attachment?.instanceId],
          'attachment.device-index': (x) => [
            x.attachment === undefined ? undefined : String(x.attachment.deviceIndex),
          ],
          'subnet-id': (x) => [x.subnetId],
          'vpc-id': (x) => [x.vpcId],
          'availability-zone': (x) => [x.availabilityZone],
          status: (x) => [x.status],
          'private-ip-address': (x) => x.privateIps.map((p) => p.address),
          'addresses.private-ip-address': (x) => x.privateIps.map((p) => p.address),
          'association.public-ip': (x) => x.privateIps.map((p) => p.association?.publicIp),
          'association.allocation-id': (x) => x.privateIps.map((p) => p.association?.allocationId),
        }),
      );
  }

  describeSubnets(query: DescribeQuery = {}): SubnetView[] {
    this.#authorize('DescribeSubnets');
    const records = this.#pick(
      this.#subnets,
      query.ids,
      'InvalidSubnetID.NotFound',
      'subnet',
      /^subnet-[0-9a-f]+$/,
    );
    return records
      .map((s) => ({ ...s, availableIpAddressCount: this.#freeAddresses(s) }))
      .filter((v) =>
        matches(v, query.filters, {
          'subnet-id': (x) => [x.subnetId],
          'vpc-id': (x) => [x.vpcId],
          'availability-zone': (x) => [x.availabilityZone],
          'cidr-block': (x) => [x.cidr],
        }),
      );
  }

  describeInstanceTypes(types: readonly string[] = []): InstanceTypeSpec[] {
    this.#authorize('DescribeInstanceTypes');
    if (types.length === 0) return [...this.#types.values()];
    const missing = types.filter((x) => !this.#types.has(x));
    if (missing.length > 0) {
      throw ec2Error(
        'InvalidInstanceType',
        `The following supplied instance types do not exist: [${missing.join(', ')}]`,
      );
    }
    return types.map((x) => this.#types.get(x) as InstanceTypeSpec);
  }

  // -------------------------------------------------------------------------------------------
  // For the rest of the simulator (PAN-OS hosts, metrics, scenarios): current state, no lag.

  /** The IAM check of an EC2 operation (Describe* take no resource: `*`). */
  #authorize(operation: string, resources: readonly string[] = ['*'], context: Readonly<Record<string, string>> = {}): void {
    this.#ctx.iam.check('ec2', `ec2:${operation}`, resources, context);
  }

  #arn(type: string, id: string): string {
    return worldArn(this.#ctx, 'ec2', `${type}/${id}`);
  }

  instanceIds(): string[] {
    return [...this.#instances.keys()];
  }

  /** The instance as it is now, or was at `at` (no lag). */
  instanceNow(instanceId: string, at: number = this.#ctx.now()): InstanceView {
    this.#ctx.scheduler.runDue();
    return this.#instanceView(this.#requireInstances([instanceId])[0] as InstanceRecord, at);
  }

  hostView(instanceId: string): FirewallHostView {
    const rec = this.#requireInstances([instanceId])[0] as InstanceRecord;
    return {
      instanceId,
      instanceState: () => {
        this.#ctx.scheduler.runDue();
        return rec.timeline.current.state;
      },
      runningSince: () => {
        this.#ctx.scheduler.runDue();
        const snap = rec.timeline.current;
        return snap.state === 'running' ? snap.runningSince : undefined;
      },
      heldAddresses: () => {
        this.#ctx.scheduler.runDue();
        const held: HeldAddress[] = [];
        for (const a of this.#addresses.values()) {
          const snap = a.timeline.current;
          if (snap.networkInterfaceId === undefined || snap.since === undefined) continue;
          if (rec.eniIds.includes(snap.networkInterfaceId))
            held.push({ publicIp: a.publicIp, since: snap.since });
        }
        return held;
      },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  #viewTime(resource: LagResource): number {
    return this.#ctx.now() - this.#ctx.faults.lagMs(resource);
  }

  #mac(): string {
    return Array.from({ length: 6 }, (_, i) => (i === 0 ? '02' : this.#ctx.ids.hex(2))).join(':');
  }

  #subnet(id: string): SubnetRecord {
    const s = this.#subnets.get(id);
    if (s === undefined) throw notFound('InvalidSubnetID.NotFound', 'subnet', [id]);
    return s;
  }

  #pick<T>(
    map: ReadonlyMap<string, T>,
    ids: readonly string[] | undefined,
    code: string,
    kind: string,
    shape: RegExp,
  ): T[] {
    if (ids === undefined || ids.length === 0) return [...map.values()];
    const malformed = ids.filter((id) => !shape.test(id));
    if (malformed.length > 0) {
      const idKind = code.split('.')[0] ?? code;
      throw ec2Error(`${idKind}.Malformed`, `Invalid id: "${malformed[0] ?? ''}"`);
    }
    const missing = ids.filter((id) => !map.has(id));
    if (missing.length > 0) throw notFound(code, kind, missing);
    return [...new Set(ids)].map((id) => map.get(id) as T);
  }

  #requireInstances(ids: readonly string[]): InstanceRecord[] {
    if (ids.length === 0)
      throw ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
    return this.#pick(this.#instances, ids, 'InvalidInstanceID.NotFound', 'instance', /^i-[0-9a-f]+$/);
  }

  #routeTable(id: string): RouteTableRecord {
    const rec = this.#routeTables.get(id);
    if (rec === undefined) throw notFound('InvalidRouteTableID.NotFound', 'routeTable', [id]);
    return rec;
  }

  #checkTarget(rec: RouteTableRecord, target: RouteTarget): void {
    if ((target.networkInterfaceId === undefined) === (target.gatewayId === undefined)) {
      throw ec2Error(
        'InvalidParameterCombination',
        'The request must contain exactly one of gatewayId, networkInterfaceId',
      );
    }
    if (target.networkInterfaceId !== undefined) {
      const eni = this.#enis.get(target.networkInterfaceId);
      if (eni === undefined)
        throw notFound('InvalidNetworkInterfaceID.NotFound', 'networkInterface', [target.networkInterfaceId]);
      if (eni.vpcId !== rec.vpcId) {
        throw ec2Error(
          'InvalidParameterValue',
          `route table ${rec.routeTableId} and network interface ${eni.networkInterfaceId} belong to different networks`,
        );
      }
    }
  }

  #disassociate(rec: AddressRecord, at: number, reason: string): void {
    const current = rec.timeline.current;
    if (current.associationId === undefined) return;
    rec.timeline.set(at, {
      associationId: undefined,
      networkInterfaceId: undefined,
      privateIp: undefined,
      since: undefined,
    });
    this.#ctx.events.record(
      at,
      'ec2.eip.disassociated',
      rec.allocationId,
      `${rec.publicIp} (${rec.allocationId}) released from ${current.networkInterfaceId ?? ''} (${reason})`,
      {
        allocationId: rec.allocationId,
        publicIp: rec.publicIp,
        networkInterfaceId: current.networkInterfaceId,
        reason,
      },
    );
  }

  #transition(
    rec: InstanceRecord,
    at: number,
    change: Partial<InstanceSnapshot> & { state: InstanceState },
  ): void {
    const before = rec.timeline.current;
    rec.gen += 1;
    rec.crashTask?.cancel();
    rec.crashTask = undefined;
    rec.timeline.set(at, { ...before, ...change });
    this.#ctx.events.record(
      at,
      'ec2.instance.state',
      rec.instanceId,
      `${rec.instanceId} ${before.state} -> ${change.state}`,
      {
        from: before.state,
        to: change.state,
        instanceType: before.instanceType,
        reason: change.stateReason?.code,
      },
    );
  }

  #beginStop(
    rec: InstanceRecord,
    at: number,
    why: { stateReason: StateReason; stateTransitionReason: string },
  ): void {
    this.#transition(rec, at, { state: 'stopping', runningSince: undefined, ...why });
    const fault = this.#ctx.faults.instance(rec.instanceId);
    const gen = rec.gen;
    this.#ctx.scheduler.at(at + (fault.stoppingMs ?? this.#ctx.timings.stoppingMs), (when) => {
      if (rec.gen !== gen) return;
      this.#transition(rec, when, { state: 'stopped' });
    });
  }

  #crash(rec: InstanceRecord, at: number): void {
    this.#beginStop(rec, at, {
      stateReason: {
        code: 'Server.InternalError',
        message: 'Server.InternalError: Internal error on the host',
      },
      stateTransitionReason: `Server initiated (${gmt(at)})`,
    });
  }

  /** Status checks turning `ok`, and the crash fault, for an instance that entered `running` at `since`. */
  #scheduleRunningTasks(rec: InstanceRecord, since: number, loadedAt?: number): void {
    const gen = rec.gen;
    const fault = this.#ctx.faults.instance(rec.instanceId);
    const initMs = fault.statusInitMs ?? this.#ctx.timings.statusInitMs;
    // An instance loaded as long running passed its checks before the world began: nothing to log.
    if (loadedAt === undefined || since + initMs > loadedAt) {
      this.#scheduleStatusEvent(rec, gen, since + initMs);
    }
    this.#scheduleCrash(rec);
  }

  #scheduleStatusEvent(rec: InstanceRecord, gen: number, at: number): void {
    this.#ctx.scheduler.at(at, (when) => {
      if (rec.gen !== gen) return;
      const impaired = this.#ctx.faults.instance(rec.instanceId).impaired;
      const status = impaired === undefined || impaired === false ? 'ok' : 'impaired';
      this.#ctx.events.record(
        when,
        'ec2.instance.status',
        rec.instanceId,
        `${rec.instanceId} status checks ${status}`,
        {
          status,
        },
      );
    });
  }

  #scheduleCrash(rec: InstanceRecord): void {
    rec.crashTask?.cancel();
    rec.crashTask = undefined;
    const snap = rec.timeline.current;
    const after = this.#ctx.faults.instance(rec.instanceId).crashAfterRunningMs;
    if (after === undefined || snap.state !== 'running' || snap.runningSince === undefined) return;
    const gen = rec.gen;
    rec.crashTask = this.#ctx.scheduler.at(snap.runningSince + after, (when) => {
      if (rec.gen !== gen || rec.timeline.current.state !== 'running') return;
      this.#crash(rec, when);
    });
  }

  #applyInstanceFaults(): void {
    const at = this.#ctx.now();
    for (const rec of this.#instances.values()) {
      this.#scheduleCrash(rec);
      const snap = rec.timeline.current;
      if (snap.state !== 'running') continue;
      const impaired = this.#ctx.faults.instance(rec.instanceId).impaired;
      if (impaired !== undefined && impaired !== false) {
        this.#ctx.events.record(
          at,
          'ec2.instance.status',
          rec.instanceId,
          `${rec.instanceId} status checks impaired`,
          {
            status: 'impaired',
            check: impaired === true ? 'both' : impaired,
          },
        );
      }
    }
  }

  #statusAt(
    rec: InstanceRecord,
    snap: InstanceSnapshot,
    t: number,
  ): { system: StatusCheck; instance: StatusCheck } {
    if (snap.state !== 'running' || snap.runningSince === undefined)
      return { system: 'not-applicable', instance: 'not-applicable' };
    const fault = this.#ctx.faults.instance(rec.instanceId);
    const initMs = fault.statusInitMs ?? this.#ctx.timings.statusInitMs;
    const base: StatusCheck = t - snap.runningSince < initMs ? 'initializing' : 'ok';
    const impaired = fault.impaired;
    return {
      system: impaired === true || impaired === 'system' ? 'impaired' : base,
      instance: impaired === true || impaired === 'instance' ? 'impaired' : base,
    };
  }

  #instanceView(rec: InstanceRecord, t: number): InstanceView {
    const snap = rec.timeline.at(t);
    const status = this.#statusAt(rec, snap, t);
    const enis = rec.eniIds.map((id) => this.#eniView(this.#enis.get(id) as EniRecord, t));
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

  #eniView(rec: EniRecord, t: number): NetworkInterfaceView {
    const byIp = new Map<string, PrivateIpView['association']>();
    for (const a of this.#addresses.values()) {
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

  #routeTableView(rec: RouteTableRecord, t: number): RouteTableView {
    return {
      routeTableId: rec.routeTableId,
      vpcId: rec.vpcId,
      associations: rec.associations,
      tags: rec.tags,
      routes: rec.timeline.at(t).map((r) => {
        if (r.networkInterfaceId === undefined) {
          return { ...r, instanceId: undefined, state: 'active' as const };
        }
        const eni = this.#enis.get(r.networkInterfaceId);
        const inst = eni?.instanceId === undefined ? undefined : this.#instances.get(eni.instanceId);
        const running = inst !== undefined && inst.timeline.at(t).state === 'running';
        return {
          ...r,
          instanceId: eni?.instanceId,
          state: running ? ('active' as const) : ('blackhole' as const),
        };
      }),
    };
  }

  #addressView(rec: AddressRecord, t: number): AddressView {
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
          : this.#enis.get(snap.networkInterfaceId)?.instanceId,
      tags: rec.tags,
    };
  }

  #freeAddresses(s: SubnetRecord): number {
    const size = 2 ** (32 - Number(s.cidr.split('/')[1] ?? 32));
    const used = [...this.#enis.values()]
      .filter((e) => e.subnetId === s.subnetId)
      .reduce((n, e) => n + e.privateIps.length, 0);
    // AWS reserves five addresses in every subnet.
    return Math.max(0, size - 5 - used);
  }
}
