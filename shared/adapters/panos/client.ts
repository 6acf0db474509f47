/**
 * `FirewallApi` over the PAN-OS XML API. Constructible directly (tests, simulator, CLI) with
 * the key and the trust material already resolved; the factory builds it from configuration.
 */
import { SecretUnavailableError } from '../../errors.js';
import type { CallOptions, ConfigNode, FirewallApi, JobInfo, LicenseInfo, SystemInfo, TunnelStatus } from '../../ports/firewall.js';
import {
  PANOS_COMMANDS,
  RESPONSE_CAPS,
  chassisReadyFromResult,
  configFromResult,
  flowFromResult,
  ikeSaFromResult,
  ipsecSaFromResult,
  isObjectNotPresent,
  jobsFromResult,
  joinTunnels,
  licensesFromResult,
  systemInfoFromResult,
} from './parsers.js';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  MAX_CONNECT_TIMEOUT_MS,
  formatTarget,
  postForm,
  type TlsTrust,
} from './transport.js';
import { interpretResponse, type PanosSuccess } from './xml.js';

export interface PanosClientOptions {
  readonly host: string;
  /** Default 443. */
  readonly port?: number;
  /** The API key, already resolved. Sent only in `X-PAN-KEY`, only to a verified peer. */
  readonly apiKey: string;
  readonly tls: TlsTrust;
  /** Total budget of one HTTP call (connect, TLS, request, complete response). */
  readonly timeoutMs: number;
  /** Default `min(timeoutMs, 3000)`. */
  readonly connectTimeoutMs?: number;
  /** Larger responses are refused while streaming. Default 512 KiB. */
  readonly maxResponseBytes?: number;
}

/** Printable ASCII without spaces: anything else cannot travel in a header (and is not a key). */
const KEY_CHARS = /^[\x21-\x7e]+$/;

export class PanosClient implements FirewallApi {
  readonly target: string;
  readonly #options: Required<Omit<PanosClientOptions, 'connectTimeoutMs' | 'maxResponseBytes'>> & {
    connectTimeoutMs: number;
    maxResponseBytes: number;
  };

  constructor(options: PanosClientOptions) {
    const port = options.port ?? 443;
    this.target = formatTarget(options.host, port);
    if (!KEY_CHARS.test(options.apiKey)) {
      throw new SecretUnavailableError(`for ${this.target}`, 'empty or contains characters not allowed in an HTTP header');
    }
    if (!(options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive (got ${options.timeoutMs})`);
    this.#options = {
      host: options.host,
      port,
      apiKey: options.apiKey,
      tls: options.tls,
      timeoutMs: options.timeoutMs,
      connectTimeoutMs: Math.min(options.connectTimeoutMs ?? MAX_CONNECT_TIMEOUT_MS, options.timeoutMs),
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    };
  }

  /**
   * Sends a form and classifies the answer (the building block of every operation). `maxBytes`
   * lowers the client's size cap for this call (never raises it).
   */
  async request(form: Readonly<Record<string, string>>, options: CallOptions = {}, maxBytes?: number): Promise<PanosSuccess> {
    const o = this.#options;
    const answer = await postForm({
      host: o.host,
      port: o.port,
      trust: o.tls,
      apiKey: o.apiKey,
      form,
      timeoutMs: o.timeoutMs,
      connectTimeoutMs: o.connectTimeoutMs,
      maxResponseBytes: Math.min(o.maxResponseBytes, maxBytes ?? o.maxResponseBytes),
      signal: options.signal,
    });
    return interpretResponse(answer, { target: this.target, redact: (s) => s.split(o.apiKey).join('[redacted]') });
  }

  /** `type=op&cmd=<xml>`; a known command gets its own size cap (`RESPONSE_CAPS`). */
  op(cmd: string, options?: CallOptions): Promise<PanosSuccess> {
    const known = (Object.keys(PANOS_COMMANDS) as (keyof typeof PANOS_COMMANDS)[]).find((k) => PANOS_COMMANDS[k] === cmd);
    return this.request({ type: 'op', cmd }, options, known === undefined ? undefined : RESPONSE_CAPS[known]);
  }

  async systemInfo(options?: CallOptions): Promise<SystemInfo> {
    return systemInfoFromResult((await this.op(PANOS_COMMANDS.systemInfo, options)).result, this.target);
  }

  async chassisReady(options?: CallOptions): Promise<boolean> {
    return chassisReadyFromResult((await this.op(PANOS_COMMANDS.chassisReady, options)).result);
  }

  async jobs(options?: CallOptions): Promise<JobInfo[]> {
    return jobsFromResult((await this.op(PANOS_COMMANDS.jobsAll, options)).result);
  }

  /** The three calls run concurrently; the first failure aborts the others and is thrown. */
  async ipsecState(options: CallOptions = {}): Promise<TunnelStatus[]> {
    const local = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, local.signal]) : local.signal;
    let firstFailure: unknown;
    const call = async (cmd: string) => {
      try {
        return (await this.op(cmd, { signal })).result;
      } catch (e) {
        firstFailure ??= e;
        local.abort();
        throw e;
      }
    };
    try {
      const [ike, ipsec, flow] = await Promise.all([
        call(PANOS_COMMANDS.ikeSa),
        call(PANOS_COMMANDS.ipsecSa),
        call(PANOS_COMMANDS.vpnFlow),
      ]);
      return joinTunnels(ikeSaFromResult(ike), ipsecSaFromResult(ipsec), flowFromResult(flow));
    } catch (e) {
      // The siblings we aborted fail with "aborted"; report what actually went wrong.
      throw firstFailure ?? e;
    }
  }

  async licenses(options?: CallOptions): Promise<LicenseInfo[]> {
    return licensesFromResult((await this.op(PANOS_COMMANDS.licenseInfo, options)).result, this.target);
  }

  async configShow(xpath: string, options?: CallOptions): Promise<ConfigNode | undefined> {
    try {
      return configFromResult(await this.request({ type: 'config', action: 'show', xpath }, options));
    } catch (e) {
      if (isObjectNotPresent(e)) return undefined;
      throw e;
    }
  }
}
