/**
 * A key rotated in Secrets Manager must be used as soon as the firewall refuses the cached one:
 * on a 403 the factory drops the cached value, so the next probe reads the new key instead of
 * failing until the cache expires.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFirewallApiFactory } from '#shared/adapters/panos/index.js';
import { FirewallAuthError } from '#shared/errors.js';
import type { SecretReader } from '#shared/ports/messaging.js';
import { FakeFirewallHost, ManualClock, startPanosSimulator, type SimFirewall } from '#sim/panos/index.js';
import { makePair } from '../support/config.js';

let sim: SimFirewall | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('API key rotation', () => {
  it.each([
    ['Parameter Store (the example)', { ssmParameter: '/pan-failover/fw-a/api-key' }, 'ssm:/pan-failover/fw-a/api-key'],
    ['Secrets Manager', { secretsManager: 'pan-failover/fw-a/api-key' }, 'sm:pan-failover/fw-a/api-key'],
  ] as const)('%s: a 403 drops the cached key, so the rotated key is read and accepted on the next call', async (_store, apiKey, expected) => {
    const clock = new ManualClock();
    const host = new FakeFirewallHost(clock, { state: 'running', runningSince: clock.now() - 3_600_000 });
    sim = await startPanosSimulator({ name: 'fw-a', host, clock, apiKey: 'LUFRPT1-new-key==' });
    let stored = 'LUFRPT1-old-key==';
    let cached: string | undefined;
    const invalidated: string[] = [];
    const secrets: SecretReader = {
      getSecretString: () => Promise.resolve((cached ??= stored)),
      getParameterString: () => Promise.resolve((cached ??= stored)),
      invalidate: (id) => {
        invalidated.push(`sm:${id}`);
        cached = undefined;
      },
      invalidateParameter: (name) => {
        invalidated.push(`ssm:${name}`);
        cached = undefined;
      },
    };
    const pair = makePair();
    const fw = { ...pair.firewalls.primary, apiKey, management: { host: '127.0.0.1', port: sim.port, interfaceSwap: false }, tls: { pinnedSha256: sim.fingerprint256 } };
    const factory = createFirewallApiFactory({ secrets });

    const first = await factory.forFirewall(fw, { timeoutMs: 4000 });
    await expect(first.systemInfo()).rejects.toBeInstanceOf(FirewallAuthError);
    expect(invalidated).toEqual([expected]);

    stored = 'LUFRPT1-new-key==';
    const second = await factory.forFirewall(fw, { timeoutMs: 4000 });
    expect((await second.systemInfo()).hostname).toBe('fw-a');
  });
});
