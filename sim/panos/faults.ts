/**
 * Faults a scenario can inject into one simulated firewall at any time. Each models a failure
 * the controller must classify correctly (see the failure-modes reference): a dead or hung
 * management plane, a flapping one, a slow or never-finishing boot, a bad key, a replaced
 * certificate, a peer that will not negotiate, slow answers and hostile bodies.
 */
import { InputInvalidError } from '#shared/errors.js';
import type { ValidationIssue } from '#shared/errors.js';

export const MALFORMED_KINDS = ['html', 'truncated', 'huge', 'entity'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export interface FirewallFaults {
  /** Connections reset although the instance runs (crashed management plane). */
  readonly dead: boolean;
  /** TCP and TLS accepted, requests read, never answered. */
  readonly hung: boolean;
  /** Alternates dead / alive every `periodMs` (simulated), starting dead when set. */
  readonly flapping: { readonly periodMs: number } | undefined;
  /** Multiplier on the boot timings (refuse, auth-down, ready); 1 = the profile's. */
  readonly slowBoot: number;
  /** chassis-ready stays `no` and AutoCom stays ACT/PEND. */
  readonly neverReady: boolean;
  /** 403 Invalid Credential even with the right key (changed admin password, auth daemon stuck). */
  readonly authFails: boolean;
  /** Serve another self-signed certificate: the pinned fingerprint no longer matches. */
  readonly certificateChanged: boolean;
  /** These tunnels stay down (peer side, its ISP or IKE settings). */
  readonly tunnelPeerDown: readonly string[];
  /** The API takes this long (simulated ms) to answer each request. */
  readonly slowResponseMs: number;
  /** Replace every HTTP answer's body by a broken one. */
  readonly malformed: MalformedKind | undefined;
  /** Network latency (simulated ms) added before the TLS handshake and before each answer. */
  readonly latencyMs: number;
}

export type FaultPatch = Partial<FirewallFaults>;

export const NO_FAULTS: FirewallFaults = Object.freeze({
  dead: false,
  hung: false,
  flapping: undefined,
  slowBoot: 1,
  neverReady: false,
  authFails: false,
  certificateChanged: false,
  tunnelPeerDown: Object.freeze<string[]>([]),
  slowResponseMs: 0,
  malformed: undefined,
  latencyMs: 0,
});

const FAULT_KEYS = new Set(Object.keys(NO_FAULTS));

function nonNegative(value: number, path: string, issues: ValidationIssue[]): void {
  if (!Number.isFinite(value) || value < 0) issues.push({ path, message: 'must be a finite number >= 0' });
}

function patchIssues(patch: FaultPatch): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const key of Object.keys(patch)) {
    if (!FAULT_KEYS.has(key)) issues.push({ path: key, message: 'unknown fault' });
  }
  if (patch.slowBoot !== undefined && !(Number.isFinite(patch.slowBoot) && patch.slowBoot > 0)) {
    issues.push({ path: 'slowBoot', message: 'must be a finite number > 0' });
  }
  if (patch.flapping !== undefined && !(Number.isFinite(patch.flapping.periodMs) && patch.flapping.periodMs > 0)) {
    issues.push({ path: 'flapping.periodMs', message: 'must be a finite number > 0' });
  }
  if (patch.tunnelPeerDown !== undefined) {
    const names: unknown = patch.tunnelPeerDown;
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
      issues.push({ path: 'tunnelPeerDown', message: 'must be a list of tunnel names' });
    }
  }
  if (patch.slowResponseMs !== undefined) nonNegative(patch.slowResponseMs, 'slowResponseMs', issues);
  if (patch.latencyMs !== undefined) nonNegative(patch.latencyMs, 'latencyMs', issues);
  if (patch.malformed !== undefined && !MALFORMED_KINDS.includes(patch.malformed)) {
    issues.push({ path: 'malformed', message: `must be one of ${MALFORMED_KINDS.join(', ')}` });
  }
  return issues;
}

/**
 * The faults after `patch`. A key present with `undefined` resets that fault to its default
 * (so `{ malformed: undefined }` clears it); absent keys keep their value.
 */
export function applyFaultPatch(current: FirewallFaults, patch: FaultPatch): FirewallFaults {
  const issues = patchIssues(patch);
  if (issues.length > 0) throw new InputInvalidError('firewall fault patch', issues);
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    next[key] = value === undefined ? NO_FAULTS[key as keyof FirewallFaults] : value;
  }
  const faults = next as unknown as FirewallFaults;
  return Object.freeze({ ...faults, tunnelPeerDown: Object.freeze([...faults.tunnelPeerDown]) });
}

/** Whether a flapping firewall is in a dead half-period at `now`. */
export function flappingDown(flapping: { readonly periodMs: number }, since: number, now: number): boolean {
  const period = Math.floor(Math.max(0, now - since) / flapping.periodMs);
  return period % 2 === 0;
}
