/**
 * Isolation of the local modes from every real AWS account: the simulator (and so `npm start`
 * and `pan-failover sim`) and the test setup call `isolateFromRealAws` before any SDK client
 * exists. An engineer logged in to production on the same laptop never touches production:
 *
 * - every `AWS_*` variable of the caller is removed (profiles, session tokens, role and
 *   web-identity settings, container credential URIs, every `AWS_ENDPOINT_URL_<SERVICE>`,
 *   `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`, FIPS/dual-stack switches...) except the region and
 *   the SDK's retry and warning settings, which select no account;
 * - `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` point at empty files of this process,
 *   so no profile, `endpoint_url` or `ignore_configured_endpoint_urls = true` of
 *   `~/.aws/config` is read; `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false` forces the endpoint
 *   variables to count; `AWS_EC2_METADATA_DISABLED=true` keeps the credential chain off the
 *   instance metadata service;
 * - the keys are the simulator's own (`simulator`/`simulator`), and `AWS_ENDPOINT_URL` the
 *   simulator's loopback address when one is given;
 * - `PAN_FAILOVER_LOCAL_ONLY=1`: every client the factory builds from then on refuses, before
 *   signing, a request to a host that is not loopback (`shared/adapters/aws/local-only.ts`).
 *
 * Not for deployed functions or for the CLI against a real account.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLoopbackHost, LOCAL_ONLY_ENV } from '#shared/adapters/aws/local-only.js';

/** The simulator's keys: they sign requests nobody checks, and are nobody's. */
export const SIMULATOR_CREDENTIALS = { accessKeyId: 'simulator', secretAccessKey: 'simulator' } as const;

/** `AWS_*` variables that select no account and no endpoint, and so survive the isolation. */
const KEPT: ReadonlySet<string> = new Set([
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_MAX_ATTEMPTS',
  'AWS_RETRY_MODE',
  'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
]);

export interface IsolationOptions {
  /** The simulator's endpoint (`http://127.0.0.1:<port>`); must be loopback. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface Isolation {
  /** Names of the caller's variables that were removed (values are never kept). */
  readonly removed: readonly string[];
  /** What was set, for `pan-failover sim` to print for another shell. */
  readonly set: Readonly<Record<string, string>>;
}

let emptyFiles: { dir: string; config: string; credentials: string } | undefined;

/** Two empty files of this process (re-emptied if anything wrote to them), removed at exit. */
function emptyAwsFiles(): { config: string; credentials: string } {
  if (emptyFiles) {
    for (const f of [emptyFiles.config, emptyFiles.credentials]) {
      let content: string | undefined;
      try {
        content = readFileSync(f, 'utf8');
      } catch {
        content = undefined;
      }
      if (content !== '') writeFileSync(f, '', { mode: 0o600 });
    }
    return emptyFiles;
  }
  const dir = mkdtempSync(join(tmpdir(), 'pan-failover-no-aws-'));
  const files = { dir, config: join(dir, 'config'), credentials: join(dir, 'credentials') };
  writeFileSync(files.config, '', { mode: 0o600 });
  writeFileSync(files.credentials, '', { mode: 0o600 });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  emptyFiles = files;
  return files;
}

/** Applies the isolation to `options.env` (default `process.env`). Idempotent. */
export function isolateFromRealAws(options: IsolationOptions = {}): Isolation {
  const env = options.env ?? process.env;
  if (options.endpoint !== undefined) {
    const host = URL.canParse(options.endpoint) ? new URL(options.endpoint).hostname : '';
    if (!isLoopbackHost(host)) throw new RangeError(`the simulator's endpoint must be a loopback address (got ${JSON.stringify(options.endpoint)})`);
  }
  const removed: string[] = [];
  for (const name of Object.keys(env)) {
    if (name.startsWith('AWS_') && !KEPT.has(name)) {
      delete env[name];
      removed.push(name);
    }
  }
  const files = emptyAwsFiles();
  const set: Record<string, string> = {
    AWS_CONFIG_FILE: files.config,
    AWS_SHARED_CREDENTIALS_FILE: files.credentials,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false',
    AWS_ACCESS_KEY_ID: SIMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SIMULATOR_CREDENTIALS.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ?? 'true',
    [LOCAL_ONLY_ENV]: '1',
    ...(options.endpoint === undefined ? {} : { AWS_ENDPOINT_URL: options.endpoint }),
    ...(options.region === undefined ? {} : { AWS_REGION: options.region, AWS_DEFAULT_REGION: options.region }),
  };
  Object.assign(env, set);
  return { removed: removed.filter((n) => !(n in set)), set };
}
