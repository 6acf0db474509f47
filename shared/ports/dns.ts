/** Port to Route 53 record changes. */

export type ChangeStatus = 'PENDING' | 'INSYNC';

export interface DnsRecordValue {
  readonly name: string;
  readonly type: 'A' | 'CNAME';
  readonly ttl: number;
  readonly values: readonly string[];
}

export interface DnsPort {
  /** The record as Route 53 serves it now, `undefined` when absent. */
  getRecord(hostedZoneId: string, name: string, type: 'A' | 'CNAME'): Promise<DnsRecordValue | undefined>;
  /** UPSERT (idempotent). Returns the change id to poll. */
  upsertRecord(hostedZoneId: string, record: DnsRecordValue, comment: string): Promise<{ changeId: string; status: ChangeStatus }>;
  getChangeStatus(changeId: string): Promise<ChangeStatus>;
}
