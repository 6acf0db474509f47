import { readFileSync } from 'node:fs';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeFirewallHost, ManualClock, NO_FAULTS, requestSim, startPanosSimulator } from '#sim/panos/index.js';
import type { SimFirewall, SimOutcome } from '#sim/panos/index.js';
import { InputInvalidError } from '#shared/errors.js';

const KEY = 'LUFRPT1-fault-key==';
const EIP = '203.0.113.10';
const FORBIDDEN_BODY = readFileSync('tests/fixtures/panos/error-403-invalid-credential.xml', 'utf8');
const INFO = '<show><system><info></info></system></show>';
const READY = '<show><chassis-ready></chassis-ready></show>';
const FLOW = '<show><vpn><flow></flow></vpn></show>';
const RESET = { outcome: 'network-error', code: 'ECONNRESET' } as const;

const clock = new ManualClock();
const host = new FakeFirewallHost(clock);
let fw: SimFirewall;

const op = (cmd: string, extra: { timeoutMs?: number; pinned?: boolean } = {}) =>
  requestSim({
    port: fw.port,
    form: { type: 'op', cmd },
    apiKey: KEY,
    pinnedSha256: extra.pinned === false ? undefined : fw.fingerprint256,
    timeoutMs: extra.timeoutMs,
  });

function answered(o: SimOutcome) {
  if (o.outcome !== 'answered') throw new Error(`expected an answer, got ${JSON.stringify(o)}`);
  return o;
}

const count = (label: string) => fw.requests()[label] ?? 0;
const ticks = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** A request promise plus whether it has settled yet. */
function track(p: Promise<SimOutcome>) {
  const state = { settled: false };
  void p.then(() => (state.settled = true));
  return { p, state };
}

beforeAll(async () => {
  fw = await startPanosSimulator({
    name: 'fw-faults',
    host,
    clock,
    apiKey: KEY,
    profile: { tunnels: [{ name: 'to-hq', gateway: 'hq', peerIp: '198.51.100.1', dialsPublicIp: EIP }] },
  });
});
beforeEach(() => {
  // A firewall booted an hour ago, holding the EIP its tunnel is dialled on.
  host.start(clock.now() - 3_600_000);
  host.associate(EIP, clock.now() - 3_600_000);
});
afterEach(() => {
  fw.clearFaults();
  expect(fw.faults).toEqual(NO_FAULTS);
  expect(fw.internalErrors()).toEqual([]);
});
afterAll(async () => {
  await fw?.close();
});

