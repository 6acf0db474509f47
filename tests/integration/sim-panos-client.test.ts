/**
 * The controller's own PAN-OS client (shared/adapters/panos) against the simulated firewall:
 * every answer it parses, every fault it classifies with the right typed error. This is the
 * pairing the rehearsals rely on, so a drift between the two shows up here.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PanosClient } from '#shared/adapters/panos/index.js';
import {
  FirewallAuthError,
  FirewallMalformedResponseError,
  FirewallTimeoutError,
  FirewallTlsUntrustedError,
  FirewallUnreachableError,
} from '#shared/errors.js';
import { autoCommitState } from '#shared/ports/firewall.js';
import { FakeFirewallHost, MALFORMED_KINDS, ManualClock, startPanosSimulator } from '#sim/panos/index.js';
import type { SimFirewall } from '#sim/panos/index.js';

const KEY = 'LUFRPT1-client-key==';
const EIP = '203.0.113.10';
const clock = new ManualClock();
const host = new FakeFirewallHost(clock);
let fw: SimFirewall;
let client: PanosClient;

beforeAll(async () => {
  fw = await startPanosSimulator({
    name: 'fw-client',
    host,
    clock,
    apiKey: KEY,
    profile: {
      tunnels: [
        { name: 'to-hq', gateway: 'hq', peerIp: '198.51.100.1', dialsPublicIp: EIP, proxyIds: ['lan', 'voice'] },
        { name: 'to-dr', gateway: 'dr', peerIp: '198.51.100.9', dialsPublicIp: EIP, monitor: true },
      ],
    },
  });
  client = new PanosClient({
    host: fw.managementHost,
    port: fw.port,
    apiKey: KEY,
    tls: { pinnedSha256: fw.fingerprint256 },
    timeoutMs: 2_000,
  });
});
afterEach(() => {
  fw.clearFaults();
  expect(fw.internalErrors()).toEqual([]);
});
afterAll(async () => {
  await fw?.close();
});

describe('PanosClient against a booting simulated firewall', () => {
  it('classifies each boot phase the way the readiness wait needs', async () => {
    host.stop();
    await expect(client.systemInfo()).rejects.toBeInstanceOf(FirewallUnreachableError);
    host.start();
    const t0 = clock.now();
    await expect(client.systemInfo()).rejects.toBeInstanceOf(FirewallUnreachableError);
    await clock.set(t0 + 60_000);
    await expect(client.systemInfo()).rejects.toBeInstanceOf(FirewallAuthError);
    await clock.set(t0 + 105_000);
    const info = await client.systemInfo();
    expect(info).toMatchObject({ hostname: 'fw-client', model: 'PA-VM', swVersion: '10.2.11-h12', uptimeSeconds: 105 });
    expect(await client.chassisReady()).toBe(false);
    expect(autoCommitState(await client.jobs())).toBe('pending');
    await clock.set(t0 + 360_000);
    expect(await client.chassisReady()).toBe(true);
    expect(autoCommitState(await client.jobs())).toBe('done');
  });

  it('reads the tunnels: down without the EIP, up with it after negotiation, monitor honoured', async () => {
    host.start(clock.now() - 3_600_000);
    host.disassociate(EIP);
    const down = await client.ipsecState();
    expect(down.map((t) => [t.name, t.up])).toEqual([
      ['to-hq:lan', false],
      ['to-hq:voice', false],
      ['to-dr', false],
    ]);
    host.associate(EIP);
    await clock.advance(20_000);
    const up = await client.ipsecState();
    expect(up.map((t) => [t.name, t.flowState, t.ikeSa, t.ipsecSa, t.up])).toEqual([
      ['to-hq:lan', 'active', true, true, true],
      ['to-hq:voice', 'active', true, true, true],
      ['to-dr', 'active', true, true, true],
    ]);
    expect(up.find((t) => t.name === 'to-dr')?.monitor).toBe('up');
    fw.setFaults({ tunnelPeerDown: ['to-hq'] });
    const peerDown = await client.ipsecState();
    expect(peerDown.map((t) => [t.name, t.up])).toEqual([
      ['to-hq:lan', false],
      ['to-hq:voice', false],
      ['to-dr', true],
    ]);
  });

  it('reads config nodes, and undefined for a missing one', async () => {
    host.start(clock.now() - 3_600_000);
    const eth = await client.configShow(
      "/config/devices/entry[@name='localhost.localdomain']/network/interface/ethernet/entry[@name='ethernet1/1']",
    );
    expect(JSON.stringify(eth)).toContain('10.0.1.10/24');
    expect(await client.configShow("/config/devices/entry/network/interface/ethernet/entry[@name='ethernet1/7']")).toBeUndefined();
  });
});

describe('PanosClient classifies every simulated fault', () => {
  it('dead -> unreachable; authFails -> auth; certificateChanged -> untrusted before any request', async () => {
    host.start(clock.now() - 3_600_000);
    fw.setFaults({ dead: true });
    await expect(client.systemInfo()).rejects.toBeInstanceOf(FirewallUnreachableError);
    fw.setFaults({ dead: false, authFails: true });
    await expect(client.systemInfo()).rejects.toBeInstanceOf(FirewallAuthError);
    fw.setFaults({ authFails: false, certificateChanged: true });
    const before = fw.requests();
    await expect(client.systemInfo()).rejects.toBeInstanceOf(FirewallTlsUntrustedError);
    expect(fw.requests()).toEqual(before);
  });

  it('hung -> timeout', async () => {
    host.start(clock.now() - 3_600_000);
    fw.setFaults({ hung: true });
    const impatient = new PanosClient({
      host: fw.managementHost,
      port: fw.port,
      apiKey: KEY,
      tls: { pinnedSha256: fw.fingerprint256 },
      timeoutMs: 300,
    });
    await expect(impatient.systemInfo()).rejects.toBeInstanceOf(FirewallTimeoutError);
  });

  it.each(MALFORMED_KINDS)('malformed %s -> malformed response', async (kind) => {
    host.start(clock.now() - 3_600_000);
    fw.setFaults({ malformed: kind });
    await expect(client.systemInfo()).rejects.toBeInstanceOf(FirewallMalformedResponseError);
    await expect(client.chassisReady()).rejects.toBeInstanceOf(FirewallMalformedResponseError);
  });
});
