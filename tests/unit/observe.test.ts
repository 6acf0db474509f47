/**
 * One look at a firewall's API (`observeFirewallApi`): the key is read before the firewall's time
 * budget starts, so a slow Secrets Manager is never a slow firewall, and a key that cannot be read
 * is `no-key` (nothing was asked of the firewall), never a dead or refusing firewall.
 */
import { describe, expect, it } from 'vitest';
import { SecretUnavailableError } from '#shared/errors.js';
import type { CallOptions, FirewallApi, FirewallApiFactory } from '#shared/ports/firewall.js';
import { observeFirewallApi } from '#shared/usecases/observe.js';
import { ManualClock } from '#sim/manual-clock.js';
import { makePair } from '../support/config.js';

const fw = makePair().firewalls.primary;

/** Answers after `answerMs`, or fails when the call's signal aborts first (as the real client does). */
function api(clock: ManualClock, answerMs: number): FirewallApi {
  const later = <T>(v: T, o?: CallOptions) => clock.sleep(answerMs, o?.signal).then(() => v);
  return {
    target: 'fw-a',
    systemInfo: (o) => later({ hostname: 'fw-a', swVersion: '11.1.6-h1', uptimeSeconds: 100 } as never, o),
    chassisReady: (o) => later(true, o),
    jobs: (o) => later([], o),
    ipsecState: (o) => later([], o),
    configShow: (_x, o) => later(undefined, o),
    licenses: (o) => later([], o),
  };
}

function factory(clock: ManualClock, keyMs: number, answerMs: number, keyError?: Error): FirewallApiFactory {
  return {
    forFirewall: async () => {
      await clock.sleep(keyMs);
      if (keyError) throw keyError;
      return api(clock, answerMs);
    },
  };
}

describe('observeFirewallApi', () => {
  it('a key read slower than the budget does not eat the firewall\'s time: a firewall answering in time is ok', async () => {
    const clock = new ManualClock();
    const obs = await clock.run(observeFirewallApi(factory(clock, 6000, 500), fw, clock, { timeoutMs: 4000, chassis: true }));
    expect(obs.outcome).toBe('ok');
    // The latency is the firewall's, not the key read's.
    expect(obs.latencyMs).toBe(1000);
  });

  it('a firewall slower than the budget is still a timeout', async () => {
    const clock = new ManualClock();
    const obs = await clock.run(observeFirewallApi(factory(clock, 0, 5000), fw, clock, { timeoutMs: 4000 }));
    expect(obs.outcome).toBe('timeout');
  });

  it('a tunnel query that fails after the firewall answered leaves it alive with tunnels unknown', async () => {
    const clock = new ManualClock();
    const f: FirewallApiFactory = {
      forFirewall: () => Promise.resolve({ ...api(clock, 10), ipsecState: () => Promise.reject(new Error('response over 512 KiB')) }),
    };
    const obs = await clock.run(observeFirewallApi(f, fw, clock, { timeoutMs: 4000, tunnels: true }));
    expect(obs.outcome).toBe('ok');
    expect(obs.tunnels).toBeUndefined();
    expect(obs.tunnelsError).toBe('Error: response over 512 KiB');
    expect(obs.tunnelsOutcome).toBe('api-error');
  });

  it('a tunnel query cut off by the time budget is an API timeout (the firewall answered the liveness calls)', async () => {
    const clock = new ManualClock();
    const f: FirewallApiFactory = {
      forFirewall: () =>
        Promise.resolve({
          ...api(clock, 10),
          // A dataplane that answers the liveness calls but not the VPN queries.
          ipsecState: (o?: CallOptions) => clock.sleep(60_000, o?.signal).then(() => []),
        }),
    };
    const obs = await clock.run(observeFirewallApi(f, fw, clock, { timeoutMs: 4000, tunnels: true }));
    expect(obs.outcome).toBe('ok');
    expect(obs.tunnelsOutcome).toBe('timeout');
    expect(obs.tunnelsError).toBeDefined();
  });

  it('a key read that hangs is cut off on its own bound (twice the budget, at least 8 s): no-key, not a hung round', async () => {
    const clock = new ManualClock();
    const hanging: FirewallApiFactory = { forFirewall: () => new Promise(() => undefined) };
    const t0 = clock.now();
    const obs = await clock.run(observeFirewallApi(hanging, fw, clock, { timeoutMs: 4000 }));
    expect(obs.outcome).toBe('no-key');
    expect(clock.now() - t0).toBe(8000);
  });

  it('a key that cannot be read is no-key (the firewall was not asked), for slow and fast failures alike', async () => {
    for (const keyMs of [10, 9000]) {
      const clock = new ManualClock();
      const err = new SecretUnavailableError('pan-failover/fw-a/api-key', 'endpoint unreachable', { retryable: true });
      const obs = await clock.run(observeFirewallApi(factory(clock, keyMs, 0, err), fw, clock, { timeoutMs: 4000 }));
      expect(obs.outcome, `key read failing after ${keyMs} ms`).toBe('no-key');
      expect(obs.error).toContain('SecretUnavailableError');
    }
  });
});
