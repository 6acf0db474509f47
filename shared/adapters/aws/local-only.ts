/**
 * The local-only guard: in the modes that must never reach a real AWS account (the simulator,
 * `npm start`, `pan-failover sim`, the tests), every SDK client refuses, before the request is
 * signed, a request to a host that is not a loopback address.
 *
 * The mode is the environment variable `PAN_FAILOVER_LOCAL_ONLY=1` (set by
 * `isolateFromRealAws` in `shared/runtime/local-aws.ts`, inherited by child processes). A
 * deployed function never has it; setting it can only forbid calls, never allow one.
 *
 * The check runs in the SDK's middleware stack right before `httpSigningMiddleware`, after the
 * endpoint was resolved from every source the SDK reads (`AWS_ENDPOINT_URL`, the per-service
 * variables, a profile's `endpoint_url`, `ignore_configured_endpoint_urls`, a code `endpoint`),
 * so whatever chose the host, the host is what is checked. Loopback means an IP literal in
 * 127.0.0.0/8 or ::1: a name such as `localhost` is refused (a hosts file or DNS decides where
 * a name goes).
 */
import { isIP } from 'node:net';
import { LocalOnlyViolationError } from '#shared/errors.js';

export const LOCAL_ONLY_ENV = 'PAN_FAILOVER_LOCAL_ONLY';

export function isLocalOnly(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[LOCAL_ONLY_ENV] === '1';
}

/** 127.0.0.0/8, ::1 and ::ffff:127.x.y.z, with or without IPv6 brackets. Names never. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const kind = isIP(host);
  if (kind === 4) return host.startsWith('127.');
  if (kind === 6) {
    const lower = host.toLowerCase();
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped?.[1] !== undefined && mapped[1].startsWith('127.');
  }
  return false;
}

/** The part of an SDK client this guard needs (structural, so no dependency on @smithy/types). */
interface GuardableClient {
  readonly middlewareStack: {
    addRelativeTo(
      middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string; clientName?: string }) => (args: unknown) => Promise<unknown>,
      options: { relation: 'before' | 'after'; toMiddleware: string; name?: string; override?: boolean },
    ): void;
  };
}

export const LOOPBACK_GUARD_NAME = 'panFailoverLoopbackGuard';

/** Adds the guard to `client` (a no-op when the process is not in a local mode). Returns the client. */
export function guardLocalOnly<C extends { readonly middlewareStack: object }>(client: C, env: NodeJS.ProcessEnv = process.env): C {
  if (!isLocalOnly(env)) return client;
  (client as unknown as GuardableClient).middlewareStack.addRelativeTo(
    (next, context) => async (args) => {
      const request = (args as { request?: { hostname?: unknown } }).request;
      const hostname = typeof request?.hostname === 'string' ? request.hostname : '(no host)';
      if (!isLoopbackHost(hostname)) {
        throw new LocalOnlyViolationError(hostname, `${context.clientName ?? 'AWS client'} ${context.commandName ?? 'call'}`);
      }
      return next(args);
    },
    { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: LOOPBACK_GUARD_NAME, override: true },
  );
  return client;
}
