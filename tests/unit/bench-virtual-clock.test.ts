/**
 * The benchmarks' discrete-event clock: the cutover figures are only as exact as it is. Sleeps
 * must wake in deadline order at their own deadline, concurrent chains must overlap (not add up),
 * the real token bucket must pace at exactly its refill rate, and a run that cannot finish must
 * say so instead of hanging.
 */
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '#shared/usecases/pacing.js';
import { VirtualClock, VirtualClockStuckError } from '../../bench/lib/virtual-clock.js';

const START = Date.UTC(2026, 0, 1);

describe('VirtualClock', () => {
  it('wakes sleepers in deadline order, each at its own deadline', async () => {
    const clock = new VirtualClock(START);
    const woke: [string, number][] = [];
    const nap = async (name: string, ms: number) => {
      await clock.sleep(ms);
      woke.push([name, clock.now() - START]);
    };
    await clock.run(Promise.all([nap('late', 300), nap('early', 100), nap('middle', 200)]));
    expect(woke).toEqual([
      ['early', 100],
      ['middle', 200],
      ['late', 300],
    ]);
  });

  it('overlaps concurrent chains: the run lasts as long as the longest, not the sum', async () => {
    const clock = new VirtualClock(START);
    const chain = async (steps: number[]) => {
      for (const s of steps) await clock.sleep(s);
      return clock.now() - START;
    };
    const ends = await clock.run(Promise.all([chain([100, 50]), chain([120]), chain([40, 40, 40])]));
    expect(ends).toEqual([150, 120, 120]);
    expect(clock.now() - START).toBe(150);
  });

  it('paces the real token bucket at exactly its refill rate after the burst', async () => {
    const clock = new VirtualClock(START);
    const bucket = new TokenBucket(clock, 50, 5);
    const takes = async () => {
      for (let i = 0; i < 60; i++) await bucket.take();
    };
    await clock.run(takes());
    // 50 from the burst at once, 10 more at 5 per second.
    expect(clock.now() - START).toBe(2000);
  });

  it('returns the work’s value and rethrows its error', async () => {
    const clock = new VirtualClock(START);
    await expect(clock.run(clock.sleep(10).then(() => 'done'))).resolves.toBe('done');
    const failing = clock.sleep(10).then(() => {
      throw new RangeError('boom');
    });
    await expect(clock.run(failing)).rejects.toThrow('boom');
  });

  it('reports work that waits on something other than the clock instead of hanging', async () => {
    const clock = new VirtualClock(START);
    const never = new Promise<void>(() => undefined);
    await expect(clock.run(never)).rejects.toBeInstanceOf(VirtualClockStuckError);
  });

  it('stops at the limit when the work keeps sleeping', async () => {
    const clock = new VirtualClock(START);
    const forever = (async () => {
      for (;;) await clock.sleep(1000);
    })();
    await expect(clock.run(forever, { limitMs: 5000 })).rejects.toThrow(/within 5000 ms/);
    expect(clock.now() - START).toBeLessThanOrEqual(5000);
  });

  it('forgets an aborted sleep and rejects it with the signal’s reason', async () => {
    const clock = new VirtualClock(START);
    const abort = new AbortController();
    const sleeping = clock.sleep(1000, abort.signal);
    abort.abort(new Error('cancelled'));
    await expect(sleeping).rejects.toThrow('cancelled');
    expect(clock.pendingSleepers).toBe(0);
  });
});
