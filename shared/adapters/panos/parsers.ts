/**
 * Operational commands and their parsers: parsed XML -> the values of `shared/ports/firewall.ts`.
 *
 * Each `parseX(body)` takes the raw response text as served with HTTP 200 and either returns the
 * value or throws a `FirewallError` (through `interpretResponse`); the `xFromResult` forms take an
 * already classified result. Tolerant by design (PAN-OS output varies by version and build):
 * values are trimmed, missing fields are `undefined`, case of element names is ignored.
 */
import { FirewallApiError, FirewallMalformedResponseError } from '../../errors.js';
import type { ConfigNode, JobInfo, LicenseInfo, SystemInfo, TunnelStatus } from '../../ports/firewall.js';
import {
  ATTRIBUTE_PREFIX,
  TEXT_KEY,
  child,
  childText,
  interpretResponse,
  isXmlNode,
  list,
  textOf,
  type PanosSuccess,
  type ResponseContext,
  type XmlNode,
  type XmlValue,
} from './xml.js';

/** The `cmd` of each operational call, as sent (the simulator dispatches on these). */
export const PANOS_COMMANDS = {
  systemInfo: '<show><system><info></info></system></show>',
  chassisReady: '<show><chassis-ready></chassis-ready></show>',
  jobsAll: '<show><jobs><all></all></jobs></show>',
  ikeSa: '<show><vpn><ike-sa></ike-sa></vpn></show>',
  ipsecSa: '<show><vpn><ipsec-sa></ipsec-sa></vpn></show>',
  vpnFlow: '<show><vpn><flow></flow></vpn></show>',
  licenseInfo: '<request><license><info></info></license></request>',
} as const;

/**
 * The largest answer accepted per command, fitted to what each returns: parsing is synchronous
 * (it holds the event loop, and so the other firewall's probe), so a hostile firewall gets no
 * more bytes than a real answer needs. Real `show system info` and `show chassis-ready` answers
 * are 1 to 3 KB; `show jobs all` grows with the job history a firewall keeps (a few hundred
 * bytes a job); the VPN commands grow with the tunnels (about 1 to 2 KB each). Everything else
 * (configuration reads) keeps the client's default of 512 KiB.
 */
export const RESPONSE_CAPS: Readonly<Record<keyof typeof PANOS_COMMANDS, number>> = {
  systemInfo: 64 * 1024,
  chassisReady: 64 * 1024,
  jobsAll: 256 * 1024,
  // A licence list is a few hundred bytes a feature.
  licenseInfo: 64 * 1024,
  ikeSa: 512 * 1024,
  ipsecSa: 512 * 1024,
  vpnFlow: 512 * 1024,
};

const DEFAULT_CONTEXT: ResponseContext = { target: 'response' };

function success(body: string, ctx: ResponseContext): PanosSuccess {
  return interpretResponse({ status: 200, body }, ctx);
}

const nodes = (v: XmlValue | undefined): XmlNode[] => list(v).filter(isXmlNode);

// ---------------------------------------------------------------------------------------------
// show system info

const UPTIME = /^(\d{1,6})\s+days?,\s*(\d{1,2}):([0-5]\d):([0-5]\d)$/;

/** `"12 days, 3:04:05"` -> seconds; `undefined` for any other form. */
export function parseUptime(uptime: string | undefined): number | undefined {
  const m = UPTIME.exec(uptime?.trim() ?? '');
  if (!m) return undefined;
  const [days, hours, minutes, seconds] = m.slice(1).map(Number) as [number, number, number, number];
  return ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
}

function onOff(v: string | undefined): boolean | undefined {
  const s = v?.toLowerCase();
  if (s === 'on' || s === 'yes') return true;
  if (s === 'off' || s === 'no') return false;
  return undefined;
}

