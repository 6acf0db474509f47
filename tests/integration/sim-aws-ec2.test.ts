/**
 * The real `@aws-sdk/client-ec2` against the simulator's wire server: EC2's documented
 * semantics, and error codes exactly as the SDK surfaces them (`error.name`, HTTP status).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ReplaceRouteCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { SimClock } from '#sim/clock.js';
import { startAwsSimulator, type AwsSimulator } from '#sim/aws/server.js';
import { EXAMPLE_IDS as ID, exampleTopology } from '../support/example-topology.js';
import { ManualClock } from '#sim/manual-clock.js';
import { World } from '#sim/world/world.js';
import type { Clock } from '#shared/ports/clock.js';

let world: World | undefined;
let sim: AwsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  world?.close();
  sim = undefined;
  world = undefined;
});

async function setup<C extends Clock>(clock: C, maxAttempts = 1) {
  world = World.create({ clock, seed: 11 }).load(exampleTopology());
  sim = await startAwsSimulator({ world });
  const ec2 = new EC2Client({
    endpoint: sim.endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts,
  });
  return { clock, world, sim, ec2 };
}

/** The SDK's view of a failed call. */
async function failure(
  p: Promise<unknown>,
): Promise<{ name: string; status: number | undefined; fault: string | undefined; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as {
      name: string;
      message: string;
      $fault?: string;
      $metadata?: { httpStatusCode?: number };
    };
    return { name: err.name, status: err.$metadata?.httpStatusCode, fault: err.$fault, message: err.message };
  }
  throw new Error('expected the call to fail');
}

