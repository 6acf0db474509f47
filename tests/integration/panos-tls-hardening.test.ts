/**
 * TLS hardening of the PAN-OS client: the public-key (SPKI) pin, which survives a certificate
 * renewal that keeps the key pair while the certificate pin does not, and renegotiation
 * refused after the peer was verified (a TLS 1.2 server asking for it mid-request gets no new
 * handshake, so the request is never answered under a renegotiated session).
 */
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'selfsigned';
import { FirewallTlsUntrustedError } from '#shared/errors.js';
import { PanosClient, buildResponse } from '#shared/adapters/panos/index.js';
import { spkiSha256 } from '#shared/adapters/panos/transport.js';
import { validateConfig } from '#shared/config/load.js';
import { startFakePanos, type FakePanos } from '../fixtures/panos/fake-panos-server.js';
import { exampleRaw } from '../support/config.js';

const KEY = 'LUFRPT1-dGxzLWhhcmRlbmluZy10ZXN0LWtleQ==';
const CHASSIS_YES = buildResponse('<![CDATA[yes]]>');

interface Cert {
  readonly key: string;
  readonly cert: string;
}
/** The firewall's first certificate, the same key re-issued (a renewal), and another key. */
let original: Cert;
let renewed: Cert;
let rekeyed: Cert;

beforeAll(async () => {
  const first = await generate([{ name: 'commonName', value: 'PA-VM' }], { keySize: 2048 });
  original = { key: first.private, cert: first.cert };
  const again = await generate([{ name: 'commonName', value: 'PA-VM' }], { keyPair: { privateKey: first.private, publicKey: first.public } });
  renewed = { key: again.private, cert: again.cert };
  const other = await generate([{ name: 'commonName', value: 'PA-VM' }], { keySize: 2048 });
  rekeyed = { key: other.private, cert: other.cert };
});

const servers: FakePanos[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function firewallWith(cert: Cert): Promise<FakePanos> {
  const server = await startFakePanos({ key: cert.key, cert: cert.cert, handler: () => ({ status: 200, body: CHASSIS_YES }) });
  servers.push(server);
  return server;
}

const certSha256 = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '');
const client = (port: number, tls: ConstructorParameters<typeof PanosClient>[0]['tls']) =>
  new PanosClient({ host: '127.0.0.1', port, apiKey: KEY, tls, timeoutMs: 5000 });

describe('public-key (SPKI) pin', () => {
  it('matches the OpenSSL recipe: SHA-256 of the DER SubjectPublicKeyInfo', () => {
    const x = new X509Certificate(original.cert);
    expect(spkiSha256(x)).toMatch(/^[0-9A-F]{64}$/);
    expect(spkiSha256(new X509Certificate(renewed.cert))).toBe(spkiSha256(x));
    expect(certSha256(renewed.cert)).not.toBe(certSha256(original.cert));
  });

  it('survives a renewal with the same key pair; the certificate pin does not', async () => {
    const spki = spkiSha256(new X509Certificate(original.cert));
    const certPin = certSha256(original.cert);
    const before = await firewallWith(original);
    await expect(client(before.port, { pinnedSpkiSha256: spki }).chassisReady()).resolves.toBe(true);
    await expect(client(before.port, { pinnedSha256: certPin }).chassisReady()).resolves.toBe(true);

    const after = await firewallWith(renewed);
    await expect(client(after.port, { pinnedSpkiSha256: spki.match(/../g)!.join(':').toLowerCase() }).chassisReady()).resolves.toBe(true);
    const certPinFailure = await client(after.port, { pinnedSha256: certPin }).chassisReady().catch((e: unknown) => e);
    expect(certPinFailure).toBeInstanceOf(FirewallTlsUntrustedError);
    // Only the SPKI-pinned call reached the renewed firewall: the certificate pin refused before sending.
    expect(after.requests).toHaveLength(1);
  });

  it('a new key pair fails the SPKI pin before any request (so before the key) is sent', async () => {
    const spki = spkiSha256(new X509Certificate(original.cert));
    const server = await firewallWith(rekeyed);
    const failure = await client(server.port, { pinnedSpkiSha256: spki }).chassisReady().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(FirewallTlsUntrustedError);
    expect((failure as Error).message).toContain('does not match the pinned public key');
    expect(server.requests).toEqual([]);
    expect(server.plaintextBytes().includes(Buffer.from(KEY))).toBe(false);
  });

  it('the configuration accepts pinnedSpkiSha256 and refuses a malformed one', () => {
    const raw = exampleRaw();
    const fw = (raw.pairs[0] as { firewalls: { primary: { tls: unknown } } }).firewalls.primary;
    fw.tls = { pinnedSpkiSha256: 'AB'.repeat(32) };
    expect(validateConfig(raw).pairs[0]?.firewalls.primary.tls).toEqual({ pinnedSpkiSha256: 'AB'.repeat(32) });
    fw.tls = { pinnedSpkiSha256: 'not-a-hash' };
    expect(() => validateConfig(raw)).toThrow(/tls/);
  });
});

describe('renegotiation', () => {
  it('a TLS 1.2 firewall that asks to renegotiate mid-request is declined: no answer is read from a renegotiated session', async () => {
    const outcomes: string[] = [];
    const server = https.createServer({ key: original.key, cert: original.cert, maxVersion: 'TLSv1.2', minVersion: 'TLSv1.2' }, (req, res) => {
      req.resume();
      const socket = req.socket as TLSSocket;
      // The server asks for a new handshake (where it could present another certificate), then
      // answers whatever came of it.
      const asked = socket.renegotiate({ rejectUnauthorized: false }, (err) => {
        outcomes.push(err ? 'declined' : 'renegotiated');
        res.setHeader('Content-Type', 'application/xml');
        res.end(CHASSIS_YES);
      });
      if (!asked) outcomes.push('not-started');
    });
    server.on('tlsClientError', () => undefined);
    server.on('clientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const result = await client(port, { pinnedSha256: certSha256(original.cert) })
        .chassisReady()
        .then(
          (v) => `answered ${String(v)}`,
          (e: unknown) => (e as Error).name,
        );
      // The client declines (no_renegotiation); this server then aborts the connection: the call
      // fails (counted like an unreachable firewall) and nothing was read from a renegotiated session.
      expect(result).toBe('FirewallUnreachableError');
      expect(outcomes).not.toContain('renegotiated');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('the same TLS 1.2 firewall without renegotiation answers (the refusal is about renegotiation, not TLS 1.2)', async () => {
    const server = https.createServer({ key: original.key, cert: original.cert, maxVersion: 'TLSv1.2' }, (req, res) => {
      req.resume();
      res.setHeader('Content-Type', 'application/xml');
      res.end(CHASSIS_YES);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      await expect(client(port, { pinnedSha256: certSha256(original.cert) }).chassisReady()).resolves.toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
