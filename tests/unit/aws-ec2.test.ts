import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  EC2ServiceException,
  ModifyInstanceAttributeCommand,
  ReplaceRouteCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { Instance } from '@aws-sdk/client-ec2';
import {
  AwsCallError,
  AwsThrottledError,
  InstanceStateConflictError,
  InsufficientCapacityError,
  ManagedResourceNotFoundError,
} from '#shared/errors.js';
import { Ec2Adapter, routeDestination } from '#shared/adapters/aws/ec2.js';

const ec2Mock = mockClient(EC2Client);
let ec2: Ec2Adapter;

beforeEach(() => {
  ec2Mock.reset();
  ec2 = new Ec2Adapter(new EC2Client({ region: 'eu-central-1' }));
});
afterEach(() => ec2Mock.reset());

function awsError(name: string, httpStatusCode = 400) {
  return new EC2ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode },
    message: `${name} message`,
  });
}

function instance(id: string, state: string, extra: Partial<Instance> = {}): Instance {
  return { InstanceId: id, State: { Name: state as 'running' }, InstanceType: 'm5.xlarge', ...extra };
}

const idsOf = (n: number) =>
  Array.from({ length: n }, (_, i) => `i-${(i + 1).toString(16).padStart(8, '0')}`);

describe('Ec2Adapter.describeInstances', () => {
  it('merges DescribeInstances with DescribeInstanceStatus (all states) into InstanceInfo', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            instance('i-0000000b', 'stopped', { Placement: { AvailabilityZone: 'eu-central-1b' } }),
            instance('i-0000000a', 'running', {
              Placement: { AvailabilityZone: 'eu-central-1a' },
              LaunchTime: new Date('2025-03-01T10:00:00.000Z'),
              NetworkInterfaces: [
                {
                  NetworkInterfaceId: 'eni-00000002',
                  SubnetId: 'subnet-2',
                  SourceDestCheck: false,
                  Attachment: { DeviceIndex: 2 },
                  PrivateIpAddresses: [
                    { PrivateIpAddress: '10.0.2.11', Primary: false },
                    { PrivateIpAddress: '10.0.2.10', Primary: true },
                  ],
                },
                {
                  NetworkInterfaceId: 'eni-00000000',
                  SubnetId: 'subnet-0',
                  SourceDestCheck: true,
                  Attachment: { DeviceIndex: 0 },
                  PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.10', Primary: true }],
                },
              ],
            }),
          ],
        },
      ],
    });
    ec2Mock.on(DescribeInstanceStatusCommand).resolves({
      InstanceStatuses: [
        {
          InstanceId: 'i-0000000a',
          SystemStatus: { Status: 'ok' },
          InstanceStatus: { Status: 'initializing' },
        },
        {
          InstanceId: 'i-0000000b',
          SystemStatus: { Status: 'not-applicable' },
          InstanceStatus: { Status: 'brand-new-value' as 'ok' },
          // A scheduled retirement (what the preflight reports), and one EC2 already cancelled.
          Events: [
            { Code: 'instance-retirement', Description: 'The instance is running on degraded hardware', NotBefore: new Date('2025-03-20T00:00:00.000Z') },
            { Code: 'system-reboot', Description: '[Canceled] scheduled reboot', NotBefore: new Date('2025-03-10T00:00:00.000Z') },
          ],
        },
      ],
    });

    const result = await ec2.describeInstances(['i-0000000a', 'i-0000000b', 'i-0000000a']);

    expect(result).toEqual([
      {
        instanceId: 'i-0000000a',
        scheduledEvents: [],
        state: 'running',
        instanceType: 'm5.xlarge',
        availabilityZone: 'eu-central-1a',
        launchTime: Date.parse('2025-03-01T10:00:00.000Z'),
        systemStatus: 'ok',
        instanceStatus: 'initializing',
        networkInterfaces: [
          {
            networkInterfaceId: 'eni-00000000',
            deviceIndex: 0,
            subnetId: 'subnet-0',
            privateIps: ['10.0.0.10'],
            sourceDestCheck: true,
          },
          {
            networkInterfaceId: 'eni-00000002',
            deviceIndex: 2,
            subnetId: 'subnet-2',
            privateIps: ['10.0.2.10', '10.0.2.11'],
            sourceDestCheck: false,
          },
        ],
      },
      {
        instanceId: 'i-0000000b',
        state: 'stopped',
        instanceType: 'm5.xlarge',
        availabilityZone: 'eu-central-1b',
        launchTime: undefined,
        systemStatus: 'not-applicable',
        instanceStatus: undefined,
        networkInterfaces: [],
        scheduledEvents: [{ code: 'instance-retirement', description: 'The instance is running on degraded hardware', notBefore: Date.parse('2025-03-20T00:00:00.000Z'), notAfter: undefined }],
      },
    ]);
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)[0]!.args[0].input).toEqual({
      InstanceIds: ['i-0000000a', 'i-0000000b'],
      NextToken: undefined,
    });
    expect(ec2Mock.commandCalls(DescribeInstanceStatusCommand)[0]!.args[0].input).toEqual({
      InstanceIds: ['i-0000000a', 'i-0000000b'],
      IncludeAllInstances: true,
      NextToken: undefined,
    });
  });

  it('reports no status checks for an instance DescribeInstanceStatus does not list', async () => {
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [instance('i-0000000a', 'pending')] }] });
    ec2Mock.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });
    const [info] = await ec2.describeInstances(['i-0000000a']);
    expect(info).toMatchObject({ state: 'pending', systemStatus: undefined, instanceStatus: undefined });
  });

  it('never calls EC2 with an empty id list (that would describe every instance in the account)', async () => {
    await expect(ec2.describeInstances([])).resolves.toEqual([]);
    await expect(ec2.describeRouteTables([])).resolves.toEqual([]);
    await expect(ec2.describeAddresses([])).resolves.toEqual([]);
    await expect(ec2.describeNetworkInterfaces([])).resolves.toEqual([]);
    await expect(ec2.describeInstanceTypes([])).resolves.toEqual([]);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('splits more than 100 ids into chunks DescribeInstanceStatus accepts', async () => {
    const ids = idsOf(250);
    ec2Mock.on(DescribeInstancesCommand).callsFake((input: { InstanceIds: string[] }) => ({
      Reservations: [{ Instances: input.InstanceIds.map((id) => instance(id, 'running')) }],
    }));
    ec2Mock.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });

    const result = await ec2.describeInstances(ids);

    expect(result.map((r) => r.instanceId)).toEqual(ids);
    const sizes = (cmd: typeof DescribeInstancesCommand | typeof DescribeInstanceStatusCommand) =>
      ec2Mock.commandCalls(cmd).map((c) => (c.args[0].input as { InstanceIds: string[] }).InstanceIds.length);
    expect(sizes(DescribeInstancesCommand)).toEqual([100, 100, 50]);
    expect(sizes(DescribeInstanceStatusCommand)).toEqual([100, 100, 50]);
  });

  it('follows NextToken on both calls', async () => {
    ec2Mock
      .on(DescribeInstancesCommand, { NextToken: undefined })
      .resolves({ Reservations: [{ Instances: [instance('i-0000000a', 'running')] }], NextToken: 'page2' })
      .on(DescribeInstancesCommand, { NextToken: 'page2' })
      .resolves({ Reservations: [{ Instances: [instance('i-0000000b', 'stopped')] }] });
    ec2Mock
      .on(DescribeInstanceStatusCommand, { NextToken: undefined })
      .resolves({
        InstanceStatuses: [{ InstanceId: 'i-0000000a', SystemStatus: { Status: 'ok' } }],
        NextToken: 's2',
      })
      .on(DescribeInstanceStatusCommand, { NextToken: 's2' })
      .resolves({ InstanceStatuses: [{ InstanceId: 'i-0000000b', SystemStatus: { Status: 'impaired' } }] });

    const result = await ec2.describeInstances(['i-0000000a', 'i-0000000b']);

    expect(result.map((r) => [r.instanceId, r.systemStatus])).toEqual([
      ['i-0000000a', 'ok'],
      ['i-0000000b', 'impaired'],
    ]);
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)).toHaveLength(2);
    expect(ec2Mock.commandCalls(DescribeInstanceStatusCommand)).toHaveLength(2);
  });

  it('refuses a NextToken that repeats instead of looping forever', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [], NextToken: 'same' });
    ec2Mock.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });
    await expect(ec2.describeInstances(['i-0000000a'])).rejects.toThrow(AwsCallError);
  });

  it('throws ManagedResourceNotFoundError naming an instance EC2 did not return', async () => {
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [instance('i-0000000a', 'running')] }] });
    ec2Mock.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });
    const failure = await ec2.describeInstances(['i-0000000a', 'i-0000000b']).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ManagedResourceNotFoundError);
    expect((failure as Error).message).toContain('i-0000000b');
    expect((failure as Error).message).not.toContain('i-0000000a');
  });

  it('translates InvalidInstanceID.NotFound, naming the instances asked for', async () => {
    ec2Mock.on(DescribeInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound'));
    ec2Mock.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });
    const failure = await ec2.describeInstances(['i-0000000c']).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ManagedResourceNotFoundError);
    expect((failure as Error).message).toContain('instances i-0000000c does not exist');
  });

  it('refuses an instance state it does not know rather than guessing', async () => {
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [instance('i-0000000a', 'hibernating')] }] });
    ec2Mock.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });
    await expect(ec2.describeInstances(['i-0000000a'])).rejects.toThrow(AwsCallError);
  });
});

