/**
 * Consistency includes DNS: a record changed by hand (or left wrong by a failed DNS step) while
 * the routes and EIPs are right is put back by a repair (`reconcile`) through the real state
 * machine definition; one that is already right is left alone, and the repair stays quiet.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimSystem } from '#sim/system.js';
import { makeConfig } from '../support/config.js';

let system: SimSystem | undefined;
afterEach(async () => {
  await system?.close();
  system = undefined;
});

const config = () =>
  makeConfig({
    dnsRecords: [
      { hostedZoneId: 'Z0123456789ABCDEFGHIJ', name: 'gp.example.com', type: 'A', ttl: 60, followElasticIp: 'eipalloc-0e000000000000001' },
      { hostedZoneId: 'Z0123456789ABCDEFGHIJ', name: 'mail.example.com', type: 'A', ttl: 60, values: { primary: ['198.51.100.20'], secondary: ['198.51.100.21'] } },
    ] as never,
  });

describe('DNS repair', () => {
  it('a record changed by hand is put back toward the recorded owner by a repair; a right one is left alone', async () => {
    system = await SimSystem.start({ config: config(), speed: 50, transport: 'direct', schedule: false, alarmTrigger: false });
    const sys = system;
    await sys.invokeProbe(); // the deployment's probe has recorded fw-a as the owner
    expect((await sys.ownerRecord())?.owner).toBe('primary');
    sys.world.route53.changeRecords('Z0123456789ABCDEFGHIJ', [{ action: 'UPSERT', record: { name: 'mail.example.com', type: 'A', ttl: 60, values: ['192.0.2.99'] } }]);
    await sys.clock.sleep(40_000);
    expect(sys.world.route53.resolve('mail.example.com', 'A')?.values).toEqual(['192.0.2.99']);

    const run = await sys.runFlow({ pair: 'hq-egress', action: 'reconcile', reason: 'test' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.state?.result).toMatchObject({ outcome: 'succeeded', summary: expect.stringContaining('DNS repaired: mail.example.com A -> 198.51.100.20') });
    expect(run.state?.dns?.skipped).toEqual(['gp.example.com A already 198.51.100.10']);
    const routeMoves = sys.world.events.list({ type: ['ec2.route.replaced', 'ec2.eip.associated'] });
    expect(routeMoves).toEqual([]);
    await sys.clock.sleep(40_000);
    expect(sys.world.route53.resolve('mail.example.com', 'A')?.values).toEqual(['198.51.100.20']);

    const before = sys.world.sns.messages().length;
    const again = await sys.runFlow({ pair: 'hq-egress', action: 'reconcile', reason: 'test' });
    expect(again.state?.result?.outcome).toBe('noop');
    // Nothing to repair is not news.
    expect(sys.world.sns.messages().length).toBe(before);
  }, 60_000);
});

describe('a repair while the recorded owner is not healthy', () => {
  it('changes nothing: no DNS rewrite toward it, no convergence away from it, no new owner', async () => {
    system = await SimSystem.start({ config: config(), speed: 50, transport: 'direct', schedule: false, alarmTrigger: false });
    const sys = system;
    await sys.invokeProbe();
    const pair = sys.pair();
    // A person points one managed route at fw-b, changes a record by hand, and fw-a dies.
    const [r0] = pair.routes;
    sys.world.ec2.replaceRoute(r0!.routeTableId, r0!.destination, { networkInterfaceId: r0!.targets.secondary });
    sys.world.route53.changeRecords('Z0123456789ABCDEFGHIJ', [{ action: 'UPSERT', record: { name: 'mail.example.com', type: 'A', ttl: 60, values: ['192.0.2.99'] } }]);
    sys.firewall('fw-a').setFaults({ dead: true });
    await sys.clock.sleep(40_000);
    const before = sys.world.events.list().length;

    const run = await sys.runFlow({ pair: 'hq-egress', action: 'reconcile', reason: 'test' });
    expect(run.state?.recheck).toMatchObject({ mode: 'noop', repairDns: false });
    expect(run.state?.recheck?.reason).toMatch(/drift not repaired: the recorded owner fw-a is unreachable/);
    const changes = sys.world.events.list().slice(before).filter((e) => /^ec2\.(route|eip)|^route53\.change\.submitted|^ec2\.instance\.state/.test(e.type));
    expect(changes.map((c) => c.message)).toEqual([]);
    expect((await sys.ownerRecord())?.owner).toBe('primary');
    expect(sys.world.route53.resolve('mail.example.com', 'A')?.values).toEqual(['192.0.2.99']);
  }, 60_000);
});
