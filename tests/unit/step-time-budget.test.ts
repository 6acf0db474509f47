/**
 * Each step bounds its own work by the invocation's remaining time (the clock's deadline): no
 * retry, no move and no verification poll is begun that could not end before it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AwsThrottledError, CutoverFailedError, CutoverNotVerifiedError, StepTimeBudgetError } from '#shared/errors.js';
import { timeLeftMs, withDeadline, type Clock } from '#shared/ports/clock.js';
import { MIN_CALL_MS, withRetry } from '#shared/usecases/pacing.js';
import { cutover, CUTOVER_RESERVE_MS } from '#shared/usecases/flow/cutover.js';
import type { Config } from '#shared/config/schema.js';
import { makeConfig } from '../support/config.js';
import { MUTATING_EC2, drive, spyEc2, truePlacement, worldHarness, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

function setup(config: Config): WorldHarness {
  h = worldHarness(config, { firewalls: { 'fw-a': { outcomes: 'unreachable' } } });
  return h;
}

function manualClock(start = 1_000_000): Clock & { t: number } {
  const c = {
    t: start,
    now: () => c.t,
    sleep: (ms: number) => {
      c.t += ms;
      return Promise.resolve();
    },
  };
  return c;
}

describe('the invocation deadline', () => {
  it('withDeadline keeps the earlier deadline and the same time; timeLeftMs counts down to it', () => {
    const base = manualClock();
    const c = withDeadline(withDeadline(base, base.t + 10_000), base.t + 60_000);
    expect(c.deadlineAt).toBe(base.t + 10_000);
    expect(timeLeftMs(c)).toBe(10_000);
    base.t += 4_000;
    expect(timeLeftMs(c)).toBe(6_000);
    expect(timeLeftMs(base)).toBe(Number.POSITIVE_INFINITY);
  });

  it('withRetry gives up at once (with the last error) when the next backoff would not end before the deadline', async () => {
    const base = manualClock();
    const clock = withDeadline(base, base.t + MIN_CALL_MS + 500);
    let calls = 0;
    const throttled = () => {
      calls++;
      return Promise.reject(new AwsThrottledError('ec2:ReplaceRoute', 'slow down', 'RequestLimitExceeded'));
    };
    await expect(withRetry(clock, throttled, { attempts: 8, baseDelayMs: 1_000, maxDelayMs: 1_000 }, undefined, () => 1)).rejects.toBeInstanceOf(AwsThrottledError);
    expect(calls).toBe(1);
    expect(base.t).toBe(1_000_000);
    // Without a deadline the same policy keeps trying.
    calls = 0;
    await expect(withRetry(base, throttled, { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 1_000 }, undefined, () => 1)).rejects.toBeInstanceOf(AwsThrottledError);
    expect(calls).toBe(3);
  });

  it('a cutover begins no move inside its reserve: the moves not begun count as failed, nothing is changed', async () => {
    const w = setup(makeConfig());
    const pair = w.pair;
    const spy = spyEc2(w.flowDeps().ec2, w.clock);
    // Less time than the reserve a cutover keeps after its last move.
    const clock = withDeadline(w.clock, w.clock.now() + CUTOVER_RESERVE_MS);
    const error = await drive(w.clock, cutover(spy.port, pair, 'secondary', clock)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CutoverFailedError);
    expect(String((error as CutoverFailedError).details.failed)).toMatch(/not started, \d+ s left in this invocation/);
    expect(spy.calls.filter((c) => (MUTATING_EC2 as readonly string[]).includes(c.method))).toEqual([]);
    expect(truePlacement(w.world, pair).owner).toBe('primary');
    expect(new StepTimeBudgetError('x').retryable).toBe(true);
    // With the time, the same cutover moves everything.
    await drive(w.clock, cutover(spy.port, pair, 'secondary', withDeadline(w.clock, w.clock.now() + CUTOVER_RESERVE_MS + 60_000)));
    expect(truePlacement(w.world, pair).owner).toBe('secondary');
  });

  it('the verification stops polling at the deadline, not after verifyTimeoutSeconds (CutoverNotVerifiedError, retried by the state machine)', async () => {
    const w = setup(makeConfig({ cutover: { verifyTimeoutSeconds: 600 } }));
    w.world.faults.set({ lag: { ms: 3_600_000, resources: ['routes', 'addresses'] } });
    const start = w.clock.now();
    const deadline = start + CUTOVER_RESERVE_MS + 30_000;
    const error = await drive(w.clock, cutover(w.flowDeps().ec2, w.pair, 'secondary', withDeadline(w.clock, deadline)), { stepMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CutoverNotVerifiedError);
    expect(w.clock.now()).toBeLessThanOrEqual(deadline);
  });
});
