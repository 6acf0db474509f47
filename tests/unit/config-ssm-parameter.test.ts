/**
 * `apiKey.ssmParameter` (ADR 0010): names and ARNs accepted by Parameter Store's own rules,
 * everything else refused with the field and what is wrong; and the deployment's IAM for each
 * store: exactly `ssm:GetParameter` on the referenced parameters' ARNs with no Secrets Manager
 * action, and the reverse.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '#shared/config/load.js';
import { describeApiKeyRef } from '#shared/config/schema.js';
import { ssmParameterArn } from '#shared/config/ssm-parameter.js';
import { ConfigInvalidError } from '#shared/errors.js';
import { deployment, parameterResource, type FunctionKey } from '../../infra/deployment.js';
import { exampleRaw } from '../support/config.js';

type Raw = ReturnType<typeof exampleRaw>;
const firewalls = (raw: Raw) => (raw.pairs[0] as { firewalls: Record<'primary' | 'secondary', { apiKey: unknown }> }).firewalls;

function withKeys(primary: unknown, secondary: unknown = primary): Raw {
  const raw = exampleRaw();
  firewalls(raw).primary.apiKey = primary;
  firewalls(raw).secondary.apiKey = secondary;
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

const FIELD = 'pairs[0].firewalls.primary.apiKey.ssmParameter';

describe('apiKey.ssmParameter', () => {
  it.each([
    '/pan-failover/fw-a/api-key',
    'fw-a.api_key',
    `/${Array.from({ length: 15 }, (_, i) => `l${i}`).join('/')}`,
    'arn:aws:ssm:eu-central-1:123456789012:parameter/pan-failover/fw-a/api-key',
    'arn:aws:ssm:eu-central-1:123456789012:parameter/fw-a-key',
    'arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/k',
  ])('accepts %s', (ref) => {
    const config = validateConfig(withKeys({ ssmParameter: ref }, { ssmParameter: '/pan-failover/fw-b/api-key' }));
    expect(config.pairs[0]?.firewalls.primary.apiKey).toEqual({ ssmParameter: ref });
  });

  it.each([
    ['/pan-failover/*', '"/pan-failover/*" contains a wildcard: name exactly one parameter (the deployment allows reading only the parameters named here)'],
    ['fw-?', '"fw-?" contains a wildcard: name exactly one parameter (the deployment allows reading only the parameters named here)'],
    ['/my key', '"/my key" contains " ": a parameter name allows only letters, digits, "_", ".", "-" and "/" between levels'],
    ['/pan$/k', '"/pan$/k" contains "$": a parameter name allows only letters, digits, "_", ".", "-" and "/" between levels'],
    ['pan-failover/fw-a', '"pan-failover/fw-a" has levels but no leading "/": a hierarchical parameter name starts with "/" (e.g. /pan-failover/fw-a)'],
    ['/pan-failover//k', '"/pan-failover//k" has an empty level ("//" or a trailing "/")'],
    ['/pan-failover/', '"/pan-failover/" has an empty level ("//" or a trailing "/")'],
    [`/${Array.from({ length: 16 }, (_, i) => `l${i}`).join('/')}`, 'has 16 levels: Parameter Store allows at most 15'],
    ['x'.repeat(1012), 'is 1012 characters long: a parameter name has at most 1011'],
    ['/aws/service/key', '"/aws/service/key" begins with "aws": Parameter Store reserves names beginning with "aws" or "ssm"'],
    ['SSM-key', '"SSM-key" begins with "SSM": Parameter Store reserves names beginning with "aws" or "ssm"'],
    ['', '"" is empty: give a parameter name such as /pan-failover/fw-a/api-key'],
    ['arn:aws:ssm:eu-central-1:12345:parameter/k', '"arn:aws:ssm:eu-central-1:12345:parameter/k" is not a parameter ARN: write arn:aws:ssm:<region>:<12-digit account>:parameter/<name>'],
    ['arn:aws:secretsmanager:eu-central-1:123456789012:secret:k', 'is not a parameter ARN'],
    ['arn:aws:ssm:eu-central-1:123456789012:parameter/pan/*', `the ARN's parameter name "pan/*" contains a wildcard`],
  ])('refuses %j, naming the field and what is wrong', (ref, message) => {
    const e = refusal(() => validateConfig(withKeys({ ssmParameter: ref }, { ssmParameter: '/pan-failover/fw-b/api-key' })));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]?.path).toBe(FIELD);
    expect(e.issues[0]?.message).toContain(message);
  });

  it('refuses members beside it (no field: a parameter holds the key as a plain string)', () => {
    const e = refusal(() => validateConfig(withKeys({ ssmParameter: '/k', field: 'apiKey' })));
    expect(e.message).toContain('pairs[0].firewalls.primary.apiKey');
  });

  it('is named in errors and logs by its reference, never a value', () => {
    expect(describeApiKeyRef({ ssmParameter: '/pan-failover/fw-a/api-key' })).toBe('ssmParameter:/pan-failover/fw-a/api-key');
  });

  it('the ARN of /a/b is ...:parameter/a/b and of x ...:parameter/x; an ARN stays as it is', () => {
    const where = { region: 'eu-central-1', accountId: '123456789012' };
    expect(ssmParameterArn('/a/b', where)).toBe('arn:aws:ssm:eu-central-1:123456789012:parameter/a/b');
    expect(ssmParameterArn('x', where)).toBe('arn:aws:ssm:eu-central-1:123456789012:parameter/x');
    expect(ssmParameterArn('arn:aws:ssm:us-east-1:1:parameter/z', where)).toBe('arn:aws:ssm:us-east-1:1:parameter/z');
    expect(parameterResource('/a/b')).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/a/b' });
    expect(parameterResource('x')).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/x' });
  });
});

/** Every action each role is allowed on anything, and the resources of the API-key actions. */
function keyAccess(raw: Raw) {
  const d = deployment(validateConfig(raw), { stage: 'prod' });
  const statements = (fn: FunctionKey) => d.permissions[fn];
  const actions = (fn: FunctionKey) => statements(fn).flatMap((s) => s.Action);
  const resourcesOf = (fn: FunctionKey, action: string) =>
    statements(fn)
      .filter((s) => s.Action.includes(action))
      .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
      .map((r) => (typeof r === 'string' ? r : (r as { 'Fn::Sub': string })['Fn::Sub']));
  return { actions, resourcesOf, d };
}

