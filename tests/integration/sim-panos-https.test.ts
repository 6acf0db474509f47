/**
 * The simulated firewalls seen from a plain HTTPS client (node:https, not the controller's
 * adapter): pinned certificate, real envelopes that a strict XML parser accepts, the key
 * required, certificate changes visible, answers shaped like the real samples.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeFirewallHost, ManualClock, requestSim, startPanosSimulator } from '#sim/panos/index.js';
import type { SimFirewall, SimOutcome } from '#sim/panos/index.js';

const KEY_A = 'LUFRPT1-key-of-fw-a==';
const KEY_B = 'LUFRPT1-key-of-fw-b==';
const EIP = '203.0.113.10';
const fixture = (name: string) => readFileSync(`tests/fixtures/panos/${name}`, 'utf8');

const parser = new XMLParser({
  ignoreAttributes: false,
  processEntities: false,
  parseTagValue: false,
  isArray: (name) => ['entry', 'job', 'line', 'member'].includes(name),
});

type Doc = { response: { '@_status': string; '@_code'?: string; result?: unknown; msg?: unknown } };

function parse(o: SimOutcome): Doc {
  if (o.outcome !== 'answered') throw new Error(`expected an answer, got ${JSON.stringify(o)}`);
  expect(XMLValidator.validate(o.body)).toBe(true);
  return parser.parse(o.body) as Doc;
}

const resultOf = (o: SimOutcome) => {
  const doc = parse(o);
  expect(doc.response['@_status']).toBe('success');
  return doc.response.result as Record<string, unknown>;
};

/** Child element names of the first `path` node in a parsed document. */
function childNames(doc: unknown, ...path: string[]): string[] {
  let node: unknown = doc;
  for (const p of path) {
    node = (node as Record<string, unknown>)[p];
    if (Array.isArray(node)) node = node[0];
  }
  return Object.keys(node as object).filter((k) => !k.startsWith('@_') && k !== '#text');
}

const clock = new ManualClock();
const hostA = new FakeFirewallHost(clock, { state: 'running', runningSince: clock.now() - 7_200_000 });
const hostB = new FakeFirewallHost(clock);
let a: SimFirewall;
let b: SimFirewall;

const call = (fw: SimFirewall, form: Record<string, string>, key: string | undefined, pin: string | undefined = fw.fingerprint256) =>
  requestSim({ port: fw.port, form, apiKey: key, pinnedSha256: pin });
const op = (cmd: string) => call(a, { type: 'op', cmd }, KEY_A);

