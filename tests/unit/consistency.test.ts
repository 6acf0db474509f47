/**
 * The one "is the pair consistent now" rule (shared/domain/consistency.ts) that `status`, the
 * report's verdict and the simulator's end-of-run check share: every managed route, EIP and DNS
 * record on one firewall, that firewall the recorded owner, no flow's lock held.
 */
import { describe, expect, it } from 'vitest';
import type { PairConfig, Role } from '#shared/config/schema.js';
import { desiredRecord, dnsSide, pairConsistency, type ConsistencyInput } from '#shared/domain/consistency.js';
import { drillHolder } from '#shared/domain/drill.js';
import { observePlacement } from '#shared/domain/placement.js';
import { makePair } from '../support/config.js';

const NOW = Date.UTC(2026, 11, 7, 6, 0, 0);

/** Every managed route and EIP on `role`, except the routes in `others` (on the other side). */
function placed(pair: PairConfig, role: Role, others: ReadonlySet<number> = new Set()) {
  const other: Role = role === 'primary' ? 'secondary' : 'primary';
  const tables = [...new Set(pair.routes.map((r) => r.routeTableId))].map((id) => ({
    routeTableId: id,
    routes: pair.routes.flatMap((r, i) => (r.routeTableId === id ? [{ destination: r.destination, networkInterfaceId: r.targets[others.has(i) ? other : role], state: 'active' }] : [])),
  }));
  const addresses = pair.elasticIps.map((e) => ({ allocationId: e.allocationId, publicIp: e.publicIp, networkInterfaceId: e[role].networkInterfaceId, privateIp: e[role].privateIp }));
  return observePlacement(pair, tables as never, addresses as never);
}

/** The example pair, plus a record with a value per side (the example's one record follows an EIP). */
const pair = makePair({
  dnsRecords: [
    { hostedZoneId: 'Z0123456789ABCDEFGHIJ', name: 'egress.example.com', type: 'A', ttl: 60, values: { primary: ['198.51.100.30'], secondary: ['203.0.113.30'] } },
    { hostedZoneId: 'Z0123456789ABCDEFGHIJ', name: 'gp.example.com', type: 'A', ttl: 60, followElasticIp: 'eipalloc-0e000000000000001' },
  ] as never,
});
const dnsOn = (role: Role) => pair.dnsRecords.map((r) => desiredRecord(pair, r, role).values);

function input(patch: Partial<ConsistencyInput> = {}): ConsistencyInput {
  return { pair, placement: placed(pair, 'secondary'), dns: dnsOn('secondary'), recordedOwner: 'secondary', lock: undefined, now: NOW, ...patch };
}
const codes = (i: ConsistencyInput) => pairConsistency(i).problems.map((p) => p.code);

describe('pairConsistency', () => {
  it('everything on fw-b, fw-b recorded, no lock: consistent (also with no owner recorded yet)', () => {
    expect(pair.dnsRecords.map((r) => (r.values ? 'per side' : 'follows EIP'))).toEqual(['per side', 'follows EIP']);
    const v = pairConsistency(input());
    expect(v).toMatchObject({ consistent: true, aws: 'secondary', problems: [] });
    expect(v.dns.map((d) => d.side)).toEqual(pair.dnsRecords.map(() => 'secondary'));
    expect(pairConsistency(input({ recordedOwner: undefined })).consistent).toBe(true);
  });

  it('routes split between the firewalls: not consistent, named', () => {
    const v = pairConsistency(input({ placement: placed(pair, 'secondary', new Set([0])) }));
    expect(v.consistent).toBe(false);
    expect(v.aws).toBe('split');
    expect(v.problems).toEqual([{ code: 'split', text: 'routes and EIPs are split between the firewalls (or point elsewhere)' }]);
  });

  it('a DNS record on the other firewall, or absent: not consistent, the record named', () => {
    const [first] = pair.dnsRecords;
    const dns = dnsOn('secondary');
    const v = pairConsistency(input({ dns: [dnsOn('primary')[0], ...dns.slice(1)] }));
    expect(v.problems).toEqual([{ code: 'dns', text: `DNS ${first?.name} ${first?.type} points at fw-a, not at fw-b which carries the routes and EIPs` }]);
    const absent = pairConsistency(input({ dns: [undefined, ...dns.slice(1)] }));
    expect(absent.problems.map((p) => p.text)).toEqual([`DNS ${first?.name} ${first?.type} points at missing, not at fw-b which carries the routes and EIPs`]);
  });

  it('record values compare as DNS does: case, a trailing dot and order do not matter', () => {
    const dns = dnsOn('secondary').map((v) => (v ? [...v].reverse().map((x) => `${x.toUpperCase()}.`) : v));
    expect(pairConsistency(input({ dns })).consistent).toBe(true);
  });

  it('a record that follows an EIP is where its EIP is', () => {
    const p = makePair();
    const rec = p.dnsRecords.find((r) => r.followElasticIp);
    if (!rec) throw new Error('the example has a record following an EIP');
    const value = desiredRecord(p, rec, 'primary').values;
    expect(dnsSide(p, placed(p, 'secondary'), rec, value)).toBe('secondary');
    expect(dnsSide(p, placed(p, 'primary'), rec, value)).toBe('primary');
    expect(dnsSide(p, placed(p, 'primary'), rec, ['192.0.2.99'])).toBe('elsewhere');
  });

  it('AWS on one firewall but another recorded as owner: not consistent', () => {
    expect(pairConsistency(input({ recordedOwner: 'primary' })).problems).toEqual([{ code: 'owner', text: 'the recorded owner is fw-a, AWS points at fw-b' }]);
  });

  it('a flow\'s lock held: not consistent; an expired lock or a drill\'s lock: no problem', () => {
    expect(codes(input({ lock: { holder: 'hq-egress-failover-x-1', expiresAt: NOW + 60_000 } }))).toEqual(['lock']);
    expect(codes(input({ lock: { holder: 'hq-egress-failover-x-1', expiresAt: NOW - 1 } }))).toEqual([]);
    expect(codes(input({ lock: { holder: drillHolder('hq-egress-drill-1'), expiresAt: NOW + 60_000 } }))).toEqual([]);
  });

  it('several problems at once are all named', () => {
    expect(codes(input({ recordedOwner: 'primary', dns: dnsOn('primary'), lock: { holder: 'x', expiresAt: NOW + 1 } })).sort()).toEqual(
      ['dns', 'lock', 'owner'],
    );
  });
});
