/**
 * Test fixture: a hand-written world like `examples/hq-egress.yaml`: fw-a running in eu-central-1a, fw-b stopped in
 * eu-central-1b, private route tables pointing at fw-a's trust ENI, two EIPs on fw-a's untrust
 * ENI, `gp.example.com` on the IPsec EIP. Tests and demos start from it and change what they need.
 */
import type { WorldTopologyInput } from '#sim/world/topology.js';

export const EXAMPLE_IDS = {
  vpc: 'vpc-0a00000000000000a',
  fwA: 'i-0a1b2c3d4e5f60001',
  fwB: 'i-0a1b2c3d4e5f60002',
  fwAMgmt: 'eni-0a000000000000010',
  fwATrust: 'eni-0a000000000000011',
  fwAUntrust: 'eni-0a000000000000012',
  fwBMgmt: 'eni-0b000000000000010',
  fwBTrust: 'eni-0b000000000000011',
  fwBUntrust: 'eni-0b000000000000012',
  privateRtbA: 'rtb-0aa00000000000001',
  privateRtbB: 'rtb-0aa00000000000002',
  publicRtb: 'rtb-0aa00000000000003',
  igw: 'igw-0123456789abcdef0',
  eipIpsec: 'eipalloc-0e000000000000001',
  eipNat: 'eipalloc-0e000000000000002',
  hostedZone: 'Z0123456789ABCDEFGHIJ',
  table: 'pan-failover-state',
  topic: 'pan-failover-alerts',
  stateMachine: 'pan-failover-flow',
} as const;

export function exampleTopology(): WorldTopologyInput {
  const id = EXAMPLE_IDS;
  const subnet = (n: string, az: string, cidr: string) => ({
    subnetId: n,
    vpcId: id.vpc,
    availabilityZone: az,
    cidr,
  });
  return {
    region: 'eu-central-1',
    accountId: '123456789012',
    subnets: [
      subnet('subnet-0a000000000000001', 'eu-central-1a', '10.10.0.0/24'),
      subnet('subnet-0a000000000000002', 'eu-central-1a', '10.10.1.0/24'),
      subnet('subnet-0a000000000000003', 'eu-central-1a', '10.10.2.0/24'),
      subnet('subnet-0b000000000000001', 'eu-central-1b', '10.20.0.0/24'),
      subnet('subnet-0b000000000000002', 'eu-central-1b', '10.20.1.0/24'),
      subnet('subnet-0b000000000000003', 'eu-central-1b', '10.20.2.0/24'),
    ],
    instances: [
      {
        instanceId: id.fwA,
        instanceType: 'm5.xlarge',
        state: 'running',
        tags: { Name: 'fw-a' },
        networkInterfaces: [
          {
            networkInterfaceId: id.fwAMgmt,
            subnetId: 'subnet-0a000000000000001',
            deviceIndex: 0,
            privateIps: ['10.10.0.10'],
          },
          {
            networkInterfaceId: id.fwAUntrust,
            subnetId: 'subnet-0a000000000000002',
            deviceIndex: 1,
            privateIps: ['10.10.1.10', '10.10.1.11'],
            sourceDestCheck: false,
          },
          {
            networkInterfaceId: id.fwATrust,
            subnetId: 'subnet-0a000000000000003',
            deviceIndex: 2,
            privateIps: ['10.10.2.10'],
            sourceDestCheck: false,
          },
        ],
      },
      {
        instanceId: id.fwB,
        instanceType: 'm5.xlarge',
        state: 'stopped',
        tags: { Name: 'fw-b' },
        networkInterfaces: [
          {
            networkInterfaceId: id.fwBMgmt,
            subnetId: 'subnet-0b000000000000001',
            deviceIndex: 0,
            privateIps: ['10.20.0.10'],
          },
          {
            networkInterfaceId: id.fwBUntrust,
            subnetId: 'subnet-0b000000000000002',
            deviceIndex: 1,
            privateIps: ['10.20.1.10', '10.20.1.11'],
            sourceDestCheck: false,
          },
          {
            networkInterfaceId: id.fwBTrust,
            subnetId: 'subnet-0b000000000000003',
            deviceIndex: 2,
            privateIps: ['10.20.2.10'],
            sourceDestCheck: false,
          },
        ],
      },
    ],
    routeTables: [
      {
        routeTableId: id.privateRtbA,
        vpcId: id.vpc,
        subnetAssociations: ['subnet-0a000000000000003'],
        routes: [
          { destination: '0.0.0.0/0', networkInterfaceId: id.fwATrust },
          { destination: '172.16.0.0/12', networkInterfaceId: id.fwATrust },
        ],
      },
      {
        routeTableId: id.privateRtbB,
        vpcId: id.vpc,
        subnetAssociations: ['subnet-0b000000000000003'],
        routes: [
          { destination: '0.0.0.0/0', networkInterfaceId: id.fwATrust },
          { destination: '172.16.0.0/12', networkInterfaceId: id.fwATrust },
        ],
      },
      {
        routeTableId: id.publicRtb,
        vpcId: id.vpc,
        main: true,
        subnetAssociations: ['subnet-0a000000000000002', 'subnet-0b000000000000002'],
        routes: [{ destination: '0.0.0.0/0', gatewayId: id.igw }],
      },
    ],
    elasticIps: [
      {
        allocationId: id.eipIpsec,
        publicIp: '198.51.100.10',
        association: { networkInterfaceId: id.fwAUntrust, privateIp: '10.10.1.10' },
      },
      {
        allocationId: id.eipNat,
        publicIp: '198.51.100.20',
        association: { networkInterfaceId: id.fwAUntrust, privateIp: '10.10.1.11' },
      },
    ],
    hostedZones: [
      {
        id: id.hostedZone,
        name: 'example.com',
        records: [{ name: 'gp.example.com', type: 'A', ttl: 60, values: ['198.51.100.10'] }],
      },
    ],
    secrets: [
      { name: 'pan-failover/fw-a/api-key', value: 'LUFRPT-sim-key-fw-a' },
      { name: 'pan-failover/fw-b/api-key', value: 'LUFRPT-sim-key-fw-b' },
    ],
    tables: [{ name: id.table }],
    topics: [{ name: id.topic }],
    stateMachines: [{ name: id.stateMachine }],
  };
}
