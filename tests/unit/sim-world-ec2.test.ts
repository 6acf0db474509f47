import { afterEach, describe, expect, it } from 'vitest';
import { SimAwsError } from '#sim/world/aws-error.js';
import { EXAMPLE_IDS as ID, exampleTopology } from '../support/example-topology.js';
import { ManualClock } from '#sim/manual-clock.js';
import { World } from '#sim/world/world.js';

/** The AWS error code `fn` fails with (and fails the test if it does not fail). */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SimAwsError) return e.code;
    throw e;
  }
  throw new Error('expected an AWS error');
}

let world: World | undefined;
afterEach(() => world?.close());

function setup() {
  const clock = new ManualClock();
  world = World.create({ clock, seed: 1 }).load(exampleTopology());
  return { clock, world };
}

describe('instance life cycle', () => {
  it('goes stopped -> pending -> running after 16 s, updates launchTime, then status checks ok after 120 s', async () => {
    const { clock, world } = setup();
    const t0 = clock.now();
    expect(world.ec2.startInstances([ID.fwB])).toEqual([
      { instanceId: ID.fwB, previousState: 'stopped', currentState: 'pending' },
    ]);
    expect(world.ec2.instanceNow(ID.fwB)).toMatchObject({
      state: 'pending',
      launchTime: t0,
      systemStatus: 'not-applicable',
    });

    await clock.advance(15_999);
    expect(world.ec2.instanceNow(ID.fwB).state).toBe('pending');
    await clock.advance(1);
    const running = world.ec2.instanceNow(ID.fwB);
    expect(running).toMatchObject({
      state: 'running',
      runningSince: t0 + 16_000,
      systemStatus: 'initializing',
      instanceStatus: 'initializing',
    });

    await clock.advance(119_999);
    expect(world.ec2.instanceNow(ID.fwB).instanceStatus).toBe('initializing');
    await clock.advance(1);
    expect(world.ec2.instanceNow(ID.fwB)).toMatchObject({ systemStatus: 'ok', instanceStatus: 'ok' });

    const log = world.events
      .list({ resource: ID.fwB })
      .map((e) => [e.type, e.at - t0, e.data['to'] ?? e.data['status']]);
    expect(log).toEqual([
      ['ec2.instance.state', 0, 'pending'],
      ['ec2.instance.state', 16_000, 'running'],
      ['ec2.instance.status', 136_000, 'ok'],
    ]);
  });

  it('treats start of a running or pending instance and stop of a stopping or stopped one as no-ops', async () => {
    const { clock, world } = setup();
    expect(world.ec2.startInstances([ID.fwA])).toEqual([
      { instanceId: ID.fwA, previousState: 'running', currentState: 'running' },
    ]);
    world.ec2.startInstances([ID.fwB]);
    expect(world.ec2.startInstances([ID.fwB])).toEqual([
      { instanceId: ID.fwB, previousState: 'pending', currentState: 'pending' },
    ]);

    expect(world.ec2.stopInstances([ID.fwA])).toEqual([
      { instanceId: ID.fwA, previousState: 'running', currentState: 'stopping' },
    ]);
    expect(world.ec2.stopInstances([ID.fwA])).toEqual([
      { instanceId: ID.fwA, previousState: 'stopping', currentState: 'stopping' },
    ]);
    await clock.advance(20_000);
    expect(world.ec2.instanceNow(ID.fwA).state).toBe('stopped');
    expect(world.ec2.stopInstances([ID.fwA])).toEqual([
      { instanceId: ID.fwA, previousState: 'stopped', currentState: 'stopped' },
    ]);
    expect(
      world.events.list({ resource: ID.fwA, type: 'ec2.instance.state' }).map((e) => e.data['to']),
    ).toEqual(['stopping', 'stopped']);
  });

  it('refuses to start a stopping instance (IncorrectInstanceState) and to stop a pending one', async () => {
    const { clock, world } = setup();
    world.ec2.stopInstances([ID.fwA]);
    expect(codeOf(() => world.ec2.startInstances([ID.fwA]))).toBe('IncorrectInstanceState');
    world.ec2.startInstances([ID.fwB]);
    expect(codeOf(() => world.ec2.stopInstances([ID.fwB]))).toBe('IncorrectInstanceState');
    await clock.advance(20_000);
    // Once stopped it starts again, with a new launch time.
    const t = clock.now();
    world.ec2.startInstances([ID.fwA]);
    expect(world.ec2.instanceNow(ID.fwA).launchTime).toBe(t);
  });

  it('reports unknown and malformed instance ids as EC2 does', () => {
    const { world } = setup();
    expect(codeOf(() => world.ec2.startInstances(['i-0000000000000dead']))).toBe(
      'InvalidInstanceID.NotFound',
    );
    expect(codeOf(() => world.ec2.describeInstances({ ids: ['bogus'] }))).toBe('InvalidInstanceID.Malformed');
    expect(codeOf(() => world.ec2.startInstances([]))).toBe('MissingParameter');
  });

  it('changes the instance type only when stopped, and only to a type that can hold its ENIs', () => {
    const { world } = setup();
    expect(codeOf(() => world.ec2.modifyInstanceType(ID.fwA, 'm5.large'))).toBe('IncorrectInstanceState');
    expect(codeOf(() => world.ec2.modifyInstanceType(ID.fwB, 'x9.huge'))).toBe('InvalidParameterValue');
    // m4.large allows 2 ENIs; the firewall has 3.
    expect(codeOf(() => world.ec2.modifyInstanceType(ID.fwB, 'm4.large'))).toBe('InvalidParameterValue');
    world.ec2.modifyInstanceType(ID.fwB, 'c5n.xlarge');
    expect(world.ec2.instanceNow(ID.fwB).instanceType).toBe('c5n.xlarge');
    expect(world.events.list({ type: 'ec2.instance.type' })[0]?.data).toEqual({
      from: 'm5.xlarge',
      to: 'c5n.xlarge',
    });
  });

  it('terminated instances cannot be started', () => {
    const { world } = setup();
    world.ec2.terminateInstance(ID.fwB);
    expect(codeOf(() => world.ec2.startInstances([ID.fwB]))).toBe('IncorrectInstanceState');
  });

  it('knows the instance types of the catalogue', () => {
    const { world } = setup();
    expect(
      world.ec2
        .describeInstanceTypes(['m5.large', 'm4.large', 'c5n.xlarge'])
        .map((t) => [t.maxNetworkInterfaces, t.ipv4AddressesPerInterface]),
    ).toEqual([
      [3, 10],
      [2, 10],
      [4, 15],
    ]);
    expect(codeOf(() => world.ec2.describeInstanceTypes(['q1.nano']))).toBe('InvalidInstanceType');
  });
});

