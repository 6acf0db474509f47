/**
 * `Ec2Port` over `@aws-sdk/client-ec2`.
 *
 * Describe calls never go out with an empty id list: EC2 reads "no ids" as "everything in the
 * account", which would hand the controller objects it does not manage. Every Describe returns
 * one entry per requested id, in request order, or throws: a missing object is an error, never
 * a shorter list the caller might not notice.
 */
import {
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  ModifyInstanceAttributeCommand,
  ReplaceRouteCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import type {
  Address,
  EC2Client,
  Instance,
  InstanceStateChange,
  InstanceStatus,
  InstanceTypeInfo as SdkInstanceTypeInfo,
  NetworkInterface,
  Route,
  RouteTable,
  _InstanceType,
} from '@aws-sdk/client-ec2';
import { INSTANCE_STATES } from '#shared/ports/ec2.js';
import type {
  AddressInfo,
  Ec2Port,
  InstanceInfo,
  InstanceState,
  InstanceTypeInfo,
  NetworkInterfaceInfo,
  RouteInfo,
  RouteTableInfo,
  StatusCheck,
} from '#shared/ports/ec2.js';
import type { DryRunAnswer, Ec2DryRun, Ec2Mutation } from '#shared/ports/selftest.js';
import { AwsCallError, ManagedResourceNotFoundError } from '#shared/errors.js';
import { awsErrorCode, callAws, malformedResponse, translateAwsError } from './errors.js';
import type { AwsCallContext } from './errors.js';

/** DescribeInstanceStatus takes at most 100 explicit ids; DescribeInstances shares the chunks. */
const INSTANCE_CHUNK = 100;
/** EC2 caps a filter or id list at 200 values. */
const ID_CHUNK = 200;
/** DescribeInstanceTypes accepts at most 100 types per call. */
const INSTANCE_TYPE_CHUNK = 100;
/** A paginated answer longer than this is a loop, not an account. */
const MAX_PAGES = 1_000;

const STATUS_CHECKS: readonly StatusCheck[] = [
  'ok',
  'impaired',
  'initializing',
  'insufficient-data',
  'not-applicable',
];

export function uniqueIds(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Follows `NextToken` until the last page; a repeated token would loop forever, so it throws. */
export async function collectPages<P>(
  operation: string,
  fetchPage: (nextToken: string | undefined) => Promise<{ page: P; nextToken: string | undefined }>,
): Promise<P[]> {
  const pages: P[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    if (pages.length >= MAX_PAGES) throw malformedResponse(operation, `more than ${MAX_PAGES} pages`);
    const { page, nextToken } = await fetchPage(token);
    pages.push(page);
    token = nextToken === '' ? undefined : nextToken;
    if (token !== undefined) {
      if (seen.has(token)) throw malformedResponse(operation, `NextToken ${token} repeated`);
      seen.add(token);
    }
  } while (token !== undefined);
  return pages;
}

/** One result per requested id, in request order; `onMissing` builds the error naming the rest. */
function inRequestOrder<T>(
  ids: readonly string[],
  found: ReadonlyMap<string, T>,
  onMissing: (missing: readonly string[]) => Error,
): T[] {
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) throw onMissing(missing);
  return ids.map((id) => found.get(id) as T);
}

function notReturned(operation: string, kind: string) {
  return (missing: readonly string[]) => {
    const resource = `${kind} ${missing.join(', ')}`;
    return new ManagedResourceNotFoundError(operation, `${resource} not returned by EC2`, undefined, {
      details: { resource },
    });
  };
}

function required<T>(operation: string, value: T | undefined, what: string): T {
  if (value === undefined || value === null) throw malformedResponse(operation, `missing ${what}`);
  return value;
}

function instanceState(operation: string, name: string | undefined, instanceId: string): InstanceState {
  const state = (INSTANCE_STATES as readonly string[]).includes(name ?? '')
    ? (name as InstanceState)
    : undefined;
  return required(operation, state, `a known state for ${instanceId} (got ${String(name)})`);
}

// Status values are data EC2 owns: an unknown one reads as "not reported" rather than failing the probe.
function statusCheck(value: string | undefined): StatusCheck | undefined {
  return STATUS_CHECKS.find((s) => s === value);
}

function toInstanceInfo(
  operation: string,
  instance: Instance,
  status: InstanceStatus | undefined,
): InstanceInfo {
  const instanceId = required(operation, instance.InstanceId, 'InstanceId');
  const networkInterfaces = (instance.NetworkInterfaces ?? [])
    .map((eni) => ({
      networkInterfaceId: required(operation, eni.NetworkInterfaceId, `NetworkInterfaceId of ${instanceId}`),
      deviceIndex: required(operation, eni.Attachment?.DeviceIndex, `DeviceIndex of an ENI of ${instanceId}`),
      subnetId: eni.SubnetId,
      privateIps: [...(eni.PrivateIpAddresses ?? [])]
        .sort((a, b) => Number(b.Primary === true) - Number(a.Primary === true))
        .flatMap((ip) => (ip.PrivateIpAddress === undefined ? [] : [ip.PrivateIpAddress])),
      sourceDestCheck: eni.SourceDestCheck,
    }))
    .sort((a, b) => a.deviceIndex - b.deviceIndex);
  return {
    instanceId,
    state: instanceState(operation, instance.State?.Name, instanceId),
    instanceType: required(operation, instance.InstanceType, `InstanceType of ${instanceId}`),
    availabilityZone: instance.Placement?.AvailabilityZone,
    launchTime: instance.LaunchTime?.getTime(),
    systemStatus: statusCheck(status?.SystemStatus?.Status),
    instanceStatus: statusCheck(status?.InstanceStatus?.Status),
    networkInterfaces,
    // EC2 keeps completed and cancelled events for a while, marked in the description.
    scheduledEvents: (status?.Events ?? [])
      .filter((e) => e.Code !== undefined && !/^\[(Completed|Canceled)\]/i.test(e.Description ?? ''))
      .map((e) => ({ code: String(e.Code), description: e.Description, notBefore: e.NotBefore?.getTime(), notAfter: e.NotAfter?.getTime() })),
  };
}

function routeState(operation: string, state: string | undefined): RouteInfo['state'] {
  if (state === 'active' || state === 'blackhole') return state;
  // `filtered` (a route server withheld the route): it forwards nothing, like a blackhole.
  if (state === 'filtered') return 'blackhole';
  throw malformedResponse(operation, `route state ${String(state)}`);
}

function toRouteInfo(operation: string, route: Route): RouteInfo {
  return {
    destination: required(
      operation,
      route.DestinationCidrBlock ?? route.DestinationIpv6CidrBlock ?? route.DestinationPrefixListId,
      'route destination',
    ),
    networkInterfaceId: route.NetworkInterfaceId,
    instanceId: route.InstanceId,
    gatewayId:
      route.GatewayId ??
      route.NatGatewayId ??
      route.TransitGatewayId ??
      route.VpcPeeringConnectionId ??
      route.EgressOnlyInternetGatewayId ??
      route.LocalGatewayId ??
      route.CarrierGatewayId ??
      route.CoreNetworkArn,
    state: routeState(operation, route.State),
  };
}

function toRouteTableInfo(operation: string, table: RouteTable): RouteTableInfo {
  return {
    routeTableId: required(operation, table.RouteTableId, 'RouteTableId'),
    vpcId: table.VpcId,
    routes: (table.Routes ?? []).map((r) => toRouteInfo(operation, r)),
  };
}

function toAddressInfo(operation: string, address: Address): AddressInfo {
  const allocationId = required(operation, address.AllocationId, 'AllocationId');
  return {
    allocationId,
    publicIp: required(operation, address.PublicIp, `PublicIp of ${allocationId}`),
    associationId: address.AssociationId,
    networkInterfaceId: address.NetworkInterfaceId,
    privateIp: address.PrivateIpAddress,
    instanceId: address.InstanceId,
  };
}

function toNetworkInterfaceInfo(operation: string, eni: NetworkInterface): NetworkInterfaceInfo {
  const id = required(operation, eni.NetworkInterfaceId, 'NetworkInterfaceId');
  return {
    networkInterfaceId: id,
    subnetId: required(operation, eni.SubnetId, `SubnetId of ${id}`),
    availabilityZone: required(operation, eni.AvailabilityZone, `AvailabilityZone of ${id}`),
    vpcId: required(operation, eni.VpcId, `VpcId of ${id}`),
    attachedInstanceId: eni.Attachment?.InstanceId,
    deviceIndex: eni.Attachment?.DeviceIndex,
    sourceDestCheck: required(operation, eni.SourceDestCheck, `SourceDestCheck of ${id}`),
    privateIps: (eni.PrivateIpAddresses ?? []).map((ip) => ({
      address: required(operation, ip.PrivateIpAddress, `PrivateIpAddress of ${id}`),
      primary: ip.Primary === true,
      associatedPublicIp: ip.Association?.PublicIp,
    })),
  };
}

function toInstanceTypeInfo(operation: string, info: SdkInstanceTypeInfo): InstanceTypeInfo {
  const instanceType = required(operation, info.InstanceType, 'InstanceType');
  return {
    instanceType,
    maxNetworkInterfaces: required(
      operation,
      info.NetworkInfo?.MaximumNetworkInterfaces,
      `NetworkInfo.MaximumNetworkInterfaces of ${instanceType}`,
    ),
    ipv4AddressesPerInterface: required(
      operation,
      info.NetworkInfo?.Ipv4AddressesPerInterface,
      `NetworkInfo.Ipv4AddressesPerInterface of ${instanceType}`,
    ),
  };
}

/** The destination parameter EC2 expects for this kind of destination. */
export function routeDestination(destination: string) {
  if (destination.startsWith('pl-')) return { DestinationPrefixListId: destination };
  if (destination.includes(':')) return { DestinationIpv6CidrBlock: destination };
  return { DestinationCidrBlock: destination };
}

function currentState(
  operation: string,
  changes: InstanceStateChange[] | undefined,
  instanceId: string,
): InstanceState {
  const change = changes?.find((c) => c.InstanceId === instanceId);
  return instanceState(operation, change?.CurrentState?.Name, instanceId);
}

/**
 * The SDK command of each call that changes EC2: the flow's calls and the self-test's dry runs
 * are built here, so the dry run sends exactly the parameters of the real call.
 */
export function mutationCommand(call: Ec2Mutation, dryRun = false) {
  const dry = dryRun ? { DryRun: true } : {};
  switch (call.action) {
    case 'StartInstances':
      return new StartInstancesCommand({ InstanceIds: [call.instanceId], ...dry });
    case 'StopInstances':
      return new StopInstancesCommand({ InstanceIds: [call.instanceId], ...dry });
    case 'ModifyInstanceAttribute':
      return new ModifyInstanceAttributeCommand({ InstanceId: call.instanceId, InstanceType: { Value: call.instanceType }, ...dry });
    case 'ReplaceRoute':
      return new ReplaceRouteCommand({ RouteTableId: call.routeTableId, ...routeDestination(call.destination), NetworkInterfaceId: call.networkInterfaceId, ...dry });
    case 'CreateRoute':
      return new CreateRouteCommand({ RouteTableId: call.routeTableId, ...routeDestination(call.destination), NetworkInterfaceId: call.networkInterfaceId, ...dry });
    case 'AssociateAddress':
      return new AssociateAddressCommand({
        AllocationId: call.allocationId,
        NetworkInterfaceId: call.networkInterfaceId,
        PrivateIpAddress: call.privateIp,
        // Moves the address even when it is associated with the old firewall.
        AllowReassociation: true,
        ...dry,
      });
  }
}

export class Ec2Adapter implements Ec2Port, Ec2DryRun {
  readonly #client: EC2Client;

  constructor(client: EC2Client) {
    this.#client = client;
  }

  async describeInstances(instanceIds: readonly string[]): Promise<InstanceInfo[]> {
    const ids = uniqueIds(instanceIds);
    const found = new Map<string, InstanceInfo>();
    for (const chunk of chunks(ids, INSTANCE_CHUNK)) {
      const [instances, statuses] = await Promise.all([this.#instances(chunk), this.#statuses(chunk)]);
      for (const instance of instances) {
        const info = toInstanceInfo(
          'ec2:DescribeInstances',
          instance,
          statuses.get(instance.InstanceId ?? ''),
        );
        found.set(info.instanceId, info);
      }
    }
    return inRequestOrder(ids, found, notReturned('ec2:DescribeInstances', 'instances'));
  }

  async #instances(ids: string[]): Promise<Instance[]> {
    const context = { operation: 'ec2:DescribeInstances', resource: `instances ${ids.join(', ')}` };
    // MaxResults may not be combined with InstanceIds; EC2 may still page, so NextToken is followed.
    const pages = await collectPages(context.operation, async (NextToken) => {
      const out = await callAws(context, () =>
        this.#client.send(new DescribeInstancesCommand({ InstanceIds: ids, NextToken })),
      );
      return { page: (out.Reservations ?? []).flatMap((r) => r.Instances ?? []), nextToken: out.NextToken };
    });
    return pages.flat();
  }

  async #statuses(ids: string[]): Promise<Map<string, InstanceStatus>> {
    const context = { operation: 'ec2:DescribeInstanceStatus', resource: `instances ${ids.join(', ')}` };
    const pages = await collectPages(context.operation, async (NextToken) => {
      const out = await callAws(context, () =>
        this.#client.send(
          new DescribeInstanceStatusCommand({ InstanceIds: ids, IncludeAllInstances: true, NextToken }),
        ),
      );
      return { page: out.InstanceStatuses ?? [], nextToken: out.NextToken };
    });
    return new Map(
      pages.flat().flatMap((s) => (s.InstanceId === undefined ? [] : [[s.InstanceId, s] as const])),
    );
  }

  async startInstance(instanceId: string): Promise<InstanceState> {
    const context = { operation: 'ec2:StartInstances', resource: `instance ${instanceId}` };
    const out = await callAws(context, () =>
      this.#client.send(mutationCommand({ action: 'StartInstances', instanceId }) as StartInstancesCommand),
    );
    return currentState(context.operation, out.StartingInstances, instanceId);
  }

  async stopInstance(instanceId: string): Promise<InstanceState> {
    const context = { operation: 'ec2:StopInstances', resource: `instance ${instanceId}` };
    const out = await callAws(context, () =>
      this.#client.send(mutationCommand({ action: 'StopInstances', instanceId }) as StopInstancesCommand),
    );
    return currentState(context.operation, out.StoppingInstances, instanceId);
  }

  async setInstanceType(instanceId: string, instanceType: string): Promise<void> {
    const context = { operation: 'ec2:ModifyInstanceAttribute', resource: `instance ${instanceId}` };
    await callAws(context, () =>
      this.#client.send(mutationCommand({ action: 'ModifyInstanceAttribute', instanceId, instanceType }) as ModifyInstanceAttributeCommand),
    );
  }

  async describeRouteTables(routeTableIds: readonly string[]): Promise<RouteTableInfo[]> {
    const operation = 'ec2:DescribeRouteTables';
    const ids = uniqueIds(routeTableIds);
    const found = new Map<string, RouteTableInfo>();
    for (const chunk of chunks(ids, ID_CHUNK)) {
      const context = { operation, resource: `route tables ${chunk.join(', ')}` };
      const pages = await collectPages(operation, async (NextToken) => {
        const out = await callAws(context, () =>
          this.#client.send(new DescribeRouteTablesCommand({ RouteTableIds: chunk, NextToken })),
        );
        return { page: out.RouteTables ?? [], nextToken: out.NextToken };
      });
      for (const table of pages.flat()) {
        const info = toRouteTableInfo(operation, table);
        found.set(info.routeTableId, info);
      }
    }
    return inRequestOrder(ids, found, notReturned(operation, 'route tables'));
  }

  async describeSubnetRouteTables(subnetIds: readonly string[]): Promise<{ table: RouteTableInfo; subnetIds: string[] }[]> {
    const operation = 'ec2:DescribeRouteTables';
    const ids = uniqueIds(subnetIds);
    if (ids.length === 0) return [];
    const context = { operation, resource: `route tables of subnets ${ids.join(', ')}` };
    const pages = await collectPages(operation, async (NextToken) => {
      const out = await callAws(context, () =>
        this.#client.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: ids }], NextToken })),
      );
      return { page: out.RouteTables ?? [], nextToken: out.NextToken };
    });
    return pages.flat().map((t) => ({
      table: toRouteTableInfo(operation, t),
      subnetIds: (t.Associations ?? []).map((a) => a.SubnetId).filter((s): s is string => s !== undefined && ids.includes(s)),
    }));
  }

  async replaceRoute(routeTableId: string, destination: string, networkInterfaceId: string): Promise<void> {
    const context = routeContext('ec2:ReplaceRoute', routeTableId, destination, networkInterfaceId);
    await callAws(context, () =>
      this.#client.send(mutationCommand({ action: 'ReplaceRoute', routeTableId, destination, networkInterfaceId }) as ReplaceRouteCommand),
    );
  }

  async createRoute(routeTableId: string, destination: string, networkInterfaceId: string): Promise<void> {
    const context = routeContext('ec2:CreateRoute', routeTableId, destination, networkInterfaceId);
    await callAws(context, () =>
      this.#client.send(mutationCommand({ action: 'CreateRoute', routeTableId, destination, networkInterfaceId }) as CreateRouteCommand),
    );
  }

  async describeAddresses(allocationIds: readonly string[]): Promise<AddressInfo[]> {
    const operation = 'ec2:DescribeAddresses';
    const ids = uniqueIds(allocationIds);
    const found = new Map<string, AddressInfo>();
    // DescribeAddresses is not paginated.
    for (const chunk of chunks(ids, ID_CHUNK)) {
      const context = { operation, resource: `Elastic IPs ${chunk.join(', ')}` };
      const out = await callAws(context, () =>
        this.#client.send(new DescribeAddressesCommand({ AllocationIds: chunk })),
      );
      for (const address of out.Addresses ?? []) {
        const info = toAddressInfo(operation, address);
        found.set(info.allocationId, info);
      }
    }
    return inRequestOrder(ids, found, notReturned(operation, 'Elastic IPs'));
  }

  async associateAddress(
    allocationId: string,
    networkInterfaceId: string,
    privateIp: string,
  ): Promise<string> {
    const context = {
      operation: 'ec2:AssociateAddress',
      resource: `Elastic IP ${allocationId} -> ${networkInterfaceId} (${privateIp})`,
    };
    const out = await callAws(context, () =>
      this.#client.send(mutationCommand({ action: 'AssociateAddress', allocationId, networkInterfaceId, privateIp }) as AssociateAddressCommand),
    );
    return required(context.operation, out.AssociationId, 'AssociationId');
  }

  /**
   * Sends `call` with `DryRun=true`: EC2 checks the permission (and the request) and changes
   * nothing. `DryRunOperation` means allowed, `UnauthorizedOperation` denied; anything else is
   * thrown typed. A call that succeeds although it was a dry run is an error, loudly.
   */
  async dryRun(call: Ec2Mutation): Promise<DryRunAnswer> {
    const operation = `ec2:${call.action}`;
    try {
      await this.#client.send(mutationCommand(call, true) as StartInstancesCommand);
    } catch (error) {
      const code = awsErrorCode(error);
      if (code === 'DryRunOperation') return { allowed: true };
      if (code === 'UnauthorizedOperation') return { allowed: false, message: error instanceof Error ? error.message : String(error) };
      throw translateAwsError(error, { operation });
    }
    throw new AwsCallError(operation, 'EC2 answered a DryRun call as if it had been made (no DryRunOperation)', undefined);
  }

  async describeNetworkInterfaces(networkInterfaceIds: readonly string[]): Promise<NetworkInterfaceInfo[]> {
    const operation = 'ec2:DescribeNetworkInterfaces';
    const ids = uniqueIds(networkInterfaceIds);
    const found = new Map<string, NetworkInterfaceInfo>();
    for (const chunk of chunks(ids, ID_CHUNK)) {
      const context = { operation, resource: `network interfaces ${chunk.join(', ')}` };
      const pages = await collectPages(operation, async (NextToken) => {
        const out = await callAws(context, () =>
          this.#client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: chunk, NextToken })),
        );
        return { page: out.NetworkInterfaces ?? [], nextToken: out.NextToken };
      });
      for (const eni of pages.flat()) {
        const info = toNetworkInterfaceInfo(operation, eni);
        found.set(info.networkInterfaceId, info);
      }
    }
    return inRequestOrder(ids, found, notReturned(operation, 'network interfaces'));
  }

  async describeInstanceTypes(instanceTypes: readonly string[]): Promise<InstanceTypeInfo[]> {
    const operation = 'ec2:DescribeInstanceTypes';
    const types = uniqueIds(instanceTypes);
    const found = new Map<string, InstanceTypeInfo>();
    for (const chunk of chunks(types, INSTANCE_TYPE_CHUNK)) {
      // Instance types are not managed objects: an unknown one is a configuration error (AwsCallError).
      const context = { operation };
      const pages = await collectPages(operation, async (NextToken) => {
        const out = await callAws(context, () =>
          this.#client.send(
            new DescribeInstanceTypesCommand({ InstanceTypes: chunk as _InstanceType[], NextToken }),
          ),
        );
        return { page: out.InstanceTypes ?? [], nextToken: out.NextToken };
      });
      for (const info of pages.flat()) {
        const mapped = toInstanceTypeInfo(operation, info);
        found.set(mapped.instanceType, mapped);
      }
    }
    return inRequestOrder(types, found, (missing) =>
      malformedResponse(operation, `instance types ${missing.join(', ')} not returned`),
    );
  }
}

function routeContext(
  operation: string,
  routeTableId: string,
  destination: string,
  eni: string,
): AwsCallContext {
  return { operation, resource: `route ${destination} in ${routeTableId} (target ${eni})` };
}
