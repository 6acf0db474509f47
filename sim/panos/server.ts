/**
 * One simulated VM-Series: an HTTPS XML API on 127.0.0.1 whose life follows its simulated EC2
 * instance (read through `FirewallHostView` on every connection and request).
 *
 * Connections are taken by a plain TCP listener first and handed to the HTTPS server only when
 * the firewall would answer. While it would not (instance not running, management plane still
 * booting, `dead`, the dead half of `flapping`), the accepted socket is reset at once (RST), so
 * a client sees ECONNRESET on connect or handshake. The listener itself stays open: closing
 * and reopening it would race other processes for the port, and the host view has no events
 * to drive it. (On AWS a stopped instance's address rather drops SYNs -- a connect timeout;
 * the `hung` fault covers clients that must handle silence.)
 *
 * Every delay (latency, slow answers) runs on the simulated clock.
 */
import net from 'node:net';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '#shared/ports/clock.js';
import { InputInvalidError } from '#shared/errors.js';
import type { FirewallHostView } from '#sim/world/firewall-host.js';
import { generateCertificate } from './certificate.js';
import type { SimCertificate } from './certificate.js';
import { parseApiRequest, requestLabel } from './commands.js';
import type { ApiRequest } from './commands.js';
import { runningConfig } from './config.js';
import { applyFaultPatch, flappingDown, NO_FAULTS } from './faults.js';
import type { FaultPatch, FirewallFaults } from './faults.js';
import { jobsAt } from './jobs.js';
import { currentTimeline, phaseAt } from './lifecycle.js';
import type { BootTimeline, Phase } from './lifecycle.js';
import { malformedAnswer } from './malformed.js';
import type { HttpAnswer } from './malformed.js';
import { resolveProfile } from './profile.js';
import type { FirewallProfile, FirewallProfileInput } from './profile.js';
import {
  badRequestXml,
  badXpathXml,
  chassisReadyXml,
  configGetXml,
  configShowXml,
  ikeSaXml,
  INVALID_CREDENTIAL_BODY,
  ipsecSaXml,
  jobsXml,
  licensesXml,
  NO_SUCH_NODE_XML,
  NOT_PRESENT_XML,
  opErrorXml,
  systemInfoXml,
  versionXml,
  vpnFlowDetailXml,
  vpnFlowXml,
} from './responses.js';
import { tunnelSnapshot } from './tunnels.js';
import type { FlowEntryState, TunnelSnapshot } from './tunnels.js';
import { parseXpath, selectNodes } from './xpath.js';
import type { XmlElement } from './xml.js';

export const MANAGEMENT_HOST = '127.0.0.1';
/** Largest POST body accepted; commands are a few hundred bytes. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;
const XML = 'application/xml; charset=UTF-8';
const HUGE_CHUNK_BYTES = 64 * 1024;

export interface PanosSimulatorOptions {
  /** Firewall name: certificate CN and default hostname. */
  readonly name: string;
  readonly host: FirewallHostView;
  readonly clock: Clock;
  /** The one API key the firewall accepts. Never logged, never echoed. */
  readonly apiKey: string;
  readonly profile?: FirewallProfileInput;
  readonly faults?: FaultPatch;
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
}

export interface SimFirewallStatus {
  readonly phase: Phase;
  /** Whether a TCP connection would be served now (phase and faults together). */
  readonly answering: boolean;
  readonly timeline: BootTimeline | undefined;
  readonly tunnels: readonly FlowEntryState[];
}