describe('faults of a running simulated firewall', () => {
  it('dead: connections reset although the instance runs; clearing it revives the API', async () => {
    fw.setFaults({ dead: true });
    const refused = fw.refusedConnections();
    expect(await op(INFO)).toEqual(RESET);
    expect(fw.refusedConnections()).toBe(refused + 1);
    expect(fw.status()).toMatchObject({ phase: 'ready', answering: false });
    fw.setFaults({ dead: false });
    expect(answered(await op(INFO)).status).toBe(200);
  });

  it('hung: TCP and TLS accepted, the request read, no answer ever', async () => {
    fw.setFaults({ hung: true });
    const before = count('show system info');
    // Nothing can answer: the simulated clock does not move and the handler never responds.
    expect(await op(INFO, { timeoutMs: 300 })).toEqual({ outcome: 'timeout' });
    expect(count('show system info')).toBe(before + 1);
    fw.setFaults({ hung: false });
    expect(answered(await op(INFO)).status).toBe(200);
  });

  it('flapping: dead for periodMs, alive for periodMs, dead again', async () => {
    fw.setFaults({ flapping: { periodMs: 10_000 } });
    expect(await op(INFO)).toEqual(RESET);
    await clock.advance(9_999);
    expect(await op(INFO)).toEqual(RESET);
    await clock.advance(1);
    expect(answered(await op(INFO)).status).toBe(200);
    await clock.advance(9_999);
    expect(answered(await op(INFO)).status).toBe(200);
    await clock.advance(1);
    expect(await op(INFO)).toEqual(RESET);
    await clock.advance(10_000);
    expect(answered(await op(INFO)).status).toBe(200);
  });

  it('slowBoot: every boot phase lasts its factor longer', async () => {
    fw.setFaults({ slowBoot: 2 });
    host.start();
    const t0 = clock.now();
    await clock.set(t0 + 60_000); // 403 on a normal boot
    expect(await op(READY)).toEqual(RESET);
    await clock.set(t0 + 120_000);
    expect(answered(await op(READY)).status).toBe(403);
    await clock.set(t0 + 210_000);
    expect(answered(await op(READY)).body).toContain('[CDATA[no]]');
    await clock.set(t0 + 360_000); // ready on a normal boot
    expect(answered(await op(READY)).body).toContain('[CDATA[no]]');
    await clock.set(t0 + 720_000);
    expect(answered(await op(READY)).body).toContain('[CDATA[yes]]');
  });

  it('neverReady: chassis-ready stays no and AutoCom stays ACT/PEND, days after the start', async () => {
    fw.setFaults({ neverReady: true });
    host.start(clock.now() - 86_400_000);
    expect(answered(await op(READY)).body).toBe('<response status="success"><result><![CDATA[no]]></result></response>');
    const jobs = answered(await op('<show><jobs><all/></jobs></show>')).body;
    expect(jobs).toMatch(/<type>AutoCom<\/type><status>ACT<\/status>.*<result>PEND<\/result>/);
    expect(jobs).not.toContain('<status>FIN</status>');
    expect(answered(await op(FLOW)).body).toContain('<state>inactive</state>');
  });

  it('authFails: the real 403 body with the right key', async () => {
    fw.setFaults({ authFails: true });
    expect(answered(await op(INFO))).toMatchObject({ status: 403, statusMessage: 'Invalid Credential', body: FORBIDDEN_BODY });
  });

  it('certificateChanged: another certificate is served, a pinned client sends nothing', async () => {
    const pinned = fw.fingerprint256;
    fw.setFaults({ certificateChanged: true });
    expect(fw.fingerprint256).toBe(pinned);
    expect(fw.servedFingerprint256).not.toBe(pinned);
    const before = fw.requests();
    expect(await op(INFO)).toEqual({ outcome: 'pin-mismatch', peerFingerprint256: fw.servedFingerprint256 });
    expect(fw.requests()).toEqual(before);
    fw.setFaults({ certificateChanged: false });
    expect(answered(await op(INFO)).peerFingerprint256).toBe(pinned);
  });

  it('tunnelPeerDown: the named tunnel stays down although the EIP is held and the firewall ready', async () => {
    expect(answered(await op(FLOW)).body).toContain('<name>to-hq</name><id>1</id><gwid>1</gwid>');
    expect(answered(await op(FLOW)).body).toContain('<state>active</state>');
    fw.setFaults({ tunnelPeerDown: ['to-hq'] });
    expect(answered(await op(FLOW)).body).toContain('<state>inactive</state>');
    expect(answered(await op('<show><vpn><ike-sa/></vpn></show>')).body).toBe('<response status="success"><result/></response>');
    expect(answered(await op('<show><vpn><ipsec-sa/></vpn></show>')).body).toContain('<entries/>');
  });

  it('slowResponseMs: the answer comes only after that much simulated time', async () => {
    fw.setFaults({ slowResponseMs: 5_000 });
    const req = track(op(INFO));
    await vi.waitFor(() => expect(clock.pendingSleepers).toBe(1));
    await clock.advance(4_999);
    await ticks();
    expect(req.state.settled).toBe(false);
    expect(clock.pendingSleepers).toBe(1);
    await clock.advance(1);
    expect(answered(await req.p).status).toBe(200);
  });

  it('latencyMs: delays the TLS handshake and again the answer', async () => {
    fw.setFaults({ latencyMs: 200 });
    const before = count('show system info');
    const req = track(op(INFO));
    await vi.waitFor(() => expect(clock.pendingSleepers).toBe(1));
    await ticks();
    expect(count('show system info')).toBe(before); // still before the handshake
    await clock.advance(200);
    await vi.waitFor(() => expect(count('show system info')).toBe(before + 1));
    await vi.waitFor(() => expect(clock.pendingSleepers).toBe(1));
    expect(req.state.settled).toBe(false);
    await clock.advance(200);
    expect(answered(await req.p).status).toBe(200);
  });

  it('an instance stopped while a request is in flight resets the connection', async () => {
    fw.setFaults({ slowResponseMs: 1_000 });
    const req = op(INFO);
    await vi.waitFor(() => expect(clock.pendingSleepers).toBe(1));
    host.stop();
    await clock.advance(1_000);
    expect(await req).toEqual(RESET);
  });
});

