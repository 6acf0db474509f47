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
 * The value never appears in an error, a log field or `details`; errors name the secret id only.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
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
  /** 0 disables the cache. */
  readonly cacheTtlMs?: number;
  readonly clock?: Pick<Clock, 'now'>;
}

export interface CachingSecretReader extends SecretReader {
  /**
   * Forgets a cached value (all of them without an id). Call it when the firewall refuses the
   * key (`FirewallAuthError`): the key may have been rotated since it was cached.
   */
  invalidate(secretId?: string): void;
}

interface CacheEntry {
  readonly value: string;
  readonly fetchedAt: number;
}

export function createSecretReader(options: SecretReaderOptions): CachingSecretReader {
  const { client } = options;
  const ttl = options.cacheTtlMs ?? DEFAULT_SECRET_CACHE_TTL_MS;
  const clock = options.clock ?? systemClock;
  const cache = new Map<string, CacheEntry>();
  const lastGood = new Map<string, string>();
  const inFlight = new Map<string, Promise<string>>();
  // Bumped by invalidate(), so a read that started before it cannot re-cache a stale value.
  let generation = 0;

  async function fetch(secretId: string): Promise<string> {
    const started = generation;
    let value: string;
    try {
      value = await readSecret(client, secretId);
    } catch (e) {
      const stale = lastGood.get(secretId);
      if (stale === undefined) throw e;
      if (ttl > 0 && started === generation) cache.set(secretId, { value: stale, fetchedAt: clock.now() - ttl + Math.min(ttl, STALE_RETRY_MS) });
      return stale;
    }
    if (started === generation) {
      lastGood.set(secretId, value);
      if (ttl > 0) cache.set(secretId, { value, fetchedAt: clock.now() });
    }
    return value;
  }

  return {
    getSecretString(secretId: string): Promise<string> {
      const cached = cache.get(secretId);
      if (cached !== undefined && clock.now() - cached.fetchedAt < ttl) return Promise.resolve(cached.value);
      const pending = inFlight.get(secretId);
      if (pending !== undefined) return pending;
      const read = fetch(secretId).finally(() => {
        if (inFlight.get(secretId) === read) inFlight.delete(secretId);
      });
      inFlight.set(secretId, read);
      return read;
    },
    invalidate(secretId?: string): void {
      generation++;
      if (secretId === undefined) {
        cache.clear();
        inFlight.clear();
      } else {
        cache.delete(secretId);
        inFlight.delete(secretId);
      }
    },
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

/** Same classification as every AWS call, reported under the one name callers handle for secrets. */
function unavailable(secretId: string, error: unknown): SecretUnavailableError {
  const translated = translateAwsError(error, { operation: 'secretsmanager:GetSecretValue' });
  return new SecretUnavailableError(secretId, translated.message, {
    cause: translated,
    retryable: translated.retryable,
  });
}
