/**
 * Maintenance pauses, the pure part: whether a stored pause holds at a given time, which flows it
 * holds back, how a requested duration is read and checked, and how a pause is described to
 * people. No I/O here; the store is `PauseStore`, the use-cases are in `usecases/pause.ts`.
 */
import type { PausePolicy } from '../config/schema.js';
import type { PauseRecord } from '../ports/store.js';

/** `active`: it holds now. `expired`: its time is up, and nobody has recorded its end yet. */
export type PauseState = 'none' | 'active' | 'expired';

export function pauseState(record: PauseRecord | undefined, now: number): PauseState {
  if (record === undefined || record.endedAt !== undefined) return 'none';
  return now < record.until ? 'active' : 'expired';
}

/**
 * Sources whose flows a pause ends as `skipped-paused` (the automation); a person's manual
 * trigger (`manual`) is refused instead, unless it overrides the pause. `drill` is the drill
 * schedule (it starts drills only): automation. A person's drill (`pan-failover drill`) is `manual`.
 */
export const AUTOMATIC_SOURCES: ReadonlySet<string> = new Set(['probe', 'alarm', 'drift', 'drill']);

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };
const DURATION = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;

/**
 * A duration as people type it: `90m`, `2h`, `1h30m`, `45s`, `1d` (units s, m, h, d, largest
 * first). Returns seconds, or an error message naming what is wrong. A bare number is refused:
 * "2" could mean hours or seconds.
 */
export function parseDuration(text: string): { seconds: number } | { error: string } {
  const t = text.trim().toLowerCase();
  if (t === '') return { error: 'is empty (write it as 30m, 2h or 1h30m)' };
  if (t.startsWith('-')) return { error: `"${text}" is negative: a pause lasts a positive time` };
  if (/^\d+(\.\d+)?$/.test(t)) return { error: `"${text}" has no unit (write 30m, 2h or 1h30m)` };
  const parts = t.match(/\d+(?:\.\d+)?[a-z]+/g);
  if (parts === null || parts.join('') !== t) return { error: `"${text}" is not a duration (write 30m, 2h or 1h30m)` };
  let seconds = 0;
  let lastUnit = Number.POSITIVE_INFINITY;
  for (const part of parts) {
    const m = DURATION.exec(part);
    const unit = m?.[2] === undefined ? undefined : UNIT_SECONDS[m[2]];
    if (!m || unit === undefined) return { error: `"${text}": unknown unit in "${part}" (use s, m, h or d)` };
    if (unit >= lastUnit) return { error: `"${text}": units must go from largest to smallest, each once` };
    lastUnit = unit;
    seconds += Number(m[1]) * unit;
  }
  return { seconds: Math.round(seconds) };
}

/** Human form of a number of seconds: `2h`, `1h30m`, `45m`, `30s`. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const out = `${d ? `${d}d` : ''}${h ? `${h}h` : ''}${m ? `${m}m` : ''}${rest ? `${rest}s` : ''}`;
  return out || '0s';
}

/** The length of a requested pause, checked against the policy; an error message otherwise. */
export function pauseSeconds(requested: string | undefined, policy: PausePolicy): { seconds: number } | { error: string } {
  if (requested === undefined) return { seconds: policy.defaultSeconds };
  const parsed = parseDuration(requested);
  if ('error' in parsed) return parsed;
  if (parsed.seconds <= 0) return { error: `"${requested}" is zero: a pause lasts a positive time (at most ${formatSeconds(policy.maxSeconds)})` };
  if (parsed.seconds > policy.maxSeconds) {
    return { error: `"${requested}" is longer than the longest pause allowed, ${formatSeconds(policy.maxSeconds)} (pause.maxSeconds in the configuration)` };
  }
  return parsed;
}

/** One line for people: `paused until 2026-12-07T10:30:00Z (1h12m left) by alice: upgrade fw-a to 11.1.6`. */
export function describePause(record: PauseRecord, now: number): string {
  switch (pauseState(record, now)) {
    case 'active':
      return `PAUSED until ${iso(record.until)} (${formatSeconds((record.until - now) / 1000)} left) by ${record.by}: ${record.reason}`;
    case 'expired':
      return `pause by ${record.by} expired at ${iso(record.until)} (automation has resumed): ${record.reason}`;
    case 'none':
      return record.endedAt === undefined
        ? 'not paused'
        : `not paused (last pause by ${record.by} ended ${iso(record.endedAt)}, ${record.endedBy === EXPIRY ? 'expired' : `resumed by ${record.endedBy ?? '?'}`})`;
  }
}

/** `endedBy` of a pause that ran out. */
export const EXPIRY = 'expiry';

export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
