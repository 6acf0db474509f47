import { afterEach, describe, expect, it } from 'vitest';
import {
  AwsCallError,
  AwsThrottledError,
  AwsTransientError,
  InputInvalidError,
  InstanceStateConflictError,
  InsufficientCapacityError,
  ManagedResourceNotFoundError,
  SecretUnavailableError,
  StateConflictError,
} from '#shared/errors.js';
import { EXAMPLE_IDS as ID, exampleTopology } from '../support/example-topology.js';
import { ManualClock } from '#sim/manual-clock.js';
import { createDirectPorts, type DirectPorts } from '#sim/world/ports.js';
import { World } from '#sim/world/world.js';

let world: World | undefined;
afterEach(() => world?.close());

function setup(): { clock: ManualClock; world: World; ports: DirectPorts<{ rounds: number }> } {
  const clock = new ManualClock();
  world = World.create({ clock, seed: 5 }).load(exampleTopology());
  const ports = createDirectPorts<{ rounds: number }>(world, {
    tableName: ID.table,
    topicArn: world.sns.topicArn(ID.topic),
    stateMachineArn: world.sfn.stateMachineArn(ID.stateMachine),
  });
  return { clock, world, ports };
}

describe('EC2 port', () => {
  it('describes instances with their status checks, in request order', async () => {
    const { ports } = setup();
    const [b, a] = await ports.ec2.describeInstances([ID.fwB, ID.fwA, ID.fwB]);
    expect(a).toMatchObject({
      instanceId: ID.fwA,
      state: 'running',
      systemStatus: 'ok',
      instanceStatus: 'ok',
      availabilityZone: 'eu-central-1a',
    });
    expect(b).toMatchObject({
      instanceId: ID.fwB,
      state: 'stopped',
      systemStatus: 'not-applicable',
      instanceType: 'm5.xlarge',
    });
    expect(a?.networkInterfaces.map((n) => [n.deviceIndex, n.networkInterfaceId, n.privateIps])).toEqual([
      [0, ID.fwAMgmt, ['10.10.0.10']],
      [1, ID.fwAUntrust, ['10.10.1.10', '10.10.1.11']],
      [2, ID.fwATrust, ['10.10.2.10']],
    ]);
    expect(await ports.ec2.describeInstances([])).toEqual([]);
    await expect(ports.ec2.describeInstances(['i-00000000000000404'])).rejects.toBeInstanceOf(
      ManagedResourceNotFoundError,
    );
  });

  it('starts and stops with the state EC2 reports, and throws the adapters typed errors', async () => {
    const { ports } = setup();
    expect(await ports.ec2.startInstance(ID.fwB)).toBe('pending');
    expect(await ports.ec2.startInstance(ID.fwB)).toBe('pending');
    expect(await ports.ec2.stopInstance(ID.fwA)).toBe('stopping');
    await expect(ports.ec2.startInstance(ID.fwA)).rejects.toBeInstanceOf(InstanceStateConflictError);
    await expect(ports.ec2.setInstanceType(ID.fwA, 'm5.large')).rejects.toMatchObject({
      name: 'InstanceStateConflictError',
      awsCode: 'IncorrectInstanceState',
      operation: 'ec2:ModifyInstanceAttribute',
    });
  });

  it('reports a missing route as ManagedResourceNotFoundError naming it', async () => {
    const { ports } = setup();
    const err = await ports.ec2
      .replaceRoute(ID.privateRtbA, '10.99.0.0/16', ID.fwBTrust)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManagedResourceNotFoundError);
    expect((err as Error).message).toContain(`route 10.99.0.0/16 in ${ID.privateRtbA}`);
    expect(err).toMatchObject({ awsCode: 'InvalidRoute.NotFound', retryable: false });
  });

  it('moves routes and EIPs and reads them back', async () => {
    const { ports } = setup();
    await ports.ec2.replaceRoute(ID.privateRtbA, '0.0.0.0/0', ID.fwBTrust);
    const [table] = await ports.ec2.describeRouteTables([ID.privateRtbA]);
    expect(table?.routes[0]).toEqual({
      destination: '0.0.0.0/0',
      networkInterfaceId: ID.fwBTrust,
      instanceId: ID.fwB,
      gatewayId: undefined,
      state: 'blackhole',
    });
    const assoc = await ports.ec2.associateAddress(ID.eipIpsec, ID.fwBUntrust, '10.20.1.10');
    // Idempotent: the same target again keeps the association.
    expect(await ports.ec2.associateAddress(ID.eipIpsec, ID.fwBUntrust, '10.20.1.10')).toBe(assoc);
    expect(await ports.ec2.describeAddresses([ID.eipIpsec])).toEqual([
      {
        allocationId: ID.eipIpsec,
        publicIp: '198.51.100.10',
        associationId: assoc,
        networkInterfaceId: ID.fwBUntrust,
        privateIp: '10.20.1.10',
        instanceId: ID.fwB,
      },
    ]);
    const [eni] = await ports.ec2.describeNetworkInterfaces([ID.fwBUntrust]);
    expect(eni?.privateIps).toEqual([
      { address: '10.20.1.10', primary: true, associatedPublicIp: '198.51.100.10' },
      { address: '10.20.1.11', primary: false, associatedPublicIp: undefined },
    ]);
    expect(await ports.ec2.describeInstanceTypes(['m5.large'])).toEqual([
      { instanceType: 'm5.large', maxNetworkInterfaces: 3, ipv4AddressesPerInterface: 10 },
    ]);
    await expect(ports.ec2.describeInstanceTypes(['q1.nano'])).rejects.toBeInstanceOf(AwsCallError);
  });

  it('honours throttling, capacity, error-rate and lag faults', async () => {
    const { clock, world, ports } = setup();
    world.faults.set({ throttle: { 'ec2:ReplaceRoute': { burst: 1, refillPerSecond: 1 } } });
    await ports.ec2.replaceRoute(ID.privateRtbA, '0.0.0.0/0', ID.fwBTrust);
    await expect(ports.ec2.replaceRoute(ID.privateRtbB, '0.0.0.0/0', ID.fwBTrust)).rejects.toMatchObject({
      name: 'AwsThrottledError',
      awsCode: 'RequestLimitExceeded',
      retryable: true,
    });
    await clock.advance(1_000);
    await ports.ec2.replaceRoute(ID.privateRtbB, '0.0.0.0/0', ID.fwBTrust);

    world.faults.set({ capacity: [{ instanceId: ID.fwB, count: 1 }] });
    await expect(ports.ec2.startInstance(ID.fwB)).rejects.toBeInstanceOf(InsufficientCapacityError);
    expect(await ports.ec2.startInstance(ID.fwB)).toBe('pending');

    world.faults.set({ errorRates: { 'ec2:DescribeAddresses': { rate: 1, code: 'InternalError' } } });
    await expect(ports.ec2.describeAddresses([ID.eipNat])).rejects.toBeInstanceOf(AwsTransientError);
    world.faults.clear('errorRates');

    world.faults.set({ lag: { ms: 10_000 } });
    await ports.ec2.associateAddress(ID.eipNat, ID.fwBUntrust, '10.20.1.11');
    expect((await ports.ec2.describeAddresses([ID.eipNat]))[0]?.networkInterfaceId).toBe(ID.fwAUntrust);
    await clock.advance(10_000);
    expect((await ports.ec2.describeAddresses([ID.eipNat]))[0]?.networkInterfaceId).toBe(ID.fwBUntrust);
  });

  it('applies latency on the clock', async () => {
    const { clock, world, ports } = setup();
    world.faults.set({ latency: { 'ec2:*': { fixedMs: 1_500 } } });
    let done = false;
    const p = ports.ec2.describeRouteTables([ID.privateRtbA]).then(() => {
      done = true;
    });
    await clock.advance(1_499);
    expect(done).toBe(false);
    await clock.advance(1);
    await p;
    expect(done).toBe(true);
  });

  it('throws AwsThrottledError under the documented preset after five StartInstances', async () => {
    const { world, ports } = setup();
    world.faults.set({ throttle: 'aws-defaults' });
    for (let i = 0; i < 5; i++) await ports.ec2.startInstance(ID.fwA);
    await expect(ports.ec2.startInstance(ID.fwA)).rejects.toBeInstanceOf(AwsThrottledError);
  });
});