export function systemInfoFromResult(result: XmlValue | undefined, target: string): SystemInfo {
  const system = child(result, 'system');
  if (!isXmlNode(system)) {
    throw new FirewallMalformedResponseError(target, 'show system info: no result/system element');
  }
  const uptime = childText(system, 'uptime');
  return {
    hostname: childText(system, 'hostname'),
    model: childText(system, 'model'),
    serial: childText(system, 'serial'),
    swVersion: childText(system, 'sw-version'),
    uptime,
    uptimeSeconds: parseUptime(uptime),
    vmLicense: childText(system, 'vm-license'),
    operationalMode: childText(system, 'operational-mode'),
    appVersion: childText(system, 'app-version'),
    threatVersion: childText(system, 'threat-version'),
    advancedRouting: onOff(childText(system, 'advanced-routing')),
    ipAddress: childText(system, 'ip-address'),
  };
}

export function parseSystemInfo(body: string, ctx: ResponseContext = DEFAULT_CONTEXT): SystemInfo {
  return systemInfoFromResult(success(body, ctx).result, ctx.target);
}

// ---------------------------------------------------------------------------------------------
// show chassis-ready

/** True only for an explicit `yes`: anything else (absent, `no`, an element) is "not ready". */
export function chassisReadyFromResult(result: XmlValue | undefined): boolean {
  return textOf(result)?.toLowerCase() === 'yes';
}

export function parseChassisReady(body: string, ctx: ResponseContext = DEFAULT_CONTEXT): boolean {
  return chassisReadyFromResult(success(body, ctx).result);
}

// ---------------------------------------------------------------------------------------------
// show jobs all

export function jobsFromResult(result: XmlValue | undefined): JobInfo[] {
  return nodes(child(result, 'job')).map((job) => ({
    id: childText(job, 'id'),
    type: childText(job, 'type'),
    status: childText(job, 'status'),
    result: childText(job, 'result'),
  }));
}

export function parseJobs(body: string, ctx: ResponseContext = DEFAULT_CONTEXT): JobInfo[] {
  return jobsFromResult(success(body, ctx).result);
}

// ---------------------------------------------------------------------------------------------
// request license info

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const LICENSE_DATE = /^([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4})$/;
/** More licence entries than any firewall holds: the answer is not what it claims to be. */
const MAX_LICENSES = 200;

/** `June 30, 2020` -> epoch ms at UTC midnight; `undefined` for `Never` or any other form. */
export function parseLicenseDate(text: string | undefined): number | undefined {
  const m = LICENSE_DATE.exec(text?.trim() ?? '');
  if (!m) return undefined;
  const month = MONTHS.indexOf((m[1] ?? '').toLowerCase());
  const day = Number(m[2]);
  const year = Number(m[3]);
  if (month < 0 || day < 1 || day > 31) return undefined;
  const at = Date.UTC(year, month, day);
  // 31 February rolls over into March: refuse it rather than guess.
  return new Date(at).getUTCDate() === day ? at : undefined;
}

export function licensesFromResult(result: XmlValue | undefined, target: string): LicenseInfo[] {
  const entries = nodes(child(child(result, 'licenses'), 'entry'));
  if (entries.length > MAX_LICENSES) {
    throw new FirewallMalformedResponseError(target, `request license info: ${entries.length} entries (more than ${MAX_LICENSES})`);
  }
  const out: LicenseInfo[] = [];
  for (const e of entries) {
    const feature = childText(e, 'feature');
    // A licence without a feature name cannot be reported or compared.
    if (feature === undefined) continue;
    const expires = childText(e, 'expires');
    out.push({
      feature,
      description: childText(e, 'description'),
      expires,
      expiresAt: parseLicenseDate(expires),
      perpetual: expires?.toLowerCase() === 'never',
      expired: childText(e, 'expired')?.toLowerCase() === 'yes',
    });
  }
  return out;
}

export function parseLicenses(body: string, ctx: ResponseContext = DEFAULT_CONTEXT): LicenseInfo[] {
  return licensesFromResult(success(body, ctx).result, ctx.target);
}

