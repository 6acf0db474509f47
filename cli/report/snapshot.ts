/** A report snapshot from what AWS shows: the placement of routes and EIPs, and the DNS records. */
import { ROLES, type PairConfig } from '#shared/config/schema.js';
import type { PairPlacement } from '#shared/domain/placement.js';
import { desiredRecord } from '#shared/usecases/flow/aws-steps.js';
import { dnsKey, eipKey, routeKey } from './build.js';
import type { ObjectState, SideName, Snapshot } from './model.js';

export type DnsValues = Readonly<Record<string, readonly string[] | undefined>>;

/** Key of `dnsValues`: `name type`. */
export const dnsValueKey = (name: string, type: string) => `${name} ${type}`;

const norm = (v: readonly string[]) => [...v].map((x) => x.toLowerCase().replace(/\.$/, '')).sort().join(',');

export function observedSnapshot(pair: PairConfig, placement: PairPlacement, dns: DnsValues, at: number, source: string): Snapshot {
  const objects: Record<string, ObjectState> = {};
  for (const r of placement.routes) {
    objects[routeKey(r.route.routeTableId, r.route.destination)] = { side: r.side, detail: `${r.currentTarget ?? '-'}${r.blackhole ? ' (blackhole)' : ''}` };
  }
  for (const e of placement.eips) {
    objects[eipKey(e.eip.allocationId)] = { side: e.side, detail: e.currentEni ? `${e.currentEni}/${e.currentPrivateIp ?? '-'}` : 'not associated' };
  }
  for (const rec of pair.dnsRecords) {
    const have = dns[dnsValueKey(rec.name, rec.type)];
    let side: SideName;
    if (have === undefined) side = 'missing';
    else if (rec.followElasticIp) {
      // A record that follows an EIP has the same value on both sides: it is where its EIP is.
      const eip = placement.eips.find((e) => e.eip.allocationId === rec.followElasticIp);
      side = norm(have) === norm(desiredRecord(pair, rec, 'primary').values) ? (eip?.side ?? 'unknown') : 'elsewhere';
    } else side = ROLES.find((role) => norm(have) === norm(desiredRecord(pair, rec, role).values)) ?? 'elsewhere';
    objects[dnsKey(rec.name, rec.type)] = { side, detail: have?.join(', ') ?? '(absent)' };
  }
  return { at, source, objects };
}