describe('EC2 over the wire', () => {
  it('re-associates idempotently, refuses without AllowReassociation, moves with it', async () => {
    const { ec2 } = await setup(new ManualClock());
    const current = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [ID.eipIpsec] })))
      .Addresses?.[0];
    const same = await ec2.send(
      new AssociateAddressCommand({
        AllocationId: ID.eipIpsec,
        NetworkInterfaceId: ID.fwAUntrust,
        PrivateIpAddress: '10.10.1.10',
      }),
    );
    expect(same.AssociationId).toBe(current?.AssociationId);

    const refused = await failure(
      ec2.send(
        new AssociateAddressCommand({
          AllocationId: ID.eipIpsec,
          NetworkInterfaceId: ID.fwBUntrust,
          PrivateIpAddress: '10.20.1.10',
        }),
      ),
    );
    expect(refused).toMatchObject({ name: 'Resource.AlreadyAssociated', status: 400, fault: 'client' });

    const moved = await ec2.send(
      new AssociateAddressCommand({
        AllocationId: ID.eipIpsec,
        NetworkInterfaceId: ID.fwBUntrust,
        PrivateIpAddress: '10.20.1.10',
        AllowReassociation: true,
      }),
    );
    expect(moved.AssociationId).toMatch(/^eipassoc-/);
    expect(moved.AssociationId).not.toBe(current?.AssociationId);
    const again = await ec2.send(
      new AssociateAddressCommand({
        AllocationId: ID.eipIpsec,
        NetworkInterfaceId: ID.fwBUntrust,
        PrivateIpAddress: '10.20.1.10',
        AllowReassociation: true,
      }),
    );
    expect(again.AssociationId).toBe(moved.AssociationId);
    const after = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [ID.eipIpsec] })))
      .Addresses?.[0];
    expect(after).toMatchObject({
      NetworkInterfaceId: ID.fwBUntrust,
      PrivateIpAddress: '10.20.1.10',
      InstanceId: ID.fwB,
      PublicIp: '198.51.100.10',
    });
    const eni = (
      await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ID.fwBUntrust] }))
    ).NetworkInterfaces?.[0];
    expect(eni?.PrivateIpAddresses?.[0]?.Association?.PublicIp).toBe('198.51.100.10');
    expect(
      await failure(
        ec2.send(
          new AssociateAddressCommand({
            AllocationId: 'eipalloc-0000000000000dead',
            NetworkInterfaceId: ID.fwBUntrust,
          }),
        ),
      ),
    ).toMatchObject({
      name: 'InvalidAllocationID.NotFound',
    });
  });

  it('answers ReplaceRoute on a missing route with InvalidRoute.NotFound', async () => {
    const { ec2 } = await setup(new ManualClock());
    const err = await failure(
      ec2.send(
        new ReplaceRouteCommand({
          RouteTableId: ID.privateRtbA,
          DestinationCidrBlock: '10.99.0.0/16',
          NetworkInterfaceId: ID.fwBTrust,
        }),
      ),
    );
    expect(err).toMatchObject({ name: 'InvalidRoute.NotFound', status: 400 });
    expect(err.message).toContain("'10.99.0.0/16'");
  });

  it('refuses to start a stopping instance, and shows its routes as blackhole once stopped', async () => {
    const { clock, ec2 } = await setup(new ManualClock());
    const stop = await ec2.send(new StopInstancesCommand({ InstanceIds: [ID.fwA] }));
    expect(stop.StoppingInstances?.[0]).toMatchObject({
      CurrentState: { Name: 'stopping', Code: 64 },
      PreviousState: { Name: 'running', Code: 16 },
    });
    expect(await failure(ec2.send(new StartInstancesCommand({ InstanceIds: [ID.fwA] })))).toMatchObject({
      name: 'IncorrectInstanceState',
      status: 400,
    });
    await clock.advance(20_000);
    const routes =
      (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [ID.privateRtbA, ID.privateRtbB] })))
        .RouteTables ?? [];
    expect(
      routes.flatMap((t) =>
        (t.Routes ?? []).map((r) => [r.DestinationCidrBlock, r.NetworkInterfaceId, r.State]),
      ),
    ).toEqual([
      ['0.0.0.0/0', ID.fwATrust, 'blackhole'],
      ['172.16.0.0/12', ID.fwATrust, 'blackhole'],
      ['0.0.0.0/0', ID.fwATrust, 'blackhole'],
      ['172.16.0.0/12', ID.fwATrust, 'blackhole'],
    ]);
    const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [ID.fwA] })))
      .Reservations?.[0]?.Instances?.[0];
    expect(instance).toMatchObject({
      State: { Name: 'stopped', Code: 80 },
      StateReason: { Code: 'Client.UserInitiatedShutdown' },
    });
  });

  it('throttles with RequestLimitExceeded (HTTP 503) under the documented StartInstances bucket', async () => {
    const { world, sim, ec2 } = await setup(new ManualClock());
    world.faults.set({ throttle: 'aws-defaults' });
    for (let i = 0; i < 5; i++) await ec2.send(new StartInstancesCommand({ InstanceIds: [ID.fwA] }));
    const err = await failure(ec2.send(new StartInstancesCommand({ InstanceIds: [ID.fwA] })));
    expect(err).toMatchObject({ name: 'RequestLimitExceeded', status: 503 });
    expect(sim.requestCounts()['ec2:StartInstances']).toBe(6);
  });

  it('answers InsufficientInstanceCapacity with HTTP 500 (a server error the SDK would retry)', async () => {
    const { world, ec2 } = await setup(new ManualClock());
    world.faults.set({ capacity: [{ instanceId: ID.fwB, count: 1 }] });
    expect(await failure(ec2.send(new StartInstancesCommand({ InstanceIds: [ID.fwB] })))).toMatchObject({
      name: 'InsufficientInstanceCapacity',
      status: 500,
      fault: 'server',
    });
    const ok = await ec2.send(new StartInstancesCommand({ InstanceIds: [ID.fwB] }));
    expect(ok.StartingInstances?.[0]?.CurrentState?.Name).toBe('pending');
  });

  it('lets the SDK retry a capacity error (HTTP 500) by itself when attempts remain', async () => {
    const { world, sim, ec2 } = await setup(new ManualClock(), 2);
    world.faults.set({ capacity: [{ instanceId: ID.fwB, count: 1 }] });
    const out = await ec2.send(new StartInstancesCommand({ InstanceIds: [ID.fwB] }));
    expect(out.StartingInstances?.[0]?.CurrentState?.Name).toBe('pending');
    expect(sim.requestCounts()['ec2:StartInstances']).toBe(2);
  });

  it('answers DryRun with DryRunOperation and changes nothing', async () => {
    const { world, ec2 } = await setup(new ManualClock());
    expect(
      await failure(ec2.send(new StopInstancesCommand({ InstanceIds: [ID.fwA], DryRun: true }))),
    ).toMatchObject({ name: 'DryRunOperation' });
    expect(world.ec2.instanceNow(ID.fwA).state).toBe('running');
  });

  it('changes the instance type of a stopped instance only', async () => {
    const { world, ec2 } = await setup(new ManualClock());
    expect(
      await failure(
        ec2.send(
          new ModifyInstanceAttributeCommand({ InstanceId: ID.fwA, InstanceType: { Value: 'm5.2xlarge' } }),
        ),
      ),
    ).toMatchObject({
      name: 'IncorrectInstanceState',
    });
    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: ID.fwB, InstanceType: { Value: 'm5.2xlarge' } }),
    );
    expect(world.ec2.instanceNow(ID.fwB).instanceType).toBe('m5.2xlarge');
  });

  it('filters instances and reports status checks of all instances on request', async () => {
    const { ec2 } = await setup(new ManualClock());
    const running = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'instance-state-name', Values: ['running'] },
          { Name: 'tag:Name', Values: ['fw-*'] },
        ],
      }),
    );
    expect(running.Reservations?.flatMap((r) => r.Instances?.map((i) => i.InstanceId) ?? [])).toEqual([
      ID.fwA,
    ]);
    const onlyRunning = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [ID.fwA, ID.fwB] }));
    expect(onlyRunning.InstanceStatuses?.map((s) => s.InstanceId)).toEqual([ID.fwA]);
    const all = await ec2.send(
      new DescribeInstanceStatusCommand({ InstanceIds: [ID.fwA, ID.fwB], IncludeAllInstances: true }),
    );
    expect(
      all.InstanceStatuses?.map((s) => [
        s.InstanceId,
        s.InstanceState?.Name,
        s.SystemStatus?.Status,
        s.InstanceStatus?.Status,
      ]),
    ).toEqual([
      [ID.fwA, 'running', 'ok', 'ok'],
      [ID.fwB, 'stopped', 'not-applicable', 'not-applicable'],
    ]);
    expect(
      await failure(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-00000000000000404'] }))),
    ).toMatchObject({
      name: 'InvalidInstanceID.NotFound',
    });
  });

  it('starts an instance on the simulated clock: pending, then running with its status checks', async () => {
    const { ec2 } = await setup(new SimClock({ speed: 1000 }));
    const started = await ec2.send(new StartInstancesCommand({ InstanceIds: [ID.fwB] }));
    expect(started.StartingInstances?.[0]?.CurrentState?.Name).toBe('pending');
    // 16 s pending + 120 s initializing is 136 ms of wall time at speed 1000; poll with a generous bound.
    const deadline = Date.now() + 10_000;
    let status: string | undefined;
    while (Date.now() < deadline) {
      const out = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [ID.fwB] }));
      status = out.InstanceStatuses?.[0]?.InstanceStatus?.Status;
      if (status === 'ok') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe('ok');
    const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [ID.fwB] })))
      .Reservations?.[0]?.Instances?.[0];
    expect(instance?.State?.Name).toBe('running');
    // LaunchTime is the moment of this start (the pending transition), not the first launch.
    expect(instance?.LaunchTime?.getTime()).toBe(
      world?.events.list({ resource: ID.fwB, type: 'ec2.instance.state' })[0]?.at,
    );
    expect(
      world?.events.list({ resource: ID.fwB, type: 'ec2.instance.state' }).map((e) => e.data['to']),
    ).toEqual(['pending', 'running']);
  });

  it('answers an unknown action with InvalidAction and counts every request', async () => {
    const { sim, ec2 } = await setup(new ManualClock());
    const res = await fetch(sim.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=RunInstances&Version=2016-11-15',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/<Response><Errors><Error><Code>InvalidAction<\/Code>/);
    await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [ID.privateRtbA] }));
    await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [ID.privateRtbB] }));
    expect(sim.requestCounts()).toEqual({ 'ec2:DescribeRouteTables': 2, 'ec2:RunInstances': 1 });
  });
});
