/**
 * One HTTPS POST to a firewall's `/api/`, with per-connection trust and hard timeouts.
 *
 * The TLS connection is opened and verified here, and only a verified socket is handed to
 * `https.request` (through `createConnection`), so no byte of the request, and so never the
 * key, is written to a peer that failed the pin or the CA check. No agent: every call gets a
 * fresh connection (`Connection: close`), which rules out reusing a socket verified under
 * other trust settings.
 */
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { constants as cryptoConstants, createHash, type X509Certificate } from 'node:crypto';
import {
  FirewallMalformedResponseError,
  FirewallTimeoutError,
  FirewallTlsUntrustedError,
  FirewallUnreachableError,
  type FirewallError,
} from '../../errors.js';
import { loopAwareTimeout } from '../../runtime/loop-timer.js';
import type { HttpAnswer } from './xml.js';

/**
 * Trust for one firewall: its pinned certificate (SHA-256 of the DER certificate), its pinned
 * public key (SHA-256 of the DER SubjectPublicKeyInfo: survives a renewal that keeps the key
 * pair), or a CA bundle (PEM text).
 */
export type TlsTrust =
  | { readonly pinnedSha256: string }
  | { readonly pinnedSpkiSha256: string }
  | { readonly ca: string | Buffer; readonly serverName?: string };

/** SHA-256 of the certificate's DER SubjectPublicKeyInfo, upper-case hex without colons. */
export function spkiSha256(cert: X509Certificate): string {
  return createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('hex').toUpperCase();
}

export const DEFAULT_MAX_RESPONSE_BYTES = 512 * 1024;
export const MAX_CONNECT_TIMEOUT_MS = 3000;

export interface PostFormRequest {
  readonly host: string;
  readonly port: number;
  readonly trust: TlsTrust;
  readonly apiKey: string;
  /** Form fields (`type`, `cmd`, `action`, `xpath`...), URL-encoded into the body. */
  readonly form: Readonly<Record<string, string>>;
  /** Budget for the whole call: connect, TLS, request, complete response. */
  readonly timeoutMs: number;
  /** Budget for TCP connect plus TLS handshake and verification. */
  readonly connectTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly signal?: AbortSignal;
}

/** `AB:CD:...` or `abcd...` -> `ABCD...`. */
export function normalizeFingerprint(fp: string): string {
  return fp.replace(/:/g, '').trim().toUpperCase();
}

/** `host:port` (IPv6 literals bracketed). */
export function formatTarget(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTDOWN',
  'ENETDOWN',
]);

/** OpenSSL/Node verification failures (see Node's `tls` docs, "X509 certificate error codes"). */
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Socket and TLS errors -> the typed errors; anything unexpected counts as unreachable (retryable). */
export function classifyNetworkError(target: string, e: unknown): FirewallError {
  if (e instanceof FirewallTimeoutError || e instanceof FirewallTlsUntrustedError) return e;
  if (e instanceof FirewallUnreachableError || e instanceof FirewallMalformedResponseError) return e;
  const code = errorCode(e) ?? 'unknown';
  const message = e instanceof Error ? e.message : String(e);
  if (UNTRUSTED_CODES.has(code)) {
    return new FirewallTlsUntrustedError(target, `certificate not trusted (${code}): ${message}`, { cause: e });
  }
  if (code === 'ETIMEDOUT') return new FirewallTimeoutError(target, `timed out (${code})`, { cause: e });
  const kind = UNREACHABLE_CODES.has(code) ? 'unreachable' : 'connection failed';
  return new FirewallUnreachableError(target, `${kind} (${code}): ${message}`, { cause: e });
}

/**
 * TLS contexts, built once and reused by every later connection: building one (the CA store, the
 * options) costs more CPU than the handshake itself, and a probe of 50 pairs opens a few hundred
 * connections a round. Every pinned trust shares one context (the pin is checked on the peer,
 * not by the context); a CA bundle gets its own, keyed by the bundle (the factory reads each file
 * once). Only the context is shared: every connection still makes a full handshake (no session
 * is resumed) and its peer is verified anew.
 */
