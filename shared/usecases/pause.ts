/**
 * Maintenance pauses: pause and resume pairs (the CLI), notice a pause that ran out (the probe),
 * and decide what a flow does when its pair is paused (the flow's Validate step).
 *
 * Every write is conditional on the version read just before (`PauseStore.putPause`): two people
 * pausing and resuming the same pair at once end with one of them written and the other told
 * what the pair's state now is, never with a mix of both.
 */
import { AUTOMATIC_SOURCES, EXPIRY, describePause, formatSeconds, iso, pauseState } from '../domain/pause.js';
import { errorMessage, PairPausedError, StateConflictError } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { Notification, Notifier } from '../ports/messaging.js';
import type { LockStore, PauseRecord, PauseStore } from '../ports/store.js';
import type { NotificationsConfig } from '../config/schema.js';
import { composeText, DEFAULT_NOTIFICATIONS } from '../notify/compose.js';
import type { PauseKind } from '../notify/kinds.js';
import type { ValidFlowInput } from './flow-input.js';

export interface PauseDeps {
  readonly store: PauseStore & Pick<LockStore, 'get'>;
  readonly notifier: Notifier;
  readonly clock: Pick<Clock, 'now'>;
  /** How the notices read for people (the configuration's `notifications`); English by default. */
  readonly notifications?: NotificationsConfig;
}

export interface PauseRequest {
  readonly pairs: readonly string[];
  readonly seconds: number;
  readonly reason: string;
  readonly by: string;
}

/** What happened to one pair. `conflict`: someone else changed its pause at the same moment; nothing of ours was written. */
export interface PauseOutcome {
  readonly pair: string;
  readonly outcome: 'paused' | 'extended' | 'resumed' | 'not-paused' | 'conflict';
  /** The pair's pause as stored after this request (ours, or the winner's after a conflict). */
  readonly record: PauseRecord | undefined;
  /** The pause this request replaced or ended, if any. */
  readonly previous: PauseRecord | undefined;
  /** The execution holding the pair's lock when the pause was requested: a pause does not stop it. */
  readonly flowRunning: string | undefined;
  /** Whether the notification went out (`undefined`: nothing to notify). */
  readonly notified: boolean | undefined;
  readonly message: string;
}

/** Reasons are for people reading notifications: one line, not empty, not a novel. */
export const MAX_REASON_LENGTH = 300;

export function reasonIssue(reason: string | undefined): string | undefined {
  if (reason === undefined || reason.trim() === '') return 'a reason is required (--reason "upgrade fw-a to 11.1.6"): it is shown to everyone notified';
  if (reason.length > MAX_REASON_LENGTH) return `the reason is ${reason.length} characters; at most ${MAX_REASON_LENGTH}`;
  if (/[\r\n]/.test(reason)) return 'the reason must be one line';
  return undefined;
}

/** Pauses each pair for `seconds` (replacing a pause it already has). */
export async function pausePairs(deps: PauseDeps, request: PauseRequest): Promise<PauseOutcome[]> {
  return Promise.all(request.pairs.map((pair) => pauseOne(deps, pair, request)));
}

async function pauseOne(deps: PauseDeps, pair: string, request: PauseRequest): Promise<PauseOutcome> {
  const now = deps.clock.now();
  const [current, lock] = await Promise.all([deps.store.getPause(pair), deps.store.get(pair)]);
  const flowRunning = lock !== undefined && lock.expiresAt > now ? lock.holder : undefined;
  const previous = pauseState(current.value, now) === 'active' ? current.value : undefined;
  const record: PauseRecord = { since: now, until: now + request.seconds * 1000, by: request.by, reason: request.reason.trim() };
  try {
    await deps.store.putPause(pair, record, current.version);
  } catch (e) {
    if (e instanceof StateConflictError) return conflict(deps, pair, flowRunning, 'pause');
    throw e;
  }
  const notified = await send(deps, pauseNotification(pair, 'pause', record, previous, now, deps.notifications));
  const replaced = previous ? `; it replaces the pause by ${previous.by} until ${iso(previous.until)}` : '';
  const running = flowRunning ? `; a flow is running (${flowRunning}): the pause does not stop it (see the runbook, "How to stop a running flow")` : '';
  return {
    pair,
    outcome: previous ? 'extended' : 'paused',
    record,
    previous,
    flowRunning,
    notified,
    message: `${pair}: paused until ${iso(record.until)} (${formatSeconds(request.seconds)})${replaced}${running}`,
  };
}

/** Ends the pause of each pair now; a pair that is not paused is left as it is. */
export async function resumePairs(deps: PauseDeps, request: { pairs: readonly string[]; by: string }): Promise<PauseOutcome[]> {
  return Promise.all(request.pairs.map((pair) => resumeOne(deps, pair, request.by)));
}

async function resumeOne(deps: PauseDeps, pair: string, by: string): Promise<PauseOutcome> {
  const now = deps.clock.now();
  const current = await deps.store.getPause(pair);
  const state = pauseState(current.value, now);
  if (current.value === undefined || state !== 'active') {
    return {
      pair,
      outcome: 'not-paused',
      record: current.value,
      previous: undefined,
      flowRunning: undefined,
      notified: undefined,
      message: `${pair}: ${current.value ? describePause(current.value, now) : 'not paused'}; nothing to resume`,
    };
  }
  const ended: PauseRecord = { ...current.value, endedAt: now, endedBy: by };
  try {
    await deps.store.putPause(pair, ended, current.version);
  } catch (e) {
    if (e instanceof StateConflictError) return conflict(deps, pair, undefined, 'resume');
    throw e;
  }
  const notified = await send(deps, pauseNotification(pair, 'resume', ended, current.value, now, deps.notifications));
  return {
    pair,
    outcome: 'resumed',
    record: ended,
    previous: current.value,
    flowRunning: undefined,
    notified,
    message: `${pair}: resumed (the pause by ${current.value.by} would have ended ${iso(current.value.until)}); automation is back on`,
  };
}

