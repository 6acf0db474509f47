/**
 * Phase 6, the cutover: every managed route and Elastic IP to the target, concurrently within a
 * concurrency bound and EC2's per-action token buckets, then verified by Describe calls with
 * backoff (EC2 is eventually consistent). All or nothing when the origin can carry traffic: if
 * a move fails for good, the moves already made are put back, so the pair never stays split. When
 * the origin is the firewall that failed, nothing is put back on it: the completed moves stay on
 * the (ready) target and the failure is reported; Abort then tries to finish the move.
 */
import type { PairConfig, Role } from '../../config/schema.js';
import {
  changeLabel,
  effectiveOwner,
  planCutover,
  type Change,
  type CutoverPlan,
  type PairPlacement,
} from '../../domain/placement.js';
import { CutoverFailedError, CutoverNotVerifiedError, ManagedResourceNotFoundError, StepTimeBudgetError, errorMessage } from '../../errors.js';
import { timeLeftMs, type Clock } from '../../ports/clock.js';
import type { Ec2Port } from '../../ports/ec2.js';
import { readPlacement } from '../placement.js';
import { DEFAULT_RETRY, MIN_CALL_MS, TokenBucket, isRetryable, isThrottle, mapBounded, withRetry, type RetryPolicy } from '../pacing.js';

// Callers that read the placement around a cutover (status, report, bench) find it here too.
export { readPlacement };

/** Time a cutover keeps free after its last move: to put moves back, and to verify. */
export const CUTOVER_RESERVE_MS = 60_000;

/** Plans a move and refuses it as a whole if any managed object is missing. */
export function planOrThrow(pair: PairConfig, placement: PairPlacement, target: Role): CutoverPlan {
  const plan = planCutover(pair, placement, target);
  if (plan.blockers.length > 0) {
    throw new ManagedResourceNotFoundError('cutover plan', plan.blockers.join('; '), undefined, {
      details: { blockers: plan.blockers },
    });
  }
  return plan;
}

export interface ExecuteStats {
  calls: number;
  throttled: number;
}

export interface ExecuteResult {
  readonly done: readonly Change[];
  readonly failed: readonly { readonly change: Change; readonly error: unknown }[];
}

export interface Pacer {
  readonly concurrency: number;
  readonly routes: TokenBucket;
  readonly addresses: TokenBucket;
}

/**
 * Retries of one route or EIP change: up to 120 throttled answers, full-jitter backoff capped at
 * 3 s (360 s at the very worst, inside the cutover task's 900 s; EC2's 5 per second serve 300
 * changes a minute, so a short cap keeps the last pair close to the bucket's floor); other
 * retryable errors as `DEFAULT_RETRY`.
 */
export const THROTTLED_CHANGE_RETRY: RetryPolicy = { attempts: 120, baseDelayMs: 200, maxDelayMs: 3000 };

export function pacerFor(pair: PairConfig, clock: Clock): Pacer {
  const { concurrency, rateBurst, ratePerSecond } = pair.cutover;
  return {
    concurrency,
    routes: new TokenBucket(clock, rateBurst, ratePerSecond),
    addresses: new TokenBucket(clock, rateBurst, ratePerSecond),
  };
}

/** Applies changes; never throws for a single change: returns what was done and what failed. */
export async function executeChanges(
  ec2: Ec2Port,
  changes: readonly Change[],
  pacer: Pacer,
  clock: Clock,
  stats: ExecuteStats,
  /** Time kept free before the clock's deadline for what follows these moves. */
  reserveMs = 0,
): Promise<ExecuteResult> {
  const apply = async (c: Change): Promise<void> => {
    const bucket = c.kind === 'route' ? pacer.routes : pacer.addresses;
    // A move is not begun when the invocation could end in the middle of it (or of what must
    // follow it: a rollback, the verification): it counts as failed, like any other failed move.
    const startBefore = (clock.deadlineAt ?? Number.POSITIVE_INFINITY) - reserveMs;
    if (clock.now() + MIN_CALL_MS > startBefore) {
      throw new StepTimeBudgetError(`${changeLabel(c)}: not started, ${Math.max(0, Math.round(timeLeftMs(clock) / 1000))} s left in this invocation`);
    }
    // Throttling means "wait", not "failed": EC2's bucket is the account's, shared with every
    // other flow cutting over at the same time (a region-wide event); given up too early, a
    // change fails and the moves already made are put back toward the failed firewall. Other
    // retryable errors keep the usual budget.
    let otherRetries = 0;
    await withRetry(
      clock,
      async () => {
        await bucket.take();
        stats.calls++;
        if (c.kind === 'route') {
          if (c.create) await ec2.createRoute(c.routeTableId, c.destination, c.to);
          else await ec2.replaceRoute(c.routeTableId, c.destination, c.to);
        } else {
          await ec2.associateAddress(c.allocationId, c.toEni, c.toPrivateIp);
        }
      },
      { ...THROTTLED_CHANGE_RETRY, retryIf: (e) => isThrottle(e) || (isRetryable(e) && ++otherRetries < DEFAULT_RETRY.attempts) },
      (e) => {
        if (isThrottle(e)) {
          stats.throttled++;
          bucket.drain();
        }
      },
    );
  };
  const outcomes = await mapBounded(changes, pacer.concurrency, async (change) => {
    try {
      await apply(change);
      return { change, error: undefined as unknown, ok: true };
    } catch (error) {
      return { change, error, ok: false };
    }
  });
  return {
    done: outcomes.filter((o) => o.ok).map((o) => o.change),
    failed: outcomes.filter((o) => !o.ok).map((o) => ({ change: o.change, error: o.error })),
  };
}

