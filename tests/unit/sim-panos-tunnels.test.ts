import { describe, expect, it } from 'vitest';
import { resolveProfile, tunnelSnapshot } from '#sim/panos/index.js';
import type { TunnelInputs } from '#sim/panos/index.js';

const EIP = '203.0.113.10';
const OTHER_EIP = '203.0.113.20';
const READY = Date.UTC(2026, 0, 1, 9, 6, 0);
const { tunnels } = resolveProfile('fw-a', {
  tunnels: [
    { name: 'to-hq', gateway: 'hq', peerIp: '198.51.100.1', dialsPublicIp: EIP, proxyIds: ['lan', 'voice'] },
    { name: 'to-hq-backup', gateway: 'hq', peerIp: '198.51.100.1', dialsPublicIp: EIP, monitor: true },
    { name: 'to-branch', gateway: 'branch', peerIp: '198.51.100.7', dialsPublicIp: OTHER_EIP },
  ],
});

function inputs(over: Partial<TunnelInputs>): TunnelInputs {
  return {
    tunnels,
    held: [{ publicIp: EIP, since: READY - 60_000 }],
    readyAt: READY,
    now: READY + 3_600_000,
    negotiationMs: 20_000,
    peerDown: [],
    outerIf: 'ethernet1/1',
    localIp: '10.0.1.10',
    ...over,
  };
}

const states = (input: TunnelInputs) => Object.fromEntries(tunnelSnapshot(input).entries.map((e) => [e.name, e.state]));

describe('simulated IPsec tunnels', () => {
  it('are up only where the dialled EIP is held', () => {
    expect(states(inputs({}))).toEqual({
      'to-hq:lan': 'active',
      'to-hq:voice': 'active',
      'to-hq-backup': 'active',
      'to-branch': 'inactive',
    });
    expect(Object.values(states(inputs({ held: [] })))).toEqual(['inactive', 'inactive', 'inactive', 'inactive']);
  });

  it('stay down while the firewall is not ready, even with the EIP', () => {
    expect(Object.values(states(inputs({ readyAt: undefined })))).toEqual(['inactive', 'inactive', 'inactive', 'inactive']);
    expect(states(inputs({ now: READY - 1 }))['to-hq:lan']).toBe('inactive');
  });

  it('negotiate for negotiationMs from the later of ready and EIP arrival: init (IKE only), then active', () => {
    const arrival = READY + 120_000;
    const held = [{ publicIp: EIP, since: arrival }];
    const at = (now: number) => tunnelSnapshot(inputs({ held, now }));
    const during = at(arrival + 19_999);
    expect(during.entries.find((e) => e.name === 'to-hq:lan')).toMatchObject({ state: 'init', ipsecSince: undefined });
    expect(during.gateways.find((g) => g.name === 'hq')?.ikeSince).toBe(arrival);
    const after = at(arrival + 20_000);
    expect(after.entries.find((e) => e.name === 'to-hq:lan')).toMatchObject({ state: 'active', ipsecSince: arrival + 20_000 });

    // EIP held long before the boot finished: negotiation starts at readiness.
    const early = [{ publicIp: EIP, since: READY - 600_000 }];
    expect(states(inputs({ held: early, now: READY + 19_999 }))['to-hq:lan']).toBe('init');
    expect(states(inputs({ held: early, now: READY + 20_000 }))['to-hq:lan']).toBe('active');
  });

  it('keeps a tunnel whose peer is down inactive, without any SA, and leaves the others alone', () => {
    const snap = tunnelSnapshot(inputs({ peerDown: ['to-hq'] }));
    expect(Object.fromEntries(snap.entries.map((e) => [e.name, e.state]))).toMatchObject({
      'to-hq:lan': 'inactive',
      'to-hq:voice': 'inactive',
      'to-hq-backup': 'active',
    });
    expect(snap.entries.filter((e) => e.tunnel === 'to-hq').every((e) => e.ipsecSince === undefined)).toBe(true);
    const both = tunnelSnapshot(inputs({ peerDown: ['to-hq', 'to-hq-backup'] }));
    expect(both.gateways.find((g) => g.name === 'hq')?.ikeSince).toBeUndefined();
  });

  it('numbers consistently: one tid per entry, one gwid per gateway, one tunnel interface per tunnel', () => {
    const snap = tunnelSnapshot(inputs({}));
    expect(snap.configured).toBe(4);
    expect(snap.entries.map((e) => [e.name, e.tid, e.gwid, e.innerIf])).toEqual([
      ['to-hq:lan', 1, 1, 'tunnel.1'],
      ['to-hq:voice', 2, 1, 'tunnel.1'],
      ['to-hq-backup', 3, 1, 'tunnel.2'],
      ['to-branch', 4, 2, 'tunnel.3'],
    ]);
    expect(snap.gateways.map((g) => [g.name, g.gwid])).toEqual([
      ['hq', 1],
      ['branch', 2],
    ]);
  });

  it('reports the tunnel monitor only where it is configured', () => {
    const up = tunnelSnapshot(inputs({})).entries;
    expect(up.find((e) => e.name === 'to-hq-backup')?.monitor).toBe('up');
    expect(up.find((e) => e.name === 'to-hq:lan')?.monitor).toBe('off');
    const down = tunnelSnapshot(inputs({ held: [] })).entries;
    expect(down.find((e) => e.name === 'to-hq-backup')?.monitor).toBe('down');
  });
});