describe('Ec2Adapter start/stop/type', () => {
  it('starts one instance and returns the state EC2 reports after the call', async () => {
    ec2Mock.on(StartInstancesCommand).resolves({
      StartingInstances: [
        { InstanceId: 'i-0000000a', PreviousState: { Name: 'stopped' }, CurrentState: { Name: 'pending' } },
      ],
    });
    await expect(ec2.startInstance('i-0000000a')).resolves.toBe('pending');
    expect(ec2Mock.commandCalls(StartInstancesCommand)[0]!.args[0].input).toEqual({
      InstanceIds: ['i-0000000a'],
    });
  });

  it('start of a stopping instance is an InstanceStateConflictError (retryable)', async () => {
    ec2Mock.on(StartInstancesCommand).rejects(awsError('IncorrectInstanceState'));
    const failure = await ec2.startInstance('i-0000000a').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(InstanceStateConflictError);
    expect((failure as InstanceStateConflictError).retryable).toBe(true);
    expect((failure as Error).message).toContain('ec2:StartInstances');
  });

  it('start without capacity is an InsufficientCapacityError', async () => {
    ec2Mock.on(StartInstancesCommand).rejects(awsError('InsufficientInstanceCapacity', 500));
    await expect(ec2.startInstance('i-0000000a')).rejects.toThrow(InsufficientCapacityError);
  });

  it('a start response without the instance is an error, never undefined', async () => {
    ec2Mock.on(StartInstancesCommand).resolves({ StartingInstances: [] });
    await expect(ec2.startInstance('i-0000000a')).rejects.toThrow(AwsCallError);
  });

  it('stops one instance and returns its current state', async () => {
    ec2Mock.on(StopInstancesCommand).resolves({
      StoppingInstances: [{ InstanceId: 'i-0000000a', CurrentState: { Name: 'stopping' } }],
    });
    await expect(ec2.stopInstance('i-0000000a')).resolves.toBe('stopping');
    expect(ec2Mock.commandCalls(StopInstancesCommand)[0]!.args[0].input).toEqual({
      InstanceIds: ['i-0000000a'],
    });
  });

  it('sets the instance type with ModifyInstanceAttribute InstanceType', async () => {
    ec2Mock.on(ModifyInstanceAttributeCommand).resolves({});
    await ec2.setInstanceType('i-0000000a', 'm5.2xlarge');
    expect(ec2Mock.commandCalls(ModifyInstanceAttributeCommand)[0]!.args[0].input).toEqual({
      InstanceId: 'i-0000000a',
      InstanceType: { Value: 'm5.2xlarge' },
    });
  });
});

