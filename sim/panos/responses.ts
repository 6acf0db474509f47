/**
 * Response bodies in the shapes of real PAN-OS answers (samples in
 * /work/shared/panos-samples, copied with provenance to tests/fixtures/panos). Quirks of the
 * real output are kept on purpose, because the controller's parser must survive them: the 403
 * body's `status = 'error'` spacing and quotes, CDATA text results, a newline inside `<time>`,
 * peer addresses padded with spaces in ipsec-sa, one `entry` that must still be read as a list.
 */
import { nameDigest } from './profile.js';
import type { FirewallProfile } from './profile.js';
import { cdata, el, leaf, serialize } from './xml.js';
import type { XmlChild, XmlElement, XmlNode } from './xml.js';
import { formatClock, formatCtime, formatJobDate, formatSaTime, formatUptime } from './lifecycle.js';
import type { SimJob } from './jobs.js';
import type { FlowEntryState, GatewayState, TunnelSnapshot } from './tunnels.js';

/** Byte for byte the real body (97 bytes, no trailing newline): see error-403-invalid-credential.xml. */
export const INVALID_CREDENTIAL_BODY =
  "<response status = 'error' code = '403'><result><msg>Invalid Credential</msg></result></response>";

export function successXml(...result: XmlChild[]): string {
  return serialize(el('response', { status: 'success' }, el('result', {}, ...result)));
}

/** `<response status="error" code="N"><msg><line><![CDATA[...]]></line></msg></response>`. */
export function opErrorXml(code: number, message: string): string {
  return serialize(el('response', { status: 'error', code: String(code) }, el('msg', {}, el('line', {}, cdata(message)))));
}

/** HTTP 400 body, in the shape of error-400-bad-request.xml (spaces and single quotes included). */
export function badRequestXml(message: string): string {
  return `<response status = 'error' code = '400'><result>${serialize(leaf('msg', message))}</result></response>`;
}

export function chassisReadyXml(ready: boolean): string {
  return successXml(cdata(ready ? 'yes' : 'no'));
}

/** `type=version`, shaped as type-version-fixture.xml (its `status = "success"` spacing too). */
export function versionXml(profile: FirewallProfile): string {
  const fields = [
    leaf('sw-version', profile.swVersion),
    leaf('multi-vsys', 'off'),
    leaf('model', profile.model),
    leaf('serial', profile.serial),
  ];
  return `<response status = "success">\n    <result>\n${fields.map((f) => `        ${serialize(f)}\n`).join('')}    </result>\n</response>\n`;
}

// ---------------------------------------------------------------------------------------------
// show system info

export interface SystemInfoContext {
  readonly now: number;
  readonly runningSince: number;
}

function hexBytes(bytes: Buffer, sep: string): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(sep);
}

