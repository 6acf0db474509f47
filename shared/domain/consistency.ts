/**
 * Is the pair consistent now? The one rule, pure, used by `pan-failover status`, by the report's
 * final verdict of a real flow, and by the simulator's end-of-run check (the rehearsal's verdict).
 *
 * Consistent (docs/failure-modes.md): every managed route, EIP and DNS record points at one
 * firewall, that firewall is the recorded owner, and no lock is left held. (The fourth part of
 * that definition, "a re-run changes nothing", needs a run: the simulator adds it.) A standby
 * drill's lock is not a flow left holding the pair: a drill moves nothing, and a failover takes
 * its lock over.
 */
import type { DnsRecordConfig, PairConfig, Role } from '../config/schema.js';
import { ROLES } from '../config/schema.js';
import type { DnsRecordValue } from '../ports/dns.js';
import { isDrillHolder } from './drill.js';
import { effectiveOwner, type PairPlacement } from './placement.js';

/** The record's wanted value when `target` carries the traffic. */
export function desiredRecord(pair: PairConfig, rec: DnsRecordConfig, target: Role): DnsRecordValue {
  const values = rec.values ? rec.values[target] : [pair.elasticIps.find((e) => e.allocationId === rec.followElasticIp)?.publicIp ?? ''];
  return { name: rec.name, type: rec.type, ttl: rec.ttl, values };
}

/** Record values compared as DNS does: case and a trailing dot do not matter, nor the order. */
export function sameValues(a: readonly string[], b: readonly string[]): boolean {
  const norm = (v: readonly string[]) => [...v].map((x) => x.toLowerCase().replace(/\.$/, '')).sort().join(',');
  return norm(a) === norm(b);
}

export type DnsSide = Role | 'elsewhere' | 'missing';

/**
 * Which firewall a record points at: the role whose wanted values it holds. A record that follows
 * an EIP has the same value on both sides: it is where its EIP is.
 */
export function dnsSide(pair: PairConfig, placement: PairPlacement, rec: DnsRecordConfig, values: readonly string[] | undefined): DnsSide | PairPlacement['eips'][number]['side'] {
  if (values === undefined) return 'missing';
  if (rec.followElasticIp) {
    const eip = placement.eips.find((e) => e.eip.allocationId === rec.followElasticIp);
    return sameValues(values, desiredRecord(pair, rec, 'primary').values) ? (eip?.side ?? 'missing') : 'elsewhere';
  }
  return ROLES.find((role) => sameValues(values, desiredRecord(pair, rec, role).values)) ?? 'elsewhere';
}

export interface ConsistencyInput {
  readonly pair: PairConfig;
  readonly placement: PairPlacement;
  /** Each managed record's values now (`undefined`: absent), in the configuration's order. */
  readonly dns: readonly (readonly string[] | undefined)[];
  readonly recordedOwner: Role | undefined;
  readonly lock: { readonly holder: string; readonly expiresAt: number } | undefined;
  readonly now: number;
}

export type ProblemCode = 'split' | 'dns' | 'owner' | 'lock';

export interface Consistency {
  readonly consistent: boolean;
  /** Where the routes and EIPs point: one role, `split`, or `none`. */
  readonly aws: Role | 'split' | 'none';
  /** Each record (configuration order) with where it points. */
  readonly dns: readonly { readonly name: string; readonly type: string; readonly values: readonly string[]; readonly side: string }[];
  /** What is wrong, for people (firewalls by their configured names). */
  readonly problems: readonly { readonly code: ProblemCode; readonly text: string }[];
}

export function pairConsistency(input: ConsistencyInput): Consistency {
  const { pair, placement, now } = input;
  const aws = effectiveOwner(placement);
  const dns = pair.dnsRecords.map((rec, i) => {
    const values = input.dns[i];
    return { name: rec.name, type: rec.type, values: values ?? [], side: dnsSide(pair, placement, rec, values) };
  });
  const problems: { code: ProblemCode; text: string }[] = [];
  const name = (side: string) => (side === 'primary' || side === 'secondary' ? pair.firewalls[side].name : side);
  if (aws !== 'primary' && aws !== 'secondary') {
    problems.push({ code: 'split', text: `routes and EIPs are ${aws === 'split' ? 'split between the firewalls (or point elsewhere)' : 'on neither firewall'}` });
  } else {
    for (const d of dns.filter((x) => x.side !== aws)) {
      problems.push({ code: 'dns', text: `DNS ${d.name} ${d.type} points at ${name(d.side)}, not at ${pair.firewalls[aws].name} which carries the routes and EIPs` });
    }
    if (input.recordedOwner !== undefined && input.recordedOwner !== aws) {
      problems.push({ code: 'owner', text: `the recorded owner is ${pair.firewalls[input.recordedOwner].name}, AWS points at ${pair.firewalls[aws].name}` });
    }
  }
  const lock = input.lock;
  if (lock && lock.expiresAt > now && !isDrillHolder(lock.holder)) {
    problems.push({ code: 'lock', text: `the pair's lock is held by ${lock.holder} until ${new Date(lock.expiresAt).toISOString()}` });
  }
  return { consistent: problems.length === 0, aws, dns, problems };
}
