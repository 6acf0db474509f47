import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, ParameterNotFound, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { SecretUnavailableError } from '#shared/errors.js';
import { DEFAULT_SECRET_CACHE_TTL_MS, STALE_RETRY_MS, createKeyCache, createSecretReader } from '#shared/adapters/aws/secrets.js';

const ssmMock = mockClient(SSMClient);
const smMock = mockClient(SecretsManagerClient);
const NAME = '/pan-failover/fw-a/api-key';
const KEY = 'LUFRPT1-ssm-super-secret-key==';

let now = 0;
const clock = { now: () => now };
const reader = () =>
  createSecretReader({
    client: new SecretsManagerClient({ region: 'eu-central-1' }),
    ssm: new SSMClient({ region: 'eu-central-1' }),
    clock,
  });
const secure = (value = KEY) => ({ Parameter: { Name: NAME, Type: 'SecureString' as const, Value: value, Version: 1 } });

beforeEach(() => {
  ssmMock.reset();
  smMock.reset();
  now = 1_000_000;
});

async function failureOf(promise: Promise<unknown>): Promise<SecretUnavailableError> {
  const failure = await promise.catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(SecretUnavailableError);
  return failure as SecretUnavailableError;
}

describe('createSecretReader: SSM Parameter Store', () => {
  it('reads a SecureString with decryption, by the name as configured', async () => {
    ssmMock.on(GetParameterCommand).resolves(secure());
    await expect(reader().getParameterString(NAME)).resolves.toBe(KEY);
    expect(ssmMock.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([{ Name: NAME, WithDecryption: true }]);
  });

  it('refuses a String (plaintext) parameter, naming the parameter and its type, never the value', async () => {
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Name: NAME, Type: 'String', Value: KEY } });
    const e = await failureOf(reader().getParameterString(NAME));
    expect(e.message).toBe(
      `API key ${NAME} is unavailable: the parameter is of type String, not SecureString: an API key must be stored encrypted (aws ssm put-parameter --type SecureString --overwrite)`,
    );
    expect(e.retryable).toBe(false);
    expect(JSON.stringify({ message: e.message, details: e.details, stack: e.stack })).not.toContain(KEY);
  });

  it('refuses a StringList and an empty SecureString', async () => {
    ssmMock.on(GetParameterCommand).resolvesOnce({ Parameter: { Name: NAME, Type: 'StringList', Value: 'a,b' } }).resolves(secure(''));
    expect((await failureOf(reader().getParameterString(NAME))).message).toContain('of type StringList, not SecureString');
    expect((await failureOf(reader().getParameterString(NAME))).message).toContain('the parameter is empty');
  });

  it('a missing parameter is a terminal error naming it and the operation', async () => {
    ssmMock.on(GetParameterCommand).rejects(new ParameterNotFound({ message: '', $metadata: { httpStatusCode: 400 } }));
    const e = await failureOf(reader().getParameterString(NAME));
    expect(e.message).toContain(NAME);
    expect(e.message).toContain('ssm:GetParameter');
    expect(e.retryable).toBe(false);
  });

  it('access denied names the parameter and is terminal; throttling is retryable', async () => {
    ssmMock
      .on(GetParameterCommand)
      .rejectsOnce(new SSMServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'not authorized', $metadata: { httpStatusCode: 400 } }))
      .rejects(new SSMServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    const denied = await failureOf(reader().getParameterString(NAME));
    expect(denied.cause).toMatchObject({ name: 'AwsAccessDeniedError' });
    expect(denied.retryable).toBe(false);
    const throttled = await failureOf(reader().getParameterString(NAME));
    expect(throttled.retryable).toBe(true);
  });

  it('shares the cache policy with Secrets Manager: cached for the TTL, concurrent reads share a call, stale value on a failed refresh', async () => {
    ssmMock.on(GetParameterCommand).resolvesOnce(secure()).rejects(new Error('connect ETIMEDOUT'));
    const keys = reader();
    await Promise.all([keys.getParameterString(NAME), keys.getParameterString(NAME)]);
    expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(1);
    now += DEFAULT_SECRET_CACHE_TTL_MS - 1;
    await expect(keys.getParameterString(NAME)).resolves.toBe(KEY);
    expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(1);
    now += 1;
    // Parameter Store unreachable: the last good key, and no new try for STALE_RETRY_MS.
    await expect(keys.getParameterString(NAME)).resolves.toBe(KEY);
    expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(2);
    now += STALE_RETRY_MS - 1;
    await keys.getParameterString(NAME);
    expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it('a secret and a parameter of the same name are distinct keys; invalidateParameter forgets only the parameter', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: 'from-secrets-manager' });
    ssmMock.on(GetParameterCommand).resolvesOnce(secure('from-ssm')).resolves(secure('rotated'));
    const keys = reader();
    const same = 'pan-failover.fw-a';
    await expect(keys.getSecretString(same)).resolves.toBe('from-secrets-manager');
    await expect(keys.getParameterString(same)).resolves.toBe('from-ssm');
    keys.invalidateParameter(same);
    await expect(keys.getParameterString(same)).resolves.toBe('rotated');
    await expect(keys.getSecretString(same)).resolves.toBe('from-secrets-manager');
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it('invalidate() without an id forgets both stores', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: 'sm' });
    ssmMock.on(GetParameterCommand).resolves(secure());
    const keys = reader();
    await keys.getSecretString('s');
    await keys.getParameterString(NAME);
    keys.invalidate();
    await keys.getSecretString('s');
    await keys.getParameterString(NAME);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it('a reader built without an SSM client says so, naming the parameter', async () => {
    const keys = createSecretReader({ client: new SecretsManagerClient({ region: 'eu-central-1' }), clock });
    expect((await failureOf(keys.getParameterString(NAME))).message).toBe(`API key ${NAME} is unavailable: this reader has no Parameter Store client`);
  });
});

describe('createKeyCache', () => {
  it('is the mechanism: any fetchOne, one call per TTL', async () => {
    let calls = 0;
    const cache = createKeyCache((id) => Promise.resolve(`${id}#${++calls}`), { clock, cacheTtlMs: 1000 });
    await expect(cache.get('x')).resolves.toBe('x#1');
    await expect(cache.get('x')).resolves.toBe('x#1');
    now += 1000;
    await expect(cache.get('x')).resolves.toBe('x#2');
    cache.invalidate('x');
    await expect(cache.get('x')).resolves.toBe('x#3');
  });
});