beforeAll(async () => {
  hostA.associate(EIP, clock.now() - 3_600_000);
  const tunnels = [{ name: 'to-hq', gateway: 'hq', peerIp: '198.51.100.1', dialsPublicIp: EIP, monitor: true }];
  [a, b] = await Promise.all([
    startPanosSimulator({ name: 'fw-a', host: hostA, clock, apiKey: KEY_A, profile: { tunnels } }),
    startPanosSimulator({ name: 'fw-b', host: hostB, clock, apiKey: KEY_B, profile: { tunnels } }),
  ]);
});
afterEach(() => {
  a.clearFaults();
  expect([...a.internalErrors(), ...b.internalErrors()]).toEqual([]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

describe('TLS identity', () => {
  it('serves a self-signed certificate (CN = name) whose SHA-256 is the announced fingerprint', async () => {
    const o = await op('<show><chassis-ready/></show>');
    if (o.outcome !== 'answered') throw new Error(o.outcome);
    const cert = new X509Certificate(a.certificatePem);
    const computed = (createHash('sha256').update(cert.raw).digest('hex').toUpperCase().match(/../g) ?? []).join(':');
    expect(a.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(o.peerFingerprint256).toBe(computed);
    expect(a.fingerprint256).toBe(computed);
    expect(cert.subject).toBe('CN=fw-a');
    expect(cert.issuer).toBe(cert.subject);
    expect(b.fingerprint256).not.toBe(a.fingerprint256);
  });

  it('makes a certificate change visible: the pin fails and no request reaches the API', async () => {
    const pin = a.fingerprint256;
    const before = a.requests();
    a.setFaults({ certificateChanged: true });
    const o = await call(a, { type: 'version' }, KEY_A, pin);
    expect(o).toEqual({ outcome: 'pin-mismatch', peerFingerprint256: a.servedFingerprint256 });
    expect(a.requests()).toEqual(before);
  });

  it('rotates its own certificate: the old pin fails from then on, the new one works', async () => {
    const oldPin = a.fingerprint256;
    await a.rotateCertificate();
    expect(a.fingerprint256).not.toBe(oldPin);
    expect((await call(a, { type: 'version' }, KEY_A, oldPin)).outcome).toBe('pin-mismatch');
    expect(resultOf(await call(a, { type: 'version' }, KEY_A))['model']).toBe('PA-VM');
  });
});

describe('the key', () => {
  it('is required on every command, and each firewall accepts only its own', async () => {
    const forms: Record<string, string>[] = [
      { type: 'version' },
      { type: 'op', cmd: '<show><system><info/></system></show>' },
      { type: 'config', action: 'show', xpath: '/config/devices/entry/deviceconfig/system' },
    ];
    for (const form of forms) {
      for (const key of [undefined, KEY_B, '']) {
        const o = await call(a, form, key);
        expect(o).toMatchObject({ outcome: 'answered', status: 403, body: fixture('error-403-invalid-credential.xml') });
        expect(parse(o).response).toMatchObject({ '@_status': 'error', '@_code': '403', result: { msg: 'Invalid Credential' } });
      }
      expect(parse(await call(a, form, KEY_A)).response['@_status']).toBe('success');
    }
  });

  it('never appears in an answer', async () => {
    const o = await call(a, { type: 'op', cmd: '<show><nothing/></show>' }, KEY_A);
    if (o.outcome !== 'answered') throw new Error(o.outcome);
    expect(o.body).not.toContain(KEY_A);
  });
});

describe('every command answers a well-formed PAN-OS envelope shaped like the real samples', () => {
  it('show system info has every field of the real samples, and the VM-Series ones', async () => {
    const ours = childNames(resultOf(await op('<show><system><info></info></system></show>')), 'system');
    for (const sample of ['show-system-info-pavm-kvm-8.1.3.xml', 'show-system-info-pa400-10.2.11.xml', 'show-system-info-pavm-7.2.3-unlicensed.xml']) {
      const theirs = childNames(parser.parse(fixture(sample)), 'response', 'result', 'system');
      expect(theirs.filter((f) => !ours.includes(f)), sample).toEqual([]);
    }
    const system = resultOf(await op('<show><system><info/></system></show>'))['system'] as Record<string, string>;
    expect(system).toMatchObject({
      hostname: 'fw-a',
      model: 'PA-VM',
      'vm-license': 'VM-300',
      'vm-mode': 'AWS',
      'operational-mode': 'normal',
      'advanced-routing': 'off',
      uptime: '0 days, 2:00:00',
    });
  });

  it('show chassis-ready is the CDATA text result', async () => {
    const o = await op('<show><chassis-ready></chassis-ready></show>');
    expect(o).toMatchObject({ body: fixture('show-chassis-ready-yes.RECONSTRUCTED.xml') });
  });

  it('show jobs all lists jobs with the fields of the real sample', async () => {
    const doc = resultOf(await op('<show><jobs><all></all></jobs></show>'));
    const sampleJob = childNames(parser.parse(fixture('show-jobs-all-fixture.xml')), 'response', 'result', 'job');
    const jobs = doc['job'] as Record<string, unknown>[];
    for (const job of jobs) expect(Object.keys(job)).toEqual(sampleJob);
    expect(jobs.map((j) => [j['type'], j['status'], j['result']])).toEqual([
      ['WildFire', 'FIN', 'OK'],
      ['AutoCom', 'FIN', 'OK'],
    ]);
  });

  it('ike-sa, ipsec-sa and flow agree on names, gwid and tid, in the sample shapes', async () => {
    const ike = (resultOf(await op('<show><vpn><ike-sa></ike-sa></vpn></show>'))['entry'] as Record<string, string>[]) ?? [];
    const ipsec = resultOf(await op('<show><vpn><ipsec-sa></ipsec-sa></vpn></show>')) as {
      ntun: string;
      entries: { entry: Record<string, string>[] };
    };
    const flow = resultOf(await op('<show><vpn><flow></flow></vpn></show>')) as { IPSec: { entry: Record<string, string>[] } };

    expect(Object.keys(ike[0]!)).toEqual(childNames(parser.parse(fixture('show-vpn-ike-sa-pavm-8.1.3.xml')), 'response', 'result', 'entry'));
    const saSample = childNames(parser.parse(fixture('show-vpn-ipsec-sa-pavm-8.1.3.xml')), 'response', 'result', 'entries', 'entry');
    expect(saSample.filter((f) => !Object.keys(ipsec.entries.entry[0]!).includes(f))).toEqual([]);
    expect(Object.keys(flow.IPSec.entry[0]!)).toEqual(
      childNames(parser.parse(fixture('show-running-tunnel-flow-all-fixture.xml')), 'response', 'result', 'IPSec', 'entry'),
    );

    const [f] = flow.IPSec.entry;
    const [sa] = ipsec.entries.entry;
    expect(ipsec.ntun).toBe('1');
    expect(f).toMatchObject({ name: 'to-hq', state: 'active', mon: 'up', peerip: '198.51.100.1' });
    expect([sa!['name'], sa!['tid'], sa!['gwid'], sa!['gateway']]).toEqual([f!['name'], f!['id'], f!['gwid'], ike[0]!['name']]);
    expect(ike[0]!['gwid']).toBe(f!['gwid']);
  });

  it('flow with a tunnel name answers the detailed form for that tunnel', async () => {
    const doc = resultOf(await op('<show><vpn><flow><name>to-hq</name></flow></vpn></show>')) as {
      IPSec: { entry: Record<string, unknown>[] };
    };
    expect(doc.IPSec.entry).toHaveLength(1);
    expect(doc.IPSec.entry[0]).toMatchObject({ name: 'to-hq', state: 'active', monitor: { on: 'True', status: 'True' } });
  });

  it('config show returns the selected node itself; a missing one is code 7', async () => {
    const xpath = "/config/devices/entry[@name='localhost.localdomain']/network/virtual-router/entry[@name='default']/routing-table/ip/static-route";
    const routes = resultOf(await call(a, { type: 'config', action: 'show', xpath }, KEY_A)) as {
      'static-route': { entry: { destination: string; nexthop: { 'ip-address': string } }[] };
    };
    expect(routes['static-route'].entry.map((r) => [r.destination, r.nexthop['ip-address']])).toEqual([
      ['0.0.0.0/0', '10.0.1.1'],
      ['10.0.0.0/16', '10.0.2.1'],
    ]);
    const missing = await call(a, { type: 'config', action: 'show', xpath: `${xpath}/entry[@name='nope']` }, KEY_A);
    expect(parse(missing).response).toMatchObject({ '@_status': 'success', '@_code': '7', result: '' });
  });

  it('errors come in the error envelope: unknown command, malformed command, bad parameters', async () => {
    expect(parse(await op('<show><clock/></show>')).response).toMatchObject({ '@_status': 'error', '@_code': '17' });
    expect(parse(await op('<show><clock>')).response).toMatchObject({ '@_status': 'error', '@_code': '18' });
    const bad = await call(a, { type: 'keygen' }, KEY_A);
    expect(bad).toMatchObject({ status: 400 });
    expect(parse(bad).response).toMatchObject({ '@_status': 'error', '@_code': '400' });
  });

  it('answers GET as well as POST', async () => {
    const get = await requestSim({ port: a.port, method: 'GET', form: { type: 'version' }, apiKey: KEY_A, pinnedSha256: a.fingerprint256 });
    expect(resultOf(get)['sw-version']).toBe('10.2.11-h12');
  });
});

describe('two firewalls', () => {
  it('live independent lives: one stopped, the other answering', async () => {
    expect((await call(b, { type: 'version' }, KEY_B)).outcome).toBe('network-error');
    expect(resultOf(await call(a, { type: 'version' }, KEY_A))['serial']).toBe(a.profile.serial);
    expect(a.profile.serial).not.toBe(b.profile.serial);
    expect(a.port).not.toBe(b.port);
    expect(b.status().phase).toBe('off');
  });
});
