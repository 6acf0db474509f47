/**
 * Failure modes 13 to 16 (failure-modes.md) over the real SDK path (`wire`): EC2 throttles and
 * answers slowly, the cutover's Lambda dies half-way, Describe calls lag behind the changes,
 * Route 53 stays PENDING for minutes. The cutover completes, nothing moves twice in opposite
 * directions, and DNS never holds the routes back.
 */
import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '#shared/config/schema.js';
import { effectiveOwner } from '#shared/domain/placement.js';
import { THROTTLED_CHANGE_RETRY } from '#shared/usecases/flow/cutover.js';
import {
  IDS,
  PAIR,
  entered,
  execution,
  expectConsistentOn,
  moves,
  notices,
  orchConfig,
  resultNotice,
  reversals,
  story,
  worldEvents,
  orchSlot,
} from './support/orch-system.js';

const { start, sys } = orchSlot();

const FAILOVER = { pair: PAIR, action: 'failover', from: 'primary', reason: 'fw-a management plane dead' } as const;

const BASE_ROUTES: RouteConfig[] = [IDS.rtbA, IDS.rtbB].flatMap((routeTableId) =>
  ['0.0.0.0/0', '172.16.0.0/12'].map((destination) => ({
    routeTableId,
    destination,
    targets: { primary: IDS.fwATrust, secondary: IDS.fwBTrust },
  })),
);

/** The example's routes plus `perTable` branch prefixes in each private route table. */
function manyRoutes(perTable: number): RouteConfig[] {
  const extra = [IDS.rtbA, IDS.rtbB].flatMap((routeTableId) =>
    Array.from({ length: perTable }, (_, i) => ({
      routeTableId,
      destination: `10.${100 + i}.0.0/16`,
      targets: { primary: IDS.fwATrust, secondary: IDS.fwBTrust },
    })),
  );
  return [...BASE_ROUTES, ...extra];
}

