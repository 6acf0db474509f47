/**
 * Port to one firewall's PAN-OS XML API. The adapter (`shared/adapters/panos/`) speaks HTTPS
 * with pinned or CA-verified TLS; fakes implement the same interface in tests.
 *
 * Every method either returns a parsed value or throws a `FirewallError` subclass
 * (`FirewallTimeoutError`, `FirewallUnreachableError`, `FirewallTlsUntrustedError`,
 * `FirewallAuthError`, `FirewallApiError`, `FirewallMalformedResponseError`). Never `undefined`
 * for a failed call.
 */
import type { FirewallConfig } from '../config/schema.js';

export interface CallOptions {
  /** Aborts the call (and counts as a timeout) when it fires. */
  readonly signal?: AbortSignal;
}

/** `show system info`, the liveness call. Values trimmed; missing fields are `undefined`. */
export interface SystemInfo {
  readonly hostname: string | undefined;
  readonly model: string | undefined;
  readonly serial: string | undefined;
  readonly swVersion: string | undefined;
  readonly uptime: string | undefined;
  /** `uptime` converted to seconds when it has the usual `N days, H:MM:SS` form. */
  readonly uptimeSeconds: number | undefined;
  readonly vmLicense: string | undefined;
  readonly operationalMode: string | undefined;
  readonly appVersion: string | undefined;
  readonly threatVersion: string | undefined;
  readonly advancedRouting: boolean | undefined;
  /** The management address PAN-OS reports (`ip-address`): the one it answers on. */
  readonly ipAddress: string | undefined;
}

/** One entry of `request license info`. */
export interface LicenseInfo {
  readonly feature: string;
  readonly description: string | undefined;
  /** As printed (`June 30, 2020`, `Never`). */
  readonly expires: string | undefined;
  /** `expires` as epoch ms (UTC midnight); `undefined` for `Never` or a form not understood. */
  readonly expiresAt: number | undefined;
  /** `expires` is `Never`. */
  readonly perpetual: boolean;
  /** PAN-OS says it has expired (`expired yes`). */
  readonly expired: boolean;
}

/** One entry of `show jobs all`. `Failed-Job` entries may lack id, status and result. */
export interface JobInfo {
  readonly id: string | undefined;
  readonly type: string | undefined;
  readonly status: string | undefined;
  readonly result: string | undefined;
}

/** State of the AutoCom job after boot: done (FIN/OK, or gone from history), pending, failed. */
export type AutoCommitState = 'done' | 'pending' | 'failed';

/** One tunnel, or one proxy-ID of a tunnel (`name` = `tunnel:proxy-id`), joined across ike-sa, ipsec-sa and flow. */
export interface TunnelStatus {
  /** As in `show vpn flow`: the tunnel name, or `tunnel:proxy-id`. */
  readonly name: string;
  readonly tunnel: string;
  readonly proxyId: string | undefined;
  /** Flow state: `active` (up), `init` (IKE up, phase 2 not), `inactive` (down). */
  readonly flowState: string;
  /** Tunnel monitor: `off`, `up`, `down`. */
  readonly monitor: string;
  /** A phase-2 SA exists for it. */
  readonly ipsecSa: boolean;
  /** A phase-1 SA exists for its gateway. */
  readonly ikeSa: boolean;
  readonly peerIp: string | undefined;
  /** active and (monitor off or up). */
  readonly up: boolean;
}

/** A config subtree as returned by `type=config&action=show`: element name -> children / text. */
export type ConfigNode = { readonly [key: string]: ConfigNode | readonly ConfigNode[] | string };

export interface FirewallApi {
  /** `host:port`, for messages. */
  readonly target: string;
  systemInfo(options?: CallOptions): Promise<SystemInfo>;
  /** `show chassis-ready`: true iff the result text is `yes` (trimmed, case-insensitive). */
  chassisReady(options?: CallOptions): Promise<boolean>;
  jobs(options?: CallOptions): Promise<JobInfo[]>;
  /** Every tunnel and proxy-ID the firewall knows, with its state. */
  ipsecState(options?: CallOptions): Promise<TunnelStatus[]>;
  /** Running config at `xpath`; `undefined` when the object is not present (code 7 / empty result). */
  configShow(xpath: string, options?: CallOptions): Promise<ConfigNode | undefined>;
  /** `request license info`: every licence the firewall holds. */
  licenses(options?: CallOptions): Promise<LicenseInfo[]>;
}

export interface FirewallApiFactory {
  /**
   * Client for one firewall: resolves the API key (Secrets Manager, file or env) and the TLS
   * trust (pin or CA) once. Throws `SecretUnavailableError` when the key cannot be read.
   */
  forFirewall(firewall: FirewallConfig, options: { timeoutMs: number }): Promise<FirewallApi>;
}

/** Reads the AutoCom state from a job list; a missing AutoCom job means it aged out of history: done. */
export function autoCommitState(jobs: readonly JobInfo[]): AutoCommitState {
  const autocom = jobs.filter((j) => (j.type ?? '').toLowerCase() === 'autocom');
  if (autocom.length === 0) return 'done';
  const last = autocom.reduce((a, b) => (Number(b.id ?? 0) > Number(a.id ?? 0) ? b : a));
  const status = (last.status ?? '').toUpperCase();
  const result = (last.result ?? '').toUpperCase();
  if (status === 'FIN') return result === 'OK' ? 'done' : 'failed';
  return 'pending';
}
