/**
 * Port to the EC2 operations the controller uses. The adapter wraps `@aws-sdk/client-ec2` and
 * translates SDK exceptions into `AwsError` subclasses; the fake keeps a world in memory.
 */

export const INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

/** EC2 status-check summary (`DescribeInstanceStatus`), `undefined` when not reported (e.g. stopped). */
export type StatusCheck = 'ok' | 'impaired' | 'initializing' | 'insufficient-data' | 'not-applicable';

export interface InstanceNetworkInterface {
  readonly networkInterfaceId: string;
  readonly deviceIndex: number;
  readonly subnetId: string | undefined;
  readonly privateIps: readonly string[];
  readonly sourceDestCheck: boolean | undefined;
}

/** An EC2 scheduled event of an instance (`DescribeInstanceStatus` `Events`). */
export interface ScheduledEvent {
  /** `instance-reboot`, `system-reboot`, `system-maintenance`, `instance-retirement`, `instance-stop`. */
  readonly code: string;
  readonly description: string | undefined;
  /** Epoch ms. */
  readonly notBefore: number | undefined;
  readonly notAfter: number | undefined;
}

export interface InstanceInfo {
  readonly instanceId: string;
  readonly state: InstanceState;
  readonly instanceType: string;
  readonly availabilityZone: string | undefined;
  /** Epoch ms of the last start (EC2 `LaunchTime` changes on every start). */
  readonly launchTime: number | undefined;
  readonly systemStatus: StatusCheck | undefined;
  readonly instanceStatus: StatusCheck | undefined;
  readonly networkInterfaces: readonly InstanceNetworkInterface[];
  /** Scheduled events EC2 reports (retirement, reboot, stop); completed or cancelled ones excluded. */
  readonly scheduledEvents?: readonly ScheduledEvent[];
}

export interface RouteInfo {
  readonly destination: string;
  readonly networkInterfaceId: string | undefined;
  readonly instanceId: string | undefined;
  /** Internet/NAT/VPC-endpoint gateway etc., when the route does not target an ENI. */
  readonly gatewayId: string | undefined;
  readonly state: 'active' | 'blackhole';
}

export interface RouteTableInfo {
  readonly routeTableId: string;
  readonly vpcId: string | undefined;
  readonly routes: readonly RouteInfo[];
}

export interface AddressInfo {
  readonly allocationId: string;
  readonly publicIp: string;
  readonly associationId: string | undefined;
  readonly networkInterfaceId: string | undefined;
  readonly privateIp: string | undefined;
  readonly instanceId: string | undefined;
}

export interface NetworkInterfaceInfo {
  readonly networkInterfaceId: string;
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly vpcId: string;
  readonly attachedInstanceId: string | undefined;
  readonly deviceIndex: number | undefined;
  readonly sourceDestCheck: boolean;
  readonly privateIps: readonly { address: string; primary: boolean; associatedPublicIp: string | undefined }[];
}

export interface InstanceTypeInfo {
  readonly instanceType: string;
  readonly maxNetworkInterfaces: number;
  readonly ipv4AddressesPerInterface: number;
}

export interface Ec2Port {
  /** Instances with their status checks (DescribeInstances + DescribeInstanceStatus, all states). */
  describeInstances(instanceIds: readonly string[]): Promise<InstanceInfo[]>;
  /** Starts the instance; no-op when already pending/running. Returns the state EC2 reports after the call. */
  startInstance(instanceId: string): Promise<InstanceState>;
  /** Stops the instance; no-op when already stopping/stopped. */
  stopInstance(instanceId: string): Promise<InstanceState>;
  /** ModifyInstanceAttribute InstanceType (instance must be stopped). */
  setInstanceType(instanceId: string, instanceType: string): Promise<void>;
  describeRouteTables(routeTableIds: readonly string[]): Promise<RouteTableInfo[]>;
  /** Retargets an existing route; throws `ManagedResourceNotFoundError` when the route does not exist. */
  replaceRoute(routeTableId: string, destination: string, networkInterfaceId: string): Promise<void>;
  createRoute(routeTableId: string, destination: string, networkInterfaceId: string): Promise<void>;
  describeAddresses(allocationIds: readonly string[]): Promise<AddressInfo[]>;
  /** AssociateAddress with AllowReassociation: moves the EIP; idempotent for the same target. */
  associateAddress(allocationId: string, networkInterfaceId: string, privateIp: string): Promise<string>;
  describeNetworkInterfaces(networkInterfaceIds: readonly string[]): Promise<NetworkInterfaceInfo[]>;
  describeInstanceTypes(instanceTypes: readonly string[]): Promise<InstanceTypeInfo[]>;
  /**
   * Route tables explicitly associated with any of these subnets, each with the subnets (of
   * these) it is associated with. A subnet in none uses its VPC's main route table. Optional:
   * only the preflight uses it.
   */
  describeSubnetRouteTables?(subnetIds: readonly string[]): Promise<{ table: RouteTableInfo; subnetIds: string[] }[]>;
}