describe('EC2 throttling and latency (failure mode 13)', () => {
  it('EC2 throttles ReplaceRoute and AssociateAddress (aws-default buckets, injected RequestLimitExceeded, slow answers): the cutover of 60 routes and 2 EIPs still completes', async () => {
    const routes = manyRoutes(28);
    const config = orchConfig({ routes });
    await start({
      config,
      transport: 'wire',
      awsFaults: {
        throttle: 'aws-defaults',
        errorRates: {
          'ec2:ReplaceRoute': { rate: 0.4, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' },
          'ec2:AssociateAddress': { rate: 0.4, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' },
        },
        latency: { 'ec2:*': { minMs: 20, maxMs: 400 }, 'route53:*': { fixedMs: 300 } },
      },
    });
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    const run = await sys().runFlow(FAILOVER, 'failover-throttled');

    expect(run.status, story(sys())).toBe('SUCCEEDED');
    expect(run.state?.result?.outcome).toBe('succeeded');
    const throttled = sys()
      .world.events.list({ type: 'fault.injected', since: before })
      .filter((e) => e.data.code === 'RequestLimitExceeded');
    expect(throttled.filter((e) => e.data.op === 'ec2:ReplaceRoute').length).toBeGreaterThan(5);
    // Every managed object moved exactly once, to fw-b.
    const moved = moves(sys(), before);
    expect(moved).toHaveLength(routes.length + 2);
    expect(new Set(moved.map((m) => m.object)).size).toBe(routes.length + 2);
    expect(moved.every((m) => m.to.startsWith('eni-0b'))).toBe(true);
    expect(run.state?.cutover?.calls).toBeGreaterThanOrEqual(routes.length + 2);
    // One retry layer: every request that reached EC2 is an attempt the cutover counted and
    // paced (the SDK retried none behind its back), and no move went past its own retry policy.
    const counts = sys().aws?.requestCounts() ?? {};
    const sent = ['ec2:ReplaceRoute', 'ec2:CreateRoute', 'ec2:AssociateAddress'].reduce((n, op) => n + (counts[op] ?? 0), 0);
    expect(sent).toBe(run.state?.cutover?.calls);
    expect(sent).toBeLessThanOrEqual((routes.length + 2) * THROTTLED_CHANGE_RETRY.attempts);
    await expectConsistentOn(sys(), 'secondary');
  }, 120_000);
});

describe('the run dies half-way (failure mode 14)', () => {
  // One change at a time, so "died after 2 changes" leaves the other 4 undone.
  const config = () => orchConfig({ cutover: { concurrency: 1 } });

  it('the cutover Lambda dies after moving 2 of 6 objects: the retry moves the other 4, nothing moves back', async () => {
    await start({ config: config(), transport: 'wire', crash: { step: 'cutover', afterMutations: 2 } });
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    const run = await sys().runFlow(FAILOVER, 'failover-crash-once');

    expect(run.status, story(sys())).toBe('SUCCEEDED');
    expect(sys().timeline.some((t) => t.source === 'system' && /died after 2 change\(s\)/.test(t.message))).toBe(true);
    const view = execution(sys(), 'failover-crash-once');
    expect(entered(view, 'Cutover')).toBe(2);
    // The retry found 2 done and did the rest.
    expect(run.state?.cutover?.unchanged).toBe(2);
    expect(run.state?.cutover?.moved).toHaveLength(4);
    const moved = moves(sys(), before);
    expect(moved).toHaveLength(6);
    expect(new Set(moved.map((m) => m.object)).size).toBe(6);
    expect(reversals(sys(), sys().pair(), 'primary', 'secondary', before)).toEqual([]);
    await expectConsistentOn(sys(), 'secondary');
  }, 90_000);

  it('every cutover attempt dies after one move: the abort converges forward (no split, nothing moved back) and a re-run changes nothing', async () => {
    await start({ config: config(), transport: 'wire', crash: { step: 'cutover', afterMutations: 1, times: 3 } });
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    const run = await sys().runFlow(FAILOVER, 'failover-crash-always');

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Lambda.Unknown');
    const view = execution(sys(), 'failover-crash-always');
    expect(entered(view, 'Cutover')).toBe(3);
    const notice = resultNotice(sys(), 'failover-crash-always');
    expect.soft(notice.subject).toBe('[pan-failover] hq-egress FAILOVER FAILED in phase cutover: Lambda.Unknown');
    expect.soft((notice.body.consistency as string[]).join('; ')).toMatch(/converged on fw-b; recorded fw-b as owner; fencing: fw-a /);
    // The pair is not left split between the firewalls: the abort finished the move toward the ready target.
    expect(effectiveOwner(await sys().placement()), 'managed objects after the abort').toBe('secondary');
    // Three dead containers moved one object each, the abort the other three.
    expect(moves(sys(), before)).toHaveLength(6);
    expect(new Set(moves(sys(), before).map((m) => m.object)).size).toBe(6);
    expect(reversals(sys(), sys().pair(), 'primary', 'secondary', before)).toEqual([]);
    expect((await sys().ownerRecord())?.owner).toBe('secondary');
    // A person re-runs the failover: stale (fw-a is no longer the owner), nothing more to move.
    const afterAbort = sys().clock.now();
    const rerun = await sys().runFlow(FAILOVER, 'failover-rerun');
    expect(rerun.state?.result?.outcome).toBe('noop');
    expect(moves(sys(), afterAbort)).toEqual([]);
    await expectConsistentOn(sys(), 'secondary');
  }, 90_000);
});

describe('Describe calls lag behind mutations (failure mode 15)', () => {
  it('route and EIP Describe results 8 s stale: verification polls with backoff until it sees the moves, in one cutover', async () => {
    await start({ transport: 'wire', awsFaults: { lag: { ms: 8_000, resources: ['routes', 'addresses'] } } });
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    const run = await sys().runFlow(FAILOVER, 'failover-lag');

    expect(run.status, story(sys())).toBe('SUCCEEDED');
    const attempts = run.state?.cutover?.verifyAttempts ?? 0;
    // Retried (the first reads are stale) with 250 ms doubling to 5 s: a handful of rounds, not tight polling.
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(12);
    expect(entered(execution(sys(), 'failover-lag'), 'Cutover')).toBe(1);
    expect(moves(sys(), before)).toHaveLength(6);
    await expectConsistentOn(sys(), 'secondary');
  }, 90_000);

  it('Describe lags longer than cutover.verifyTimeoutSeconds: the step is retried, re-plans from stale reads, and no object is moved twice', async () => {
    const config = orchConfig({ cutover: { verifyTimeoutSeconds: 5 } });
    await start({ config, transport: 'wire', awsFaults: { lag: { ms: 12_000, resources: ['routes', 'addresses'] } } });
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    const run = await sys().runFlow(FAILOVER, 'failover-long-lag');

    expect(run.status, story(sys())).toBe('SUCCEEDED');
    expect(entered(execution(sys(), 'failover-long-lag'), 'Cutover')).toBeGreaterThanOrEqual(2);
    const moved = moves(sys(), before);
    expect(moved).toHaveLength(6);
    expect(new Set(moved.map((m) => m.object)).size).toBe(6);
    expect(reversals(sys(), sys().pair(), 'primary', 'secondary', before)).toEqual([]);
    await expectConsistentOn(sys(), 'secondary');
  }, 90_000);
});

describe('Route 53 stays PENDING for minutes (failure mode 16)', () => {
  it('a DNS change PENDING for 5 minutes does not hold back routes, EIPs or the owner record; DNS is reported on its own', async () => {
    const config = orchConfig({
      dnsRecords: [
        { hostedZoneId: IDS.zone, name: 'gp.example.com', type: 'A', ttl: 60, followElasticIp: IDS.eipIpsec },
        { hostedZoneId: IDS.zone, name: 'vpn.example.com', type: 'A', ttl: 60, values: { primary: ['203.0.113.10'], secondary: ['203.0.113.20'] } },
      ],
      postVerify: { dnsSyncTimeoutSeconds: 60 },
    });
    await start({ config, transport: 'wire', speed: 60, awsFaults: { dnsSyncMs: 300_000 } });
    sys().firewall('fw-a').setFaults({ dead: true });
    const before = sys().clock.now();
    const run = await sys().runFlow(FAILOVER, 'failover-slow-dns');

    expect(run.status, story(sys())).toBe('SUCCEEDED');
    const state = run.state;
    expect(state?.result?.outcome).toBe('succeeded');
    // DNS reported separately: the change is still PENDING and called late, the failover is not failed for it.
    expect(state?.dns?.timedOut).toBe(true);
    expect(state?.dns?.changes).toEqual([expect.objectContaining({ record: 'vpn.example.com A -> 203.0.113.20', status: 'PENDING' })]);
    expect(state?.dns?.skipped).toEqual(['gp.example.com A already 198.51.100.10']);
    expect(resultNotice(sys(), 'failover-slow-dns').body.dns).toMatchObject({ timedOut: true });
    // The flow is over and the owner recorded while Route 53 has not synced yet.
    expect(worldEvents(sys(), 'route53.change.insync', before)).toEqual([]);
    const submitted = worldEvents(sys(), 'route53.change.submitted', before);
    expect(submitted).toHaveLength(1);
    const submittedAt = submitted[0]?.at ?? 0;
    const lastMove = Math.max(...moves(sys(), before).map((m) => m.at));
    expect(lastMove).toBeLessThanOrEqual(submittedAt);
    const owner = await sys().ownerRecord();
    expect(owner?.owner).toBe('secondary');
    expect(owner?.since ?? Infinity).toBeLessThanOrEqual(submittedAt);
    const movedNotice = notices(sys()).find((n) => /traffic moved to fw-b/.test(n.subject));
    expect(movedNotice?.at ?? Infinity).toBeLessThanOrEqual(submittedAt);
    // Route 53 syncs minutes later; then everything, DNS included, agrees.
    expect(await sys().waitUntil(() => worldEvents(sys(), 'route53.change.insync', before).length === 1, 6 * 60_000, 5000)).toBe(true);
    const insyncAt = worldEvents(sys(), 'route53.change.insync', before)[0]?.at ?? 0;
    expect(insyncAt - (owner?.since ?? 0)).toBeGreaterThanOrEqual(290_000);
    expect(sys().world.route53.resolve('vpn.example.com', 'A')?.values).toEqual(['203.0.113.20']);
    await expectConsistentOn(sys(), 'secondary');
  }, 120_000);
});
