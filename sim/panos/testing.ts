/**
 * Test doubles for driving a simulated firewall exactly: a clock that only moves when told to,
 * and a host view whose instance state and Elastic IPs a test sets by hand. The world's real
 * host view (sim/world) and the speed-factor SimClock replace them in rehearsals.
 */
import { createHash } from 'node:crypto';
import https from 'node:https';
import tls from 'node:tls';
import type { Clock } from '#shared/ports/clock.js';
import type { InstanceState } from '#shared/ports/ec2.js';
import type { FirewallHostView, HeldAddress } from '#sim/world/firewall-host.js';

export { ManualClock } from '../manual-clock.js';

/** A host view a test drives by hand: start/stop the instance, move Elastic IPs. */
export class FakeFirewallHost implements FirewallHostView {
  readonly instanceId: string;
  readonly #clock: Clock;
  #state: InstanceState;
  #runningSince: number | undefined;
  #held = new Map<string, number>();

  constructor(clock: Clock, options: { instanceId?: string; state?: InstanceState; runningSince?: number } = {}) {
    this.#clock = clock;
    this.instanceId = options.instanceId ?? 'i-0123456789abcdef0';
    this.#state = options.state ?? 'stopped';
    this.#runningSince = this.#state === 'running' ? (options.runningSince ?? clock.now()) : undefined;
  }

  instanceState(): InstanceState {
    return this.#state;
  }

  runningSince(): number | undefined {
    return this.#runningSince;
  }

  heldAddresses(): readonly HeldAddress[] {
    return [...this.#held].map(([publicIp, since]) => ({ publicIp, since }));
  }

  /** The instance enters `running` now (or at `since`). */
  start(since = this.#clock.now()): void {
    this.#state = 'running';
    this.#runningSince = since;
  }

  stop(): void {
    this.#state = 'stopped';
    this.#runningSince = undefined;
  }

  setState(state: InstanceState): void {
    this.#state = state;
    if (state !== 'running') this.#runningSince = undefined;
    else this.#runningSince ??= this.#clock.now();
  }

  associate(publicIp: string, since = this.#clock.now()): void {
    this.#held.set(publicIp, since);
  }

  disassociate(publicIp: string): void {
    this.#held.delete(publicIp);
  }
}

// ---------------------------------------------------------------------------------------------
// A minimal pinned HTTPS client, independent of the controller's adapter, for tests that must
// see exactly what travels on the wire.

export interface SimRequestOptions {
  readonly port: number;
  /** Form fields (`type`, `cmd`, `action`, `xpath`, ...). */
  readonly form: Readonly<Record<string, string>>;
  /** POST form-encoded (default) or GET with the form as the query string. */
  readonly method?: 'GET' | 'POST';
  readonly apiKey?: string;
  /** Where the key travels: `X-PAN-KEY` header (default) or a `key=` parameter. */
  readonly keyIn?: 'header' | 'param';
  /** `AB:CD:..`: the request is sent only if the peer's certificate has this SHA-256. */
  readonly pinnedSha256?: string;
  /** Real milliseconds before giving up (outcome `timeout`). */
  readonly timeoutMs?: number;
  /** Stop reading beyond this many bytes (outcome `too-large`). */
  readonly maxBytes?: number;
}

export type SimOutcome =
  | {
      readonly outcome: 'answered';
      readonly status: number;
      readonly statusMessage: string;
      readonly headers: Readonly<Record<string, string | string[] | undefined>>;
      readonly body: string;
      readonly bytes: number;
      readonly peerFingerprint256: string;
    }
  | { readonly outcome: 'pin-mismatch'; readonly peerFingerprint256: string }
  | { readonly outcome: 'network-error'; readonly code: string }
  | { readonly outcome: 'too-large'; readonly bytes: number }
  | { readonly outcome: 'timeout' };

/** SHA-256 of the DER certificate, `AB:CD:..`, computed here rather than trusted from Node. */
export function sha256Fingerprint(der: Buffer): string {
  return (createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g) ?? []).join(':');
}

export function requestSim(options: SimRequestOptions): Promise<SimOutcome> {
  return new Promise<SimOutcome>((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: options.port, rejectUnauthorized: false });
    let settled = false;
    const done = (outcome: SimOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done({ outcome: 'timeout' }), options.timeoutMs ?? 10_000);
    const fail = (e: unknown) => done({ outcome: 'network-error', code: String((e as { code?: unknown }).code ?? e) });
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      const peerFingerprint256 = sha256Fingerprint(socket.getPeerCertificate().raw);
      if (options.pinnedSha256 !== undefined && peerFingerprint256 !== options.pinnedSha256.toUpperCase()) {
        done({ outcome: 'pin-mismatch', peerFingerprint256 });
        return;
      }
      send(socket, options, peerFingerprint256, done, fail);
    });
  });
}

function send(
  socket: tls.TLSSocket,
  options: SimRequestOptions,
  peerFingerprint256: string,
  done: (o: SimOutcome) => void,
  fail: (e: unknown) => void,
): void {
  const method = options.method ?? 'POST';
  const params = new URLSearchParams(options.form);
  const headers: Record<string, string> = { Host: `127.0.0.1:${options.port}`, Connection: 'close' };
  if (options.apiKey !== undefined) {
    if (options.keyIn === 'param') params.set('key', options.apiKey);
    else headers['X-PAN-KEY'] = options.apiKey;
  }
  const body = method === 'POST' ? params.toString() : '';
  if (method === 'POST') {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  const path = method === 'GET' ? `/api/?${params.toString()}` : '/api/';
  const req = https.request({ method, path, headers, createConnection: () => socket });
  req.on('error', fail);
  req.on('response', (res) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > (options.maxBytes ?? 8 * 1024 * 1024)) {
        done({ outcome: 'too-large', bytes });
        return;
      }
      chunks.push(chunk);
    });
    res.on('error', fail);
    res.on('end', () =>
      done({
        outcome: 'answered',
        status: res.statusCode ?? 0,
        statusMessage: res.statusMessage ?? '',
        headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        bytes,
        peerFingerprint256,
      }),
    );
  });
  req.end(body);
}
