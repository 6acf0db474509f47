/**
 * A probe round reads EC2 once for all pairs (DescribeInstances, DescribeRouteTables,
 * DescribeAddresses batched across pairs), and still answers each pair for itself: one pair's
 * vanished instance or deleted route table costs only that pair.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '#shared/config/schema.js';
import { AwsThrottledError, ManagedResourceNotFoundError } from '#shared/errors.js';
import { probeRound } from '#shared/usecases/probe.js';
import { benchConfig } from '../../bench/lib/bench-config.js';
import { spyEc2, worldHarness, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

function pairs(n: number, standbyMode: 'cold' | 'warm' = 'warm'): Config {
  return benchConfig(Array.from({ length: n }, (_, i) => ({ name: `pair-${i}`, index: i, standbyMode, routeTables: 2, routesPerTable: 2, elasticIps: 1 })));
}

describe('probeRound: EC2 reads batched across pairs', () => {
  it.each([1, 10, 50])('%i pair(s): one DescribeInstances, one DescribeRouteTables, one DescribeAddresses per round', async (n) => {
    const config = pairs(n);
    h = worldHarness(config);
    const spy = spyEc2(h.ports.ec2, h.clock);
    const results = await probeRound(h.probeDeps({ ec2: spy.port }));
    expect(results).toHaveLength(n);
    for (const r of results) {
      expect(r.firewalls.map((f) => f.status)).toEqual(['healthy', 'healthy']);
      expect(r.drift).toEqual([]);
    }
    expect(spy.count('describeInstances')).toBe(1);
    expect(spy.count('describeRouteTables')).toBe(1);
    expect(spy.count('describeAddresses')).toBe(1);
    // Every firewall's instance in that one call.
    expect((spy.calls.find((c) => c.method === 'describeInstances')?.args[0] as string[]).length).toBe(2 * n);
  });

  it("one pair's instance unknown to EC2 (terminated and gone): that firewall reads stopped, the other pairs are untouched", async () => {
    const config = pairs(10);
    h = worldHarness(config);
    const gone = config.pairs[3]!.firewalls.secondary.instanceId;
    const spy = spyEc2(h.ports.ec2, h.clock, (method, args) => {
      // EC2 refuses the whole call when one id does not exist.
      if (method === 'describeInstances' && (args[0] as string[]).includes(gone)) throw new ManagedResourceNotFoundError('ec2:DescribeInstances', `instances ${gone}`, 'InvalidInstanceID.NotFound');
    });
    const results = await probeRound(h.probeDeps({ ec2: spy.port }));
    expect(results).toHaveLength(10);
    for (const r of results) {
      const statuses = Object.fromEntries(r.firewalls.map((f) => [f.role, f.status]));
      if (r.pair === 'pair-3') {
        expect(statuses).toEqual({ primary: 'healthy', secondary: 'stopped' });
        expect(r.firewalls.find((f) => f.role === 'secondary')?.observation.instance.state).toBe('terminated');
        // The warm standby is gone: said, not hidden.
        expect(r.decision.code).toBe('standby-unhealthy');
      } else {
        expect(statuses).toEqual({ primary: 'healthy', secondary: 'healthy' });
        expect(r.decision.code).toBe('active-healthy');
      }
      // Never "the controller cannot reach AWS".
      expect(r.decision.code).not.toBe('controller-blind');
    }
  });

  it("one pair's route table deleted: only that pair's placement is unknown; the others' drift is still read", async () => {
    const config = pairs(5);
    h = worldHarness(config);
    const deleted = config.pairs[2]!.routes[0]!.routeTableId;
    const drifted = config.pairs[4]!.routes[1]!;
    h.world.ec2.replaceRoute(drifted.routeTableId, drifted.destination, { networkInterfaceId: drifted.targets.secondary });
    const spy = spyEc2(h.ports.ec2, h.clock, (method, args) => {
      if (method === 'describeRouteTables' && (args[0] as string[]).includes(deleted)) {
        throw new ManagedResourceNotFoundError('ec2:DescribeRouteTables', `route tables ${deleted}`, 'InvalidRouteTableID.NotFound');
      }
    });
    const results = await probeRound(h.probeDeps({ ec2: spy.port }));
    const drift = Object.fromEntries(results.map((r) => [r.pair, r.drift?.length]));
    expect(drift).toEqual({ 'pair-0': 0, 'pair-1': 0, 'pair-2': undefined, 'pair-3': 0, 'pair-4': 1 });
  });

  it('a throttled placement read is not retried pair by pair (no call storm): every pair goes without, this round', async () => {
    const config = pairs(10);
    h = worldHarness(config);
    const spy = spyEc2(h.ports.ec2, h.clock, (method) => {
      if (method === 'describeRouteTables') throw new AwsThrottledError('ec2:DescribeRouteTables', 'Request limit exceeded', 'RequestLimitExceeded');
    });
    const results = await probeRound(h.probeDeps({ ec2: spy.port }));
    expect(results.map((r) => r.drift)).toEqual(Array.from({ length: 10 }, () => undefined));
    expect(spy.count('describeRouteTables')).toBe(1);
    // The firewalls are still judged: the instances were read.
    expect(results.every((r) => r.decision.code === 'active-healthy')).toBe(true);
  });
});
