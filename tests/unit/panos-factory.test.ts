import { describe, expect, it, vi } from 'vitest';
import { ConfigInvalidError, SecretUnavailableError } from '#shared/errors.js';
import type { FirewallConfig } from '#shared/config/schema.js';
import type { SecretReader } from '#shared/ports/messaging.js';
import { PanosClient, createFirewallApiFactory, describeApiKeyRef, resolveApiKey } from '#shared/adapters/panos/index.js';

const KEY = 'LUFRPT1-Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

function firewall(overrides: Partial<FirewallConfig> = {}): FirewallConfig {
  return {
    name: 'fw-a',
    instanceId: 'i-0123456789abcdef0',
    availabilityZone: 'eu-central-1a',
    management: { host: '10.0.1.10', port: 443, interfaceSwap: false },
    tls: { pinnedSha256: 'AB'.repeat(32) },
    apiKey: { secretsManager: 'pan/fw-a' },
    ...overrides,
  };
}

const secrets = (values: Record<string, string>): SecretReader => ({
  getSecretString: vi.fn((id: string) => {
    const v = values[id];
    return v === undefined ? Promise.reject(new SecretUnavailableError(id, 'not found')) : Promise.resolve(v);
  }),
});

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

const deps = (extra: Partial<Parameters<typeof resolveApiKey>[1]> = {}) => ({
  secrets: secrets({}),
  readTextFile: () => Promise.reject(new Error('no files')),
  env: {},
  ...extra,
});

describe('resolveApiKey', () => {
  it('reads a plain Secrets Manager secret and trims it', async () => {
    await expect(resolveApiKey({ secretsManager: 'pan/fw-a' }, deps({ secrets: secrets({ 'pan/fw-a': `  ${KEY}\n` }) }))).resolves.toBe(KEY);
  });

  it('reads a JSON field', async () => {
    const s = secrets({ 'pan/keys': JSON.stringify({ 'fw-a': KEY, 'fw-b': 'other' }) });
    await expect(resolveApiKey({ secretsManager: 'pan/keys', field: 'fw-a' }, deps({ secrets: s }))).resolves.toBe(KEY);
  });

  it('reads a file and an environment variable', async () => {
    const readTextFile = vi.fn(() => Promise.resolve(`${KEY}\n`));
    await expect(resolveApiKey({ file: '/etc/pan/key' }, deps({ readTextFile }))).resolves.toBe(KEY);
    expect(readTextFile).toHaveBeenCalledWith('/etc/pan/key');
    await expect(resolveApiKey({ env: 'PAN_KEY' }, deps({ env: { PAN_KEY: ` ${KEY} ` } }))).resolves.toBe(KEY);
  });

  it.each([
    ['a missing secret', { secretsManager: 'pan/none' }, {}, 'pan/none'],
    ['an empty secret', { secretsManager: 'pan/fw-a' }, { secrets: secrets({ 'pan/fw-a': '  \n' }) }, 'secretsManager:pan/fw-a'],
    ['a secret that is not JSON', { secretsManager: 'pan/fw-a', field: 'k' }, { secrets: secrets({ 'pan/fw-a': KEY }) }, 'secretsManager:pan/fw-a#k'],
    ['a JSON secret without the field', { secretsManager: 'pan/fw-a', field: 'k' }, { secrets: secrets({ 'pan/fw-a': JSON.stringify({ x: KEY }) }) }, 'secretsManager:pan/fw-a#k'],
    ['a JSON field that is not a string', { secretsManager: 'pan/fw-a', field: 'k' }, { secrets: secrets({ 'pan/fw-a': JSON.stringify({ k: 12 }) }) }, 'secretsManager:pan/fw-a#k'],
    ['an unset variable', { env: 'PAN_KEY' }, {}, 'env:PAN_KEY'],
    ['an empty variable', { env: 'PAN_KEY' }, { env: { PAN_KEY: '' } }, 'env:PAN_KEY'],
    ['an unreadable file', { file: '/nope' }, {}, 'file:/nope'],
    ['a key with a newline inside', { env: 'PAN_KEY' }, { env: { PAN_KEY: `${KEY}\r\nX-Injected: 1` } }, 'env:PAN_KEY'],
  ] as const)('refuses %s with SecretUnavailableError naming the reference, never the value', async (_label, ref, extra, reference) => {
    const e = await failure(resolveApiKey(ref, deps(extra)));
    expect(e).toBeInstanceOf(SecretUnavailableError);
    expect(e.message).toContain(reference);
    expect(e.message).not.toContain(KEY);
    expect(JSON.stringify(e)).not.toContain(KEY);
    // The JSON.parse message quotes its input: it must not travel as the cause either.
    const cause = (e as { cause?: unknown }).cause;
    expect(cause instanceof Error ? cause.message : '').not.toContain(KEY);
  });

  it('wraps an unexpected reader failure as a retryable SecretUnavailableError', async () => {
    const s: SecretReader = { getSecretString: () => Promise.reject(new Error('socket hang up')) };
    const e = (await failure(resolveApiKey({ secretsManager: 'pan/fw-a' }, deps({ secrets: s })))) as SecretUnavailableError;
    expect(e).toBeInstanceOf(SecretUnavailableError);
    expect(e.retryable).toBe(true);
  });
});

