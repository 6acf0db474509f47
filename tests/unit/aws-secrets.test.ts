import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { AwsAccessDeniedError, AwsThrottledError, SecretUnavailableError } from '#shared/errors.js';
import { DEFAULT_SECRET_CACHE_TTL_MS, STALE_RETRY_MS, createSecretReader } from '#shared/adapters/aws/secrets.js';

const smMock = mockClient(SecretsManagerClient);
const SECRET_ID = 'pan-failover/edge/fw-a';
const KEY = 'LUFRPT1-super-secret-api-key==';

let now = 0;
const clock = { now: () => now };
const reader = (cacheTtlMs?: number) =>
  createSecretReader({
    client: new SecretsManagerClient({ region: 'eu-central-1' }),
    clock,
    ...(cacheTtlMs === undefined ? {} : { cacheTtlMs }),
  });

beforeEach(() => {
  smMock.reset();
  now = 1_000_000;
});

async function failureOf(promise: Promise<unknown>): Promise<SecretUnavailableError> {
  const failure = await promise.catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(SecretUnavailableError);
  return failure as SecretUnavailableError;
}

describe('createSecretReader', () => {
  it('reads SecretString by id', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    await expect(reader().getSecretString(SECRET_ID)).resolves.toBe(KEY);
    expect(smMock.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET_ID });
  });

  it('caches for five minutes by default, then reads again', async () => {
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: KEY })
      .resolves({ SecretString: 'rotated' });
    const secrets = reader();
    await secrets.getSecretString(SECRET_ID);
    now += DEFAULT_SECRET_CACHE_TTL_MS - 1;
    await expect(secrets.getSecretString(SECRET_ID)).resolves.toBe(KEY);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now += 1;
    await expect(secrets.getSecretString(SECRET_ID)).resolves.toBe('rotated');
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(DEFAULT_SECRET_CACHE_TTL_MS).toBe(300_000);
  });

  it('a cache TTL of 0 reads every time', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    const secrets = reader(0);
    await secrets.getSecretString(SECRET_ID);
    await secrets.getSecretString(SECRET_ID);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('concurrent reads of one secret share one call', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    const secrets = reader();
    await expect(
      Promise.all([secrets.getSecretString(SECRET_ID), secrets.getSecretString(SECRET_ID)]),
    ).resolves.toEqual([KEY, KEY]);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('invalidate forgets the cached key (after the firewall refused it)', async () => {
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: KEY })
      .resolves({ SecretString: 'rotated' });
    const secrets = reader();
    await secrets.getSecretString(SECRET_ID);
    secrets.invalidate(SECRET_ID);
    await expect(secrets.getSecretString(SECRET_ID)).resolves.toBe('rotated');
  });

  it('failures are not cached', async () => {
    smMock
      .on(GetSecretValueCommand)
      .rejectsOnce(new InternalServiceError({ $metadata: { httpStatusCode: 500 }, message: 'x' }))
      .resolves({ SecretString: KEY });
    const secrets = reader();
    await failureOf(secrets.getSecretString(SECRET_ID));
    await expect(secrets.getSecretString(SECRET_ID)).resolves.toBe(KEY);
  });

  it('a missing secret is a terminal SecretUnavailableError naming the id', async () => {
    smMock
      .on(GetSecretValueCommand)
      .rejects(
        new ResourceNotFoundException({
          $metadata: { httpStatusCode: 400 },
          message: "Secrets Manager can't find the specified secret.",
        }),
      );
    const failure = await failureOf(reader().getSecretString(SECRET_ID));
    expect(failure.retryable).toBe(false);
    expect(failure.message).toContain(SECRET_ID);
    expect(failure.details).toEqual({ reference: SECRET_ID });
  });

  it('throttling and 5xx are retryable, keeping the translated cause', async () => {
    smMock
      .on(GetSecretValueCommand)
      .rejectsOnce(
        new SecretsManagerServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'x',
        }),
      )
      .rejectsOnce(new InternalServiceError({ $metadata: { httpStatusCode: 500 }, message: 'x' }));
    const secrets = reader();
    const throttled = await failureOf(secrets.getSecretString(SECRET_ID));
    expect(throttled.retryable).toBe(true);
    expect(throttled.cause).toBeInstanceOf(AwsThrottledError);
    const serverError = await failureOf(secrets.getSecretString(SECRET_ID));
    expect(serverError.retryable).toBe(true);
  });

  it('access denied is terminal', async () => {
    smMock
      .on(GetSecretValueCommand)
      .rejects(
        new SecretsManagerServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'x',
        }),
      );
    const failure = await failureOf(reader().getSecretString(SECRET_ID));
    expect(failure.retryable).toBe(false);
    expect(failure.cause).toBeInstanceOf(AwsAccessDeniedError);
  });

  it('refuses binary and empty secrets', async () => {
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretBinary: new Uint8Array([1, 2, 3]) })
      .resolvesOnce({ SecretString: '' });
    const secrets = reader();
    expect((await failureOf(secrets.getSecretString(SECRET_ID))).message).toMatch(/binary/);
    expect((await failureOf(secrets.getSecretString(SECRET_ID))).message).toMatch(/empty/);
  });

  it('never puts the value into an error', async () => {
    // Another secret's value was read; a failing read of this one names this one only.
    smMock
      .on(GetSecretValueCommand, { SecretId: 'other' })
      .resolves({ SecretString: KEY })
      .on(GetSecretValueCommand, { SecretId: SECRET_ID })
      .rejects(new InternalServiceError({ $metadata: { httpStatusCode: 500 }, message: 'x' }));
    const secrets = reader();
    await secrets.getSecretString('other');
    const failure = await failureOf(secrets.getSecretString(SECRET_ID));
    expect(failure.message).toContain(SECRET_ID);
    expect(JSON.stringify({ ...failure.toJSON(), cause: String(failure.cause) })).not.toContain(KEY);
  });

  it('a failing refresh keeps using the last key read (Secrets Manager unreachable is not a reason to stop probing)', async () => {
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: KEY })
      .rejectsOnce(new InternalServiceError({ $metadata: { httpStatusCode: 500 }, message: 'x' }))
      .resolves({ SecretString: 'rotated' });
    const secrets = reader();
    await secrets.getSecretString(SECRET_ID);
    now += DEFAULT_SECRET_CACHE_TTL_MS;
    await expect(secrets.getSecretString(SECRET_ID)).resolves.toBe(KEY);
    // Served from the cache for a minute (a hanging endpoint does not slow every round)...
    now += STALE_RETRY_MS - 1;
    await expect(secrets.getSecretString(SECRET_ID)).resolves.toBe(KEY);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    // ...then tried again; the read succeeds and replaces it.
    now += 1;
    await expect(secrets.getSecretString(SECRET_ID)).resolves.toBe('rotated');
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(3);
    // A refused key forces a fresh read but keeps the fallback.
    smMock.on(GetSecretValueCommand).rejects(new InternalServiceError({ $metadata: { httpStatusCode: 500 }, message: 'x' }));
    secrets.invalidate(SECRET_ID);
    await expect(secrets.getSecretString(SECRET_ID)).resolves.toBe('rotated');
  });
});

describe('createSecretReader invalidation during a read', () => {
  it('a read that started before invalidate() does not re-cache its (possibly stale) value', async () => {
    let release: (value: { SecretString: string }) => void = () => undefined;
    smMock
      .on(GetSecretValueCommand)
      .callsFakeOnce(() => new Promise((resolve) => (release = resolve)))
      .resolves({ SecretString: 'rotated' });
    const secrets = reader();
    const stale = secrets.getSecretString(SECRET_ID);
    secrets.invalidate();
    release({ SecretString: KEY });
    await expect(stale).resolves.toBe(KEY);
    await expect(secrets.getSecretString(SECRET_ID)).resolves.toBe('rotated');
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});
