/**
 * `SecretReader` over `@aws-sdk/client-secrets-manager`, with a short cache: the probe runs six
 * times a minute against two firewalls and the key rarely changes, so one read per five minutes
 * is plenty. Failures are never cached, and concurrent reads of one secret share one call. When
 * a refresh fails (Secrets Manager or its endpoint unreachable), the last value read is used
 * and the next try waits `STALE_RETRY_MS`: a key that worked five minutes ago is a better guess
 * than no probe at all, and a hanging endpoint must not slow every round. `invalidate` (the
 * firewall refused the key) forces a fresh read but keeps that fallback: at worst the stale key
 * is refused again, which is an auth alert, never a failover.
 *
 * The same policy serves SSM Parameter Store SecureString parameters (`createKeyCache` is the
 * mechanism, one instance per store, so a secret and a parameter of the same name never collide).
 *
 * The value never appears in an error, a log field or `details`; errors name the secret id or
 * parameter name only.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SecretReader } from '#shared/ports/messaging.js';
import { systemClock } from '#shared/ports/clock.js';
import type { Clock } from '#shared/ports/clock.js';
import { SecretUnavailableError } from '#shared/errors.js';
import { translateAwsError } from './errors.js';

export const DEFAULT_SECRET_CACHE_TTL_MS = 5 * 60_000;
/** After a failed refresh, the last good value is served this long before the next try. */
export const STALE_RETRY_MS = 60_000;

export interface SecretReaderOptions {
  readonly client: SecretsManagerClient;
  /** Parameter Store, for `{ ssmParameter }` keys; without it such a key is unavailable (named). */
  readonly ssm?: SSMClient;
  /** 0 disables the cache. */
  readonly cacheTtlMs?: number;
  readonly clock?: Pick<Clock, 'now'>;
}

export interface CachingSecretReader extends SecretReader {
  /**
   * Forgets a cached value (all of them, both stores, without an id). Call it when the firewall
   * refuses the key (`FirewallAuthError`): the key may have been rotated since it was cached.
   */
  invalidate(secretId?: string): void;
  getParameterString(name: string): Promise<string>;
  invalidateParameter(name: string): void;
}

interface CacheEntry {
  readonly value: string;
  readonly fetchedAt: number;
}

/** One key store's cache: the policy above, over "how to fetch one key" (`fetchOne`). */
export interface KeyCache {
  get(id: string): Promise<string>;
  /** Forgets one id, or every id without one. */
  invalidate(id?: string): void;
}

/**
 * The caching, read-sharing and stale-fallback policy described at the top of this file, for any
 * store: `fetchOne` reads one key (and throws `SecretUnavailableError` naming it, never the value).
 */
export function createKeyCache(fetchOne: (id: string) => Promise<string>, options: Pick<SecretReaderOptions, 'cacheTtlMs' | 'clock'> = {}): KeyCache {
  const ttl = options.cacheTtlMs ?? DEFAULT_SECRET_CACHE_TTL_MS;
  const clock = options.clock ?? systemClock;
  const cache = new Map<string, CacheEntry>();
  const lastGood = new Map<string, string>();
  const inFlight = new Map<string, Promise<string>>();
  // Bumped by invalidate(), so a read that started before it cannot re-cache a stale value.
  let generation = 0;

  async function fetch(id: string): Promise<string> {
    const started = generation;
    let value: string;
    try {
      value = await fetchOne(id);
    } catch (e) {
      const stale = lastGood.get(id);
      if (stale === undefined) throw e;
      if (ttl > 0 && started === generation) cache.set(id, { value: stale, fetchedAt: clock.now() - ttl + Math.min(ttl, STALE_RETRY_MS) });
      return stale;
    }
    if (started === generation) {
      lastGood.set(id, value);
      if (ttl > 0) cache.set(id, { value, fetchedAt: clock.now() });
    }
    return value;
  }

  return {
    get(id: string): Promise<string> {
      const cached = cache.get(id);
      if (cached !== undefined && clock.now() - cached.fetchedAt < ttl) return Promise.resolve(cached.value);
      const pending = inFlight.get(id);
      if (pending !== undefined) return pending;
      const read = fetch(id).finally(() => {
        if (inFlight.get(id) === read) inFlight.delete(id);
      });
      inFlight.set(id, read);
      return read;
    },
    invalidate(id?: string): void {
      generation++;
      if (id === undefined) {
        cache.clear();
        inFlight.clear();
      } else {
        cache.delete(id);
        inFlight.delete(id);
      }
    },
  };
}

/** Secrets Manager and Parameter Store keys, each store behind its own `KeyCache` (same policy). */
export function createSecretReader(options: SecretReaderOptions): CachingSecretReader {
  const { client, ssm } = options;
  const secrets = createKeyCache((id) => readSecret(client, id), options);
  const parameters = createKeyCache((name) => {
    if (ssm === undefined) return Promise.reject(new SecretUnavailableError(name, 'this reader has no Parameter Store client'));
    return readParameter(ssm, name);
  }, options);
  return {
    getSecretString: (secretId) => secrets.get(secretId),
    getParameterString: (name) => parameters.get(name),
    invalidate(secretId?: string): void {
      secrets.invalidate(secretId);
      if (secretId === undefined) parameters.invalidate();
    },
    invalidateParameter: (name) => parameters.invalidate(name),
  };
}

async function readSecret(client: SecretsManagerClient, secretId: string): Promise<string> {
  let out;
  try {
    out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  } catch (error) {
    throw unavailable(secretId, error);
  }
  if (out.SecretString === undefined) {
    const reason =
      out.SecretBinary === undefined
        ? 'the secret has no value'
        : 'it is a binary secret; store the key as a string';
    throw new SecretUnavailableError(secretId, reason);
  }
  if (out.SecretString === '') throw new SecretUnavailableError(secretId, 'the secret is empty');
  return out.SecretString;
}

/**
 * A SecureString parameter, decrypted by Parameter Store (with the AWS managed key `aws/ssm`, no
 * KMS permission in the role: ADR 0010). A `String` or `StringList` parameter is refused even
 * though it would answer: a key stored that way is plaintext to anyone who may read parameters.
 */
async function readParameter(client: SSMClient, name: string): Promise<string> {
  let out;
  try {
    out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  } catch (error) {
    throw unavailable(name, error, 'ssm:GetParameter');
  }
  return parameterKey(name, out.Parameter?.Type, out.Parameter?.Value);
}

/** The key a GetParameter answer holds: refused (naming the parameter, never the value) unless a non-empty SecureString. */
export function parameterKey(name: string, type: string | undefined, value: string | undefined): string {
  if (type !== 'SecureString') {
    throw new SecretUnavailableError(
      name,
      `the parameter is of type ${type ?? '(none)'}, not SecureString: an API key must be stored encrypted (aws ssm put-parameter --type SecureString --overwrite)`,
    );
  }
  if (value === undefined || value === '') throw new SecretUnavailableError(name, 'the parameter is empty');
  return value;
}

/** Same classification as every AWS call, reported under the one name callers handle for secrets. */
function unavailable(secretId: string, error: unknown, operation = 'secretsmanager:GetSecretValue'): SecretUnavailableError {
  const translated = translateAwsError(error, { operation });
  return new SecretUnavailableError(secretId, translated.message, {
    cause: translated,
    retryable: translated.retryable,
  });
}
