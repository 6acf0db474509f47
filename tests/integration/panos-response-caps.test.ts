/**
 * Bounded parse work: each command has its own response cap (64 KiB for system info and
 * chassis-ready, 256 KiB for jobs), enforced while streaming, before any parsing.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FirewallMalformedResponseError } from '#shared/errors.js';
import { PANOS_COMMANDS, PanosClient, RESPONSE_CAPS } from '#shared/adapters/panos/index.js';
import { makeTestCertificates, startFakePanos, type FakePanos, type TestCertificates } from '../fixtures/panos/fake-panos-server.js';

const KEY = 'LUFRPT1-Y2Fwcy10ZXN0LWtleQ==';
const fixture = (name: string) => readFileSync(new URL(`../fixtures/panos/${name}`, import.meta.url), 'utf8');
/** A real answer padded with a comment to `bytes` (still valid XML: only its size is wrong). */
const padded = (body: string, bytes: number) => body.replace('<result>', `<result><!--${'x'.repeat(Math.max(0, bytes - body.length - 7))}-->`);

let certs: TestCertificates;
const servers: FakePanos[] = [];
beforeAll(async () => {
  certs = await makeTestCertificates();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function clientServing(bodies: Partial<Record<keyof typeof PANOS_COMMANDS, string>>): Promise<PanosClient> {
  const server = await startFakePanos({
    key: certs.selfSignedA.key,
    cert: certs.selfSignedA.cert,
    handler: (req) => {
      const entry = Object.entries(PANOS_COMMANDS).find(([, cmd]) => cmd === req.form.get('cmd'));
      return { status: 200, body: bodies[entry?.[0] as keyof typeof PANOS_COMMANDS] ?? '<response status="error" code="17"/>' };
    },
  });
  servers.push(server);
  return new PanosClient({ host: '127.0.0.1', port: server.port, apiKey: KEY, tls: { pinnedSha256: certs.selfSignedA.sha256 }, timeoutMs: 5000 });
}

describe('per-command response caps', () => {
  it('the caps fit what each command returns', () => {
    expect(RESPONSE_CAPS.systemInfo).toBe(64 * 1024);
    expect(RESPONSE_CAPS.chassisReady).toBe(64 * 1024);
    expect(RESPONSE_CAPS.jobsAll).toBe(256 * 1024);
  });

  it('a system info or chassis-ready answer over 64 KiB is refused; the same size of jobs is read', async () => {
    const info = fixture('show-system-info-pa850-10.1.12.xml');
    const jobs = fixture('show-jobs-all-fixture.xml');
    const client = await clientServing({
      systemInfo: padded(info, 70 * 1024),
      chassisReady: padded(fixture('show-chassis-ready-yes.RECONSTRUCTED.xml'), 70 * 1024),
      jobsAll: padded(jobs, 70 * 1024),
    });
    for (const call of [() => client.systemInfo(), () => client.chassisReady()]) {
      const e = await call().catch((err: unknown) => err);
      expect(e).toBeInstanceOf(FirewallMalformedResponseError);
      expect((e as Error).message).toContain(`${64 * 1024}-byte limit`);
    }
    await expect(client.jobs()).resolves.toEqual(expect.any(Array));
  });

  it('a real-size answer is read as before', async () => {
    const client = await clientServing({ systemInfo: padded(fixture('show-system-info-pa850-10.1.12.xml'), 60 * 1024) });
    await expect(client.systemInfo()).resolves.toMatchObject({ model: 'PA-850' });
  });
});