let pinnedContext: tls.SecureContext | undefined;
const caContexts = new Map<string | Buffer, tls.SecureContext>();
/** CA bundles kept (a deployment has a handful; more only in tests): the oldest is dropped beyond. */
const MAX_CA_CONTEXTS = 32;

function secureContextFor(trust: TlsTrust): tls.SecureContext {
  // No renegotiation: the peer is verified on the first handshake, and a renegotiation could
  // present another certificate that nobody checks (with a pin, chain checks are off). TLS 1.3
  // has none; on TLS 1.2 OpenSSL declines a server's HelloRequest (SSL_OP_NO_RENEGOTIATION), so
  // the session, and so the peer, stays the verified one. (`disableRenegotiation()` would not
  // do: Node applies it to server sockets only.)
  const secureOptions = cryptoConstants.SSL_OP_NO_RENEGOTIATION;
  if (!('ca' in trust)) return (pinnedContext ??= tls.createSecureContext({ secureOptions }));
  let context = caContexts.get(trust.ca);
  if (context === undefined) {
    context = tls.createSecureContext({ ca: trust.ca, secureOptions });
    if (caContexts.size >= MAX_CA_CONTEXTS) caContexts.delete(caContexts.keys().next().value as string | Buffer);
    caContexts.set(trust.ca, context);
  }
  return context;
}

function tlsOptions(host: string, port: number, trust: TlsTrust): tls.ConnectionOptions {
  const base = { host, port, ALPNProtocols: ['http/1.1'], secureContext: secureContextFor(trust) };
  if ('pinnedSha256' in trust || 'pinnedSpkiSha256' in trust) {
    // The pin replaces chain and name checks; it is compared on `secureConnect`, before any write.
    return { ...base, rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) };
  }
  const expectedName = trust.serverName ?? host;
  return {
    ...base,
    rejectUnauthorized: true,
    // SNI must not carry an IP address (RFC 6066); the identity check still uses it.
    ...(isIP(expectedName) ? {} : { servername: expectedName }),
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(expectedName, cert),
  };
}

/** `undefined` when the connected peer is trusted, else the reason. */
function verifyPeer(socket: tls.TLSSocket, trust: TlsTrust, target: string): FirewallError | undefined {
  if ('pinnedSha256' in trust) {
    // The X509Certificate, not getPeerCertificate(): the same fingerprint without decoding every field.
    const seen = socket.getPeerX509Certificate()?.fingerprint256;
    const expected = normalizeFingerprint(trust.pinnedSha256);
    if (seen !== undefined && normalizeFingerprint(seen) === expected) return undefined;
    return new FirewallTlsUntrustedError(
      target,
      `certificate fingerprint ${seen ?? '(no certificate)'} does not match the pinned SHA-256 ${expected}`,
      { details: { seenSha256: seen, expectedSha256: expected } },
    );
  }
  if ('pinnedSpkiSha256' in trust) {
    const peer = socket.getPeerX509Certificate();
    const seen = peer === undefined ? undefined : spkiSha256(peer);
    const expected = normalizeFingerprint(trust.pinnedSpkiSha256);
    if (seen !== undefined && seen === expected) return undefined;
    return new FirewallTlsUntrustedError(
      target,
      `public key SHA-256 ${seen ?? '(no certificate)'} does not match the pinned public key ${expected}`,
      { details: { seenSpkiSha256: seen, expectedSpkiSha256: expected } },
    );
  }
  if (socket.authorized) return undefined;
  const reason = socket.authorizationError;
  return new FirewallTlsUntrustedError(target, `certificate not trusted by the configured CA: ${String(reason)}`, {
    cause: reason,
  });
}

/**
 * Opens a TLS connection and calls back with it only once the peer is verified. Returns the
 * socket at once so the caller can destroy it on a timeout.
 */
function openVerified(
  req: PostFormRequest,
  target: string,
  done: (err: unknown, socket?: tls.TLSSocket) => void,
): tls.TLSSocket {
  const socket = tls.connect(tlsOptions(req.host, req.port, req.trust));
  const onError = (e: unknown) => {
    socket.removeListener('secureConnect', onSecure);
    done(e);
  };
  const onSecure = () => {
    socket.removeListener('error', onError);
    const problem = verifyPeer(socket, req.trust, target);
    if (problem) {
      socket.destroy();
      // Keep a listener: a late error on the destroyed socket must not crash the process.
      socket.on('error', () => undefined);
      done(problem);
    } else {
      // `http` attaches its own listener on the next tick and still sees every error; this one
      // only keeps an error emitted in between from becoming an uncaught exception.
      socket.on('error', () => undefined);
      done(undefined, socket);
    }
  };
  socket.once('error', onError);
  socket.once('secureConnect', onSecure);
  return socket;
}