describe('routes', () => {
  it('shows a route to a stopped instance as blackhole', async () => {
    const { clock, world } = setup();
    const state = () =>
      world.ec2
        .describeRouteTables({ ids: [ID.privateRtbA] })[0]
        ?.routes.find((r) => r.destination === '0.0.0.0/0');
    expect(state()).toMatchObject({ state: 'active', instanceId: ID.fwA, networkInterfaceId: ID.fwATrust });
    world.ec2.stopInstances([ID.fwA]);
    await clock.advance(20_000);
    expect(state()?.state).toBe('blackhole');
    // A gateway route is always active.
    expect(world.ec2.describeRouteTables({ ids: [ID.publicRtb] })[0]?.routes[0]?.state).toBe('active');
  });

  it('replaces an existing route, refuses a missing one (InvalidRoute.NotFound) and a duplicate CreateRoute', () => {
    const { world } = setup();
    world.ec2.replaceRoute(ID.privateRtbA, '0.0.0.0/0', { networkInterfaceId: ID.fwBTrust });
    const route = world.ec2
      .describeRouteTables({ ids: [ID.privateRtbA] })[0]
      ?.routes.find((r) => r.destination === '0.0.0.0/0');
    expect(route).toMatchObject({ networkInterfaceId: ID.fwBTrust, instanceId: ID.fwB, state: 'blackhole' });

    expect(
      codeOf(() =>
        world.ec2.replaceRoute(ID.privateRtbA, '10.99.0.0/16', { networkInterfaceId: ID.fwBTrust }),
      ),
    ).toBe('InvalidRoute.NotFound');
    expect(
      codeOf(() => world.ec2.createRoute(ID.privateRtbA, '0.0.0.0/0', { networkInterfaceId: ID.fwBTrust })),
    ).toBe('RouteAlreadyExists');
    world.ec2.createRoute(ID.privateRtbA, '10.99.0.0/16', { networkInterfaceId: ID.fwBTrust });
    expect(
      codeOf(() =>
        world.ec2.replaceRoute('rtb-0000000000000dead', '0.0.0.0/0', { networkInterfaceId: ID.fwBTrust }),
      ),
    ).toBe('InvalidRouteTableID.NotFound');
    expect(
      codeOf(() =>
        world.ec2.replaceRoute(ID.privateRtbA, '0.0.0.0/0', { networkInterfaceId: 'eni-0000000000000dead' }),
      ),
    ).toBe('InvalidNetworkInterfaceID.NotFound');
    expect(
      world.events.list({ type: ['ec2.route.replaced', 'ec2.route.created'] }).map((e) => e.message),
    ).toEqual([
      `${ID.privateRtbA} 0.0.0.0/0: ${ID.fwATrust} -> ${ID.fwBTrust}`,
      `${ID.privateRtbA} 10.99.0.0/16 created -> ${ID.fwBTrust}`,
    ]);
  });

  it('filters route tables by route target', () => {
    const { world } = setup();
    const ids = world.ec2
      .describeRouteTables({ filters: [{ name: 'route.network-interface-id', values: [ID.fwATrust] }] })
      .map((t) => t.routeTableId);
    expect(ids).toEqual([ID.privateRtbA, ID.privateRtbB]);
    expect(
      codeOf(() => world.ec2.describeRouteTables({ filters: [{ name: 'no-such-filter', values: ['x'] }] })),
    ).toBe('InvalidParameterValue');
  });
});

