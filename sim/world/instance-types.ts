/** The EC2 instance types the simulator knows, with the limits that decide how many EIPs a firewall can carry. */

export interface InstanceTypeSpec {
  readonly instanceType: string;
  readonly maxNetworkInterfaces: number;
  readonly ipv4AddressesPerInterface: number;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly networkPerformance: string;
}

const spec = (
  instanceType: string,
  maxNetworkInterfaces: number,
  ipv4AddressesPerInterface: number,
  vcpus: number,
  memoryMiB: number,
  networkPerformance: string,
): InstanceTypeSpec => ({
  instanceType,
  maxNetworkInterfaces,
  ipv4AddressesPerInterface,
  vcpus,
  memoryMiB,
  networkPerformance,
});

/** Values from EC2 DescribeInstanceTypes (NetworkInfo, VCpuInfo, MemoryInfo). */
export const INSTANCE_TYPES: ReadonlyMap<string, InstanceTypeSpec> = new Map(
  [
    spec('m4.large', 2, 10, 2, 8192, 'Moderate'),
    spec('m4.xlarge', 4, 15, 4, 16384, 'High'),
    spec('m5.large', 3, 10, 2, 8192, 'Up to 10 Gigabit'),
    spec('m5.xlarge', 4, 15, 4, 16384, 'Up to 10 Gigabit'),
    spec('m5.2xlarge', 4, 15, 8, 32768, 'Up to 10 Gigabit'),
    spec('c5.xlarge', 4, 15, 4, 8192, 'Up to 10 Gigabit'),
    spec('c5n.xlarge', 4, 15, 4, 10752, 'Up to 25 Gigabit'),
  ].map((s) => [s.instanceType, s]),
);
