/**
 * Route 53 hosted zones and record sets. A change is applied to the zone at once (List shows
 * it) but reported `PENDING` until it has propagated, `syncMs` later (`INSYNC`); `served`
 * is what the authoritative servers answer, updated at that moment.
 */
import { SimAwsError } from './aws-error.js';
import { worldArn, type WorldContext } from './context.js';
import type { WorldTopology } from './topology.js';

export interface RecordSet {
  /** Fully qualified, lower case, with the trailing dot. */
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly values: readonly string[];
}

export interface HostedZoneView {
  /** Without the `/hostedzone/` prefix. */
  readonly id: string;
  readonly name: string;
  readonly privateZone: boolean;
  readonly callerReference: string;
  readonly recordCount: number;
}

export type ChangeAction = 'CREATE' | 'DELETE' | 'UPSERT';

export interface RecordChange {
  readonly action: ChangeAction;
  readonly record: RecordSet;
}

export interface ChangeInfo {
  /** Without the `/change/` prefix. */
  readonly id: string;
  readonly status: 'PENDING' | 'INSYNC';
  readonly submittedAt: number;
  readonly comment: string | undefined;
}

interface ChangeRecord {
  readonly id: string;
  readonly zoneId: string;
  readonly submittedAt: number;
  readonly syncAt: number;
  readonly comment: string | undefined;
  readonly changes: readonly RecordChange[];
}

interface ZoneRecord {
  readonly id: string;
  readonly name: string;
  readonly privateZone: boolean;
  readonly callerReference: string;
  readonly records: Map<string, RecordSet>;
  readonly served: Map<string, RecordSet>;
  /** INSYNC time of the zone's last change: changes propagate in order. */
  lastSyncAt: number;
}

const r53Error = (code: string, message: string, httpStatus = 400) =>
  new SimAwsError('route53', code, message, { httpStatus });

/** `gp.example.com` -> `gp.example.com.` (lower case); Route 53 answers with this form. */
export function fqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

const recordKey = (name: string, type: string) => `${fqdn(name)} ${type.toUpperCase()}`;

/** Route 53 lists records by name with labels reversed (`com.example.gp`), then by type. */
function listOrder(a: RecordSet, b: RecordSet): number {
  const ka = a.name.split('.').reverse().join('.');
  const kb = b.name.split('.').reverse().join('.');
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}

