/**
 * Network interfaces, subnets (with their free addresses) and instance types of the simulated
 * EC2: read-only, as the controller only describes them.
 */
import type { InstanceTypeSpec } from '../instance-types.js';
import { ec2Error, matches, type DescribeQuery, type NetworkInterfaceView, type SubnetRecord, type SubnetView } from './model.js';
import type { Ec2State } from './state.js';
import { eniView } from './views.js';

/** The network interfaces, subnets and instance types. */
export class Ec2Network {
  readonly #s: Ec2State;

  constructor(state: Ec2State) {
    this.#s = state;
  }

  describeNetworkInterfaces(query: DescribeQuery = {}): NetworkInterfaceView[] {
    this.#s.authorize('DescribeNetworkInterfaces');
    this.#s.ctx.scheduler.runDue();
    const t = query.current === true ? this.#s.ctx.now() : this.#s.viewTime('networkInterfaces');
    const records = this.#s.pick(
      this.#s.enis,
      query.ids,
      'InvalidNetworkInterfaceID.NotFound',
      'networkInterface',
      /^eni-[0-9a-f]+$/,
    );
    return records
      .map((rec) => eniView(this.#s, rec, t))
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
    this.#s.authorize('DescribeSubnets');
    const records = this.#s.pick(
      this.#s.subnets,
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
    this.#s.authorize('DescribeInstanceTypes');
    if (types.length === 0) return [...this.#s.types.values()];
    const missing = types.filter((x) => !this.#s.types.has(x));
    if (missing.length > 0) {
      throw ec2Error(
        'InvalidInstanceType',
        `The following supplied instance types do not exist: [${missing.join(', ')}]`,
      );
    }
    return types.map((x) => this.#s.types.get(x) as InstanceTypeSpec);
  }

  #freeAddresses(s: SubnetRecord): number {
    const size = 2 ** (32 - Number(s.cidr.split('/')[1] ?? 32));
    const used = [...this.#s.enis.values()]
      .filter((e) => e.subnetId === s.subnetId)
      .reduce((n, e) => n + e.privateIps.length, 0);
    // AWS reserves five addresses in every subnet.
    return Math.max(0, size - 5 - used);
  }
}