function readBody(
  res: IncomingMessage,
  max: number,
  target: string,
  onDone: (body: Buffer) => void,
  onFail: (e: FirewallError) => void,
): void {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    onFail(new FirewallMalformedResponseError(target, `response of ${declared} bytes exceeds the ${max}-byte limit`));
    return;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  res.on('data', (chunk: Buffer) => {
    total += chunk.length;
    if (total > max) {
      onFail(new FirewallMalformedResponseError(target, `response exceeds the ${max}-byte limit`));
      return;
    }
    chunks.push(chunk);
  });
  res.on('end', () => onDone(Buffer.concat(chunks, total)));
  res.on('error', (e) => onFail(classifyNetworkError(target, e)));
}

const utf8 = new TextDecoder('utf-8');

/**
 * POSTs `form` (URL-encoded) to `https://host:port/api/` with the key in `X-PAN-KEY`.
 * Resolves with the HTTP status and body text whatever the status; rejects only with
 * `FirewallTimeoutError`, `FirewallUnreachableError`, `FirewallTlsUntrustedError` or
 * `FirewallMalformedResponseError` (body over the limit).
 */
export function postForm(req: PostFormRequest): Promise<HttpAnswer> {
  const target = formatTarget(req.host, req.port);
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    // Filled in as they are created; `fail` may run before either exists (aborted signal).
    const handles: { socket?: tls.TLSSocket; request?: ReturnType<typeof https.request> } = {};

    const cleanup = () => {
      totalTimer.clear();
      connectTimer.clear();
      req.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (e: FirewallError) => {
      if (settled) return;
      settled = true;
      cleanup();
      handles.request?.destroy();
      handles.socket?.destroy();
      reject(e);
    };
    const succeed = (answer: HttpAnswer) => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(answer);
    };

    // Both budgets count only time in which the loop could have read the answer: a long
    // synchronous parse of the other firewall's answer does not use them up (loop-timer.ts).
    const totalTimer = loopAwareTimeout(req.timeoutMs, () =>
      fail(new FirewallTimeoutError(target, `no complete answer within ${req.timeoutMs} ms`)),
    );
    const connectTimer = loopAwareTimeout(req.connectTimeoutMs, () =>
      fail(new FirewallTimeoutError(target, `TLS connection not established within ${req.connectTimeoutMs} ms`)),
    );
    const onAbort = () => fail(new FirewallTimeoutError(target, 'call aborted by the caller', { cause: req.signal?.reason }));
    if (req.signal?.aborted) {
      onAbort();
      return;
    }
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const body = new URLSearchParams(req.form).toString();
    let request: ReturnType<typeof https.request>;
    try {
      request = https.request(
        {
          host: req.host,
          port: req.port,
          method: 'POST',
          path: '/api/',
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            'Content-Length': Buffer.byteLength(body),
            'X-PAN-KEY': req.apiKey,
            Accept: 'application/xml, text/xml',
            Connection: 'close',
          },
          createConnection: (_options, oncreate) => {
            handles.socket = openVerified(req, target, (err, verified) => {
              if (settled) return;
              connectTimer.clear();
              if (err !== undefined || verified === undefined) fail(classifyNetworkError(target, err));
              else oncreate(null, verified);
            });
            return undefined;
          },
        },
        (res) => {
          readBody(
            res,
            req.maxResponseBytes,
            target,
            (buf) => succeed({ status: res.statusCode ?? 0, body: utf8.decode(buf) }),
            fail,
          );
        },
      );
    } catch (e) {
      // Synchronous refusals (invalid host or header): nothing was sent.
      fail(classifyNetworkError(target, e));
      return;
    }
    handles.request = request;
    request.on('error', (e) => fail(classifyNetworkError(target, e)));
    request.end(body);
  });
}
