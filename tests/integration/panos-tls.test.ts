/**
 * TLS trust against a real HTTPS endpoint on 127.0.0.1: the pinned or CA-verified peer gets the
 * request; any other peer gets nothing, not even the request line, and never the key.
 */
import tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FirewallTlsUntrustedError } from '#shared/errors.js';
import { PanosClient, buildResponse, type TlsTrust } from '#shared/adapters/panos/index.js';
import {
  makeTestCertificates,
  startFakePanos,
  type FakePanos,
  type KeyAndCert,
  type TestCertificates,
} from '../fixtures/panos/fake-panos-server.js';

const KEY = 'LUFRPT1-dGVzdC1rZXktZm9yLXRscy10ZXN0cw==';
const READY = buildResponse('<![CDATA[yes]]>');

let certs: TestCertificates;
const servers: FakePanos[] = [];

beforeAll(async () => {
  certs = await makeTestCertificates();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(identity: KeyAndCert): Promise<FakePanos> {
  const server = await startFakePanos({ key: identity.key, cert: identity.cert, handler: () => ({ status: 200, body: READY }) });
  servers.push(server);
  return server;
}

const client = (server: FakePanos, tls: TlsTrust, host: string = server.host) =>
  new PanosClient({ host, port: server.port, apiKey: KEY, tls, timeoutMs: 5000 });

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** Nothing of the HTTP request reached the server: no request, no decrypted byte, no key on the wire. */
function expectNothingSent(server: FakePanos): void {
  expect(server.tcpConnections()).toBeGreaterThan(0);
  expect(server.requests).toHaveLength(0);
  expect(server.plaintextBytes().length).toBe(0);
  expect(server.rawBytes().includes('X-PAN-KEY')).toBe(false);
  expect(server.rawBytes().includes(KEY)).toBe(false);
}

describe('pinned certificate', () => {
  it('accepts the pinned certificate and sends the key only then (colon form)', async () => {
    const server = await serve(certs.selfSignedA);
    await expect(client(server, { pinnedSha256: certs.selfSignedA.sha256 }).chassisReady()).resolves.toBe(true);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers['x-pan-key']).toBe(KEY);
    // Proves the recorder sees plaintext, so the "nothing sent" checks below mean something.
    expect(server.plaintextBytes().toString('latin1')).toContain(`X-PAN-KEY: ${KEY}`);
    // On the wire, the key only ever travels encrypted.
    expect(server.rawBytes().includes(KEY)).toBe(false);
  });

  it('accepts the pin written as 64 lower-case hex digits', async () => {
    const server = await serve(certs.selfSignedA);
    const hex = certs.selfSignedA.sha256.replace(/:/g, '').toLowerCase();
    await expect(client(server, { pinnedSha256: hex }).chassisReady()).resolves.toBe(true);
  });

  it('refuses another certificate before sending a single byte of the request', async () => {
    const server = await serve(certs.selfSignedB);
    const e = await failure(client(server, { pinnedSha256: certs.selfSignedA.sha256 }).chassisReady());
    expect(e).toBeInstanceOf(FirewallTlsUntrustedError);
    expect((e as FirewallTlsUntrustedError).retryable).toBe(false);
    // Both fingerprints are public and help the operator.
    expect(e.message).toContain(certs.selfSignedB.sha256);
    expect(e.message).toContain(certs.selfSignedA.sha256.replace(/:/g, ''));
    expect(e.message).not.toContain(KEY);
    expectNothingSent(server);
  });

  it('a CA-signed certificate is still refused when it is not the pinned one', async () => {
    const server = await serve(certs.leafOne);
    const e = await failure(client(server, { pinnedSha256: certs.caOne.sha256 }).systemInfo());
    expect(e).toBeInstanceOf(FirewallTlsUntrustedError);
    expectNothingSent(server);
  });

  it('does not reuse a verified connection for a client with other trust settings', async () => {
    const server = await serve(certs.selfSignedA);
    await expect(client(server, { pinnedSha256: certs.selfSignedA.sha256 }).chassisReady()).resolves.toBe(true);
    const e = await failure(client(server, { pinnedSha256: certs.selfSignedB.sha256 }).chassisReady());
    expect(e).toBeInstanceOf(FirewallTlsUntrustedError);
    expect(server.requests).toHaveLength(1);
    expect(server.tcpConnections()).toBe(2);
  });

  it('opens a fresh, verified connection for every call', async () => {
    const server = await serve(certs.selfSignedA);
    const api = client(server, { pinnedSha256: certs.selfSignedA.sha256 });
    await api.chassisReady();
    await api.chassisReady();
    expect(server.tlsConnections()).toBe(2);
    expect(server.requests).toHaveLength(2);
  });
});

describe('CA bundle', () => {
  it('accepts a certificate signed by the CA (IP address in the SAN)', async () => {
    const server = await serve(certs.leafOne);
    await expect(client(server, { ca: certs.caOne.cert }).chassisReady()).resolves.toBe(true);
    expect(server.requests[0]?.headers['x-pan-key']).toBe(KEY);
  });

  it('honours serverName when the certificate names a host, not the address', async () => {
    const server = await serve(certs.leafOne);
    await expect(client(server, { ca: certs.caOne.cert, serverName: 'fw-a.example.internal' }).chassisReady()).resolves.toBe(true);
  });

  it('refuses a certificate signed by another CA, sending nothing', async () => {
    const server = await serve(certs.leafTwo);
    const e = await failure(client(server, { ca: certs.caOne.cert }).chassisReady());
    expect(e).toBeInstanceOf(FirewallTlsUntrustedError);
    expectNothingSent(server);
  });

  it('refuses a self-signed certificate, sending nothing', async () => {
    const server = await serve(certs.selfSignedA);
    const e = await failure(client(server, { ca: certs.caOne.cert }).chassisReady());
    expect(e).toBeInstanceOf(FirewallTlsUntrustedError);
    expectNothingSent(server);
  });

  it('refuses a certificate from the right CA for another name, sending nothing', async () => {
    const server = await serve(certs.leafOneOtherName);
    const e = await failure(client(server, { ca: certs.caOne.cert }).chassisReady());
    expect(e).toBeInstanceOf(FirewallTlsUntrustedError);
    expectNothingSent(server);
    const named = await failure(client(server, { ca: certs.caOne.cert, serverName: 'fw-a.example.internal' }).chassisReady());
    expect(named).toBeInstanceOf(FirewallTlsUntrustedError);
  });
});

describe('TLS contexts are built once and reused, never across trust settings', () => {
  it('one context per CA bundle and one for every pin; each connection is still verified against its own trust', async () => {
    const signed = await serve(certs.leafOne);
    const a = await serve(certs.selfSignedA);
    const b = await serve(certs.selfSignedB);
    const c = await serve(certs.selfSignedB);
    // Counted from here: the servers above built their own contexts.
    const spy = vi.spyOn(tls, 'createSecureContext');
    try {
      // A bundle no other test used (the cache is per process): three connections, one context.
      const bundle = `${certs.caOne.cert}\n`;
      for (let i = 0; i < 3; i++) await expect(client(signed, { ca: bundle }).chassisReady()).resolves.toBe(true);
      expect(spy).toHaveBeenCalledTimes(1);
      // Another bundle gets its own context, which does not trust caOne's leaf.
      const e = await failure(client(signed, { ca: `${certs.caTwo.cert}\n` }).chassisReady());
      expect(e).toBeInstanceOf(FirewallTlsUntrustedError);
      expect(spy).toHaveBeenCalledTimes(2);

      // Pins share one context (at most one more, if no pinned test ran before), and the pin is still checked per peer.
      for (let i = 0; i < 3; i++) {
        await expect(client(a, { pinnedSha256: certs.selfSignedA.sha256 }).chassisReady()).resolves.toBe(true);
        await expect(client(b, { pinnedSha256: certs.selfSignedB.sha256 }).chassisReady()).resolves.toBe(true);
      }
      expect(spy.mock.calls.length).toBeLessThanOrEqual(3);
      const wrong = await failure(client(c, { pinnedSha256: certs.selfSignedA.sha256 }).chassisReady());
      expect(wrong).toBeInstanceOf(FirewallTlsUntrustedError);
      expectNothingSent(c);
    } finally {
      spy.mockRestore();
    }
  });
});
