/** A report snapshot from what AWS shows: the placement of routes and EIPs, and the DNS records. */
import type { PairConfig } from '#shared/config/schema.js';
import { dnsSide } from '#shared/domain/consistency.js';
import type { PairPlacement } from '#shared/domain/placement.js';
import { dnsKey, eipKey, routeKey } from './build.js';
import type { ObjectState, Snapshot } from './model.js';

export type DnsValues = Readonly<Record<string, readonly string[] | undefined>>;

/** Key of `dnsValues`: `name type`. */
export const dnsValueKey = (name: string, type: string) => `${name} ${type}`;

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
    objects[dnsKey(rec.name, rec.type)] = { side: dnsSide(pair, placement, rec, have), detail: have?.join(', ') ?? '(absent)' };
  }
  return { at, source, objects };
}