export interface SimFirewall {
  readonly name: string;
  readonly managementHost: string;
  readonly port: number;
  /** `https://127.0.0.1:<port>/api/`. */
  readonly endpoint: string;
  /** Fingerprint of the firewall's own certificate (what an operator pins), `AB:CD:..`. */
  readonly fingerprint256: string;
  readonly certificatePem: string;
  /** Fingerprint of the certificate served right now (differs under `certificateChanged`). */
  readonly servedFingerprint256: string;
  readonly profile: FirewallProfile;
  readonly faults: FirewallFaults;
  /** Merges `patch` into the faults; a key set to `undefined` clears that fault. */
  setFaults(patch: FaultPatch): void;
  clearFaults(): void;
  /** HTTP requests received, by command (`show system info`, `config show`, `version`, ...). */
  requests(): Readonly<Record<string, number>>;
  /** TCP connections reset because the firewall was not answering. */
  refusedConnections(): number;
  /** Failures of the simulator itself (bugs); a test should expect none. */
  internalErrors(): readonly Error[];
  status(): SimFirewallStatus;
  /** Replace the firewall's own certificate (an operator installed a new one). */
  rotateCertificate(): Promise<void>;
  /**
   * An operator changed and committed the firewall's configuration (or its licences, versions):
   * `patch` replaces those profile fields, and the running config is rebuilt from the result.
   * Throws `InputInvalidError` for a profile that does not validate (nothing changes then).
   */
  reconfigure(patch: FirewallProfileInput): void;
  close(): Promise<void>;
}

type BodyRead =
  | { readonly ok: true; readonly body: string }
  | { readonly ok: false; readonly reason: 'too-large' | 'aborted' };

function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and dropped, so the 413 is not lost to a reset caused
      // by unread data; a client that never stops is cut off.
      if (size > limit * 16) req.destroy();
      else if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(size > limit ? { ok: false, reason: 'too-large' } : { ok: true, body: Buffer.concat(chunks).toString('utf8') }),
    );
    // The client went away before the body was complete: nobody is left to answer.
    req.on('close', () => resolve({ ok: false, reason: 'aborted' }));
    req.on('error', () => resolve({ ok: false, reason: 'aborted' }));
  });
}