describe('DNS port', () => {
  it('reads, upserts and follows the change to INSYNC', async () => {
    const { clock, ports } = setup();
    expect(await ports.dns.getRecord(`/hostedzone/${ID.hostedZone}`, 'gp.example.com', 'A')).toEqual({
      name: 'gp.example.com',
      type: 'A',
      ttl: 60,
      values: ['198.51.100.10'],
    });
    expect(await ports.dns.getRecord(ID.hostedZone, 'missing.example.com', 'A')).toBeUndefined();
    const change = await ports.dns.upsertRecord(
      ID.hostedZone,
      { name: 'gp.example.com', type: 'A', ttl: 60, values: ['203.0.113.7'] },
      'failover',
    );
    expect(change.status).toBe('PENDING');
    expect(await ports.dns.getChangeStatus(`/change/${change.changeId}`)).toBe('PENDING');
    await clock.advance(30_000);
    expect(await ports.dns.getChangeStatus(change.changeId)).toBe('INSYNC');
    await expect(ports.dns.getRecord('Z404', 'gp.example.com', 'A')).rejects.toBeInstanceOf(
      ManagedResourceNotFoundError,
    );
  });
});

describe('state store port', () => {
  it('takes, re-enters, refuses and releases the lock like the DynamoDB adapter', async () => {
    const { world, ports } = setup();
    const { store } = ports;
    expect(await store.acquire('hq', 'exec-1', 1_000, 60_000)).toEqual({ acquired: true, expiresAt: 61_000 });
    expect(await store.acquire('hq', 'exec-1', 2_000, 60_000)).toEqual({ acquired: true, expiresAt: 62_000 });
    expect(await store.acquire('hq', 'exec-2', 3_000, 60_000)).toEqual({
      acquired: false,
      heldBy: 'exec-1',
      expiresAt: 62_000,
    });
    // Expired: taken over.
    expect(await store.acquire('hq', 'exec-2', 62_001, 60_000)).toEqual({
      acquired: true,
      expiresAt: 122_001,
    });
    expect(await store.release('hq', 'exec-1')).toBe(false);
    expect(await store.get('hq')).toEqual({ holder: 'exec-2', expiresAt: 122_001 });
    expect(await store.release('hq', 'exec-2')).toBe(true);
    expect(await store.get('hq')).toBeUndefined();
    const item = world.dynamodb.scan(ID.table)[0];
    expect(item).toBeUndefined();
  });

  it('writes the items of the shared table layout', async () => {
    const { world, ports } = setup();
    await ports.store.acquire('hq', 'exec-1', 1_000, 60_000);
    await ports.store.putOwner('hq', {
      owner: 'secondary',
      since: 5,
      changedBy: 'exec-1',
      reason: 'failover',
    });
    const items = world.dynamodb.scan(ID.table);
    expect(items).toEqual([
      {
        pk: { S: 'pair#hq' },
        sk: { S: 'lock' },
        holder: { S: 'exec-1' },
        acquiredAt: { N: '1000' },
        expiresAt: { N: '61000' },
        ttl: { N: String(61 + 86_400) },
      },
      {
        pk: { S: 'pair#hq' },
        sk: { S: 'owner' },
        owner: { S: 'secondary' },
        since: { N: '5' },
        changedBy: { S: 'exec-1' },
        reason: { S: 'failover' },
      },
    ]);
    expect(await ports.store.getOwner('hq')).toEqual({
      owner: 'secondary',
      since: 5,
      changedBy: 'exec-1',
      reason: 'failover',
    });
    expect(await ports.store.getOwner('other')).toBeUndefined();
  });

  it('saves probe state optimistically and reports a lost race as StateConflictError', async () => {
    const { ports } = setup();
    expect(await ports.store.loadProbeState('hq')).toEqual({ value: undefined, version: undefined });
    await ports.store.saveProbeState('hq', { rounds: 1 }, undefined);
    expect(await ports.store.loadProbeState('hq')).toEqual({ value: { rounds: 1 }, version: 1 });
    await expect(ports.store.saveProbeState('hq', { rounds: 9 }, undefined)).rejects.toBeInstanceOf(
      StateConflictError,
    );
    await ports.store.saveProbeState('hq', { rounds: 2 }, 1);
    await expect(ports.store.saveProbeState('hq', { rounds: 3 }, 1)).rejects.toBeInstanceOf(
      StateConflictError,
    );
    expect(await ports.store.loadProbeState('hq')).toEqual({ value: { rounds: 2 }, version: 2 });
  });

  it('surfaces DynamoDB throttling as AwsThrottledError', async () => {
    const { world, ports } = setup();
    world.faults.set({ errorRates: { 'dynamodb:PutItem': { rate: 1, code: 'ThrottlingException' } } });
    await expect(ports.store.acquire('hq', 'exec-1', 1, 1)).rejects.toBeInstanceOf(AwsThrottledError);
  });
});

