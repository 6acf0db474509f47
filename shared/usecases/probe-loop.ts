/**
 * When the probe's rounds run. EventBridge starts a probe window once a minute; inside it a round
 * runs every probe interval, as long as the last one can finish before the next window starts.
 *
 * Two drivers share this plan (docs/decisions/0011-probe-rounds-driven-by-express.md):
 * - the deployed one, the probe loop (infra/probe-loop.asl.json): an Express state machine
 *   invokes the probe once per round and waits between rounds in a Wait state, so the minute's
 *   idle time is billed as Express duration at 64 MB instead of Lambda duration at the probe's
 *   memory. Each invocation runs round `k` and returns when round `k + 1` is due (`loopRound`);
 * - one invocation that runs the whole window and sleeps between rounds (`runProbeInvocation`),
 *   for a scheduled event delivered to the function directly (by hand, or an older deployment).
 */
import type { Config } from '../config/schema.js';
import { InputInvalidError, type ValidationIssue } from '../errors.js';

/** A window's length: EventBridge's schedule. */
export const PROBE_WINDOW_MS = 60_000;
/** What the last round of a window leaves free before the next window, beyond the longest probe timeout. */
const WINDOW_END_MARGIN_MS = 1000;
/** More rounds than any window can hold (a 60 s window at the shortest interval, 1 s): a larger number is bad input. */
export const MAX_ROUNDS_PER_WINDOW = 60;

export interface RoundPlan {
  /** The shortest probe interval of any pair: rounds probe every pair. */
  readonly intervalMs: number;
  /** The longest probe timeout of any pair: what one round may take. */
  readonly maxTimeoutMs: number;
  readonly windowMs: number;
}

export function roundPlan(config: Config, windowMs: number = PROBE_WINDOW_MS): RoundPlan {
  return {
    intervalMs: Math.min(...config.pairs.map((p) => p.probe.intervalSeconds)) * 1000,
    maxTimeoutMs: Math.max(...config.pairs.map((p) => p.probe.timeoutSeconds)) * 1000,
    windowMs,
  };
}

/**
 * When round `k` (0 first) of a window that started at `start` is due, or `undefined` when the
 * window has no room for it: the round must be able to take its whole timeout and still end a
 * second before the next window's first round. The first round always runs.
 */
export function roundDueAt(plan: RoundPlan, start: number, k: number): number | undefined {
  if (k > 0 && k * plan.intervalMs + plan.maxTimeoutMs + WINDOW_END_MARGIN_MS > plan.windowMs) return undefined;
  return start + k * plan.intervalMs;
}

/** What the probe loop's Task hands the probe (infra/probe-loop.asl.json, state ProbeRound). */
export interface LoopRoundEvent {
  /** Which round of the window to run, 0 first. */
  readonly round: number;
  /** `$$.Execution.StartTime`: the window's start (ISO 8601). */
  readonly startedAt: string;
}

/** An event meant for the loop (it has `round` or `startedAt`), to be validated strictly; anything else is another kind of event. */
export function isLoopRoundEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && !Array.isArray(event) && ('round' in event || 'startedAt' in event);
}

/** Validates the loop's event; a bad one is refused before anything is probed, naming what is wrong. */
export function parseLoopRoundEvent(event: unknown): { round: number; startedAt: number } {
  const issues: ValidationIssue[] = [];
  const e = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  for (const key of Object.keys(e)) if (key !== 'round' && key !== 'startedAt') issues.push({ path: key, message: 'is not a field of a probe loop round (round, startedAt)' });
  const round = e.round;
  if (typeof round !== 'number' || !Number.isInteger(round) || round < 0 || round >= MAX_ROUNDS_PER_WINDOW) {
    issues.push({ path: 'round', message: `must be an integer from 0 to ${MAX_ROUNDS_PER_WINDOW - 1} (got ${JSON.stringify(round) ?? 'nothing'})` });
  }
  const startedAt = typeof e.startedAt === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/.test(e.startedAt) ? Date.parse(e.startedAt) : Number.NaN;
  if (Number.isNaN(startedAt)) issues.push({ path: 'startedAt', message: `must be an ISO 8601 time such as 2026-12-07T10:00:00.000Z (the execution's start; got ${JSON.stringify(e.startedAt) ?? 'nothing'})` });
  if (issues.length > 0) throw new InputInvalidError('probe loop round', issues);
  return { round: round as number, startedAt };
}

/**
 * The loop's rounds are due on a grid of whole seconds: the execution's start rounded up to the
 * second, then every interval. Step Functions drops a Wait timestamp's milliseconds, so a due
 * time with milliseconds would end the wait up to a second early; and a first round that ran at
 * the start itself, off the grid, would leave a gap of up to interval + 1 s at the next window's
 * start, so three rounds could span 3 intervals + 1 s and detection exceed F x I + T. On the
 * grid every gap is the interval (detection: docs/configuration.md).
 */
export function loopGrid(startedAt: number): number {
  return Math.ceil(startedAt / 1000) * 1000;
}

/** A round invoked more than this before its due time waits for it (in the loop's Wait state) instead of running early. */
export const EARLY_TOLERANCE_MS = 100;

/**
 * What the loop's next state gets after round `round` ran: the number of rounds run so far and,
 * when the window has room for another, when it is due (the Wait state's `TimestampPath`, a
 * whole second).
 */
export function afterRound(plan: RoundPlan, grid: number, round: number): { round: number; next?: string } {
  const due = roundDueAt(plan, grid, round + 1);
  return due === undefined ? { round: round + 1 } : { round: round + 1, next: isoSeconds(due) };
}

/** A due time as Step Functions wants it: RFC 3339, upper-case T and Z, no milliseconds. */
export function isoSeconds(at: number): string {
  return new Date(Math.ceil(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