function peerKey(socket: net.Socket): string {
  return `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

const xmlAnswer = (body: string, status = 200): HttpAnswer => ({ status, contentType: XML, body });
const FORBIDDEN: HttpAnswer = {
  status: 403,
  statusMessage: 'Invalid Credential',
  contentType: XML,
  body: INVALID_CREDENTIAL_BODY,
};

class PanosSimulator implements SimFirewall {
  readonly name: string;
  readonly managementHost = MANAGEMENT_HOST;
  #profile: FirewallProfile;
  readonly #host: FirewallHostView;
  readonly #clock: Clock;
  readonly #keyDigest: Buffer;
  #config: XmlElement;
  readonly #tcp: net.Server;
  readonly #https: https.Server;
  readonly #lifetime = new AbortController();
  readonly #sockets = new Set<net.Socket>();
  /** Raw TCP socket under each connection, by peer: only it can send a RST once TLS wraps it. */
  readonly #rawByPeer = new Map<string, net.Socket>();
  readonly #counts = new Map<string, number>();
  readonly #errors: Error[] = [];
  #own: SimCertificate;
  readonly #impostor: SimCertificate;
  #faults: FirewallFaults = NO_FAULTS;
  #flappingSince = 0;
  #refused = 0;
  #port = 0;
  #closed = false;

  constructor(options: PanosSimulatorOptions, profile: FirewallProfile, own: SimCertificate, impostor: SimCertificate) {
    this.name = options.name;
    this.#profile = profile;
    this.#host = options.host;
    this.#clock = options.clock;
    this.#keyDigest = digest(options.apiKey);
    this.#config = runningConfig(profile);
    this.#own = own;
    this.#impostor = impostor;
    this.#tcp = net.createServer({ pauseOnConnect: true }, (socket) => this.#onConnection(socket));
    this.#https = https.createServer({ key: own.keyPem, cert: own.certPem }, (req, res) => this.#onRequest(req, res));
    this.#https.on('secureConnection', (socket: TLSSocket) => this.#track(socket));
    // A client that gives up mid-handshake (pin mismatch, timeout) is normal traffic here.
    this.#https.on('tlsClientError', (_err, socket) => socket.destroy());
    this.setFaults(options.faults ?? {});
  }

  get profile(): FirewallProfile {
    return this.#profile;
  }

  reconfigure(patch: FirewallProfileInput): void {
    const next = resolveProfile(this.name, { ...this.#profile, ...patch });
    this.#config = runningConfig(next);
    this.#profile = next;
  }

  get port(): number {
    return this.#port;
  }

  get endpoint(): string {
    return `https://${MANAGEMENT_HOST}:${this.#port}/api/`;
  }

  get fingerprint256(): string {
    return this.#own.fingerprint256;
  }

  get certificatePem(): string {
    return this.#own.certPem;
  }

  get servedFingerprint256(): string {
    return this.#served().fingerprint256;
  }

  get faults(): FirewallFaults {
    return this.#faults;
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#tcp.once('error', reject);
      this.#tcp.listen({ host: MANAGEMENT_HOST, port, exclusive: true }, () => {
        this.#tcp.off('error', reject);
        const address = this.#tcp.address();
        if (address === null || typeof address === 'string') {
          reject(new Error(`unexpected listener address ${String(address)}`));
          return;
        }
        this.#port = address.port;
        // A listener failing later is a simulator failure, surfaced to the test, not a crash.
        this.#tcp.on('error', (e) => this.#errors.push(e));
        resolve();
      });
    });
  }

  setFaults(patch: FaultPatch): void {
    const before = this.#faults;
    this.#faults = applyFaultPatch(before, patch);
    if (patch.flapping !== undefined) this.#flappingSince = this.#clock.now();
    if (before.certificateChanged !== this.#faults.certificateChanged) this.#installCertificate();
  }

  clearFaults(): void {
    this.setFaults(NO_FAULTS);
  }

  requests(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.#counts);
  }

  refusedConnections(): number {
    return this.#refused;
  }

  internalErrors(): readonly Error[] {
    return [...this.#errors];
  }

  status(): SimFirewallStatus {
    const now = this.#clock.now();
    const timeline = this.#timeline();
    return { phase: phaseAt(timeline, now), answering: this.#answering(), timeline, tunnels: this.#tunnels(now, timeline).entries };
  }

  async rotateCertificate(): Promise<void> {
    this.#own = await generateCertificate(this.name);
    this.#installCertificate();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#lifetime.abort();
    const closed = new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  // -------------------------------------------------------------------------------------------
  // State

  #timeline(): BootTimeline | undefined {
    const f = this.#faults;
    return currentTimeline(this.#host.instanceState(), this.#host.runningSince(), this.profile.timings, {
      slowBoot: f.slowBoot,
      neverReady: f.neverReady,
    });
  }

  /** Whether a connection would be served now: booted far enough, and not dead or flapping down. */
  #answering(): boolean {
    const phase = phaseAt(this.#timeline(), this.#clock.now());
    if (phase === 'off' || phase === 'refusing') return false;
    const f = this.#faults;
    if (f.dead) return false;
    return !(f.flapping && flappingDown(f.flapping, this.#flappingSince, this.#clock.now()));
  }

  #tunnels(now: number, timeline: BootTimeline | undefined): TunnelSnapshot {
    const outer = this.profile.interfaces[0];
    return tunnelSnapshot({
      tunnels: this.profile.tunnels,
      held: timeline ? this.#host.heldAddresses() : [],
      readyAt: timeline?.readyAt,
      now,
      negotiationMs: this.profile.timings.negotiationMs,
      peerDown: this.#faults.tunnelPeerDown,
      outerIf: outer?.name ?? 'ethernet1/1',
      localIp: outer?.address.split('/')[0] ?? '0.0.0.0',
    });
  }

  #served(): SimCertificate {
    return this.#faults.certificateChanged ? this.#impostor : this.#own;
  }

  /** New certificate from now on; open connections are dropped so the next request handshakes again. */
  #installCertificate(): void {
    const cert = this.#served();
    this.#https.setSecureContext({ key: cert.keyPem, cert: cert.certPem });
    for (const socket of this.#sockets) socket.destroy();
  }

  // -------------------------------------------------------------------------------------------
  // Connections

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    // Clients resetting or timing out their side is ordinary traffic for a firewall.
    socket.on('error', () => undefined);
  }

  #refuse(socket: net.Socket): void {
    this.#refused++;
    socket.resetAndDestroy();
  }

  #reset(socket: net.Socket): void {
    const raw = this.#rawByPeer.get(peerKey(socket));
    if (raw) raw.resetAndDestroy();
    else socket.destroy();
  }

  #onConnection(socket: net.Socket): void {
    this.#track(socket);
    const peer = peerKey(socket);
    this.#rawByPeer.set(peer, socket);
    socket.once('close', () => {
      if (this.#rawByPeer.get(peer) === socket) this.#rawByPeer.delete(peer);
    });
    if (this.#closed || !this.#answering()) {
      this.#refuse(socket);
      return;
    }
    const latency = this.#faults.latencyMs;
    if (latency <= 0) {
      this.#handOff(socket);
      return;
    }
    this.#delay(latency).then(
      () => this.#handOff(socket),
      (e: unknown) => this.#failConnection(e, socket),
    );
  }

  #handOff(socket: net.Socket): void {
    if (socket.destroyed) return;
    if (!this.#answering()) {
      this.#refuse(socket);
      return;
    }
    this.#https.emit('connection', socket);
  }

  #failConnection(e: unknown, socket: net.Socket): void {
    socket.destroy();
    if (this.#closed && isAbort(e)) return;
    this.#errors.push(e instanceof Error ? e : new Error(String(e)));
  }

  #delay(ms: number): Promise<void> {
    return ms > 0 ? this.#clock.sleep(ms, this.#lifetime.signal) : Promise.resolve();
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  #count(label: string): void {
    this.#counts.set(label, (this.#counts.get(label) ?? 0) + 1);
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.#handle(req, res).catch((e: unknown) => {
      if (this.#closed && isAbort(e)) return;
      this.#errors.push(e instanceof Error ? e : new Error(String(e)));
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('simulator error');
      } else {
        res.destroy();
      }
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `https://${MANAGEMENT_HOST}`);
    if (url.pathname !== '/api/' && url.pathname !== '/api') {
      this.#count('not api');
      this.#send(res, { status: 404, contentType: 'text/html', body: '<html><body>Not Found</body></html>' });
      return;
    }
    const params = new URLSearchParams(url.search);
    let request: ApiRequest;
    if (req.method === 'POST') {
      const read = await readBody(req, MAX_REQUEST_BODY_BYTES);
      if (!read.ok && read.reason === 'aborted') return;
      if (!read.ok) {
        this.#count('bad request');
        res.setHeader('Connection', 'close');
        this.#send(res, { status: 413, contentType: 'text/plain', body: 'Request Entity Too Large' });
        return;
      }
      for (const [k, v] of new URLSearchParams(read.body)) params.append(k, v);
      request = parseApiRequest(params);
    } else if (req.method === 'GET') {
      request = parseApiRequest(params);
    } else {
      request = { kind: 'bad-request', message: `method ${req.method ?? ''} not allowed` };
    }
    this.#count(requestLabel(request));
    if (this.#faults.hung) return; // accepted, read, never answered
    await this.#delay(this.#faults.latencyMs + this.#faults.slowResponseMs);
    if (!this.#answering()) {
      // Stopped or crashed while the request was in flight: the connection dies.
      this.#reset(req.socket);
      return;
    }
    const answer = this.#answer(request, this.#presentedKey(req, params));
    const malformed = this.#faults.malformed;
    this.#send(res, malformed ? malformedAnswer(malformed, answer) : answer);
  }

  #presentedKey(req: IncomingMessage, params: URLSearchParams): string | undefined {
    const header = req.headers['x-pan-key'];
    if (typeof header === 'string' && header !== '') return header;
    return params.get('key') ?? undefined;
  }

  #keyAccepted(key: string | undefined): boolean {
    return key !== undefined && timingSafeEqual(digest(key), this.#keyDigest);
  }

  #answer(request: ApiRequest, key: string | undefined): HttpAnswer {
    const now = this.#clock.now();
    const timeline = this.#timeline();
    const phase = phaseAt(timeline, now);
    // The auth daemon comes up last during boot: 403 with any key until then.
    if (phase === 'auth-down' || this.#faults.authFails || !this.#keyAccepted(key)) return FORBIDDEN;
    if (timeline === undefined) throw new Error(`answering in phase ${phase}`);
    switch (request.kind) {
      case 'bad-request':
        return xmlAnswer(badRequestXml(request.message), 400);
      case 'op-error':
        return xmlAnswer(opErrorXml(request.code, request.message));
      case 'version':
        return xmlAnswer(versionXml(this.profile));
      case 'config':
        return xmlAnswer(this.#configAnswer(request.action, request.xpath));
      case 'op':
        return xmlAnswer(this.#opAnswer(request.op, request.args, now, timeline));
    }
  }

  #opAnswer(op: string, args: Readonly<Record<string, string>>, now: number, timeline: BootTimeline): string {
    const ready = phaseAt(timeline, now) === 'ready';
    switch (op) {
      case 'show system info':
        return systemInfoXml(this.profile, { now, runningSince: timeline.runningSince });
      case 'show chassis-ready':
        return chassisReadyXml(ready);
      case 'show jobs all':
        return jobsXml(
          jobsAt(timeline, now, {
            timings: this.profile.timings,
            slowBoot: this.#faults.slowBoot,
            autoComRetentionMs: this.profile.autoComRetentionMs,
            failedJobInHistory: this.profile.failedJobInHistory,
          }),
        );
      case 'request license info':
        return licensesXml(this.profile, now);
      case 'show vpn ike-sa':
        return ikeSaXml(this.#tunnels(now, timeline).gateways);
      case 'show vpn ipsec-sa':
        return ipsecSaXml(this.#tunnels(now, timeline), now);
      case 'show vpn flow': {
        const snapshot = this.#tunnels(now, timeline);
        const name = args['name'];
        if (name === undefined) return vpnFlowXml(snapshot);
        return vpnFlowDetailXml(
          snapshot.entries.filter((e) => e.name === name || e.tunnel === name),
          now,
        );
      }
      default:
        return opErrorXml(17, ` ${op.split(' ').join(' -> ')} is unexpected`);
    }
  }

  #configAnswer(action: 'show' | 'get', xpath: string): string {
    const parsed = parseXpath(xpath);
    if (!parsed.ok) return badXpathXml(parsed.reason);
    const nodes = selectNodes(this.#config, parsed.steps);
    if (nodes.length === 0) {
      return action === 'show' && this.profile.missingConfigNode === 'no-such-node' ? NO_SUCH_NODE_XML : NOT_PRESENT_XML;
    }
    return action === 'show' ? configShowXml(nodes) : configGetXml(nodes);
  }

  #send(res: ServerResponse, answer: HttpAnswer): void {
    if (res.destroyed) return;
    res.statusCode = answer.status;
    if (answer.statusMessage !== undefined) res.statusMessage = answer.statusMessage;
    res.setHeader('Content-Type', answer.contentType);
    const body = Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(answer.body, 'utf8');
    if (!answer.chunked) {
      res.setHeader('Content-Length', body.length);
      res.end(body);
      return;
    }
    for (let offset = 0; offset < body.length; offset += HUGE_CHUNK_BYTES) {
      res.write(body.subarray(offset, offset + HUGE_CHUNK_BYTES));
    }
    res.end();
  }
}

/** Starts one simulated firewall; resolves once it listens (whatever its instance's state). */
export async function startPanosSimulator(options: PanosSimulatorOptions): Promise<SimFirewall> {
  const issues = [];
  if (options.name.trim() === '') issues.push({ path: 'name', message: 'must not be empty' });
  if (options.apiKey === '') issues.push({ path: 'apiKey', message: 'must not be empty' });
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) issues.push({ path: 'port', message: 'must be 0-65535' });
  if (issues.length > 0) throw new InputInvalidError('PAN-OS simulator options', issues);
  const profile = resolveProfile(options.name, options.profile);
  // The impostor is made now so that `certificateChanged` can be switched on synchronously.
  const [own, impostor] = await Promise.all([generateCertificate(options.name), generateCertificate(options.name)]);
  const sim = new PanosSimulator(options, profile, own, impostor);
  await sim.listen(port);
  return sim;
}