describe('Ec2Adapter routes', () => {
  it('maps route tables: ENI, instance, gateway, NAT and transit targets, blackhole state', async () => {
    ec2Mock.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: 'rtb-00000001',
          VpcId: 'vpc-1',
          Routes: [
            { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
            {
              DestinationCidrBlock: '0.0.0.0/0',
              NetworkInterfaceId: 'eni-00000001',
              InstanceId: 'i-0000000a',
              State: 'blackhole',
            },
            { DestinationCidrBlock: '172.16.0.0/12', NatGatewayId: 'nat-1', State: 'active' },
            { DestinationCidrBlock: '192.168.0.0/16', TransitGatewayId: 'tgw-1', State: 'active' },
            { DestinationPrefixListId: 'pl-1', GatewayId: 'vpce-1', State: 'active' },
          ],
        },
      ],
    });
    const [table] = await ec2.describeRouteTables(['rtb-00000001']);
    expect(table).toEqual({
      routeTableId: 'rtb-00000001',
      vpcId: 'vpc-1',
      routes: [
        {
          destination: '10.0.0.0/16',
          networkInterfaceId: undefined,
          instanceId: undefined,
          gatewayId: 'local',
          state: 'active',
        },
        {
          destination: '0.0.0.0/0',
          networkInterfaceId: 'eni-00000001',
          instanceId: 'i-0000000a',
          gatewayId: undefined,
          state: 'blackhole',
        },
        {
          destination: '172.16.0.0/12',
          networkInterfaceId: undefined,
          instanceId: undefined,
          gatewayId: 'nat-1',
          state: 'active',
        },
        {
          destination: '192.168.0.0/16',
          networkInterfaceId: undefined,
          instanceId: undefined,
          gatewayId: 'tgw-1',
          state: 'active',
        },
        {
          destination: 'pl-1',
          networkInterfaceId: undefined,
          instanceId: undefined,
          gatewayId: 'vpce-1',
          state: 'active',
        },
      ],
    });
    expect(ec2Mock.commandCalls(DescribeRouteTablesCommand)[0]!.args[0].input).toEqual({
      RouteTableIds: ['rtb-00000001'],
      NextToken: undefined,
    });
  });

  it('chunks route table ids by 200, follows pages, and returns tables in request order', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `rtb-${i.toString(16).padStart(8, '0')}`);
    ec2Mock
      .on(DescribeRouteTablesCommand)
      .callsFake((input: { RouteTableIds: string[]; NextToken?: string }) => {
        // Each chunk answers in two pages, reversed, to prove order comes from the request.
        const half = Math.ceil(input.RouteTableIds.length / 2);
        const part =
          input.NextToken === undefined
            ? input.RouteTableIds.slice(0, half)
            : input.RouteTableIds.slice(half);
        return {
          RouteTables: part.reverse().map((id) => ({ RouteTableId: id, Routes: [] })),
          NextToken: input.NextToken === undefined ? `more-${input.RouteTableIds[0]}` : undefined,
        };
      });
    const tables = await ec2.describeRouteTables(ids);
    expect(tables.map((t) => t.routeTableId)).toEqual(ids);
    const calls = ec2Mock
      .commandCalls(DescribeRouteTablesCommand)
      .map((c) => c.args[0].input.RouteTableIds!.length);
    expect(calls).toEqual([200, 200, 50, 50]);
  });

  it('replaces a route with its ENI target', async () => {
    ec2Mock.on(ReplaceRouteCommand).resolves({});
    await ec2.replaceRoute('rtb-00000001', '0.0.0.0/0', 'eni-00000002');
    expect(ec2Mock.commandCalls(ReplaceRouteCommand)[0]!.args[0].input).toEqual({
      RouteTableId: 'rtb-00000001',
      DestinationCidrBlock: '0.0.0.0/0',
      NetworkInterfaceId: 'eni-00000002',
    });
  });

  it('a route that does not exist is a ManagedResourceNotFoundError naming route and table', async () => {
    ec2Mock.on(ReplaceRouteCommand).rejects(awsError('InvalidRoute.NotFound'));
    const failure = await ec2
      .replaceRoute('rtb-00000001', '10.9.0.0/16', 'eni-00000002')
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ManagedResourceNotFoundError);
    expect((failure as Error).message).toContain('route 10.9.0.0/16 in rtb-00000001');
    expect((failure as ManagedResourceNotFoundError).awsCode).toBe('InvalidRoute.NotFound');
  });

  it('throttled ReplaceRoute is an AwsThrottledError', async () => {
    ec2Mock.on(ReplaceRouteCommand).rejects(awsError('RequestLimitExceeded', 503));
    await expect(ec2.replaceRoute('rtb-00000001', '0.0.0.0/0', 'eni-00000002')).rejects.toThrow(
      AwsThrottledError,
    );
  });

  it('creates a route with its ENI target', async () => {
    ec2Mock.on(CreateRouteCommand).resolves({ Return: true });
    await ec2.createRoute('rtb-00000001', '10.8.0.0/16', 'eni-00000002');
    expect(ec2Mock.commandCalls(CreateRouteCommand)[0]!.args[0].input).toEqual({
      RouteTableId: 'rtb-00000001',
      DestinationCidrBlock: '10.8.0.0/16',
      NetworkInterfaceId: 'eni-00000002',
    });
  });

  it('chooses the destination parameter by kind', () => {
    expect(routeDestination('0.0.0.0/0')).toEqual({ DestinationCidrBlock: '0.0.0.0/0' });
    expect(routeDestination('::/0')).toEqual({ DestinationIpv6CidrBlock: '::/0' });
    expect(routeDestination('pl-12345678')).toEqual({ DestinationPrefixListId: 'pl-12345678' });
  });
});

