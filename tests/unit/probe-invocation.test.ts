/**
 * One probe invocation (EventBridge fires once a minute): floor(60 / interval) rounds, each at
 * its own tick, and never a round the Lambda cannot finish.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runProbeInvocation } from '#shared/usecases/probe.js';
import { makeConfig } from '../support/config.js';
import { drive, worldHarness, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

function harness(intervalSeconds: number, timeoutSeconds = 4): WorldHarness {
  h = worldHarness(makeConfig({ probe: { intervalSeconds, timeoutSeconds } }), { firewalls: { 'fw-a': { tunnels: ['tun-head-office'] } } });
  return h;
}

describe('runProbeInvocation', () => {
  it.each([5, 7, 10, 15, 20, 30, 60])('interval %i s: floor(60 / interval) rounds, one per tick', async (interval) => {
    const w = harness(interval);
    const t0 = w.clock.now();
    const rounds = await drive(w.clock, runProbeInvocation(w.probeDeps()));
    const expected = Math.floor(60 / interval);
    expect(rounds).toHaveLength(expected);
    expect(rounds.map((r) => r[0]?.at)).toEqual(Array.from({ length: expected }, (_, k) => t0 + k * interval * 1000));
    // The last round ends before the next invocation begins.
    expect(w.clock.now() - t0).toBeLessThan(60_000);
    expect(w.firewalls.callsTo('fw-a', 'systemInfo')).toHaveLength(expected);
  });

  it('a window shorter than interval + timeout runs one round', async () => {
    const w = harness(10);
    const rounds = await drive(w.clock, runProbeInvocation(w.probeDeps(), { windowMs: 12_000 }));
    expect(rounds).toHaveLength(1);
  });

  it('never starts a round the Lambda could not finish: at least 2 x timeout + 2 s must remain at its start', async () => {
    const w = harness(10);
    const t0 = w.clock.now();
    const lambdaTimeoutMs = 35_000;
    const remainingMs = () => lambdaTimeoutMs - (w.clock.now() - t0);
    const rounds = await drive(w.clock, runProbeInvocation(w.probeDeps(), { remainingMs }));
    const starts = rounds.map((r) => r[0]?.at ?? 0);
    for (const at of starts) expect(lambdaTimeoutMs - (at - t0)).toBeGreaterThanOrEqual(2 * 4000 + 2000);
    // Rounds at 0, 10 and 20 s fit; one at 30 s (5 s left) does not.
    expect(starts).toEqual([t0, t0 + 10_000, t0 + 20_000]);
  });

  it('always runs the first round, whatever the remaining time says', async () => {
    const w = harness(10);
    const rounds = await drive(w.clock, runProbeInvocation(w.probeDeps(), { remainingMs: () => 1000 }));
    expect(rounds).toHaveLength(1);
  });
});
