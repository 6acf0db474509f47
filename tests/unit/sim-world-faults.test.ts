import { afterEach, describe, expect, it } from 'vitest';
import { InputInvalidError } from '#shared/errors.js';
import { SimAwsError } from '#sim/world/aws-error.js';
import { EXAMPLE_IDS as ID, exampleTopology } from '../support/example-topology.js';
import { EC2_THROTTLE_DEFAULTS } from '#sim/world/faults.js';
import { ManualClock } from '#sim/manual-clock.js';
import { World } from '#sim/world/world.js';

let world: World | undefined;
afterEach(() => world?.close());

function setup(seed = 1) {
  const clock = new ManualClock();
  world = World.create({ clock, seed }).load(exampleTopology());
  return { clock, world };
}

/** Outcome of one world call: 'ok' or the AWS error code. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof SimAwsError) return e.code;
    throw e;
  }
}

describe('throttling', () => {
  it('has EC2 documented buckets as a preset', () => {
    expect(EC2_THROTTLE_DEFAULTS['ec2:StartInstances']).toEqual({ burst: 5, refillPerSecond: 2 });
    expect(EC2_THROTTLE_DEFAULTS['ec2:ReplaceRoute']).toEqual({ burst: 50, refillPerSecond: 5 });
    expect(EC2_THROTTLE_DEFAULTS['ec2:DescribeRouteTables']).toEqual({ burst: 100, refillPerSecond: 20 });
    expect(EC2_THROTTLE_DEFAULTS['ec2:DescribeNetworkInterfaces#unfiltered']).toEqual({
      burst: 50,
      refillPerSecond: 10,
    });
  });

  it('empties a bucket, answers RequestLimitExceeded (HTTP 503), and refills on the simulated clock', async () => {
    const { clock, world } = setup();
    world.faults.set({ throttle: 'aws-defaults' });
    const start = () => world.call('ec2:StartInstances', () => world.ec2.startInstances([ID.fwA]));
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await outcome(start()));
    expect(results).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'RequestLimitExceeded']);
    const err = await start().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RequestLimitExceeded', httpStatus: 503, service: 'ec2' });

    // 2 tokens per second: after 499 ms there is not yet one token, after 500 ms there is.
    await clock.advance(499);
    expect(await outcome(start())).toBe('RequestLimitExceeded');
    await clock.advance(1);
    expect(await outcome(start())).toBe('ok');
    expect(await outcome(start())).toBe('RequestLimitExceeded');
    // Other actions have their own buckets.
    expect(await outcome(world.call('ec2:ReplaceRoute', () => undefined))).toBe('ok');
    expect(
      world.events.list({ type: 'fault.injected' }).filter((e) => e.data['kind'] === 'throttle'),
    ).toHaveLength(4);
  });

  it('throttles Route 53 per action with Throttling (HTTP 400)', async () => {
    const { world } = setup();
    world.faults.set({ throttle: { 'route53:*': { burst: 2, refillPerSecond: 1 } } });
    const get = () => world.call('route53:GetHostedZone', () => world.route53.getHostedZone(ID.hostedZone));
    expect([await outcome(get()), await outcome(get()), await outcome(get())]).toEqual([
      'ok',
      'ok',
      'Throttling',
    ]);
    expect(await get().catch((e: unknown) => e)).toMatchObject({ httpStatus: 400 });
    expect(await outcome(world.call('route53:GetChange', () => undefined))).toBe('ok');
  });

  it('gives unfiltered describes their own bucket only where a rule names it', async () => {
    const { world } = setup();
    world.faults.set({
      throttle: {
        'ec2:DescribeNetworkInterfaces': { burst: 1, refillPerSecond: 0.001 },
        'ec2:DescribeNetworkInterfaces#unfiltered': { burst: 1, refillPerSecond: 0.001 },
      },
    });
    const call = (bucket?: string) =>
      outcome(
        world.call('ec2:DescribeNetworkInterfaces', () => undefined, bucket === undefined ? {} : { bucket }),
      );
    expect(await call()).toBe('ok');
    expect(await call()).toBe('RequestLimitExceeded');
    expect(await call('ec2:DescribeNetworkInterfaces#unfiltered')).toBe('ok');
    expect(await call('ec2:DescribeNetworkInterfaces#unfiltered')).toBe('RequestLimitExceeded');
  });
});

describe('latency', () => {
  it('delays the operation on the simulated clock before it acts', async () => {
    const { clock, world } = setup();
    world.faults.set({ latency: { 'ec2:ReplaceRoute': { fixedMs: 2_000 } } });
    let done = false;
    const p = world
      .call('ec2:ReplaceRoute', () =>
        world.ec2.replaceRoute(ID.privateRtbA, '0.0.0.0/0', { networkInterfaceId: ID.fwBTrust }),
      )
      .then(() => {
        done = true;
      });
    const t0 = clock.now();
    await clock.advance(1_999);
    expect(done).toBe(false);
    await clock.advance(1);
    await p;
    expect(world.events.list({ type: 'ec2.route.replaced' })[0]?.at).toBe(t0 + 2_000);
  });

  it('draws a range latency from the seeded generator: same seed, same delays', () => {
    const delays = (seed: number) => {
      const { world } = setup(seed);
      world.faults.set({ latency: { '*': { minMs: 100, maxMs: 900 } } });
      const out = Array.from({ length: 5 }, () => world.faults.latencyFor('ec2:DescribeAddresses'));
      world.close();
      return out;
    };
    const a = delays(42);
    expect(delays(42)).toEqual(a);
    expect(delays(43)).not.toEqual(a);
    for (const d of a) {
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(900);
    }
  });
});

describe('error rates', () => {
  it('fails the configured share of calls with the configured code, deterministically per seed', async () => {
    const pattern = async (seed: number) => {
      const { world } = setup(seed);
      world.faults.set({ errorRates: { 'ec2:AssociateAddress': { rate: 0.3, code: 'InternalError' } } });
      const out: string[] = [];
      for (let i = 0; i < 200; i++)
        out.push(await outcome(world.call('ec2:AssociateAddress', () => undefined)));
      world.close();
      return out;
    };
    const a = await pattern(7);
    expect(await pattern(7)).toEqual(a);
    const failures = a.filter((x) => x === 'InternalError').length;
    expect(failures).toBeGreaterThan(40);
    expect(failures).toBeLessThan(80);
    expect(a.filter((x) => x !== 'ok' && x !== 'InternalError')).toEqual([]);
  });

  it('uses the status AWS gives the code', async () => {
    const { world } = setup();
    world.faults.set({
      errorRates: {
        'route53:*': { rate: 1, code: 'NoSuchHostedZone' },
        'ec2:*': { rate: 1, code: 'InternalError' },
      },
    });
    expect(await world.call('route53:GetChange', () => undefined).catch((e: unknown) => e)).toMatchObject({
      httpStatus: 404,
    });
    expect(await world.call('ec2:StopInstances', () => undefined).catch((e: unknown) => e)).toMatchObject({
      httpStatus: 500,
    });
  });
});

describe('capacity', () => {
  it('fails the next N StartInstances with InsufficientInstanceCapacity (HTTP 500), then starts', async () => {
    const { world } = setup();
    world.faults.set({ capacity: [{ instanceId: ID.fwB, count: 2 }] });
    const start = () => world.call('ec2:StartInstances', () => world.ec2.startInstances([ID.fwB]));
    const err = await start().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'InsufficientInstanceCapacity', httpStatus: 500 });
    expect((err as Error).message).toContain('m5.xlarge');
    expect(await outcome(start())).toBe('InsufficientInstanceCapacity');
    expect(world.ec2.instanceNow(ID.fwB).state).toBe('stopped');
    expect(await outcome(start())).toBe('ok');
    expect(world.ec2.instanceNow(ID.fwB).state).toBe('pending');
  });

  it('can be limited to an instance type, so a fallback type starts', async () => {
    const { world } = setup();
    world.faults.set({ capacity: [{ instanceType: 'm5.xlarge', count: 'always' }] });
    const start = () => world.call('ec2:StartInstances', () => world.ec2.startInstances([ID.fwB]));
    expect(await outcome(start())).toBe('InsufficientInstanceCapacity');
    expect(await outcome(start())).toBe('InsufficientInstanceCapacity');
    world.ec2.modifyInstanceType(ID.fwB, 'c5.xlarge');
    expect(await outcome(start())).toBe('ok');
    expect(world.faults.capacityRemaining()).toEqual(['always']);
  });
});

describe('eventual consistency lag', () => {
  it('shows Describe results as of lagMs ago while mutations act at once', async () => {
    const { clock, world } = setup();
    world.faults.set({ lag: { ms: 5_000 } });
    world.ec2.replaceRoute(ID.privateRtbA, '0.0.0.0/0', { networkInterfaceId: ID.fwBTrust });
    world.ec2.associateAddress({
      allocationId: ID.eipIpsec,
      networkInterfaceId: ID.fwBUntrust,
      privateIp: '10.20.1.10',
      allowReassociation: true,
    });
    const target = () =>
      world.ec2.describeRouteTables({ ids: [ID.privateRtbA] })[0]?.routes[0]?.networkInterfaceId;
    const holder = () => world.ec2.describeAddresses({ ids: [ID.eipIpsec] })[0]?.networkInterfaceId;
    expect([target(), holder()]).toEqual([ID.fwATrust, ID.fwAUntrust]);
    // The world's own summary shows the truth, not the stale view.
    expect(
      world.summary().routes.find((r) => r.routeTableId === ID.privateRtbA && r.destination === '0.0.0.0/0')
        ?.target,
    ).toBe(ID.fwBTrust);
    // A second replace acts on the current (new) state, not the stale view: it is a no-op.
    world.ec2.replaceRoute(ID.privateRtbA, '0.0.0.0/0', { networkInterfaceId: ID.fwBTrust });
    expect(world.events.list({ type: 'ec2.route.replaced' }).map((e) => e.data['changed'])).toEqual([
      true,
      false,
    ]);
    await clock.advance(4_999);
    expect(target()).toBe(ID.fwATrust);
    await clock.advance(1);
    expect([target(), holder()]).toEqual([ID.fwBTrust, ID.fwBUntrust]);
  });

  it('can lag only some kinds of resource', () => {
    const { world } = setup();
    world.faults.set({ lag: { ms: 5_000, resources: ['addresses'] } });
    world.ec2.replaceRoute(ID.privateRtbA, '0.0.0.0/0', { networkInterfaceId: ID.fwBTrust });
    world.ec2.associateAddress({
      allocationId: ID.eipIpsec,
      networkInterfaceId: ID.fwBUntrust,
      privateIp: '10.20.1.10',
      allowReassociation: true,
    });
    expect(world.ec2.describeRouteTables({ ids: [ID.privateRtbA] })[0]?.routes[0]?.networkInterfaceId).toBe(
      ID.fwBTrust,
    );
    expect(world.ec2.describeAddresses({ ids: [ID.eipIpsec] })[0]?.networkInterfaceId).toBe(ID.fwAUntrust);
  });

  it('lags instance states too', async () => {
    const { clock, world } = setup();
    world.faults.set({ lag: { ms: 3_000 } });
    world.ec2.startInstances([ID.fwB]);
    expect(world.ec2.describeInstances({ ids: [ID.fwB] })[0]?.state).toBe('stopped');
    await clock.advance(3_000);
    expect(world.ec2.describeInstances({ ids: [ID.fwB] })[0]?.state).toBe('pending');
  });
});

describe('slow DNS sync', () => {
  it('keeps a change PENDING for the configured time', async () => {
    const { clock, world } = setup();
    world.faults.set({ dnsSyncMs: 300_000 });
    const change = world.route53.changeRecords(ID.hostedZone, [
      { action: 'UPSERT', record: { name: 'gp.example.com', type: 'A', ttl: 60, values: ['203.0.113.9'] } },
    ]);
    await clock.advance(299_999);
    expect(world.route53.getChange(change.id).status).toBe('PENDING');
    await clock.advance(1);
    expect(world.route53.getChange(change.id).status).toBe('INSYNC');
  });
});

describe('instance faults', () => {
  it('crashes a running instance after the configured time and shows the route as blackhole', async () => {
    const { clock, world } = setup();
    world.ec2.startInstances([ID.fwB]);
    world.faults.set({ instances: { [ID.fwB]: { crashAfterRunningMs: 60_000 } } });
    await clock.advance(16_000 + 59_999);
    expect(world.ec2.instanceNow(ID.fwB).state).toBe('running');
    await clock.advance(1);
    expect(world.ec2.instanceNow(ID.fwB)).toMatchObject({
      state: 'stopping',
      stateReason: { code: 'Server.InternalError' },
    });
    await clock.advance(20_000);
    expect(world.ec2.instanceNow(ID.fwB).state).toBe('stopped');
  });

  it('crashes at once when the fault is set past its time', async () => {
    const { clock, world } = setup();
    world.faults.set({ instances: { [ID.fwA]: { crashAfterRunningMs: 1_000 } } });
    await clock.advance(0);
    expect(world.ec2.instanceNow(ID.fwA).state).toBe('stopping');
  });

  it('reports impaired status checks and a slower start', async () => {
    const { clock, world } = setup();
    world.faults.set({ instances: { [ID.fwA]: { impaired: 'system' }, [ID.fwB]: { pendingMs: 60_000 } } });
    expect(world.ec2.instanceNow(ID.fwA)).toMatchObject({ systemStatus: 'impaired', instanceStatus: 'ok' });
    world.ec2.startInstances([ID.fwB]);
    await clock.advance(59_999);
    expect(world.ec2.instanceNow(ID.fwB).state).toBe('pending');
    await clock.advance(1);
    expect(world.ec2.instanceNow(ID.fwB).state).toBe('running');
    world.faults.clear('instances', ID.fwA);
    expect(world.ec2.instanceNow(ID.fwA).systemStatus).toBe('ok');
  });
});

describe('fault configuration', () => {
  it('rejects an invalid spec naming the field', () => {
    const { world } = setup();
    expect(() => world.faults.set({ errorRates: { 'ec2:*': { rate: 2, code: 'X' } } })).toThrow(
      InputInvalidError,
    );
    expect(() => world.faults.set({ errorRates: { 'ec2:*': { rate: 2, code: 'X' } } })).toThrow(
      /errorRates\.ec2:\*\.rate/,
    );
  });

  it('merges kinds, clears one or all, and logs every change', async () => {
    const { world } = setup();
    world.faults.set({ lag: { ms: 1_000 } });
    world.faults.set({ dnsSyncMs: 5 });
    expect(world.faults.spec).toEqual({ lag: { ms: 1_000 }, dnsSyncMs: 5 });
    world.faults.clear('lag');
    expect(world.faults.spec).toEqual({ dnsSyncMs: 5 });
    world.faults.clear();
    expect(world.faults.spec).toEqual({});
    expect(world.events.list({ type: 'fault.config' })).toHaveLength(4);
    expect(await outcome(world.call('ec2:StartInstances', () => undefined))).toBe('ok');
  });

  it('loads faults from the topology', () => {
    const clock = new ManualClock();
    world = World.create({ clock }).load({
      ...exampleTopology(),
      faults: { capacity: [{ instanceId: ID.fwB, count: 1 }] },
    });
    expect(world.faults.capacityRemaining()).toEqual([1]);
  });
});
