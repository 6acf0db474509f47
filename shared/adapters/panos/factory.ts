/**
 * Builds one `PanosClient` per firewall from configuration: resolves the API key (Secrets
 * Manager, SSM Parameter Store, file or environment) and the TLS trust (pin, or a CA bundle read once per path).
 */
import { readFile } from 'node:fs/promises';
import { ConfigInvalidError, FirewallAuthError, SecretUnavailableError, errorMessage } from '../../errors.js';
import { describeApiKeyRef, type ApiKeyRef, type FirewallConfig, type TlsConfig } from '../../config/schema.js';
import type { FirewallApi, FirewallApiFactory } from '../../ports/firewall.js';
import type { SecretReader } from '../../ports/messaging.js';
import { PanosClient } from './client.js';
import { MAX_CONNECT_TIMEOUT_MS, type TlsTrust } from './transport.js';

export interface FirewallApiFactoryDeps {
  readonly secrets: SecretReader;
  /** Default: `fs.readFile(path, 'utf8')`. */
  readonly readTextFile?: (path: string) => Promise<string>;
  /** Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default 512 KiB. */
  readonly maxResponseBytes?: number;
}

export { describeApiKeyRef };

function fieldOf(json: string, field: string, reference: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    // No cause: JSON.parse messages quote the input, which is the secret.
    throw new SecretUnavailableError(reference, 'the secret is not a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SecretUnavailableError(reference, 'the secret is not a JSON object');
  }
  const value: unknown = Object.hasOwn(parsed, field) ? (parsed as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string') throw new SecretUnavailableError(reference, `field "${field}" is missing or not a string`);
  return value;
}

async function readRaw(ref: ApiKeyRef, reference: string, deps: Required<Omit<FirewallApiFactoryDeps, 'maxResponseBytes'>>): Promise<string> {
  if ('secretsManager' in ref) {
    let secret: string;
    try {
      secret = await deps.secrets.getSecretString(ref.secretsManager);
    } catch (e) {
      if (e instanceof SecretUnavailableError) throw e;
      throw new SecretUnavailableError(reference, errorMessage(e), { cause: e, retryable: true });
    }
    return ref.field === undefined ? secret : fieldOf(secret, ref.field, reference);
  }
  if ('ssmParameter' in ref) {
    const read = deps.secrets.getParameterString?.bind(deps.secrets);
    if (read === undefined) throw new SecretUnavailableError(reference, 'this controller cannot read SSM parameters here');
    try {
      return await read(ref.ssmParameter);
    } catch (e) {
      if (e instanceof SecretUnavailableError) throw e;
      throw new SecretUnavailableError(reference, errorMessage(e), { cause: e, retryable: true });
    }
  }
  if ('file' in ref) {
    try {
      return await deps.readTextFile(ref.file);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      throw new SecretUnavailableError(reference, `cannot read the file${typeof code === 'string' ? ` (${code})` : ''}`, { cause: e });
    }
  }
  const value = deps.env[ref.env];
  if (value === undefined) throw new SecretUnavailableError(reference, 'the environment variable is not set');
  return value;
}

/** The key, trimmed; `SecretUnavailableError` naming the reference when missing, empty or unusable. */
export async function resolveApiKey(
  ref: ApiKeyRef,
  deps: Required<Omit<FirewallApiFactoryDeps, 'maxResponseBytes'>>,
): Promise<string> {
  const reference = describeApiKeyRef(ref);
  const key = (await readRaw(ref, reference, deps)).trim();
  if (key === '') throw new SecretUnavailableError(reference, 'the key is empty');
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw new SecretUnavailableError(reference, 'the key contains characters not allowed in an HTTP header');
  }
  return key;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

export function createFirewallApiFactory(deps: FirewallApiFactoryDeps): FirewallApiFactory {
  const resolved = {
    secrets: deps.secrets,
    readTextFile: deps.readTextFile ?? ((path: string) => readFile(path, 'utf8')),
    env: deps.env ?? process.env,
  };
  const caBundles = new Map<string, Promise<string>>();

  const readCa = (path: string): Promise<string> => {
    let pending = caBundles.get(path);
    if (pending === undefined) {
      pending = resolved.readTextFile(path).then(
        (pem) => {
          if (!PEM_CERTIFICATE.test(pem)) {
            throw new ConfigInvalidError(`CA file ${path}`, [{ path: 'tls.caFile', message: 'contains no PEM certificate' }]);
          }
          return pem;
        },
        (e: unknown) => {
          throw new ConfigInvalidError(`CA file ${path}`, [{ path: 'tls.caFile', message: `cannot be read: ${errorMessage(e)}` }], {
            cause: e,
          });
        },
      );
      // A failed read is not cached: the next call tries again.
      pending.catch(() => caBundles.delete(path));
      caBundles.set(path, pending);
    }
    return pending;
  };

  const trustFor = async (tls: TlsConfig): Promise<TlsTrust> =>
    'pinnedSha256' in tls
      ? { pinnedSha256: tls.pinnedSha256 }
      : 'pinnedSpkiSha256' in tls
        ? { pinnedSpkiSha256: tls.pinnedSpkiSha256 }
        : { ca: await readCa(tls.caFile), serverName: tls.serverName };

  return {
    async forFirewall(firewall: FirewallConfig, options: { timeoutMs: number }): Promise<FirewallApi> {
      const [apiKey, trust] = await Promise.all([resolveApiKey(firewall.apiKey, resolved), trustFor(firewall.tls)]);
      const client = new PanosClient({
        host: firewall.management.host,
        port: firewall.management.port,
        apiKey,
        tls: trust,
        timeoutMs: options.timeoutMs,
        connectTimeoutMs: Math.min(options.timeoutMs, MAX_CONNECT_TIMEOUT_MS),
        maxResponseBytes: deps.maxResponseBytes,
      });
      const ref = firewall.apiKey;
      if ('secretsManager' in ref) return forgetKeyOnAuthError(client, () => deps.secrets.invalidate?.(ref.secretsManager));
      if ('ssmParameter' in ref) return forgetKeyOnAuthError(client, () => deps.secrets.invalidateParameter?.(ref.ssmParameter));
      return client;
    },
  };
}

/**
 * A refused key may have been rotated in Secrets Manager or Parameter Store since it was cached: drop the cached
 * value so the next call reads the new one (instead of failing until the cache expires).
 */
function forgetKeyOnAuthError(api: FirewallApi, forget: () => void): FirewallApi {
  const guard = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      if (e instanceof FirewallAuthError) forget();
      throw e;
    }
  };
  return {
    target: api.target,
    systemInfo: (o) => guard(() => api.systemInfo(o)),
    chassisReady: (o) => guard(() => api.chassisReady(o)),
    jobs: (o) => guard(() => api.jobs(o)),
    ipsecState: (o) => guard(() => api.ipsecState(o)),
    configShow: (x, o) => guard(() => api.configShow(x, o)),
    licenses: (o) => guard(() => api.licenses(o)),
  };
}