describe('notifier, secrets and flow ports', () => {
  it('publishes a sanitised subject and the JSON body', async () => {
    const { world, ports } = setup();
    await ports.notifier.publish({ subject: 'Failover of hq-egress\nstarted', body: { pair: 'hq-egress' } });
    const [m] = world.sns.messages();
    expect(m?.subject).toBe('Failover of hq-egress started');
    expect(JSON.parse(m?.message ?? '')).toEqual({ pair: 'hq-egress' });
  });

  it('reads secrets, and reports a missing one as SecretUnavailableError without the value', async () => {
    const { world, ports } = setup();
    expect(await ports.secrets.getSecretString('pan-failover/fw-b/api-key')).toBe('LUFRPT-sim-key-fw-b');
    const err = await ports.secrets.getSecretString('pan-failover/none').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretUnavailableError);
    expect(err).toMatchObject({ retryable: false });
    world.secrets.put('empty', '');
    await expect(ports.secrets.getSecretString('empty')).rejects.toThrow(/empty/);
  });

  it('starts by deterministic name with the adapter semantics of alreadyExisted', async () => {
    const { world, ports } = setup();
    const first = await ports.flow.start('failover-hq-1', { pair: 'hq' });
    expect(first.alreadyExisted).toBe(false);
    // Same name and input while running: the running execution (reported as a normal start, like the adapter).
    expect(await ports.flow.start('failover-hq-1', { pair: 'hq' })).toEqual(first);
    // Other input: refused by Step Functions, reported as already existing.
    expect(await ports.flow.start('failover-hq-1', { pair: 'other' })).toEqual({
      executionArn: first.executionArn,
      alreadyExisted: true,
    });
    expect(await ports.flow.status('failover-hq-1')).toBe('RUNNING');
    expect(await ports.flow.status('never-started')).toBeUndefined();
    world.sfn.complete(first.executionArn, { error: 'CutoverFailedError' });
    expect(await ports.flow.status('failover-hq-1')).toBe('FAILED');
    await expect(ports.flow.start('bad name', {})).rejects.toBeInstanceOf(InputInvalidError);
  });
});
