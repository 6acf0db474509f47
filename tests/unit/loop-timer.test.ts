import { describe, expect, it } from 'vitest';
import { LATE_TOLERANCE_MS, loopAwareTimeout } from '#shared/runtime/loop-timer.js';

/** Holds the event loop, as a long synchronous parse does. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

function expiry(ms: number): { fired: Promise<number>; timer: ReturnType<typeof loopAwareTimeout> } {
  const started = performance.now();
  let timer!: ReturnType<typeof loopAwareTimeout>;
  const fired = new Promise<number>((resolve) => {
    timer = loopAwareTimeout(ms, () => resolve(performance.now() - started));
  });
  return { fired, timer };
}

describe('loopAwareTimeout', () => {
  it('fires after its budget when the loop is free, granting nothing', async () => {
    const { fired, timer } = expiry(100);
    const elapsed = await fired;
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(timer.extendedMs).toBeLessThanOrEqual(LATE_TOLERANCE_MS * 3);
  });

  it('a blocked loop gives back the time it took, at most the budget once more', async () => {
    const { fired, timer } = expiry(100);
    block(400);
    const elapsed = await fired;
    // Due at 100 ms, noticed at about 400 ms: 100 ms more (the cap), not an immediate expiry.
    expect(timer.extendedMs).toBe(100);
    expect(elapsed).toBeGreaterThanOrEqual(490);
  });

  it('a short block grants back exactly the lateness', async () => {
    const { fired, timer } = expiry(300);
    await new Promise((r) => setTimeout(r, 150));
    block(300); // due at 300 ms, noticed at about 450 ms
    await fired;
    expect(timer.extendedMs).toBeGreaterThan(LATE_TOLERANCE_MS);
    expect(timer.extendedMs).toBeLessThan(300);
  });

  it('clear() before expiry means it never fires', async () => {
    let fired = false;
    const timer = loopAwareTimeout(50, () => {
      fired = true;
    });
    timer.clear();
    timer.clear();
    await new Promise((r) => setTimeout(r, 150));
    expect(fired).toBe(false);
  });
});
