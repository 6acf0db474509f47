import { readFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimClock } from '#sim/clock.js';
import { FakeFirewallHost, ManualClock, requestSim, startPanosSimulator } from '#sim/panos/index.js';
import type { SimFirewall, SimOutcome } from '#sim/panos/index.js';

const KEY = 'LUFRPT1-test-key-0123456789==';
const EIP = '203.0.113.10';
const FORBIDDEN_BODY = readFileSync('tests/fixtures/panos/error-403-invalid-credential.xml', 'utf8');
const CMD = {
  info: '<show><system><info></info></system></show>',
  ready: '<show><chassis-ready></chassis-ready></show>',
  jobs: '<show><jobs><all></all></jobs></show>',
  ike: '<show><vpn><ike-sa></ike-sa></vpn></show>',
  ipsec: '<show><vpn><ipsec-sa></ipsec-sa></vpn></show>',
  flow: '<show><vpn><flow></flow></vpn></show>',
} as const;

const parser = new XMLParser({
  ignoreAttributes: false,
  processEntities: false,
  parseTagValue: false,
  isArray: (name) => ['entry', 'job', 'line'].includes(name),
});

function answered(o: SimOutcome) {
  if (o.outcome !== 'answered') throw new Error(`expected an answer, got ${JSON.stringify(o)}`);
  return o;
}

function result(o: SimOutcome): Record<string, unknown> {
  const a = answered(o);
  expect(a.status).toBe(200);
  const doc = parser.parse(a.body) as { response: Record<string, unknown> };
  expect(doc.response['@_status']).toBe('success');
  return doc.response['result'] as Record<string, unknown>;
}