describe('malformed answers', () => {
  it('html: an HTML error page with HTTP 200', async () => {
    fw.setFaults({ malformed: 'html' });
    const o = answered(await op(INFO));
    expect(o.status).toBe(200);
    expect(o.headers['content-type']).toMatch(/^text\/html/);
    expect(o.body.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(XMLValidator.validate(o.body)).not.toBe(true);
  });

  it('truncated: the real answer cut in the middle, HTTP itself complete', async () => {
    const full = answered(await op(FLOW)).body;
    fw.setFaults({ malformed: 'truncated' });
    const o = answered(await op(FLOW));
    expect(full.startsWith(o.body)).toBe(true);
    expect(o.body.length).toBe(Math.floor(full.length / 2));
    expect(o.headers['content-length']).toBe(String(o.bytes));
    expect(XMLValidator.validate(o.body)).not.toBe(true);
  });

  it('huge: over 1 MiB, chunked, so only a streaming cap protects the reader', async () => {
    fw.setFaults({ malformed: 'huge' });
    const o = answered(await op(INFO));
    expect(o.bytes).toBeGreaterThan(1024 * 1024);
    expect(o.headers['content-length']).toBeUndefined();
    expect(o.headers['transfer-encoding']).toBe('chunked');
    const capped = await requestSim({ port: fw.port, form: { type: 'op', cmd: INFO }, apiKey: KEY, maxBytes: 1024 * 1024 });
    expect(capped.outcome).toBe('too-large');
  });

  it('entity: a billion-laughs document, small on the wire', async () => {
    fw.setFaults({ malformed: 'entity' });
    const o = answered(await op(INFO));
    expect(o.bytes).toBeLessThan(4096);
    expect(o.body).toContain('<!DOCTYPE response [');
    expect(o.body.match(/<!ENTITY lol\d /g)).toHaveLength(10);
    expect(o.body).toContain('<hostname>&lol9;</hostname>');
  });

  it('applies to 403 answers as well (a broken front end answers everything)', async () => {
    fw.setFaults({ malformed: 'html', authFails: true });
    expect(answered(await op(INFO)).body.startsWith('<!DOCTYPE html>')).toBe(true);
  });
});

describe('fault patches', () => {
  it('refuses impossible values and unknown faults, keeping the previous faults', () => {
    fw.setFaults({ latencyMs: 5 });
    for (const bad of [
      { slowBoot: 0 },
      { slowBoot: Number.NaN },
      { flapping: { periodMs: 0 } },
      { latencyMs: -1 },
      { slowResponseMs: Number.POSITIVE_INFINITY },
      { malformed: 'xml' },
      { tunnelPeerDown: 'to-hq' },
      { explode: true },
    ]) {
      expect(() => fw.setFaults(bad as never), JSON.stringify(bad)).toThrow(InputInvalidError);
    }
    expect(fw.faults).toEqual({ ...NO_FAULTS, latencyMs: 5 });
  });

  it('merges patches; a key given as undefined clears that fault only', () => {
    fw.setFaults({ malformed: 'huge', dead: true, tunnelPeerDown: ['to-hq'] });
    fw.setFaults({ malformed: undefined });
    expect(fw.faults).toEqual({ ...NO_FAULTS, dead: true, tunnelPeerDown: ['to-hq'] });
  });
});
