/**
 * The simulated EC2's shapes: what it keeps per resource (records, with a `Timeline` for every
 * state the controller changes), what Describe calls return (views), and the errors, filters
 * and time formats every resource shares.
 */
import type { InstanceState, StatusCheck } from '#shared/ports/ec2.js';
import { SimAwsError } from '../aws-error.js';
import type { TaskHandle } from '../scheduler.js';
import type { Timeline } from '../timeline.js';

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

export interface StateReason {
  readonly code: string;
  readonly message: string;
}

export interface InstanceSnapshot {
  readonly state: InstanceState;
  readonly instanceType: string;
  readonly launchTime: number | undefined;
  readonly runningSince: number | undefined;
  readonly stateReason: StateReason | undefined;
  readonly stateTransitionReason: string;
}

export interface InstanceRecord {
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

export interface EniRecord {
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

export interface RouteEntry {
  readonly destination: string;
  readonly networkInterfaceId: string | undefined;
  readonly gatewayId: string | undefined;
  readonly origin: 'CreateRouteTable' | 'CreateRoute';
}

export interface RouteTableRecord {
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

export interface AddressSnapshot {
  readonly associationId: string | undefined;
  readonly networkInterfaceId: string | undefined;
  readonly privateIp: string | undefined;
  /** When it became associated with the instance that holds it now. */
  readonly since: number | undefined;
}

export interface AddressRecord {
  readonly allocationId: string;
  readonly publicIp: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly timeline: Timeline<AddressSnapshot>;
}

export interface SubnetRecord {
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

export const ec2Error = (code: string, message: string, httpStatus = 400) =>
  new SimAwsError('ec2', code, message, { httpStatus });

export function notFound(code: string, kind: string, ids: readonly string[]): SimAwsError {
  const list = ids.join(', ');
  return ec2Error(
    code,
    ids.length === 1 ? `The ${kind} ID '${list}' does not exist` : `The ${kind} IDs '${list}' do not exist`,
  );
}

export function dryRunSucceeded(): SimAwsError {
  return ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
}

export function glob(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

export type Extractors<V> = Readonly<Record<string, (v: V) => readonly (string | undefined)[]>>;

export function matches<V extends { tags: Readonly<Record<string, string>> }>(
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

export function gmt(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' GMT';
}