describe('simulated firewall over HTTPS, driven by a manual clock', () => {
  const clock = new ManualClock();
  const host = new FakeFirewallHost(clock);
  let fw: SimFirewall;
  const op = (cmd: string, apiKey: string = KEY) =>
    requestSim({ port: fw.port, form: { type: 'op', cmd }, apiKey, pinnedSha256: fw.fingerprint256 });

  beforeAll(async () => {
    fw = await startPanosSimulator({
      name: 'fw-a',
      host,
      clock,
      apiKey: KEY,
      profile: {
        tunnels: [
          { name: 'to-hq', gateway: 'hq', peerIp: '198.51.100.1', dialsPublicIp: EIP, proxyIds: ['lan'] },
          { name: 'to-branch', gateway: 'branch', peerIp: '198.51.100.7', dialsPublicIp: '203.0.113.99' },
        ],
      },
    });
  });
  afterEach(() => {
    fw.clearFaults();
    expect(fw.internalErrors()).toEqual([]);
  });
  afterAll(async () => {
    await fw?.close();
  });

  it('resets every connection while the instance is not running', async () => {
    const before = fw.refusedConnections();
    for (const state of ['stopped', 'pending', 'stopping', 'terminated'] as const) {
      host.setState(state);
      expect(await op(CMD.info)).toEqual({ outcome: 'network-error', code: 'ECONNRESET' });
    }
    expect(fw.refusedConnections()).toBe(before + 4);
    expect(fw.requests()['show system info'] ?? 0).toBe(0);
  });

  it('walks the boot timeline: refused, 403 with the right key, chassis not ready, ready', async () => {
    host.start();
    const t0 = clock.now();
    expect(fw.status().phase).toBe('refusing');
    expect(await op(CMD.info)).toEqual({ outcome: 'network-error', code: 'ECONNRESET' });

    await clock.set(t0 + 59_999);
    expect(await op(CMD.info)).toMatchObject({ outcome: 'network-error' });

    await clock.set(t0 + 60_000);
    const forbidden = answered(await op(CMD.info));
    expect([forbidden.status, forbidden.statusMessage, forbidden.body]).toEqual([403, 'Invalid Credential', FORBIDDEN_BODY]);

    await clock.set(t0 + 105_000);
    expect((result(await op(CMD.info))['system'] as Record<string, unknown>)['uptime']).toBe('0 days, 0:01:45');
    expect(answered(await op(CMD.ready)).body).toBe('<response status="success"><result><![CDATA[no]]></result></response>');
    const pending = result(await op(CMD.jobs))['job'] as Record<string, unknown>[];
    expect(pending.find((j) => j['type'] === 'AutoCom')).toMatchObject({ status: 'ACT', result: 'PEND', tfin: 'Still Active' });

    await clock.set(t0 + 360_000);
    expect(answered(await op(CMD.ready)).body).toBe('<response status="success"><result><![CDATA[yes]]></result></response>');
    const done = result(await op(CMD.jobs))['job'] as Record<string, unknown>[];
    expect(done.find((j) => j['type'] === 'AutoCom')).toMatchObject({ id: '1', status: 'FIN', result: 'OK' });
  });

  it('counts uptime from runningSince and restarts the boot after a stop/start', async () => {
    host.start(clock.now() - (3 * 86_400_000 + 3_725_000));
    const info = result(await op(CMD.info))['system'] as Record<string, unknown>;
    expect(info['uptime']).toBe('3 days, 1:02:05');
    expect(info).toMatchObject({ model: 'PA-VM', 'sw-version': '10.2.11-h12', 'vm-mode': 'AWS', 'operational-mode': 'normal' });

    host.stop();
    expect(await op(CMD.info)).toMatchObject({ outcome: 'network-error', code: 'ECONNRESET' });
    host.start();
    expect(await op(CMD.info)).toMatchObject({ outcome: 'network-error', code: 'ECONNRESET' });
    await clock.advance(360_000);
    expect((result(await op(CMD.info))['system'] as Record<string, unknown>)['uptime']).toBe('0 days, 0:06:00');
  });

  it('brings a tunnel up only on the firewall holding its EIP, after the negotiation delay', async () => {
    host.start(clock.now() - 3_600_000);
    host.disassociate(EIP);
    const flowStates = async (): Promise<Record<string, unknown>> => {
      const flow = result(await op(CMD.flow))['IPSec'] as { entry?: Record<string, unknown>[] };
      return Object.fromEntries((flow.entry ?? []).map((e): [string, unknown] => [String(e['name']), e['state']]));
    };
    expect(await flowStates()).toEqual({ 'to-hq:lan': 'inactive', 'to-branch': 'inactive' });
    expect(result(await op(CMD.ike))).toBe('');

    host.associate(EIP);
    expect(await flowStates()).toEqual({ 'to-hq:lan': 'init', 'to-branch': 'inactive' });
    expect((result(await op(CMD.ike))['entry'] as Record<string, unknown>[]).map((e) => e['name'])).toEqual(['hq']);
    expect(result(await op(CMD.ipsec))).toEqual({ ntun: '2', entries: '' });

    await clock.advance(19_999);
    expect((await flowStates())['to-hq:lan']).toBe('init');
    await clock.advance(1);
    expect(await flowStates()).toEqual({ 'to-hq:lan': 'active', 'to-branch': 'inactive' });
    const sa = (result(await op(CMD.ipsec))['entries'] as { entry: Record<string, unknown>[] }).entry;
    expect(sa.map((e) => [e['name'], e['gwid'], e['tid'], String(e['remote']).trim()])).toEqual([['to-hq:lan', '1', '1', '198.51.100.1']]);

    host.disassociate(EIP);
    expect((await flowStates())['to-hq:lan']).toBe('inactive');
  });

  it('serves config xpaths, code 7 for a missing node', async () => {
    host.start(clock.now() - 3_600_000);
    const show = (xpath: string) => requestSim({ port: fw.port, form: { type: 'config', action: 'show', xpath }, apiKey: KEY });
    const eth = result(
      await show("/config/devices/entry[@name='localhost.localdomain']/network/interface/ethernet/entry[@name='ethernet1/2']"),
    );
    expect(eth).toEqual({ entry: [{ '@_name': 'ethernet1/2', layer3: expect.objectContaining({ ip: { entry: [{ '@_name': '10.0.2.10/24' }] } }) }] });
    expect(answered(await show('/config/devices/entry/deviceconfig/nothing-here')).body).toBe(
      readFileSync('tests/fixtures/panos/config-get-object-not-present-code7.xml', 'utf8'),
    );
    const bad = answered(await show('/config/devices/entry[1]'));
    expect(parser.parse(bad.body)).toMatchObject({ response: { '@_status': 'error', '@_code': '6' } });
  });

  it('requires the key: missing or wrong -> the real 403; header, query or body parameter all work', async () => {
    host.start(clock.now() - 3_600_000);
    const form = { type: 'op', cmd: CMD.ready };
    for (const o of [await requestSim({ port: fw.port, form }), await op(CMD.ready, `${KEY}x`), await op(CMD.ready, KEY.slice(0, -1))]) {
      expect(answered(o)).toMatchObject({ status: 403, body: FORBIDDEN_BODY });
    }
    expect(answered(await requestSim({ port: fw.port, form, apiKey: KEY, keyIn: 'param' })).status).toBe(200);
    expect(answered(await requestSim({ port: fw.port, form, apiKey: KEY, keyIn: 'param', method: 'GET' })).status).toBe(200);
    expect(answered(await requestSim({ port: fw.port, form, apiKey: KEY, method: 'GET' })).status).toBe(200);
  });

  it('answers an unknown command with code 17 in the real error envelope, and counts requests by command', async () => {
    host.start(clock.now() - 3_600_000);
    const before = fw.requests();
    const unknown = answered(await op('<show><routing><route/></routing></show>'));
    expect(unknown.status).toBe(200);
    expect(unknown.body).toBe('<response status="error" code="17"><msg><line><![CDATA[ show -> routing is unexpected]]></line></msg></response>');
    await op(CMD.info);
    await op(CMD.info);
    const after = fw.requests();
    expect((after['show system info'] ?? 0) - (before['show system info'] ?? 0)).toBe(2);
    expect((after['op (invalid)'] ?? 0) - (before['op (invalid)'] ?? 0)).toBe(1);
  });

  it('refuses a POST body over the limit with 413 instead of buffering it', async () => {
    host.start(clock.now() - 3_600_000);
    const o = await requestSim({ port: fw.port, form: { type: 'op', cmd: `<show>${'x'.repeat(70 * 1024)}</show>` }, apiKey: KEY });
    expect(answered(o).status).toBe(413);
    expect(answered(await op(CMD.ready)).status).toBe(200);
  });

  it('answers type=version in the fixture shape', async () => {
    host.start(clock.now() - 3_600_000);
    const o = answered(await requestSim({ port: fw.port, form: { type: 'version' }, apiKey: KEY }));
    expect(XMLValidator.validate(o.body)).toBe(true);
    const fixture = parser.parse(readFileSync('tests/fixtures/panos/type-version-fixture.xml', 'utf8')) as {
      response: { result: Record<string, unknown> };
    };
    const ours = result(o);
    expect(Object.keys(ours)).toEqual(Object.keys(fixture.response.result));
    expect(ours).toMatchObject({ 'sw-version': '10.2.11-h12', model: 'PA-VM', serial: fw.profile.serial });
  });
});