describe('Elastic IPs', () => {
  it('is idempotent for the same target and keeps the association id', () => {
    const { world } = setup();
    const before = world.ec2.describeAddresses({ ids: [ID.eipIpsec] })[0];
    const id = world.ec2.associateAddress({
      allocationId: ID.eipIpsec,
      networkInterfaceId: ID.fwAUntrust,
      privateIp: '10.10.1.10',
    });
    expect(id).toBe(before?.associationId);
    expect(world.events.list({ type: 'ec2.eip.associated' })).toEqual([]);
  });

  it('refuses to move an associated EIP without AllowReassociation (Resource.AlreadyAssociated) and moves it with', () => {
    const { clock, world } = setup();
    const move = (allowReassociation?: boolean) =>
      world.ec2.associateAddress({
        allocationId: ID.eipIpsec,
        networkInterfaceId: ID.fwBUntrust,
        privateIp: '10.20.1.10',
        allowReassociation,
      });
    expect(codeOf(() => move())).toBe('Resource.AlreadyAssociated');
    expect(codeOf(() => move(false))).toBe('Resource.AlreadyAssociated');
    const old = world.ec2.describeAddresses({ ids: [ID.eipIpsec] })[0]?.associationId;
    const id = move(true);
    expect(id).toMatch(/^eipassoc-[0-9a-f]{17}$/);
    expect(id).not.toBe(old);
    expect(world.ec2.describeAddresses({ ids: [ID.eipIpsec] })[0]).toMatchObject({
      associationId: id,
      networkInterfaceId: ID.fwBUntrust,
      privateIp: '10.20.1.10',
      instanceId: ID.fwB,
    });
    // The firewall hosts see the move: fw-b holds it since now, fw-a no longer.
    expect(world.firewallHost(ID.fwB).heldAddresses()).toEqual([
      { publicIp: '198.51.100.10', since: clock.now() },
    ]);
    expect(
      world
        .firewallHost(ID.fwA)
        .heldAddresses()
        .map((a) => a.publicIp),
    ).toEqual(['198.51.100.20']);
  });

  it('refuses a private IP the ENI does not have, and unknown ids', () => {
    const { world } = setup();
    const base = { allocationId: ID.eipIpsec, networkInterfaceId: ID.fwBUntrust, allowReassociation: true };
    expect(codeOf(() => world.ec2.associateAddress({ ...base, privateIp: '10.20.1.99' }))).toBe(
      'InvalidParameterValue',
    );
    expect(
      codeOf(() => world.ec2.associateAddress({ ...base, allocationId: 'eipalloc-0000000000000dead' })),
    ).toBe('InvalidAllocationID.NotFound');
    expect(
      codeOf(() => world.ec2.associateAddress({ ...base, networkInterfaceId: 'eni-0000000000000dead' })),
    ).toBe('InvalidNetworkInterfaceID.NotFound');
    expect(codeOf(() => world.ec2.describeAddresses({ ids: ['eipalloc-0000000000000dead'] }))).toBe(
      'InvalidAllocationID.NotFound',
    );
  });

  it('displaces the EIP already on the target private IP only with AllowReassociation', () => {
    const { world } = setup();
    // Both EIPs sit on fw-a's untrust ENI; put the NAT EIP on the IPsec EIP's address.
    const onto = (allowReassociation: boolean) =>
      world.ec2.associateAddress({
        allocationId: ID.eipNat,
        networkInterfaceId: ID.fwAUntrust,
        privateIp: '10.10.1.10',
        allowReassociation,
      });
    expect(codeOf(() => onto(false))).toBe('Resource.AlreadyAssociated');
    onto(true);
    expect(world.ec2.describeAddresses({ ids: [ID.eipIpsec] })[0]?.associationId).toBeUndefined();
    expect(world.events.list({ type: 'ec2.eip.disassociated' })[0]?.resource).toBe(ID.eipIpsec);
  });

  it('disassociates by association id', () => {
    const { world } = setup();
    const assoc = world.ec2.describeAddresses({ ids: [ID.eipNat] })[0]?.associationId ?? '';
    world.ec2.disassociateAddress(assoc);
    expect(world.ec2.describeAddresses({ ids: [ID.eipNat] })[0]?.networkInterfaceId).toBeUndefined();
    expect(codeOf(() => world.ec2.disassociateAddress(assoc))).toBe('InvalidAssociationID.NotFound');
  });

  it('shows the EIPs on the ENI private addresses', () => {
    const { world } = setup();
    const eni = world.ec2.describeNetworkInterfaces({ ids: [ID.fwAUntrust] })[0];
    expect(eni?.privateIps.map((p) => [p.address, p.primary, p.association?.publicIp])).toEqual([
      ['10.10.1.10', true, '198.51.100.10'],
      ['10.10.1.11', false, '198.51.100.20'],
    ]);
    expect(eni).toMatchObject({
      sourceDestCheck: false,
      availabilityZone: 'eu-central-1a',
      attachment: { instanceId: ID.fwA, deviceIndex: 1 },
    });
  });
});

describe('firewall host view', () => {
  it('follows the instance: running since, stopped, restarted', async () => {
    const { clock, world } = setup();
    const host = world.firewallHost(ID.fwB);
    expect(host.instanceState()).toBe('stopped');
    expect(host.runningSince()).toBeUndefined();
    world.ec2.startInstances([ID.fwB]);
    const t = clock.now();
    await clock.advance(16_000);
    expect(host.instanceState()).toBe('running');
    expect(host.runningSince()).toBe(t + 16_000);
    expect(world.firewallHost(ID.fwA).runningSince()).toBeLessThan(t);
  });
});
