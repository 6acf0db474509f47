/**
 * The simulator's IAM enforcement on a 50-pair deployment (issue 11): the roles hold the
 * deployment's inline policy and its customer managed policies (one per run of pairs,
 * infra/iam.ts), and the simulator evaluates all of them. One call per function on pair 50's
 * objects is allowed; the same call on an object outside the configuration is denied; and with
 * the managed policies taken away, pair 50's call is denied, so the allowed calls really went
 * through a managed policy.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PairConfig } from '#shared/config/schema.js';
import { ManualClock } from '#sim/manual-clock.js';
import { createPolicyEvaluator } from '#sim/iam/evaluator.js';
import { simPrincipals, type SimRolesOptions } from '#sim/iam/deployed-roles.js';
import { SIM_STATE_MACHINE, SIM_TABLE, SIM_TOPIC, topologyFromConfig } from '#sim/scenario/topology-from-config.js';
import { createDirectPorts } from '#sim/world/ports.js';
import { World } from '#sim/world/world.js';
import type { FunctionKey } from '../../infra/deployment.js';
import { manyPairConfig } from '../support/many-pairs.js';

const FALLBACK = ['m5n.2xlarge', 'm5.2xlarge'];
const config = manyPairConfig(50, { fallbackInstanceTypes: FALLBACK });
const pair50 = config.pairs[49] as PairConfig;
const parameterOf = (role: 'primary' | 'secondary') => {
  const ref = pair50.firewalls[role].apiKey;
  if (!('ssmParameter' in ref)) throw new Error('the example keys are in Parameter Store');
  return ref.ssmParameter;
};

/** Objects no pair names (well-formed ids, absent from the configuration). */
const OUTSIDE = { instance: 'i-0fffffffffffffff1', routeTable: 'rtb-0ffffffffffffffff', pair: 'not-configured', parameter: '/pan-failover/other/api-key', record: 'other.example.com' };

let world: World | undefined;
afterEach(() => {
  world?.close();
  world = undefined;
});

function setup(roles: SimRolesOptions = {}) {
  const parameters: Record<string, string> = { [OUTSIDE.parameter]: 'LUFRPT-sim-key-other' };
  for (const p of config.pairs) {
    for (const r of ['primary', 'secondary'] as const) {
      const ref = p.firewalls[r].apiKey;
      if ('ssmParameter' in ref) parameters[ref.ssmParameter] = `LUFRPT-sim-key-${p.firewalls[r].name}`;
    }
  }
  const w = World.create({ clock: new ManualClock(), seed: 50 }).load(topologyFromConfig(config, { secrets: {}, parameters }));
  world = w;
  const principals = simPrincipals(config, { region: w.region, accountId: w.accountId }, roles);
  w.iam.enforce(createPolicyEvaluator(), Object.values(principals));
  const ports = (fn: FunctionKey) =>
    createDirectPorts(w, { tableName: SIM_TABLE, topicArn: w.sns.topicArn(SIM_TOPIC), stateMachineArn: w.sfn.stateMachineArn(SIM_STATE_MACHINE), principal: principals[fn] });
  return { w, principals, ports };
}

const DENIED = { name: 'AwsAccessDeniedError' };