describe('Ec2Adapter Elastic IPs', () => {
  it('describes addresses by allocation id', async () => {
    ec2Mock.on(DescribeAddressesCommand).resolves({
      Addresses: [
        { AllocationId: 'eipalloc-00000002', PublicIp: '203.0.113.2' },
        {
          AllocationId: 'eipalloc-00000001',
          PublicIp: '203.0.113.1',
          AssociationId: 'eipassoc-1',
          NetworkInterfaceId: 'eni-00000001',
          PrivateIpAddress: '10.0.1.10',
          InstanceId: 'i-0000000a',
        },
      ],
    });
    const result = await ec2.describeAddresses(['eipalloc-00000001', 'eipalloc-00000002']);
    expect(result).toEqual([
      {
        allocationId: 'eipalloc-00000001',
        publicIp: '203.0.113.1',
        associationId: 'eipassoc-1',
        networkInterfaceId: 'eni-00000001',
        privateIp: '10.0.1.10',
        instanceId: 'i-0000000a',
      },
      {
        allocationId: 'eipalloc-00000002',
        publicIp: '203.0.113.2',
        associationId: undefined,
        networkInterfaceId: undefined,
        privateIp: undefined,
        instanceId: undefined,
      },
    ]);
    expect(ec2Mock.commandCalls(DescribeAddressesCommand)[0]!.args[0].input).toEqual({
      AllocationIds: ['eipalloc-00000001', 'eipalloc-00000002'],
    });
  });

  it('associates with AllowReassociation true on the mapped private IP and returns the association id', async () => {
    ec2Mock.on(AssociateAddressCommand).resolves({ AssociationId: 'eipassoc-9' });
    await expect(ec2.associateAddress('eipalloc-00000001', 'eni-00000002', '10.0.2.10')).resolves.toBe(
      'eipassoc-9',
    );
    expect(ec2Mock.commandCalls(AssociateAddressCommand)[0]!.args[0].input).toEqual({
      AllocationId: 'eipalloc-00000001',
      NetworkInterfaceId: 'eni-00000002',
      PrivateIpAddress: '10.0.2.10',
      AllowReassociation: true,
    });
  });

  it('an association without an id is an error, never undefined', async () => {
    ec2Mock.on(AssociateAddressCommand).resolves({});
    await expect(ec2.associateAddress('eipalloc-00000001', 'eni-00000002', '10.0.2.10')).rejects.toThrow(
      AwsCallError,
    );
  });

  it('an unknown allocation is a ManagedResourceNotFoundError naming it', async () => {
    ec2Mock.on(AssociateAddressCommand).rejects(awsError('InvalidAllocationID.NotFound'));
    const failure = await ec2
      .associateAddress('eipalloc-0000dead', 'eni-00000002', '10.0.2.10')
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ManagedResourceNotFoundError);
    expect((failure as Error).message).toContain('eipalloc-0000dead');
  });
});

