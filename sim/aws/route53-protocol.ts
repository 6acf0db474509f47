/**
 * Route 53's restXml protocol: operations chosen by method and path under `/2013-04-01/`, XML
 * bodies in the Route 53 namespace, errors as `<ErrorResponse><Error><Code>`.
 */
import { XMLParser } from 'fast-xml-parser';
import { SimAwsError } from '#sim/world/aws-error.js';
import type { ChangeInfo, RecordChange, RecordSet } from '#sim/world/route53.js';
import type { HandlerContext, WireRequest, WireResponse } from './protocol.js';
import { XML_DECLARATION, el, escapeXml, isoTime, node } from './xml.js';

const NAMESPACE = 'https://route53.amazonaws.com/doc/2013-04-01/';
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === 'Change' || name === 'ResourceRecord',
});

function ok(root: string, children: string): WireResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `${XML_DECLARATION}<${root} xmlns="${NAMESPACE}">${children}</${root}>`,
  };
}

function changeInfoXml(info: ChangeInfo): string {
  return node(
    'ChangeInfo',
    el('Id', `/change/${info.id}`) +
      el('Status', info.status) +
      el('SubmittedAt', isoTime(info.submittedAt)) +
      el('Comment', info.comment),
  );
}

function recordXml(r: RecordSet): string {
  return node(
    'ResourceRecordSet',
    el('Name', r.name) +
      el('Type', r.type) +
      el('TTL', r.ttl) +
      node('ResourceRecords', r.values.map((v) => node('ResourceRecord', el('Value', v))).join('')),
  );
}

const invalidInput = (message: string) => new SimAwsError('route53', 'InvalidInput', message);

interface ParsedChange {
  Action?: string;
  ResourceRecordSet?: {
    Name?: string;
    Type?: string;
    TTL?: string;
    ResourceRecords?: { ResourceRecord?: { Value?: string }[] };
    AliasTarget?: unknown;
    SetIdentifier?: string;
  };
}