describe('IAM enforcement on the 50-pair deployment', () => {
  it('every role evaluates its inline and its managed policies: pair 50 allowed, outside objects denied', async () => {
    const { w, principals, ports } = setup();
    // The layout this test is about: flow-aws and flow-control hold pair 50 in a managed policy.
    for (const fn of ['flowAws', 'flowControl'] as const) {
      const holding = principals[fn].policies.filter((p) => JSON.stringify(p.document).includes(`instance/${pair50.firewalls.secondary.instanceId}"`));
      expect(holding.map((p) => p.name), fn).toHaveLength(1);
      expect(holding[0]?.name, fn).not.toMatch(/least-privilege$/);
      expect(principals[fn].policies.length, fn).toBeGreaterThan(1);
    }

    const route = pair50.routes[0];
    const eip = pair50.elasticIps[0];
    const record = pair50.dnsRecords[0];
    if (!route || !eip || !record) throw new Error('pair 50 lacks a route, an EIP or a record');

    // flow-aws: routes, addresses, the fallback instance type (listed types only), DNS, the lock.
    const aws = ports('flowAws');
    await aws.ec2.replaceRoute(route.routeTableId, route.destination, route.targets.secondary);
    await expect(aws.ec2.replaceRoute(OUTSIDE.routeTable, route.destination, route.targets.secondary)).rejects.toMatchObject(DENIED);
    await aws.ec2.associateAddress(eip.allocationId, eip.secondary.networkInterfaceId, eip.secondary.privateIp);
    await aws.ec2.setInstanceType(pair50.firewalls.secondary.instanceId, 'm5.2xlarge');
    expect(w.ec2.describeInstances({ ids: [pair50.firewalls.secondary.instanceId] })[0]?.instanceType).toBe('m5.2xlarge');
    await expect(aws.ec2.setInstanceType(pair50.firewalls.secondary.instanceId, 'c5.xlarge')).rejects.toMatchObject(DENIED);
    await expect(aws.ec2.setInstanceType(OUTSIDE.instance, 'm5.2xlarge')).rejects.toMatchObject(DENIED);
    await aws.dns.upsertRecord(record.hostedZoneId, { name: record.name, type: record.type, ttl: record.ttl, values: ['203.0.113.50'] }, 'pair 50');
    await expect(aws.dns.upsertRecord(record.hostedZoneId, { name: OUTSIDE.record, type: 'A', ttl: 60, values: ['203.0.113.50'] }, 'outside')).rejects.toMatchObject(DENIED);
    await aws.store.get(pair50.name);
    await expect(aws.store.get(OUTSIDE.pair)).rejects.toMatchObject(DENIED);

    // flow-control: the lock, and the fence (stop) of an abort.
    const control = ports('flowControl');
    expect((await control.store.acquire(pair50.name, 'exec-50', 0, 60_000)).acquired).toBe(true);
    await expect(control.store.acquire(OUTSIDE.pair, 'exec-50', 0, 60_000)).rejects.toMatchObject(DENIED);
    await control.ec2.stopInstance(pair50.firewalls.primary.instanceId);
    await expect(control.ec2.stopInstance(OUTSIDE.instance)).rejects.toMatchObject(DENIED);

    // The probe and flow-firewall: the firewalls' API keys and the pair's items.
    for (const fn of ['healthProbe', 'flowFirewall'] as const) {
      const p = ports(fn);
      expect(await p.secrets.getParameterString?.(parameterOf('secondary')), fn).toBe(`LUFRPT-sim-key-${pair50.firewalls.secondary.name}`);
      await expect(p.secrets.getParameterString?.(OUTSIDE.parameter), fn).rejects.toMatchObject({ name: 'SecretUnavailableError', cause: DENIED });
      await p.store.getOwner(pair50.name);
      await expect(p.store.getOwner(OUTSIDE.pair), fn).rejects.toMatchObject(DENIED);
    }

    const records = w.iam.records();
    expect(records.filter((r) => !r.allowed).length).toBe(11);
    expect(new Set(records.map((r) => r.principal))).toEqual(new Set(['flow-aws', 'flow-control', 'health-probe', 'flow-firewall']));
  });

  it('without their managed policies, flow-aws and flow-control are denied on pair 50 (the allowed calls above came from a managed policy)', async () => {
    const { ports } = setup({ policies: (_fn, generated) => generated.filter((p) => p.name.endsWith('/least-privilege')) });
    const route = pair50.routes[0];
    if (!route) throw new Error('pair 50 has no route');
    await expect(ports('flowAws').ec2.replaceRoute(route.routeTableId, route.destination, route.targets.secondary)).rejects.toMatchObject(DENIED);
    await expect(ports('flowControl').ec2.stopInstance(pair50.firewalls.primary.instanceId)).rejects.toMatchObject(DENIED);
    // Pair 1 is in the inline policy: still allowed.
    const first = config.pairs[0]?.routes[0];
    if (!first) throw new Error('pair 1 has no route');
    await ports('flowAws').ec2.replaceRoute(first.routeTableId, first.destination, first.targets.secondary);
  });
});
