/**
 * Many pairs failing over at once (a region-wide event) share the account's EC2 token buckets:
 * throttling must make the cutovers wait, never fail them (a failed change puts the pair's
 * completed moves back toward the failed firewall).
 */
import { describe, expect, it } from 'vitest';
import { effectiveOwner } from '#shared/domain/placement.js';
import { cutover } from '#shared/usecases/flow/cutover.js';
import { readPlacement } from '#shared/usecases/placement.js';
import { ManualClock } from '#sim/manual-clock.js';
import { SIM_STATE_MACHINE, SIM_TABLE, SIM_TOPIC, topologyFromConfig } from '#sim/scenario/topology-from-config.js';
import { createDirectPorts } from '#sim/world/ports.js';
import { World } from '#sim/world/world.js';
import { benchConfig } from '../../bench/lib/bench-config.js';

describe('cutovers of many pairs at once, under EC2 throttling', () => {
  it("20 pairs (80 routes, 40 EIPs) against a small shared bucket: every pair moves, none is put back, close to the bucket's floor", async () => {
    const config = benchConfig(Array.from({ length: 20 }, (_, i) => ({ name: `pair-${i}`, index: i, routeTables: 2, routesPerTable: 2, elasticIps: 2 })));
    const clock = new ManualClock();
    const world = World.create({ clock, seed: 3 }).load(topologyFromConfig(config, { secrets: {} }));
    try {
      // EC2's buckets, five times smaller: 80 ReplaceRoute at 1 per second after a burst of 10.
      world.faults.set({ latency: { 'ec2:*': { fixedMs: 100 } }, throttle: { 'ec2:ReplaceRoute': { burst: 10, refillPerSecond: 1 }, 'ec2:AssociateAddress': { burst: 10, refillPerSecond: 1 } } });
      const ec2 = createDirectPorts(world, { tableName: SIM_TABLE, topicArn: world.sns.topicArn(SIM_TOPIC), stateMachineArn: world.sfn.stateMachineArn(SIM_STATE_MACHINE) }).ec2;
      const t0 = clock.now();
      const outcomes = await clock.run(Promise.allSettled(config.pairs.map((pair) => cutover(ec2, pair, 'secondary', clock))));
      const seconds = (clock.now() - t0) / 1000;
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      expect(outcomes.reduce((n, o) => n + (o.status === 'fulfilled' ? o.value.throttled : 0), 0)).toBeGreaterThan(0);
      world.faults.clear();
      const owners = await clock.run(Promise.all(config.pairs.map(async (p) => effectiveOwner(await readPlacement(ec2, p)))));
      expect(owners).toEqual(config.pairs.map(() => 'secondary'));
      // Nothing went back toward a primary: every ReplaceRoute and AssociateAddress pointed at a secondary.
      const back = world.events.list().filter((e) => /^ec2\.(route|eip)/.test(e.type) && /-> eni-0+1[0-9a-f]{2}[0-1]\b/.test(e.message));
      expect(back).toEqual([]);
      // Floor: (80 - 10) / 1 = 70 s.
      expect(seconds).toBeGreaterThanOrEqual(70);
      expect(seconds).toBeLessThanOrEqual(70 * 1.3);
    } finally {
      world.close();
    }
  });
});