const KEY_READERS = ['healthProbe', 'flowFirewall'] as const;
const OTHERS = ['flowAws', 'flowControl'] as const;

describe('the deployment grants exactly the store the configuration names', () => {
  it('keys in Parameter Store: ssm:GetParameter on exactly those parameter ARNs, no Secrets Manager and no KMS action', () => {
    const { actions, resourcesOf } = keyAccess(withKeys({ ssmParameter: '/pan-failover/fw-a/api-key' }, { ssmParameter: 'arn:aws:ssm:eu-central-1:123456789012:parameter/fw-b-key' }));
    for (const fn of KEY_READERS) {
      expect(resourcesOf(fn, 'ssm:GetParameter').sort(), fn).toEqual([
        'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/pan-failover/fw-a/api-key',
        'arn:aws:ssm:eu-central-1:123456789012:parameter/fw-b-key',
      ]);
      expect(actions(fn).filter((a) => a.startsWith('ssm:')), fn).toEqual(['ssm:GetParameter']);
      expect(actions(fn).filter((a) => a.startsWith('secretsmanager:') || a.startsWith('kms:')), fn).toEqual([]);
    }
    for (const fn of OTHERS) expect(actions(fn).filter((a) => /^(ssm|secretsmanager|kms):/.test(a)), fn).toEqual([]);
  });

  it('keys in Secrets Manager: GetSecretValue on those secrets and no ssm action', () => {
    const { actions, resourcesOf } = keyAccess(withKeys({ secretsManager: 'pan-failover/fw-a/api-key' }, { secretsManager: 'pan-failover/fw-b/api-key' }));
    for (const fn of KEY_READERS) {
      expect(resourcesOf(fn, 'secretsmanager:GetSecretValue'), fn).toHaveLength(2);
      expect(actions(fn).filter((a) => a.startsWith('ssm:')), fn).toEqual([]);
    }
  });

  it('one key in each store: each action on its own key only', () => {
    const { resourcesOf } = keyAccess(withKeys({ ssmParameter: '/pan-failover/fw-a/api-key' }, { secretsManager: 'pan-failover/fw-b/api-key' }));
    for (const fn of KEY_READERS) {
      expect(resourcesOf(fn, 'ssm:GetParameter'), fn).toEqual(['arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/pan-failover/fw-a/api-key']);
      expect(resourcesOf(fn, 'secretsmanager:GetSecretValue'), fn).toEqual(['arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:pan-failover/fw-b/api-key-??????']);
    }
  });
});