async function conflict(deps: PauseDeps, pair: string, flowRunning: string | undefined, what: 'pause' | 'resume'): Promise<PauseOutcome> {
  const now = deps.clock.now();
  const winner = (await deps.store.getPause(pair)).value;
  const state = winner ? describePause(winner, now) : 'not paused';
  return {
    pair,
    outcome: 'conflict',
    record: winner,
    previous: undefined,
    flowRunning,
    notified: undefined,
    message: `${pair}: NOT done: someone changed the pause at the same moment (${winner ? `${winner.endedBy ?? winner.by}` : '?'}); the pair is now ${state}. Run ${what} again if you still want it.`,
  };
}

/**
 * The probe's part: a pause whose time is up is recorded as ended, once (conditional write: of
 * several probe invocations, one wins), and people are told that automation is back on.
 * Returns a line for the probe's `acted` list, or `undefined` when another writer was first.
 */
export async function endExpiredPause(
  deps: PauseDeps,
  pair: string,
  record: PauseRecord,
  version: number | undefined,
  notifications: NotificationsConfig = deps.notifications ?? DEFAULT_NOTIFICATIONS,
): Promise<string | undefined> {
  const now = deps.clock.now();
  const ended: PauseRecord = { ...record, endedAt: record.until, endedBy: EXPIRY };
  try {
    await deps.store.putPause(pair, ended, version);
  } catch (e) {
    if (e instanceof StateConflictError) return undefined;
    throw e;
  }
  await deps.notifier.publish(pauseNotification(pair, 'pause-expired', ended, record, now, notifications));
  return `pause by ${record.by} expired at ${iso(record.until)}: automation resumed`;
}

type PauseEvent = 'pause' | 'resume' | 'pause-expired';

const KIND: Readonly<Record<PauseEvent, PauseKind>> = { pause: 'pause-set', resume: 'pause-resumed', 'pause-expired': 'pause-expired' };

export function pauseNotification(
  pair: string,
  event: PauseEvent,
  record: PauseRecord,
  previous: PauseRecord | undefined,
  now: number,
  notifications: NotificationsConfig = DEFAULT_NOTIFICATIONS,
): Notification {
  const p = `[pan-failover] ${pair}`;
  const subject =
    event === 'pause'
      ? `${p}: PAUSED until ${iso(record.until)} by ${record.by}: ${record.reason}`
      : event === 'resume'
        ? `${p}: RESUMED by ${record.endedBy ?? '?'}; automatic failover is back on`
        : `${p}: pause expired; automatic failover is back on`;
  return {
    subject: subject.replace(/[^\x20-\x7e]/g, ' ').slice(0, 100),
    body: {
      pair,
      event,
      until: iso(record.until),
      by: record.by,
      reason: record.reason,
      ...(record.endedAt === undefined ? {} : { endedAt: iso(record.endedAt), endedBy: record.endedBy }),
      ...(previous && event === 'pause' ? { replaces: { until: iso(previous.until), by: previous.by, reason: previous.reason } } : {}),
      at: iso(now),
    },
    attributes: { pair, event },
    kind: KIND[event],
    text: composeText(notifications, KIND[event], {
      pair,
      until: iso(record.until),
      by: record.by,
      reason: record.reason,
      ...(record.endedBy !== undefined ? { endedBy: record.endedBy } : {}),
    }),
  };
}

async function send(deps: PauseDeps, notification: Notification): Promise<boolean> {
  try {
    await deps.notifier.publish(notification);
    return true;
  } catch {
    return false;
  }
}

/** What the flow's Validate step records about the pair's pause. */
export interface FlowPause {
  readonly until: number;
  readonly by: string;
  readonly reason: string;
  /** An automatic trigger: the flow ends `skipped-paused`, nothing changed. */
  readonly skip: boolean;
  /** A person's trigger that overrides the pause (`overridePause`). */
  readonly overridden: boolean;
}

/**
 * The flow's own check, whoever started it (the probe, an alarm through EventBridge, a person in
 * the console): an automatic trigger is skipped, a person's is refused unless it overrides the
 * pause. A dry run changes nothing and is never held back. Pure.
 */
export function flowPauseGate(record: PauseRecord | undefined, input: ValidFlowInput, now: number): FlowPause | undefined {
  if (record === undefined || pauseState(record, now) !== 'active') return undefined;
  const base = { until: record.until, by: record.by, reason: record.reason };
  if (input.dryRun) return { ...base, skip: false, overridden: false };
  if (AUTOMATIC_SOURCES.has(input.source)) return { ...base, skip: true, overridden: false };
  if (input.overridePause) return { ...base, skip: false, overridden: true };
  throw new PairPausedError(
    `${input.pair} is paused until ${iso(record.until)} by ${record.by} (${record.reason}): a manual ${input.action} is refused. ` +
      `To run it anyway, override the pause: pan-failover ${input.action === 'reconcile' ? 'repair' : input.action} -p ${input.pair} --force (flow input "overridePause": true); or resume the pair first (pan-failover resume -p ${input.pair}).`,
    { details: { pair: input.pair, until: record.until, by: record.by } },
  );
}

/** Reads the pause for the flow; a failed read is logged by the caller and does not hold a failover back. */
export async function readPauseForFlow(store: PauseStore, pair: string): Promise<{ record: PauseRecord | undefined } | { error: string }> {
  try {
    return { record: (await store.getPause(pair)).value };
  } catch (e) {
    return { error: errorMessage(e) };
  }
}