describe('Ec2Adapter network interfaces and instance types', () => {
  it('maps network interfaces across pages', async () => {
    ec2Mock
      .on(DescribeNetworkInterfacesCommand, { NextToken: undefined })
      .resolves({
        NetworkInterfaces: [
          {
            NetworkInterfaceId: 'eni-00000001',
            SubnetId: 'subnet-1',
            AvailabilityZone: 'eu-central-1a',
            VpcId: 'vpc-1',
            SourceDestCheck: false,
            Attachment: { InstanceId: 'i-0000000a', DeviceIndex: 1 },
            PrivateIpAddresses: [
              { PrivateIpAddress: '10.0.1.10', Primary: true, Association: { PublicIp: '203.0.113.1' } },
              { PrivateIpAddress: '10.0.1.11', Primary: false },
            ],
          },
        ],
        NextToken: 'p2',
      })
      .on(DescribeNetworkInterfacesCommand, { NextToken: 'p2' })
      .resolves({
        NetworkInterfaces: [
          {
            NetworkInterfaceId: 'eni-00000002',
            SubnetId: 'subnet-2',
            AvailabilityZone: 'eu-central-1b',
            VpcId: 'vpc-1',
            SourceDestCheck: true,
          },
        ],
      });
    const result = await ec2.describeNetworkInterfaces(['eni-00000001', 'eni-00000002']);
    expect(result).toEqual([
      {
        networkInterfaceId: 'eni-00000001',
        subnetId: 'subnet-1',
        availabilityZone: 'eu-central-1a',
        vpcId: 'vpc-1',
        attachedInstanceId: 'i-0000000a',
        deviceIndex: 1,
        sourceDestCheck: false,
        privateIps: [
          { address: '10.0.1.10', primary: true, associatedPublicIp: '203.0.113.1' },
          { address: '10.0.1.11', primary: false, associatedPublicIp: undefined },
        ],
      },
      {
        networkInterfaceId: 'eni-00000002',
        subnetId: 'subnet-2',
        availabilityZone: 'eu-central-1b',
        vpcId: 'vpc-1',
        attachedInstanceId: undefined,
        deviceIndex: undefined,
        sourceDestCheck: true,
        privateIps: [],
      },
    ]);
    expect(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand).map((c) => c.args[0].input)).toEqual([
      { NetworkInterfaceIds: ['eni-00000001', 'eni-00000002'], NextToken: undefined },
      { NetworkInterfaceIds: ['eni-00000001', 'eni-00000002'], NextToken: 'p2' },
    ]);
  });

  it('an unknown ENI is a ManagedResourceNotFoundError', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).rejects(awsError('InvalidNetworkInterfaceID.NotFound'));
    await expect(ec2.describeNetworkInterfaces(['eni-0000dead'])).rejects.toThrow(
      ManagedResourceNotFoundError,
    );
  });

  it('reads the ENI and address limits of instance types', async () => {
    ec2Mock.on(DescribeInstanceTypesCommand).resolves({
      InstanceTypes: [
        {
          InstanceType: 'm5.xlarge',
          NetworkInfo: { MaximumNetworkInterfaces: 4, Ipv4AddressesPerInterface: 15 },
        },
        {
          InstanceType: 'm4.large',
          NetworkInfo: { MaximumNetworkInterfaces: 2, Ipv4AddressesPerInterface: 10 },
        },
      ],
    });
    await expect(ec2.describeInstanceTypes(['m4.large', 'm5.xlarge'])).resolves.toEqual([
      { instanceType: 'm4.large', maxNetworkInterfaces: 2, ipv4AddressesPerInterface: 10 },
      { instanceType: 'm5.xlarge', maxNetworkInterfaces: 4, ipv4AddressesPerInterface: 15 },
    ]);
    expect(ec2Mock.commandCalls(DescribeInstanceTypesCommand)[0]!.args[0].input).toEqual({
      InstanceTypes: ['m4.large', 'm5.xlarge'],
      NextToken: undefined,
    });
  });

  it('an instance type without network limits is an error, not a zero', async () => {
    ec2Mock
      .on(DescribeInstanceTypesCommand)
      .resolves({ InstanceTypes: [{ InstanceType: 'm5.xlarge', NetworkInfo: {} }] });
    await expect(ec2.describeInstanceTypes(['m5.xlarge'])).rejects.toThrow(AwsCallError);
  });
});