// ---------------------------------------------------------------------------------------------
// show vpn ike-sa / ipsec-sa / flow

/** One phase-1 SA (`show vpn ike-sa`). */
export interface IkeSaEntry {
  /** IKE gateway name. */
  readonly name: string | undefined;
  readonly gwid: string | undefined;
}

/** One phase-2 SA (`show vpn ipsec-sa`). */
export interface IpsecSaEntry {
  /** As printed: `tunnel`, `tunnel:proxy-id`, or on older releases `tunnel(gateway)`. */
  readonly name: string | undefined;
  readonly tid: string | undefined;
  readonly gwid: string | undefined;
  /** IKE gateway name, when the release prints it. */
  readonly gateway: string | undefined;
  readonly remote: string | undefined;
}

/** One tunnel or proxy-ID of `show vpn flow` (summary or detailed form). */
export interface FlowEntry {
  readonly name: string;
  readonly id: string | undefined;
  readonly gwid: string | undefined;
  /** `active`, `init`, `inactive`; `unknown` when the entry has no state. */
  readonly state: string;
  /** `off`, `up`, `down` (or whatever the firewall prints). */
  readonly monitor: string;
  readonly peerIp: string | undefined;
}

/** Entries directly under `result`, or under `result/entries` (both forms exist). */
function saEntries(result: XmlValue | undefined): XmlNode[] {
  const direct = nodes(child(result, 'entry'));
  return direct.length > 0 ? direct : nodes(child(child(result, 'entries'), 'entry'));
}

export function ikeSaFromResult(result: XmlValue | undefined): IkeSaEntry[] {
  return saEntries(result).map((e) => ({ name: childText(e, 'name'), gwid: childText(e, 'gwid') }));
}

export function ipsecSaFromResult(result: XmlValue | undefined): IpsecSaEntry[] {
  return saEntries(result).map((e) => ({
    name: childText(e, 'name'),
    tid: childText(e, 'tid'),
    gwid: childText(e, 'gwid'),
    gateway: childText(e, 'gateway'),
    remote: childText(e, 'remote'),
  }));
}

const TRUTHY = new Set(['true', 'yes', 'on', 'up']);

/** Summary form: `<mon>off|up|down</mon>`; detailed form: `<monitor><on>..</on><status>..</status>`. */
function monitorState(entry: XmlNode): string {
  const mon = childText(entry, 'mon');
  if (mon !== undefined) return mon.toLowerCase();
  const block = child(entry, 'monitor');
  if (!isXmlNode(block)) return 'off';
  if (!TRUTHY.has(childText(block, 'on')?.toLowerCase() ?? '')) return 'off';
  return TRUTHY.has(childText(block, 'status')?.toLowerCase() ?? '') ? 'up' : 'down';
}

export function flowFromResult(result: XmlValue | undefined): FlowEntry[] {
  const ipsec = nodes(child(child(result, 'IPSec'), 'entry'));
  const entries = ipsec.length > 0 ? ipsec : nodes(child(child(result, 'entries'), 'entry'));
  const out: FlowEntry[] = [];
  for (const e of entries) {
    const name = childText(e, 'name');
    // A nameless entry cannot be matched to a configured tunnel.
    if (name === undefined) continue;
    out.push({
      name,
      id: childText(e, 'id') ?? childText(e, 'tid'),
      gwid: childText(e, 'gwid'),
      state: childText(e, 'state')?.toLowerCase() ?? 'unknown',
      monitor: monitorState(e),
      peerIp: childText(e, 'peerip'),
    });
  }
  return out;
}

export function parseIkeSa(body: string, ctx: ResponseContext = DEFAULT_CONTEXT): IkeSaEntry[] {
  return ikeSaFromResult(success(body, ctx).result);
}

export function parseIpsecSa(body: string, ctx: ResponseContext = DEFAULT_CONTEXT): IpsecSaEntry[] {
  return ipsecSaFromResult(success(body, ctx).result);
}

