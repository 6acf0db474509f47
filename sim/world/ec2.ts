/**
 * EC2 as the controller sees it: instances with their life cycle, ENIs, route tables, Elastic
 * IPs, subnets and instance types. Every state that the controller changes keeps a history
 * (`Timeline`) so Describe calls can lag behind mutations the way EC2's do.
 *
 * Methods throw `SimAwsError` with EC2's codes and messages; they never apply throttling or
 * latency themselves (the world's `call` does, for the wire server and the direct ports alike).
 *
 * One module a resource, in ec2/: instances (and their life cycle), route tables, Elastic IPs,
 * network interfaces with subnets and instance types; the shapes (model), the shared lookups
 * (state), the Describe views, and the loading of a topology. This class is their one front.
 */
import type { FirewallHostView } from './firewall-host.js';
import type { WorldContext } from './context.js';
import type { InstanceTypeSpec } from './instance-types.js';
import type { WorldTopology } from './topology.js';
import { Ec2Addresses } from './ec2/addresses.js';
import { Ec2Instances } from './ec2/instances.js';
import { loadTopology } from './ec2/load.js';
import type {
  AddressView,
  AssociateAddressInput,
  DescribeQuery,
  InstanceStateChange,
  InstanceView,
  NetworkInterfaceView,
  RouteTableView,
  RouteTarget,
  ScheduledEventView,
  SubnetView,
} from './ec2/model.js';
import { Ec2Network } from './ec2/network.js';
import { Ec2Routes } from './ec2/routes.js';
import { Ec2State } from './ec2/state.js';

export { INSTANCE_STATE_CODES } from './ec2/model.js';
export type {
  AddressView,
  AssociateAddressInput,
  DescribeQuery,
  Filter,
  InstanceStateChange,
  InstanceView,
  NetworkInterfaceView,
  PrivateIpView,
  RouteTableView,
  RouteTarget,
  RouteView,
  ScheduledEventView,
  SubnetView,
} from './ec2/model.js';

export class Ec2World {
  readonly #state: Ec2State;
  readonly #instances: Ec2Instances;
  readonly #routes: Ec2Routes;
  readonly #addresses: Ec2Addresses;
  readonly #network: Ec2Network;

  constructor(ctx: WorldContext) {
    this.#state = new Ec2State(ctx);
    this.#instances = new Ec2Instances(this.#state);
    this.#routes = new Ec2Routes(this.#state);
    this.#addresses = new Ec2Addresses(this.#state);
    this.#network = new Ec2Network(this.#state);
    ctx.faults.onChange(() => this.#instances.applyInstanceFaults());
  }

  load(t: WorldTopology): void {
    loadTopology(this.#state, t, this.#instances);
  }

  // ---- instances ------------------------------------------------------------------------------

  describeInstances(query: DescribeQuery = {}): InstanceView[] {
    return this.#instances.describeInstances(query);
  }

  /** AWS schedules an event for the instance (a retirement, a reboot, a stop); `undefined` clears them all. */
  scheduleEvent(instanceId: string, event: ScheduledEventView | undefined): void {
    this.#instances.scheduleEvent(instanceId, event);
  }

  /** DescribeInstanceStatus: only running instances unless `includeAll`. */
  describeInstanceStatus(query: DescribeQuery & { includeAll?: boolean } = {}): InstanceView[] {
    return this.#instances.describeInstanceStatus(query);
  }

  startInstances(ids: readonly string[], dryRun = false): InstanceStateChange[] {
    return this.#instances.startInstances(ids, dryRun);
  }

  stopInstances(ids: readonly string[], dryRun = false): InstanceStateChange[] {
    return this.#instances.stopInstances(ids, dryRun);
  }

  /** The instance stops by itself (host failure): what the crash fault does, callable directly by tests. */
  crashInstance(instanceId: string): void {
    this.#instances.crashInstance(instanceId);
  }

  /** Terminates an instance (scenario setup: a standby that no longer exists). */
  terminateInstance(instanceId: string): void {
    this.#instances.terminateInstance(instanceId);
  }

  modifyInstanceType(instanceId: string, instanceType: string, dryRun = false): void {
    this.#instances.modifyInstanceType(instanceId, instanceType, dryRun);
  }

  /** ModifyInstanceAttribute SourceDestCheck: applies to the instance's primary ENI, as in EC2. */
  modifySourceDestCheck(instanceId: string, enabled: boolean, dryRun = false): void {
    this.#instances.modifySourceDestCheck(instanceId, enabled, dryRun);
  }

  // ---- route tables ---------------------------------------------------------------------------

  describeRouteTables(query: DescribeQuery = {}): RouteTableView[] {
    return this.#routes.describeRouteTables(query);
  }

  replaceRoute(routeTableId: string, destination: string, target: RouteTarget, dryRun = false): void {
    this.#routes.replaceRoute(routeTableId, destination, target, dryRun);
  }

  createRoute(routeTableId: string, destination: string, target: RouteTarget, dryRun = false): void {
    this.#routes.createRoute(routeTableId, destination, target, dryRun);
  }

  // ---- Elastic IPs ----------------------------------------------------------------------------

  describeAddresses(query: DescribeQuery & { publicIps?: readonly string[] } = {}): AddressView[] {
    return this.#addresses.describeAddresses(query);
  }

  /** AssociateAddress (see Ec2Addresses.associateAddress for the rules); returns the association id. */
  associateAddress(input: AssociateAddressInput): string {
    return this.#addresses.associateAddress(input);
  }

  disassociateAddress(associationId: string, dryRun = false): void {
    this.#addresses.disassociateAddress(associationId, dryRun);
  }

  // ---- network interfaces, subnets, instance types --------------------------------------------

  describeNetworkInterfaces(query: DescribeQuery = {}): NetworkInterfaceView[] {
    return this.#network.describeNetworkInterfaces(query);
  }

  describeSubnets(query: DescribeQuery = {}): SubnetView[] {
    return this.#network.describeSubnets(query);
  }

  describeInstanceTypes(types: readonly string[] = []): InstanceTypeSpec[] {
    return this.#network.describeInstanceTypes(types);
  }

  // ---- for the rest of the simulator (PAN-OS hosts, metrics, scenarios): current state, no lag

  instanceIds(): string[] {
    return this.#instances.instanceIds();
  }

  /** The instance as it is now, or was at `at` (no lag). */
  instanceNow(instanceId: string, at?: number): InstanceView {
    return this.#instances.instanceNow(instanceId, at);
  }

  hostView(instanceId: string): FirewallHostView {
    return this.#instances.hostView(instanceId);
  }
}