/** The change that undoes `c`, when its origin was known. */
function reverse(c: Change): Change | undefined {
  if (c.kind === 'route') {
    return c.from?.startsWith('eni-') && !c.create ? { ...c, from: c.to, to: c.from } : undefined;
  }
  if (c.fromEni === undefined || c.fromPrivateIp === undefined) return undefined;
  return { ...c, fromEni: c.toEni, fromPrivateIp: c.toPrivateIp, toEni: c.fromEni, toPrivateIp: c.fromPrivateIp };
}

/** Polls Describe until every managed object is on `target`, with backoff, within `timeoutMs`. */
export async function verifyPlacement(
  ec2: Ec2Port,
  pair: PairConfig,
  target: Role,
  clock: Clock,
  timeoutMs: number,
): Promise<{ attempts: number; placement: PairPlacement }> {
  // The configured verification time, or what is left of the invocation if that is less.
  const deadline = Math.min(clock.now() + timeoutMs, (clock.deadlineAt ?? Number.POSITIVE_INFINITY) - MIN_CALL_MS);
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    const placement = await withRetry(clock, () => readPlacement(ec2, pair));
    if (effectiveOwner(placement) === target || planCutover(pair, placement, target).changes.length === 0) {
      return { attempts: attempt, placement };
    }
    if (clock.now() + delay > deadline) {
      const pending = planCutover(pair, placement, target).changes.map(changeLabel);
      throw new CutoverNotVerifiedError(
        `after ${attempt} Describe rounds, ${pending.length} managed object(s) still do not show the target: ${pending.join('; ')}`,
        { details: { pending } },
      );
    }
    await clock.sleep(delay);
    delay = Math.min(delay * 2, 5000);
  }
}

export interface CutoverOutcome {
  readonly moved: readonly string[];
  readonly unchanged: number;
  readonly calls: number;
  readonly throttled: number;
  readonly verifyAttempts: number;
}

/**
 * Plan, execute, verify. On a terminal failure of some moves, the completed ones are put back
 * when `rollback` is true (the default: the origin can carry traffic), and left on the target
 * otherwise (the origin failed: putting traffic back would turn a partial recovery into a full
 * outage).
 */
export async function cutover(
  ec2: Ec2Port,
  pair: PairConfig,
  target: Role,
  clock: Clock,
  options: { verifyTimeoutMs?: number; rollback?: boolean } = {},
): Promise<CutoverOutcome> {
  const placement = await withRetry(clock, () => readPlacement(ec2, pair));
  const plan = planOrThrow(pair, placement, target);
  const stats: ExecuteStats = { calls: 0, throttled: 0 };
  const pacer = pacerFor(pair, clock);
  // Moves leave time for putting them back and for the verification (which may also end early:
  // CutoverNotVerifiedError, retried by the state machine, which re-plans from Describe).
  const result = await executeChanges(ec2, plan.changes, pacer, clock, stats, CUTOVER_RESERVE_MS);
  if (result.failed.length > 0 && options.rollback === false) {
    const failures = result.failed.map((f) => `${changeLabel(f.change)}: ${errorMessage(f.error)}`);
    throw new CutoverFailedError(
      `${result.failed.length} of ${plan.changes.length} moves failed; the ${result.done.length} completed move(s) stay on ${pair.firewalls[target].name} (the origin failed: traffic is never put back on it): ${failures.join('; ')}`,
      {
        cause: result.failed[0]?.error,
        details: { failed: failures, keptOnTarget: result.done.map(changeLabel) },
      },
    );
  }
  if (result.failed.length > 0) {
    const undo = result.done.map(reverse).filter((c): c is Change => c !== undefined);
    const back = await executeChanges(ec2, undo, pacer, clock, stats);
    const failures = result.failed.map((f) => `${changeLabel(f.change)}: ${errorMessage(f.error)}`);
    throw new CutoverFailedError(
      `${result.failed.length} of ${plan.changes.length} moves failed; ${back.done.length} of ${result.done.length} completed moves were put back${back.failed.length > 0 ? ` (${back.failed.length} could not be: the pair is split, see details)` : ''}: ${failures.join('; ')}`,
      {
        cause: result.failed[0]?.error,
        details: {
          failed: failures,
          rolledBack: back.done.map(changeLabel),
          notRolledBack: back.failed.map((f) => changeLabel(f.change)),
        },
      },
    );
  }
  const verified = await verifyPlacement(ec2, pair, target, clock, options.verifyTimeoutMs ?? pair.cutover.verifyTimeoutSeconds * 1000);
  return {
    moved: result.done.map(changeLabel),
    unchanged: plan.unchanged,
    calls: stats.calls,
    throttled: stats.throttled,
    verifyAttempts: verified.attempts,
  };
}