function uuid(bytes: Buffer): string {
  const h = hexBytes(bytes.subarray(0, 16), '').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Every field of the real samples (VM-Series 7.2/8.1, hardware 10.1/10.2) in their order, plus the
 * `vm-mode` and `advanced-routing` of a 10.2 VM-Series.
 */
export function systemInfoXml(profile: FirewallProfile, ctx: SystemInfoContext): string {
  const digest = nameDigest(profile.hostname);
  const m = profile.management;
  const mac = `0e:${hexBytes(digest.subarray(0, 5), ':')}`;
  const fields: XmlNode[] = [
    leaf('hostname', profile.hostname),
    leaf('ip-address', m.ip),
    leaf('public-ip-address', 'unknown'),
    leaf('netmask', m.netmask),
    leaf('default-gateway', m.defaultGateway),
    leaf('is-dhcp', m.dhcp ? 'yes' : 'no'),
    leaf('ipv6-address', 'unknown'),
    leaf('ipv6-link-local-address', `fe80::c${hexBytes(digest.subarray(5, 7), '')}:${hexBytes(digest.subarray(7, 9), '')}/64`),
    el('ipv6-default-gateway'),
    leaf('mac-address', mac),
    // Real VM-Series output carries a newline inside <time> (see the pavm samples).
    leaf('time', `${formatCtime(ctx.now)}\n`),
    leaf('uptime', formatUptime(ctx.now - ctx.runningSince)),
    leaf('devicename', profile.hostname),
    leaf('family', 'vm'),
    leaf('model', profile.model),
    leaf('serial', profile.serial),
    leaf('vm-mac-base', `BA:DB:EE:${hexBytes(digest.subarray(9, 11), ':').toUpperCase()}:00`),
    leaf('vm-mac-count', 256),
    leaf('vm-uuid', uuid(digest)),
    leaf('vm-cpuid', `AWS:${hexBytes(digest.subarray(16, 24), '').toUpperCase()}`),
    leaf('vm-license', profile.vmLicense),
    leaf('vm-mode', profile.vmMode),
    leaf('cloud-mode', 'non-cloud'),
    leaf('sw-version', profile.swVersion),
    leaf('global-protect-client-package-version', '0.0.0'),
    leaf('device-dictionary-version', '172-597'),
    leaf('device-dictionary-release-date', '2025/04/25 12:16:03 UTC'),
    leaf('app-version', profile.appVersion),
    leaf('app-release-date', '2025/04/28 16:06:06 UTC'),
    leaf('av-version', profile.avVersion),
    leaf('av-release-date', '2025/04/29 05:00:05 UTC'),
    leaf('threat-version', profile.threatVersion),
    leaf('threat-release-date', '2025/04/28 16:06:06 UTC'),
    leaf('wf-private-version', 0),
    leaf('wf-private-release-date', 'unknown'),
    leaf('url-db', 'paloaltonetworks'),
    leaf('wildfire-version', profile.wildfireVersion),
    leaf('wildfire-release-date', '2025/02/24 07:42:12 UTC'),
    leaf('wildfire-rt', 'Disabled'),
    leaf('url-filtering-version', profile.urlFilteringVersion),
    leaf('global-protect-datafile-version', 'unknown'),
    leaf('global-protect-datafile-release-date', 'unknown'),
    leaf('global-protect-clientless-vpn-version', 0),
    el('global-protect-clientless-vpn-release-date'),
    leaf('logdb-version', '10.2.1'),
    el('plugin_versions', {}, el('entry', { name: 'dlp', version: '3.0.9' }, leaf('pkginfo', 'dlp-3.0.9'))),
    leaf('platform-family', 'vm'),
    leaf('vpn-disable-mode', 'off'),
    leaf('multi-vsys', 'off'),
    leaf('ZTP', 'Disabled'),
    leaf('operational-mode', profile.operationalMode),
    leaf('advanced-routing', profile.advancedRouting ? 'on' : 'off'),
    leaf('device-certificate-status', 'None'),
  ];
  return successXml(el('system', {}, ...fields));
}

// ---------------------------------------------------------------------------------------------
// show jobs all

function jobXml(job: SimJob): XmlElement {
  const details = el('details', {}, ...job.details.map((d) => leaf('line', d)));
  if (job.id === undefined) return el('job', {}, leaf('type', job.type), details, el('warnings'));
  const active = job.status === 'ACT';
  return el(
    'job',
    {},
    leaf('tenq', job.enqueuedAt === undefined ? '' : formatJobDate(job.enqueuedAt)),
    leaf('tdeq', job.enqueuedAt === undefined ? '' : formatClock(job.enqueuedAt)),
    leaf('id', job.id),
    job.user === '' ? el('user') : leaf('user', job.user),
    leaf('type', job.type),
    leaf('status', job.status ?? ''),
    leaf('queued', 'NO'),
    leaf('stoppable', 'no'),
    leaf('result', job.result ?? ''),
    leaf('tfin', active || job.finishedAt === undefined ? 'Still Active' : formatJobDate(job.finishedAt)),
    el('description'),
    leaf('positionInQ', 0),
    leaf('progress', job.progress),
    details,
    el('warnings'),
  );
}

export function jobsXml(jobs: readonly SimJob[]): string {
  return successXml(...jobs.map(jobXml));
}

// ---------------------------------------------------------------------------------------------
// show vpn ike-sa / ipsec-sa / flow

const IKE_LIFETIME_MS = 8 * 3600_000;
const IPSEC_LIFETIME_S = 3600;

function spi(name: string, salt: string): string {
  return String(nameDigest(`${salt}:${name}`).readUInt32BE(0));
}

export function ikeSaXml(gateways: readonly GatewayState[]): string {
  const up = gateways.filter((g): g is GatewayState & { ikeSince: number } => g.ikeSince !== undefined);
  return successXml(
    ...up.map((g) =>
      el(
        'entry',
        {},
        leaf('name', g.name),
        leaf('created', formatSaTime(g.ikeSince)),
        leaf('expires', formatSaTime(g.ikeSince + IKE_LIFETIME_MS)),
        leaf('gwid', g.gwid),
        leaf('role', 'Init'),
        leaf('mode', 'Main'),
        leaf('algo', 'PSK/ DH14/ AES/SHA256'),
      ),
    ),
  );
}

function remaining(since: number, now: number): number {
  const elapsed = Math.floor(Math.max(0, now - since) / 1000);
  return IPSEC_LIFETIME_S - (elapsed % IPSEC_LIFETIME_S);
}

export function ipsecSaXml(snapshot: TunnelSnapshot, now: number): string {
  const active = snapshot.entries.filter((e): e is FlowEntryState & { ipsecSince: number } => e.ipsecSince !== undefined);
  const entries = active.map((e) =>
    el(
      'entry',
      {},
      leaf('kb', 'Unlimited'),
      leaf('life', IPSEC_LIFETIME_S),
      leaf('enc', 'A256'),
      // Real output pads the peer address with spaces (show-vpn-ipsec-sa-pavm-8.1.3.xml).
      leaf('remote', e.peerIp.padEnd(22, ' ')),
      leaf('name', e.name),
      leaf('proto', 'ESP'),
      leaf('i_spi', spi(e.name, 'in')),
      leaf('gwid', e.gwid),
      leaf('o_spi', spi(e.name, 'out')),
      leaf('remain', remaining(e.ipsecSince, now)),
      leaf('tid', e.tid),
      leaf('hash', 'SHA256'),
      leaf('gateway', e.gateway),
    ),
  );
  return successXml(leaf('ntun', snapshot.configured), el('entries', {}, ...entries));
}

/** Summary form (10.x), shaped as show-running-tunnel-flow-all-fixture.xml. */
export function vpnFlowXml(snapshot: TunnelSnapshot): string {
  const entries = snapshot.entries.map((e) =>
    el(
      'entry',
      {},
      leaf('name', e.name),
      leaf('id', e.tid),
      leaf('gwid', e.gwid),
      leaf('inner-if', e.innerIf),
      leaf('outer-if', e.outerIf),
      leaf('localip', e.localIp),
      leaf('peerip', e.peerIp),
      leaf('state', e.state),
      leaf('mon', e.monitor),
      leaf('owner', 1),
    ),
  );
  return successXml(
    leaf('dp', 'dp0'),
    leaf('num_ipsec', entries.length),
    leaf('num_sslvpn', 0),
    el('hop'),
    el('IPSec', {}, ...entries),
    el('SSL-VPN'),
    el('GlobalProtect-Gateway'),
    el('GlobalProtect-site-to-site'),
    leaf('total', entries.length),
  );
}

/** `<show><vpn><flow><name>T</name></flow></vpn></show>`: the detailed per-tunnel form. */
export function vpnFlowDetailXml(entries: readonly FlowEntryState[], now: number): string {
  const detail = entries.map((e) => {
    const up = e.ipsecSince !== undefined;
    const monitorOn = e.monitor !== 'off';
    return el(
      'entry',
      {},
      leaf('name', e.name),
      leaf('id', e.tid),
      leaf('gwid', e.gwid),
      leaf('type', 'IPSec'),
      leaf('state', e.state),
      leaf('inner-if', e.innerIf),
      leaf('outer-if', e.outerIf),
      leaf('localip', e.localIp),
      leaf('peerip', e.peerIp),
      leaf('owner', 1),
      leaf('proto', 'ESP'),
      leaf('keytype', 'auto key'),
      leaf('enc', up ? 'aes256' : 'not established'),
      leaf('auth', up ? 'sha256' : 'not established'),
      leaf('local-spi', up ? Number(spi(e.name, 'in')).toString(16).toUpperCase() : '00000000'),
      leaf('remote-spi', up ? Number(spi(e.name, 'out')).toString(16).toUpperCase() : '00000000'),
      ...(e.ipsecSince !== undefined ? [leaf('remain', remaining(e.ipsecSince, now))] : []),
      el(
        'monitor',
        {},
        leaf('status', monitorOn && e.monitor === 'up' ? 'True' : 'False'),
        leaf('on', monitorOn ? 'True' : 'False'),
        leaf('interval', monitorOn ? 3 : 0),
        leaf('threshold', monitorOn ? 5 : 0),
      ),
      leaf('mtu', 1427),
    );
  });
  return successXml(
    leaf('total', detail.length),
    leaf('num_ipsec', detail.length),
    el('IPSec', {}, ...detail),
    leaf('dp', 'dp0'),
    leaf('num_sslvpn', 0),
  );
}

// ---------------------------------------------------------------------------------------------
// type=config

/** `action=show` returns the selected nodes themselves under `<result>`. */
export function configShowXml(nodes: readonly XmlElement[]): string {
  return successXml(...nodes);
}

/** `action=get` (candidate config) adds counts and code 19, as config-get-success-code19.xml. */
export function configGetXml(nodes: readonly XmlElement[]): string {
  const count = String(nodes.length);
  return serialize(
    el('response', { status: 'success', code: '19' }, el('result', { 'total-count': count, count }, ...nodes)),
  );
}

/** Object not present: config-get-object-not-present-code7.xml. */
export const NOT_PRESENT_XML = '<response status="success" code="7"><result/></response>';

/** `show` of a missing node as pango's fixture has it: error-no-such-node.xml. */
export const NO_SUCH_NODE_XML = '<response status="error"><msg><line>No such node</line></msg></response>';

export function badXpathXml(reason: string): string {
  return opErrorXml(6, `Bad Xpath: ${reason}`);
}

// ---------------------------------------------------------------------------------------------
// request license info

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `2029-06-30` -> `June 30, 2029`, as PAN-OS prints licence dates. */
function licenseDate(iso: string): string {
  const [y = '', m = '1', d = '1'] = iso.split('-');
  return `${MONTH_NAMES[Number(m) - 1] ?? 'January'} ${d.padStart(2, '0')}, ${y}`;
}

/** Shaped as request-license-info-pavm-vm300-2017.xml; `expired` follows the simulated date. */
export function licensesXml(profile: FirewallProfile, now: number): string {
  const issued = licenseDate(new Date(now - 365 * 86_400_000).toISOString().slice(0, 10));
  const entries = profile.licenses.map((l) => {
    const never = l.expires === 'never';
    const expired = !never && Date.parse(`${l.expires}T23:59:59Z`) < now;
    return el(
      'entry',
      {},
      leaf('feature', l.feature),
      leaf('description', l.description ?? l.feature),
      leaf('serial', profile.serial),
      leaf('issued', issued),
      leaf('expires', never ? 'Never' : licenseDate(l.expires)),
      leaf('expired', expired ? 'yes' : 'no'),
      ...(l.feature === 'PA-VM' ? [] : [leaf('base-license-name', 'PA-VM')]),
      el('authcode'),
    );
  });
  return successXml(el('licenses', {}, ...entries));
}
