/**
 * Secrets only from Secrets Manager in a deployment: secret ids are names or full ARNs (no
 * wildcard can widen `GetSecretValue`), and `prepare-deploy` refuses `{ env }` and `{ file }`
 * key references with a message that says why, writing nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '#shared/config/load.js';
import { ConfigInvalidError } from '#shared/errors.js';
import { prepareDeployCommand } from '#cli/commands/prepare-deploy.js';
import { deployment } from '../../infra/deployment.js';
import { exampleRaw } from '../support/config.js';

type Raw = ReturnType<typeof exampleRaw>;
const firewalls = (raw: Raw) => (raw.pairs[0] as { firewalls: Record<'primary' | 'secondary', { apiKey: unknown }> }).firewalls;

function withKey(key: unknown, role: 'primary' | 'secondary' = 'primary'): Raw {
  const raw = exampleRaw();
  firewalls(raw)[role].apiKey = key;
  return raw;
}

function refusal(fn: () => unknown): ConfigInvalidError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigInvalidError) return e;
    throw e;
  }
  throw new Error('expected a ConfigInvalidError');
}

describe('secret ids', () => {
  it.each([
    'pan-failover/fw-a/api-key',
    'a+b=c.d@e_f-g',
    'arn:aws:secretsmanager:eu-central-1:123456789012:secret:pan-failover/fw-a/api-key-AbCdEf',
    'arn:aws:secretsmanager:eu-central-1:123456789012:secret:pan-failover/fw-a/api-key',
    'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:k',
  ])('accepts %s', (id) => {
    expect(() => validateConfig(withKey({ secretsManager: id }))).not.toThrow();
  });

  it.each([
    ['*', 'every secret in the region'],
    ['pan-failover/*', 'a wildcard name'],
    ['fw-?', 'a one-character wildcard'],
    ['arn:aws:secretsmanager:eu-central-1:123456789012:secret:*', 'a wildcard ARN'],
    ['arn:aws:secretsmanager:*:*:secret:k', 'wildcard region and account'],
    ['my key', 'a space'],
    ['x'.repeat(513), 'over 512 characters'],
    ['arn:aws:s3:::bucket/key', 'another service'],
  ])('refuses %s (%s), naming the field', (id) => {
    const e = refusal(() => validateConfig(withKey({ secretsManager: id })));
    expect(e.message).toContain('pairs[0].firewalls.primary.apiKey');
    expect(e.message).toMatch(/secret name .* or a secret ARN, without wildcards/);
  });

  it('the API key statement never carries a wildcard but the random suffix of a name', () => {
    const raw = exampleRaw();
    firewalls(raw).primary.apiKey = { secretsManager: 'pan-failover/fw-a/api-key' };
    firewalls(raw).secondary.apiKey = { secretsManager: 'pan-failover/fw-b/api-key' };
    const d = deployment(validateConfig(raw), { stage: 'prod' });
    const keys = d.permissions.healthProbe.find((s) => s.Sid === 'ApiKeys');
    const resources = (keys?.Resource as { 'Fn::Sub': string }[]).map((r) => r['Fn::Sub']);
    expect(resources).toHaveLength(2);
    for (const r of resources) expect(r.replace(/-\?{6}$/, '')).not.toMatch(/[*?]/);
  });
});

describe('prepare-deploy refuses keys that are not in Secrets Manager', () => {
  it.each([
    [{ env: 'PAN_KEY' }, 'an environment variable reference (env)', 'plaintext Lambda environment variable'],
    [{ file: '/etc/pan/key' }, 'a file reference (file)', 'inside the function zip'],
  ])('%j: refused with the field, the reason and what to do', (key, kind, where) => {
    const config = validateConfig(withKey(key, 'secondary'));
    const e = refusal(() => deployment(config, { stage: 'prod' }));
    expect(e.message).toContain(`pairs[0].firewalls.secondary.apiKey: is ${kind}`);
    expect(e.message).toContain(where);
    expect(e.message).toContain('Secrets Manager or SSM Parameter Store only');
    expect(e.message).toContain('{ ssmParameter: <name or ARN> }');
    expect(e.message).toContain('{ secretsManager: <name or ARN> }');
    expect(e.issues).toHaveLength(1);
  });

  it('the command writes nothing when it refuses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pan-failover-deploy-'));
    try {
      const path = join(dir, 'config.yaml');
      writeFileSync(path, stringify(withKey({ env: 'PAN_KEY' })));
      const out = join(dir, 'out');
      await expect(prepareDeployCommand({ config: path, stage: 'prod', out })).rejects.toThrow(/Secrets Manager or SSM Parameter Store only/);
      expect(existsSync(join(out, 'pan-failover.json'))).toBe(false);
      expect(existsSync(join(out, 'deployment.json'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