export function normalizeZoneId(id: string): string {
  return id.replace(/^\/hostedzone\//, '');
}

export class Route53World {
  readonly #ctx: WorldContext;
  readonly #zones = new Map<string, ZoneRecord>();
  readonly #changes = new Map<string, ChangeRecord>();

  constructor(ctx: WorldContext) {
    this.#ctx = ctx;
  }

  load(t: WorldTopology): void {
    for (const z of t.hostedZones) {
      const id = normalizeZoneId(z.id);
      const zone: ZoneRecord = {
        id,
        name: fqdn(z.name),
        privateZone: z.private,
        callerReference: `sim-${id}`,
        records: new Map(),
        served: new Map(),
        lastSyncAt: Number.NEGATIVE_INFINITY,
      };
      const apex = zone.name;
      zone.records.set(recordKey(apex, 'SOA'), {
        name: apex,
        type: 'SOA',
        ttl: 900,
        values: [`ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400`],
      });
      zone.records.set(recordKey(apex, 'NS'), {
        name: apex,
        type: 'NS',
        ttl: 172800,
        values: [
          'ns-1.awsdns-01.org.',
          'ns-2.awsdns-02.co.uk.',
          'ns-3.awsdns-03.com.',
          'ns-4.awsdns-04.net.',
        ],
      });
      for (const r of z.records) {
        const rec: RecordSet = {
          name: fqdn(r.name),
          type: r.type.toUpperCase(),
          ttl: r.ttl,
          values: [...r.values],
        };
        zone.records.set(recordKey(rec.name, rec.type), rec);
      }
      for (const [k, v] of zone.records) zone.served.set(k, v);
      this.#zones.set(id, zone);
    }
  }

  getHostedZone(id: string): HostedZoneView {
    this.#authorize('GetHostedZone', id);
    const zone = this.#zone(id);
    return {
      id: zone.id,
      name: zone.name,
      privateZone: zone.privateZone,
      callerReference: zone.callerReference,
      recordCount: zone.records.size,
    };
  }

  /** ListResourceRecordSets: records from (`startName`, `startType`) on, in Route 53's order. */
  listRecords(
    zoneId: string,
    options: { startName?: string; startType?: string; maxItems?: number } = {},
  ): { records: RecordSet[]; isTruncated: boolean; next: { name: string; type: string } | undefined } {
    this.#authorize('ListResourceRecordSets', zoneId);
    const zone = this.#zone(zoneId);
    if (options.startType !== undefined && options.startName === undefined) {
      throw r53Error('InvalidInput', 'The input is not valid: StartRecordType requires StartRecordName');
    }
    const all = [...zone.records.values()].sort(listOrder);
    let from = 0;
    if (options.startName !== undefined) {
      const probe: RecordSet = {
        name: fqdn(options.startName),
        type: (options.startType ?? '').toUpperCase(),
        ttl: 0,
        values: [],
      };
      from = all.findIndex((r) => listOrder(r, probe) >= 0);
      if (from === -1) from = all.length;
    }
    const max = Math.min(Math.max(options.maxItems ?? 300, 1), 300);
    const page = all.slice(from, from + max);
    const nextRecord = all[from + max];
    return {
      records: page,
      isTruncated: nextRecord !== undefined,
      next: nextRecord === undefined ? undefined : { name: nextRecord.name, type: nextRecord.type },
    };
  }

  /** ChangeResourceRecordSets: all changes of the batch apply, or none. */
  changeRecords(zoneId: string, changes: readonly RecordChange[], comment?: string): ChangeInfo {
    // The request's condition keys, as Route 53 sets them for IAM.
    this.#authorize('ChangeResourceRecordSets', zoneId, {
      'route53:ChangeResourceRecordSetsNormalizedRecordNames': [...new Set(changes.map((c) => iamNormalizedName(c.record.name)))],
      'route53:ChangeResourceRecordSetsRecordTypes': [...new Set(changes.map((c) => c.record.type.toUpperCase()))],
      'route53:ChangeResourceRecordSetsActions': [...new Set(changes.map((c) => c.action))],
    });
    this.#ctx.scheduler.runDue();
    const zone = this.#zone(zoneId);
    if (changes.length === 0)
      throw r53Error('InvalidInput', 'The input is not valid: at least one change is required');
    const staged = new Map(zone.records);
    const problems: string[] = [];
    for (const change of changes) {
      const rec: RecordSet = {
        ...change.record,
        name: fqdn(change.record.name),
        type: change.record.type.toUpperCase(),
      };
      const key = recordKey(rec.name, rec.type);
      if (rec.name !== zone.name && !rec.name.endsWith(`.${zone.name}`)) {
        problems.push(`RRSet with DNS name ${rec.name} is not permitted in zone ${zone.name}`);
        continue;
      }
      const existing = staged.get(key);
      if (change.action === 'CREATE') {
        if (existing !== undefined) {
          problems.push(
            `Tried to create resource record set [name='${rec.name}', type='${rec.type}'] but it already exists`,
          );
        } else staged.set(key, rec);
      } else if (change.action === 'DELETE') {
        if (existing === undefined || existing.ttl !== rec.ttl || !sameValues(existing.values, rec.values)) {
          problems.push(
            `Tried to delete resource record set [name='${rec.name}', type='${rec.type}'] but ${existing === undefined ? 'it was not found' : 'the values provided do not match the current values'}`,
          );
        } else staged.delete(key);
      } else {
        staged.set(key, rec);
      }
    }
    if (problems.length > 0) throw r53Error('InvalidChangeBatch', problems.map((p) => `[${p}]`).join(', '));

    const at = this.#ctx.now();
    zone.records.clear();
    for (const [k, v] of staged) zone.records.set(k, v);
    const id = `C${this.#ctx.ids.chars(13, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`;
    const syncAt = Math.max(at + this.#ctx.faults.dnsSyncMs(this.#ctx.timings.dnsSyncMs), zone.lastSyncAt);
    zone.lastSyncAt = syncAt;
    const record: ChangeRecord = { id, zoneId: zone.id, submittedAt: at, syncAt, comment, changes };
    this.#changes.set(id, record);
    const summary = changes
      .map((c) => `${c.action} ${fqdn(c.record.name)} ${c.record.type} ${c.record.values.join(',')}`)
      .join('; ');
    this.#ctx.events.record(at, 'route53.change.submitted', id, `DNS change ${id} PENDING: ${summary}`, {
      zoneId: zone.id,
      changes: changes.map((c) => ({ action: c.action, ...c.record })),
      syncAt,
    });
    this.#ctx.scheduler.at(syncAt, (when) => {
      for (const c of changes) {
        const key = recordKey(c.record.name, c.record.type);
        if (c.action === 'DELETE') zone.served.delete(key);
        else
          zone.served.set(key, { ...c.record, name: fqdn(c.record.name), type: c.record.type.toUpperCase() });
      }
      this.#ctx.events.record(when, 'route53.change.insync', id, `DNS change ${id} INSYNC: ${summary}`, {
        zoneId: zone.id,
      });
    });
    return this.#info(record, at);
  }

  getChange(id: string): ChangeInfo {
    this.#ctx.iam.check('route53', 'route53:GetChange', [worldArn(this.#ctx, 'route53', `change/${id.replace(/^\/change\//, '')}`, true)]);
    const rec = this.#changes.get(id.replace(/^\/change\//, ''));
    if (rec === undefined)
      throw r53Error('NoSuchChange', `A change with the specified change ID does not exist: ${id}`, 404);
    return this.#info(rec, this.#ctx.now());
  }

  /** Every hosted zone, by id (ListHostedZones). */
  listHostedZones(): HostedZoneView[] {
    this.#ctx.iam.check('route53', 'route53:ListHostedZones', ['*']);
    return [...this.#zones.keys()].sort().map((id) => this.getHostedZone(id));
  }

  #authorize(operation: string, zoneId: string, context: Record<string, readonly string[]> = {}): void {
    const zone = zoneId.replace(/^\/hostedzone\//, '');
    this.#ctx.iam.check('route53', `route53:${operation}`, [worldArn(this.#ctx, 'route53', `hostedzone/${zone}`, true)], context);
  }

  /** What the authoritative servers answer now (changes still PENDING are not there yet). */
  resolve(name: string, type = 'A'): RecordSet | undefined {
    this.#ctx.scheduler.runDue();
    for (const zone of this.#zones.values()) {
      const hit = zone.served.get(recordKey(name, type));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  #info(rec: ChangeRecord, now: number): ChangeInfo {
    return {
      id: rec.id,
      status: now >= rec.syncAt ? 'INSYNC' : 'PENDING',
      submittedAt: rec.submittedAt,
      comment: rec.comment,
    };
  }

  #zone(id: string): ZoneRecord {
    const zone = this.#zones.get(normalizeZoneId(id));
    if (zone === undefined)
      throw r53Error('NoSuchHostedZone', `No hosted zone found with ID: ${normalizeZoneId(id)}`, 404);
    return zone;
  }
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);
}

/**
 * A record name as Route 53 gives it to IAM in `route53:ChangeResourceRecordSetsNormalizedRecordNames`:
 * lower case, without the trailing dot, and every character other than a-z, 0-9, hyphen,
 * underscore and dot as a backslash and its three-digit octal code (Route 53 developer guide,
 * "Using IAM policy conditions for fine-grained access control").
 */
export function iamNormalizedName(name: string): string {
  let out = '';
  for (const c of name.replace(/\.$/, '').toLowerCase()) {
    out += /[a-z0-9_.-]/.test(c) ? c : `\\${(c.codePointAt(0) ?? 0).toString(8).padStart(3, '0')}`;
  }
  return out;
}
