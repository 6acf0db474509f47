/**
 * `DnsPort` over `@aws-sdk/client-route-53`.
 *
 * Ids are accepted with or without their `/hostedzone/` and `/change/` prefixes and always sent
 * and returned bare, so a change id read from one call can be compared with another.
 */
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import type { ChangeInfo, ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import type { ChangeStatus, DnsPort, DnsRecordValue } from '#shared/ports/dns.js';
import { AwsCallError } from '#shared/errors.js';
import { callAws, malformedResponse } from './errors.js';

/** Route 53 refuses a change batch comment longer than this. */
const MAX_COMMENT = 256;

export function bareHostedZoneId(id: string): string {
  return id.replace(/^\/?hostedzone\//, '');
}

export function bareChangeId(id: string): string {
  return id.replace(/^\/?change\//, '');
}

/**
 * The form in which two DNS names compare equal: lower case, no trailing dot, and Route 53's
 * octal escapes decoded (it returns `*.example.com` as `\052.example.com`).
 */
export function normaliseDnsName(name: string): string {
  return name
    .replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
    .replace(/\.$/, '')
    .toLowerCase();
}

function changeStatus(
  operation: string,
  info: ChangeInfo | undefined,
): { changeId: string; status: ChangeStatus } {
  const id = info?.Id;
  const status = info?.Status;
  if (id === undefined || id === '') throw malformedResponse(operation, 'missing ChangeInfo.Id');
  if (status !== 'PENDING' && status !== 'INSYNC')
    throw malformedResponse(operation, `change status ${String(status)}`);
  return { changeId: bareChangeId(id), status };
}

/**
 * A record the controller cannot manage as a plain value list: reading only one of several
 * weighted records, or an alias, and then UPSERTing over it would be wrong, so it stops here.
 */
function unsupportedRecord(
  operation: string,
  set: ResourceRecordSet,
  name: string,
  type: string,
): AwsCallError | undefined {
  const what = `${name} ${type}`;
  if (set.AliasTarget !== undefined) {
    return new AwsCallError(
      operation,
      `${what} is an alias record; only plain records with values can be managed`,
      undefined,
    );
  }
  if (set.SetIdentifier !== undefined) {
    return new AwsCallError(
      operation,
      `${what} uses a routing policy (set identifier ${set.SetIdentifier}); only simple records can be managed`,
      undefined,
    );
  }
  return undefined;
}

export class Route53Adapter implements DnsPort {
  readonly #client: Route53Client;

  constructor(client: Route53Client) {
    this.#client = client;
  }

  async getRecord(
    hostedZoneId: string,
    name: string,
    type: 'A' | 'CNAME',
  ): Promise<DnsRecordValue | undefined> {
    const zone = bareHostedZoneId(hostedZoneId);
    const context = { operation: 'route53:ListResourceRecordSets', resource: `hosted zone ${zone}` };
    const out = await callAws(context, () =>
      this.#client.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zone,
          StartRecordName: name,
          StartRecordType: type,
          MaxItems: 1,
        }),
      ),
    );
    // The listing starts at the requested name and type; the first set is the record only if both match.
    const set = out.ResourceRecordSets?.[0];
    if (
      set === undefined ||
      set.Type !== type ||
      normaliseDnsName(set.Name ?? '') !== normaliseDnsName(name)
    ) {
      return undefined;
    }
    const unsupported = unsupportedRecord(context.operation, set, name, type);
    if (unsupported) throw unsupported;
    if (set.TTL === undefined) throw malformedResponse(context.operation, `${name} ${type} has no TTL`);
    return {
      name,
      type,
      ttl: set.TTL,
      values: (set.ResourceRecords ?? []).flatMap((r) => (r.Value === undefined ? [] : [r.Value])),
    };
  }

  async upsertRecord(
    hostedZoneId: string,
    record: DnsRecordValue,
    comment: string,
  ): Promise<{ changeId: string; status: ChangeStatus }> {
    const zone = bareHostedZoneId(hostedZoneId);
    const context = { operation: 'route53:ChangeResourceRecordSets', resource: `hosted zone ${zone}` };
    const out = await callAws(context, () =>
      this.#client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zone,
          ChangeBatch: {
            Comment: comment.slice(0, MAX_COMMENT),
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: record.name,
                  Type: record.type,
                  TTL: record.ttl,
                  ResourceRecords: record.values.map((Value) => ({ Value })),
                },
              },
            ],
          },
        }),
      ),
    );
    return changeStatus(context.operation, out.ChangeInfo);
  }

  async getChangeStatus(changeId: string): Promise<ChangeStatus> {
    const id = bareChangeId(changeId);
    const context = { operation: 'route53:GetChange', resource: `change ${id}` };
    const out = await callAws(context, () => this.#client.send(new GetChangeCommand({ Id: id })));
    return changeStatus(context.operation, out.ChangeInfo).status;
  }
}
