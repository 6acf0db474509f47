/**
 * One contract, two implementations: the SDK adapters of `shared/adapters/aws/` talking to the
 * wire server through `AWS_ENDPOINT_URL` (no endpoint in code, as in Lambda), and the direct
 * ports of `sim/world/ports.ts`, run through the same scenarios on fresh worlds. Where they
 * agree, unit tests written against the fast direct ports hold for the real adapters too.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDynamoDbClient,
  createEc2Client,
  createRoute53Client,
  createSecretsManagerClient,
  createSfnClient,
  createSnsClient,
} from '#shared/adapters/aws/clients.js';
import { DynamoStateStore } from '#shared/adapters/aws/dynamodb-store.js';
import { Ec2Adapter } from '#shared/adapters/aws/ec2.js';
import { Route53Adapter } from '#shared/adapters/aws/route53.js';
import { createSecretReader } from '#shared/adapters/aws/secrets.js';
import { createFlowStarter } from '#shared/adapters/aws/sfn.js';
import { createNotifier } from '#shared/adapters/aws/sns.js';
import {
  AwsThrottledError,
  AwsTransientError,
  InstanceStateConflictError,
  InsufficientCapacityError,
  ManagedResourceNotFoundError,
  SecretUnavailableError,
  StateConflictError,
} from '#shared/errors.js';
import { startAwsSimulator, type AwsSimulator } from '#sim/aws/server.js';
import { EXAMPLE_IDS as ID, exampleTopology } from '../support/example-topology.js';
import { ManualClock } from '#sim/manual-clock.js';
import { createDirectPorts, type DirectPorts } from '#sim/world/ports.js';
import { World } from '#sim/world/world.js';

const ENV_KEYS = [
  'AWS_ENDPOINT_URL',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_MAX_ATTEMPTS',
] as const;
const savedEnv = new Map<string, string | undefined>();
beforeAll(() => {
  for (const k of ENV_KEYS) savedEnv.set(k, process.env[k]);
  process.env.AWS_REGION = 'eu-central-1';
  process.env.AWS_ACCESS_KEY_ID = 'x';
  process.env.AWS_SECRET_ACCESS_KEY = 'x';
  process.env.AWS_MAX_ATTEMPTS = '1';
});
afterAll(() => {
  for (const [k, v] of savedEnv) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

interface Harness {
  readonly clock: ManualClock;
  readonly world: World;
  readonly ports: DirectPorts<{ rounds: number }>;
  readonly sim: AwsSimulator | undefined;
}

let current: Harness | undefined;
afterEach(async () => {
  await current?.sim?.close();
  current?.world.close();
  current = undefined;
});

function direct(): Promise<Harness> {
  const clock = new ManualClock();
  const world = World.create({ clock, seed: 17 }).load(exampleTopology());
  const ports = createDirectPorts<{ rounds: number }>(world, {
    tableName: ID.table,
    topicArn: world.sns.topicArn(ID.topic),
    stateMachineArn: world.sfn.stateMachineArn(ID.stateMachine),
  });
  current = { clock, world, ports, sim: undefined };
  return Promise.resolve(current);
}

async function overTheWire(): Promise<Harness> {
  const clock = new ManualClock();
  const world = World.create({ clock, seed: 17 }).load(exampleTopology());
  const sim = await startAwsSimulator({ world });
  process.env.AWS_ENDPOINT_URL = sim.endpoint;
  const ports: DirectPorts<{ rounds: number }> = {
    ec2: new Ec2Adapter(createEc2Client()),
    dns: new Route53Adapter(createRoute53Client({ region: 'us-east-1' })),
    store: new DynamoStateStore<{ rounds: number }>({ client: createDynamoDbClient(), tableName: ID.table }),
    notifier: createNotifier({ client: createSnsClient(), topicArn: world.sns.topicArn(ID.topic) }),
    secrets: createSecretReader({ client: createSecretsManagerClient(), cacheTtlMs: 0 }),
    flow: createFlowStarter({
      client: createSfnClient(),
      stateMachineArn: world.sfn.stateMachineArn(ID.stateMachine),
    }),
  };
  current = { clock, world, ports, sim };
  return current;
}

describe.each([
  ['direct ports', direct],
  ['SDK adapters over the wire', overTheWire],
])('%s', (_name, make) => {
  it('a call that gets no answer at all (a broken network) is a transient error with no HTTP status', async () => {
    const { ports, world } = await make();
    world.faults.set({ errorRates: { 'ec2:DescribeInstances': { rate: 1, code: 'RequestTimeout', noAnswer: true } } });
    const e = await ports.ec2.describeInstances([ID.fwA]).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(AwsTransientError);
    const status = ((e as Error).cause as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
    expect(status).toBeUndefined();
    world.faults.clear();
    await expect(ports.ec2.describeInstances([ID.fwA])).resolves.toHaveLength(1);
  });

  it('describe instances, routes, addresses and ENIs alike', async () => {
    const { ports } = await make();
    const [b, a] = await ports.ec2.describeInstances([ID.fwB, ID.fwA]);
    expect([a?.state, a?.systemStatus, b?.state, b?.systemStatus]).toEqual([
      'running',
      'ok',
      'stopped',
      'not-applicable',
    ]);
    expect(
      a?.networkInterfaces.map((n) => [n.deviceIndex, n.networkInterfaceId, n.privateIps, n.sourceDestCheck]),
    ).toEqual([
      [0, ID.fwAMgmt, ['10.10.0.10'], true],
      [1, ID.fwAUntrust, ['10.10.1.10', '10.10.1.11'], false],
      [2, ID.fwATrust, ['10.10.2.10'], false],
    ]);
    const [table] = await ports.ec2.describeRouteTables([ID.privateRtbA]);
    expect(table?.routes).toEqual([
      {
        destination: '0.0.0.0/0',
        networkInterfaceId: ID.fwATrust,
        instanceId: ID.fwA,
        gatewayId: undefined,
        state: 'active',
      },
      {
        destination: '172.16.0.0/12',
        networkInterfaceId: ID.fwATrust,
        instanceId: ID.fwA,
        gatewayId: undefined,
        state: 'active',
      },
    ]);
    const [eni] = await ports.ec2.describeNetworkInterfaces([ID.fwAUntrust]);
    expect(eni).toMatchObject({
      attachedInstanceId: ID.fwA,
      deviceIndex: 1,
      availabilityZone: 'eu-central-1a',
      vpcId: ID.vpc,
    });
    expect(await ports.ec2.describeInstanceTypes(['c5n.xlarge'])).toEqual([
      { instanceType: 'c5n.xlarge', maxNetworkInterfaces: 4, ipv4AddressesPerInterface: 15 },
    ]);
    await expect(ports.ec2.describeRouteTables(['rtb-00000000000000404'])).rejects.toBeInstanceOf(
      ManagedResourceNotFoundError,
    );
  });

  it('move routes and EIPs with the same errors and idempotency', async () => {
    const { ports } = await make();
    await ports.ec2.replaceRoute(ID.privateRtbA, '0.0.0.0/0', ID.fwBTrust);
    const missing = await ports.ec2
      .replaceRoute(ID.privateRtbA, '10.99.0.0/16', ID.fwBTrust)
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ManagedResourceNotFoundError);
    expect(missing).toMatchObject({ awsCode: 'InvalidRoute.NotFound', operation: 'ec2:ReplaceRoute' });
    const assoc = await ports.ec2.associateAddress(ID.eipIpsec, ID.fwBUntrust, '10.20.1.10');
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
  });

  it('start and stop instances with the same typed failures', async () => {
    const { ports, world } = await make();
    expect(await ports.ec2.stopInstance(ID.fwA)).toBe('stopping');
    await expect(ports.ec2.startInstance(ID.fwA)).rejects.toBeInstanceOf(InstanceStateConflictError);
    world.faults.set({ capacity: [{ instanceId: ID.fwB, count: 1 }] });
    await expect(ports.ec2.startInstance(ID.fwB)).rejects.toBeInstanceOf(InsufficientCapacityError);
    expect(await ports.ec2.startInstance(ID.fwB)).toBe('pending');
    world.faults.set({ throttle: { 'ec2:StopInstances': { burst: 1, refillPerSecond: 1 } } });
    expect(await ports.ec2.stopInstance(ID.fwA)).toBe('stopping');
    await expect(ports.ec2.stopInstance(ID.fwA)).rejects.toBeInstanceOf(AwsThrottledError);
  });

  it('keep the lock, owner and probe state in the same items', async () => {
    const { ports, world } = await make();
    const { store } = ports;
    expect(await store.acquire('hq-egress', 'exec-1', 1_000, 60_000)).toEqual({
      acquired: true,
      expiresAt: 61_000,
    });
    expect(await store.acquire('hq-egress', 'exec-2', 2_000, 60_000)).toEqual({
      acquired: false,
      heldBy: 'exec-1',
      expiresAt: 61_000,
    });
    expect(await store.release('hq-egress', 'exec-2')).toBe(false);
    // Take-over only from the named stale holder, atomically.
    expect(await store.takeOver('hq-egress', 'exec-3', 'exec-9', 3_000, 60_000)).toEqual({
      acquired: false,
      heldBy: 'exec-1',
      expiresAt: 61_000,
    });
    expect(await store.takeOver('hq-egress', 'exec-3', 'exec-1', 3_000, 60_000)).toEqual({
      acquired: true,
      expiresAt: 63_000,
    });
    expect(await store.release('hq-egress', 'exec-1')).toBe(false);
    expect(await store.release('hq-egress', 'exec-3')).toBe(true);
    await store.putOwner('hq-egress', {
      owner: 'secondary',
      since: 7,
      changedBy: 'exec-1',
      reason: 'failover',
    });
    expect(await store.getOwner('hq-egress')).toEqual({
      owner: 'secondary',
      since: 7,
      changedBy: 'exec-1',
      reason: 'failover',
    });
    await store.saveProbeState('hq-egress', { rounds: 1 }, undefined);
    await expect(store.saveProbeState('hq-egress', { rounds: 2 }, 5)).rejects.toBeInstanceOf(
      StateConflictError,
    );
    expect(await store.loadProbeState('hq-egress')).toEqual({ value: { rounds: 1 }, version: 1 });
    expect(world.dynamodb.scan(ID.table).map((i) => i['sk'])).toEqual([{ S: 'owner' }, { S: 'probe' }]);
  });

  it('change DNS and follow the change on the clock', async () => {
    const { ports, clock } = await make();
    expect((await ports.dns.getRecord(ID.hostedZone, 'gp.example.com', 'A'))?.values).toEqual([
      '198.51.100.10',
    ]);
    const change = await ports.dns.upsertRecord(
      ID.hostedZone,
      { name: 'gp.example.com', type: 'A', ttl: 60, values: ['198.51.100.77'] },
      'failover',
    );
    expect(change.status).toBe('PENDING');
    await clock.advance(30_000);
    expect(await ports.dns.getChangeStatus(change.changeId)).toBe('INSYNC');
  });

  it('notify, read secrets and start flows alike', async () => {
    const { ports, world } = await make();
    await ports.notifier.publish({ subject: 'Failover of hq-egress', body: { pair: 'hq-egress' } });
    expect(world.sns.messages().map((m) => [m.subject, JSON.parse(m.message) as unknown])).toEqual([
      ['Failover of hq-egress', { pair: 'hq-egress' }],
    ]);
    expect(await ports.secrets.getSecretString('pan-failover/fw-a/api-key')).toBe('LUFRPT-sim-key-fw-a');
    await expect(ports.secrets.getSecretString('pan-failover/none')).rejects.toBeInstanceOf(
      SecretUnavailableError,
    );
    const first = await ports.flow.start('failover-hq-egress-1', { pair: 'hq-egress' });
    expect(first.alreadyExisted).toBe(false);
    expect(await ports.flow.start('failover-hq-egress-1', { pair: 'hq-egress' })).toEqual(first);
    expect(await ports.flow.start('failover-hq-egress-1', { pair: 'other' })).toEqual({
      executionArn: first.executionArn,
      alreadyExisted: true,
    });
    expect(await ports.flow.status('failover-hq-egress-1')).toBe('RUNNING');
    expect(await ports.flow.status('failover-none')).toBeUndefined();
  });
});

describe('SDK adapters', () => {
  it('reach the simulator through AWS_ENDPOINT_URL alone: every port call is a counted request', async () => {
    const { ports, sim } = await overTheWire();
    await ports.ec2.describeInstances([ID.fwA]);
    await ports.store.get('hq-egress');
    await ports.flow.status('failover-none');
    expect(sim?.requestCounts()).toEqual({
      'dynamodb:GetItem': 1,
      'ec2:DescribeInstanceStatus': 1,
      'ec2:DescribeInstances': 1,
      'sfn:DescribeExecution': 1,
    });
  });
});