describe('resolveApiKey: SSM Parameter Store', () => {
  it('reads the parameter through getParameterString (never the Secrets Manager path) and trims it', async () => {
    const getSecretString = vi.fn(() => Promise.reject(new Error('not this store')));
    const getParameterString = vi.fn(() => Promise.resolve(`${KEY}\n`));
    await expect(resolveApiKey({ ssmParameter: '/pan/fw-a' }, deps({ secrets: { getSecretString, getParameterString } }))).resolves.toBe(KEY);
    expect(getParameterString).toHaveBeenCalledWith('/pan/fw-a');
    expect(getSecretString).not.toHaveBeenCalled();
  });

  it('a reader without Parameter Store support is a SecretUnavailableError naming the reference', async () => {
    const e = await failure(resolveApiKey({ ssmParameter: '/pan/fw-a' }, deps()));
    expect(e).toBeInstanceOf(SecretUnavailableError);
    expect(e.message).toBe('API key ssmParameter:/pan/fw-a is unavailable: this controller cannot read SSM parameters here');
  });

  it('keeps the reader\'s typed error; wraps anything else as retryable, without the value', async () => {
    const typed = new SecretUnavailableError('/pan/fw-a', 'the parameter is of type String, not SecureString');
    const s1: SecretReader = { getSecretString: () => Promise.reject(new Error('x')), getParameterString: () => Promise.reject(typed) };
    expect(await failure(resolveApiKey({ ssmParameter: '/pan/fw-a' }, deps({ secrets: s1 })))).toBe(typed);
    const s2: SecretReader = { getSecretString: () => Promise.reject(new Error('x')), getParameterString: () => Promise.reject(new Error('socket hang up')) };
    const e = (await failure(resolveApiKey({ ssmParameter: '/pan/fw-a' }, deps({ secrets: s2 })))) as SecretUnavailableError;
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('ssmParameter:/pan/fw-a');
  });
});

describe('describeApiKeyRef', () => {
  it('names each kind of reference', () => {
    expect(describeApiKeyRef({ secretsManager: 'arn:aws:secretsmanager:eu-central-1:1:secret:pan' })).toBe(
      'secretsManager:arn:aws:secretsmanager:eu-central-1:1:secret:pan',
    );
    expect(describeApiKeyRef({ secretsManager: 's', field: 'f' })).toBe('secretsManager:s#f');
    expect(describeApiKeyRef({ ssmParameter: '/pan/fw-a' })).toBe('ssmParameter:/pan/fw-a');
    expect(describeApiKeyRef({ file: '/k' })).toBe('file:/k');
    expect(describeApiKeyRef({ env: 'K' })).toBe('env:K');
  });
});

describe('createFirewallApiFactory', () => {
  it('builds a client for the management address with the resolved key', async () => {
    const factory = createFirewallApiFactory({ secrets: secrets({ 'pan/fw-a': KEY }) });
    const api = await factory.forFirewall(firewall({ management: { host: '10.0.1.10', port: 8443, interfaceSwap: false } }), {
      timeoutMs: 4000,
    });
    expect(api.target).toBe('10.0.1.10:8443');
  });

  it('fails with SecretUnavailableError when the key is missing', async () => {
    const factory = createFirewallApiFactory({ secrets: secrets({}) });
    const e = await failure(factory.forFirewall(firewall(), { timeoutMs: 4000 }));
    expect(e).toBeInstanceOf(SecretUnavailableError);
    expect(e.message).toContain('pan/fw-a');
  });

  it('reads each CA file once, and again after a failed read', async () => {
    let calls = 0;
    const readTextFile = vi.fn((path: string) => {
      calls += 1;
      if (path === '/flaky.pem' && calls === 2) return Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' }));
      return Promise.resolve(PEM);
    });
    const factory = createFirewallApiFactory({ secrets: secrets({ 'pan/fw-a': KEY }), readTextFile });
    const fw = firewall({ tls: { caFile: '/ca.pem' } });
    await factory.forFirewall(fw, { timeoutMs: 1000 });
    await factory.forFirewall(fw, { timeoutMs: 1000 });
    expect(readTextFile.mock.calls.filter(([p]) => p === '/ca.pem')).toHaveLength(1);

    const flaky = firewall({ tls: { caFile: '/flaky.pem' } });
    const e = await failure(factory.forFirewall(flaky, { timeoutMs: 1000 }));
    expect(e).toBeInstanceOf(ConfigInvalidError);
    expect(e.message).toContain('/flaky.pem');
    await expect(factory.forFirewall(flaky, { timeoutMs: 1000 })).resolves.toMatchObject({ target: '10.0.1.10:443' });
  });

  it('refuses a CA file without a PEM certificate', async () => {
    const factory = createFirewallApiFactory({
      secrets: secrets({ 'pan/fw-a': KEY }),
      readTextFile: () => Promise.resolve('not a certificate'),
    });
    const e = await failure(factory.forFirewall(firewall({ tls: { caFile: '/ca.pem' } }), { timeoutMs: 1000 }));
    expect(e).toBeInstanceOf(ConfigInvalidError);
  });

  it('uses process.env by default', async () => {
    process.env.PANOS_FACTORY_TEST_KEY = KEY;
    try {
      const factory = createFirewallApiFactory({ secrets: secrets({}) });
      await expect(factory.forFirewall(firewall({ apiKey: { env: 'PANOS_FACTORY_TEST_KEY' } }), { timeoutMs: 1000 })).resolves.toBeInstanceOf(
        PanosClient,
      );
    } finally {
      delete process.env.PANOS_FACTORY_TEST_KEY;
    }
  });
});

describe('PanosClient construction', () => {
  it('refuses an empty key or one that cannot travel in a header', () => {
    const make = (apiKey: string) => new PanosClient({ host: '10.0.0.1', apiKey, tls: { pinnedSha256: 'AB'.repeat(32) }, timeoutMs: 1000 });
    expect(() => make('')).toThrow(SecretUnavailableError);
    expect(() => make('abc\ndef')).toThrow(SecretUnavailableError);
    expect(() => make('abc def')).toThrow(SecretUnavailableError);
    expect(make(KEY).target).toBe('10.0.0.1:443');
  });
});