export function parseVpnFlow(body: string, ctx: ResponseContext = DEFAULT_CONTEXT): FlowEntry[] {
  return flowFromResult(success(body, ctx).result);
}

/** `tunnel(gateway)` (older releases) -> `tunnel`. */
const saTunnelName = (name: string | undefined) => name?.replace(/\([^()]*\)$/, '');

/**
 * One `TunnelStatus` per flow entry. Phase 2 is matched by tunnel id (flow `id` = SA `tid`),
 * or by name when either side lacks an id; phase 1 by gateway id, or by gateway name.
 */
export function joinTunnels(
  ike: readonly IkeSaEntry[],
  ipsec: readonly IpsecSaEntry[],
  flow: readonly FlowEntry[],
): TunnelStatus[] {
  return flow.map((f) => {
    const sas = ipsec.filter((s) =>
      s.tid !== undefined && f.id !== undefined ? s.tid === f.id : saTunnelName(s.name) === f.name,
    );
    const gatewayNames = new Set(sas.map((s) => s.gateway).filter((g) => g !== undefined));
    const ikeSa = ike.some((i) =>
      i.gwid !== undefined && f.gwid !== undefined ? i.gwid === f.gwid : i.name !== undefined && gatewayNames.has(i.name),
    );
    const colon = f.name.indexOf(':');
    return {
      name: f.name,
      tunnel: colon < 0 ? f.name : f.name.slice(0, colon),
      proxyId: colon < 0 ? undefined : f.name.slice(colon + 1),
      flowState: f.state,
      monitor: f.monitor,
      ipsecSa: sas.length > 0,
      ikeSa,
      peerIp: f.peerIp,
      up: f.state === 'active' && (f.monitor === 'off' || f.monitor === 'up'),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// type=config&action=show

/**
 * Converts the parsed `result` to a `ConfigNode`. Attributes keep their `@_` prefix
 * (`entry[0]['@_name']`), mixed text sits under `#text`, an element with only text is a
 * string, and a list item with only text becomes `{ '#text': value }` (so `member` lists read
 * `node.member[i]['#text']`).
 */
export function toConfigNode(node: XmlNode): ConfigNode {
  const out: Record<string, ConfigNode | ConfigNode[] | string> = {};
  for (const [k, v] of Object.entries(node)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.flatMap(listItem);
    else out[k] = toConfigNode(v);
  }
  return out;
}

function listItem(v: XmlValue): ConfigNode[] {
  if (typeof v === 'string') return [{ [TEXT_KEY]: v }];
  return Array.isArray(v) ? v.flatMap(listItem) : [toConfigNode(v)];
}

function hasContent(node: XmlNode): boolean {
  return Object.entries(node).some(([k, v]) => !k.startsWith(ATTRIBUTE_PREFIX) && (typeof v !== 'string' || v.trim() !== ''));
}

/** `undefined` for code 7 or an empty result; else the whole `result` element as a node. */
export function configFromResult(answer: PanosSuccess): ConfigNode | undefined {
  const { result } = answer;
  if (answer.code === 7 || result === undefined) return undefined;
  if (typeof result === 'string') return result.trim() === '' ? undefined : { [TEXT_KEY]: result.trim() };
  if (!isXmlNode(result) || !hasContent(result)) return undefined;
  return toConfigNode(result);
}

/** An API error that means "nothing at this xpath": code 7, or the uncoded "No such node". */
export function isObjectNotPresent(e: unknown): boolean {
  return e instanceof FirewallApiError && (e.code === 7 || (e.code === undefined && /no such node/i.test(e.message)));
}

export function parseConfigShow(body: string, ctx: ResponseContext = DEFAULT_CONTEXT): ConfigNode | undefined {
  try {
    return configFromResult(success(body, ctx));
  } catch (e) {
    if (isObjectNotPresent(e)) return undefined;
    throw e;
  }
}