function parseChanges(body: string): { changes: RecordChange[]; comment: string | undefined } {
  let doc: {
    ChangeResourceRecordSetsRequest?: {
      ChangeBatch?: { Comment?: string; Changes?: { Change?: ParsedChange[] } };
    };
  };
  try {
    doc = parser.parse(body) as typeof doc;
  } catch (e) {
    throw invalidInput(`The XML document is malformed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const batch = doc.ChangeResourceRecordSetsRequest?.ChangeBatch;
  if (batch === undefined) throw invalidInput('The input is not valid: ChangeBatch is required');
  const changes = (batch.Changes?.Change ?? []).map((c, i): RecordChange => {
    const action = c.Action;
    const set = c.ResourceRecordSet;
    if (action !== 'CREATE' && action !== 'DELETE' && action !== 'UPSERT') {
      throw invalidInput(`Invalid XML ; Change ${i + 1}: Action must be CREATE, DELETE or UPSERT`);
    }
    if (set?.Name === undefined || set.Type === undefined)
      throw invalidInput(`Change ${i + 1}: Name and Type are required`);
    if (set.AliasTarget !== undefined || set.SetIdentifier !== undefined) {
      throw invalidInput(
        `Change ${i + 1}: the simulator supports simple records only (no alias, no routing policy)`,
      );
    }
    const values = (set.ResourceRecords?.ResourceRecord ?? []).map((r) => r.Value ?? '');
    if (set.TTL === undefined || values.length === 0)
      throw invalidInput(`Change ${i + 1}: TTL and ResourceRecords are required`);
    return { action, record: { name: set.Name, type: set.Type, ttl: Number(set.TTL), values } };
  });
  return { changes, comment: batch.Comment };
}

export function route53ErrorResponse(e: SimAwsError, requestId: string): WireResponse {
  return {
    status: e.httpStatus,
    headers: { 'content-type': 'text/xml' },
    body: `${XML_DECLARATION}<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${e.faultType}</Type><Code>${escapeXml(e.code)}</Code><Message>${escapeXml(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

interface Route {
  readonly op: string;
  readonly run: () => WireResponse;
}

function route(request: WireRequest, ctx: HandlerContext, rest: string): Route | undefined {
  const w = ctx.world;
  const q = request.query;
  let m = /^hostedzone\/([^/]+)\/rrset\/?$/.exec(rest);
  if (m !== null && request.method === 'POST') {
    const zone = decodeURIComponent(m[1] ?? '');
    return {
      op: 'ChangeResourceRecordSets',
      run: () => {
        const { changes, comment } = parseChanges(request.body);
        return ok(
          'ChangeResourceRecordSetsResponse',
          changeInfoXml(w.route53.changeRecords(zone, changes, comment)),
        );
      },
    };
  }
  if (m !== null && request.method === 'GET') {
    const zone = decodeURIComponent(m[1] ?? '');
    return {
      op: 'ListResourceRecordSets',
      run: () => {
        const maxItems = q.get('maxitems') === null ? 300 : Number(q.get('maxitems'));
        const out = w.route53.listRecords(zone, {
          startName: q.get('name') ?? undefined,
          startType: q.get('type') ?? undefined,
          maxItems,
        });
        return ok(
          'ListResourceRecordSetsResponse',
          node('ResourceRecordSets', out.records.map(recordXml).join('')) +
            el('IsTruncated', out.isTruncated) +
            el('NextRecordName', out.next?.name) +
            el('NextRecordType', out.next?.type) +
            el('MaxItems', maxItems),
        );
      },
    };
  }
  m = /^change\/([^/]+)\/?$/.exec(rest);
  if (m !== null && request.method === 'GET') {
    const id = decodeURIComponent(m[1] ?? '');
    return { op: 'GetChange', run: () => ok('GetChangeResponse', changeInfoXml(w.route53.getChange(id))) };
  }
  if (/^hostedzone\/?$/.test(rest) && request.method === 'GET') {
    return {
      op: 'ListHostedZones',
      run: () => {
        const zones = w.route53.listHostedZones();
        const maxItems = q.get('maxitems') === null ? 100 : Number(q.get('maxitems'));
        const marker = q.get('marker');
        const from = marker === null ? 0 : Math.max(0, zones.findIndex((z) => z.id === marker));
        const page = zones.slice(from, from + maxItems);
        const next = zones[from + maxItems];
        return ok(
          'ListHostedZonesResponse',
          node(
            'HostedZones',
            page
              .map((z) =>
                node(
                  'HostedZone',
                  el('Id', `/hostedzone/${z.id}`) + el('Name', z.name) + el('CallerReference', z.callerReference) + node('Config', el('PrivateZone', z.privateZone)) + el('ResourceRecordSetCount', z.recordCount),
                ),
              )
              .join(''),
          ) +
            (marker === null ? '' : el('Marker', marker)) +
            el('IsTruncated', next !== undefined) +
            (next === undefined ? '' : el('NextMarker', next.id)) +
            el('MaxItems', maxItems),
        );
      },
    };
  }
  m = /^hostedzone\/([^/]+)\/?$/.exec(rest);
  if (m !== null && request.method === 'GET') {
    const id = decodeURIComponent(m[1] ?? '');
    return {
      op: 'GetHostedZone',
      run: () => {
        const z = w.route53.getHostedZone(id);
        return ok(
          'GetHostedZoneResponse',
          node(
            'HostedZone',
            el('Id', `/hostedzone/${z.id}`) +
              el('Name', z.name) +
              el('CallerReference', z.callerReference) +
              node('Config', el('PrivateZone', z.privateZone)) +
              el('ResourceRecordSetCount', z.recordCount),
          ) +
            node(
              'DelegationSet',
              node(
                'NameServers',
                ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.co.uk', 'ns-3.awsdns-03.com', 'ns-4.awsdns-04.net']
                  .map((n) => el('NameServer', n))
                  .join(''),
              ),
            ),
        );
      },
    };
  }
  return undefined;
}

export async function handleRoute53(request: WireRequest, ctx: HandlerContext): Promise<WireResponse> {
  const at = request.path.indexOf('/2013-04-01/');
  const rest = request.path.slice(at + '/2013-04-01/'.length);
  const r = route(request, ctx, rest);
  ctx.count(`route53:${r?.op ?? `${request.method} ${rest}`}`);
  try {
    if (r === undefined) {
      throw new SimAwsError(
        'route53',
        'UnknownOperationException',
        `${request.method} ${request.path} is not a Route 53 operation`,
        {
          httpStatus: 404,
        },
      );
    }
    return await ctx.world.call(`route53:${r.op}`, r.run);
  } catch (e) {
    if (e instanceof SimAwsError) return route53ErrorResponse(e, ctx.requestId);
    throw e;
  }
}
