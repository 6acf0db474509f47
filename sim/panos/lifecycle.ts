/**
 * The firewall's life follows its EC2 instance: nothing answers unless the instance runs, then
 * the boot goes refused -> 403 (auth daemon not up) -> API up but chassis not ready -> ready,
 * measured from `runningSince` in simulated time. Pure functions of (instance, timings, faults,
 * now) so every phase boundary can be tested exactly.
 */
import type { InstanceState } from '#shared/ports/ec2.js';
import type { BootTimings } from './profile.js';

export const PHASES = ['off', 'refusing', 'auth-down', 'not-ready', 'ready'] as const;
export type Phase = (typeof PHASES)[number];

export interface BootTimeline {
  readonly runningSince: number;
  /** Management plane up: TCP/TLS accepted from here (403 until `authUpAt`). */
  readonly apiUpAt: number;
  /** The key is accepted from here. */
  readonly authUpAt: number;
  /** chassis-ready `yes` and AutoCom FIN/OK from here; `undefined` when it never gets ready. */
  readonly readyAt: number | undefined;
}

export interface BootModifiers {
  /** Multiplier on every boot timing (the `slowBoot` fault). */
  readonly slowBoot: number;
  /** The `neverReady` fault. */
  readonly neverReady: boolean;
}

export function bootTimeline(runningSince: number, timings: BootTimings, modifiers: BootModifiers): BootTimeline {
  const f = modifiers.slowBoot;
  const apiUpAt = runningSince + timings.refuseMs * f;
  const authUpAt = apiUpAt + timings.authDownMs * f;
  // readyMs counts from runningSince; the API cannot be ready before it accepts the key.
  const readyAt = modifiers.neverReady ? undefined : Math.max(authUpAt, runningSince + timings.readyMs * f);
  return { runningSince, apiUpAt, authUpAt, readyAt };
}

/** The timeline of the current boot, or `undefined` when the instance is not running. */
export function currentTimeline(
  state: InstanceState,
  runningSince: number | undefined,
  timings: BootTimings,
  modifiers: BootModifiers,
): BootTimeline | undefined {
  // A running instance without a start time would be a world bug; treat it as not booted
  // rather than inventing a start time.
  if (state !== 'running' || runningSince === undefined) return undefined;
  return bootTimeline(runningSince, timings, modifiers);
}

export function phaseAt(timeline: BootTimeline | undefined, now: number): Phase {
  if (timeline === undefined) return 'off';
  if (now < timeline.apiUpAt) return 'refusing';
  if (now < timeline.authUpAt) return 'auth-down';
  if (timeline.readyAt === undefined || now < timeline.readyAt) return 'not-ready';
  return 'ready';
}

export function isReady(timeline: BootTimeline | undefined, now: number): boolean {
  return phaseAt(timeline, now) === 'ready';
}

// ---------------------------------------------------------------------------------------------
// Time formats of PAN-OS output (the firewall's clock is UTC here).

const pad2 = (n: number) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** `uptime` of `show system info`: `N days, H:MM:SS`. */
export function formatUptime(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${days} days, ${h}:${pad2(m)}:${pad2(s)}`;
}

/** `time` of `show system info`, ctime style: `Thu Jan  1 09:00:00 2026`. */
export function formatCtime(epochMs: number): string {
  const d = new Date(epochMs);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  return `${DAYS[d.getUTCDay()] ?? ''} ${MONTHS[d.getUTCMonth()] ?? ''} ${day} ${clock(d)} ${d.getUTCFullYear()}`;
}

/** Job times: `2026/01/01 09:00:00`. */
export function formatJobDate(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}/${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())} ${clock(d)}`;
}

export function formatClock(epochMs: number): string {
  return clock(new Date(epochMs));
}

/** IKE SA times: `Jan.01 09:00:00`. */
export function formatSaTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${MONTHS[d.getUTCMonth()] ?? ''}.${pad2(d.getUTCDate())} ${clock(d)}`;
}

function clock(d: Date): string {
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}