describe('boot timeline on a fast simulated clock (speed 1000)', () => {
  it('is observed in order: refused, 403, not ready, ready, and never goes back', async () => {
    const clock = new SimClock({ speed: 1000 });
    const host = new FakeFirewallHost(clock);
    // Timings long enough (hundreds of real ms per phase) for a loaded machine to see each one.
    const fw = await startPanosSimulator({
      name: 'fw-fast',
      host,
      clock,
      apiKey: KEY,
      profile: { timings: { refuseMs: 400_000, authDownMs: 400_000, readyMs: 1_200_000 } },
    });
    try {
      host.start();
      const seen: string[] = [];
      const deadline = clock.now() + 3_000_000;
      while (seen.at(-1) !== 'ready' && clock.now() < deadline) {
        const o = await requestSim({ port: fw.port, form: { type: 'op', cmd: CMD.ready }, apiKey: KEY, pinnedSha256: fw.fingerprint256 });
        const phase =
          o.outcome === 'network-error'
            ? 'refused'
            : o.outcome === 'answered' && o.status === 403
              ? '403'
              : o.outcome === 'answered' && o.body.includes('[CDATA[no]]')
                ? 'not ready'
                : o.outcome === 'answered' && o.body.includes('[CDATA[yes]]')
                  ? 'ready'
                  : JSON.stringify(o);
        if (seen.at(-1) !== phase) seen.push(phase);
      }
      expect(seen).toEqual(['refused', '403', 'not ready', 'ready']);
      expect(clock.now() - host.runningSince()!).toBeGreaterThanOrEqual(1_200_000);
      expect(fw.internalErrors()).toEqual([]);
    } finally {
      await fw.close();
    }
  });
});
