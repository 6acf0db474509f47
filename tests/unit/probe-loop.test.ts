/**
 * The probe loop (infra/probe-loop.asl.json, shared/usecases/probe-loop.ts): the deployed probe
 * schedule. The real definition run by the local runner on a manual clock, the real handler
 * (middy, Powertools) for each round: the same rounds at the same times as one invocation that
 * runs the whole window, but one invocation per round; bad loop events refused before anything
 * is probed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createProbeHandler, type LoopRoundOutput } from '#functions/health-probe/handler.js';
import { loadDefinition, PROBE_LOOP_DEFINITION_PATH, runFlowLocally, waitMs, type LocalRunResult } from '#shared/adapters/sfn-local/runner.js';
import { InputInvalidError } from '#shared/errors.js';
import { createPowertools } from '#shared/observability/powertools.js';
import type { Clock } from '#shared/ports/clock.js';
import { afterRound, isLoopRoundEvent, loopGrid, parseLoopRoundEvent, roundDueAt, roundPlan } from '#shared/usecases/probe-loop.js';
import { runProbeInvocation } from '#shared/usecases/probe.js';
import { flowExecutionName } from '#shared/usecases/flow-input.js';
import { lambdaContext } from '#sim/runtime/lambda.js';
import { makeConfig } from '../support/config.js';
import { drive, worldHarness, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

function harness(intervalSeconds: number, timeoutSeconds = 4): WorldHarness {
  h = worldHarness(makeConfig({ probe: { intervalSeconds, timeoutSeconds } }), { firewalls: { 'fw-a': { tunnels: ['tun-head-office'] } } });
  return h;
}

/** The deployed probe's Lambda context (75 s, serverless.yml) on the harness's clock. */
const context = (clock: Clock) => lambdaContext('health-probe', clock, 75_000);

/** One execution of the probe loop as EventBridge starts it, each round an invocation of the real handler. */
async function runLoop(w: WorldHarness): Promise<{ result: LocalRunResult; invocations: { at: number; event: unknown; output: unknown }[] }> {
  const handler = createProbeHandler(() => Promise.resolve(w.probeDeps()), createPowertools('health-probe'));
  const invocations: { at: number; event: unknown; output: unknown }[] = [];
  const result = await drive(
    w.clock,
    runFlowLocally(
      { version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
      {
        definition: loadDefinition(PROBE_LOOP_DEFINITION_PATH),
        clock: w.clock,
        executionName: 'probe-loop-test',
        handlers: {
          healthProbe: async (event) => {
            const at = w.clock.now();
            const output = await handler(event, context(w.clock));
            invocations.push({ at, event, output });
            return output;
          },
        },
      },
    ),
  );
  return { result, invocations };
}

describe('the probe loop (Express) runs the window the one-invocation driver runs, a round per invocation', () => {
  it.each([5, 7, 10, 15, 20, 30, 60])('interval %i s: floor(60 / interval) rounds at the same ticks, each its own invocation', async (interval) => {
    const w = harness(interval);
    const t0 = w.clock.now();
    const { result, invocations } = await runLoop(w);
    expect(result.status).toBe('SUCCEEDED');
    const expected = Math.floor(60 / interval);
    expect(invocations.map((i) => i.at)).toEqual(Array.from({ length: expected }, (_, k) => t0 + k * interval * 1000));
    expect(invocations.map((i) => i.event)).toEqual(Array.from({ length: expected }, (_, k) => ({ round: k, startedAt: new Date(t0).toISOString() })));
    expect(w.firewalls.callsTo('fw-a', 'systemInfo')).toHaveLength(expected);
    // The execution ends with the window's summary: every round run, the last decision.
    expect(result.output).toMatchObject({ rounds: expected, round: expected, pairs: [{ pair: 'hq-egress', action: 'none', code: 'active-healthy' }] });
    expect(result.output).not.toHaveProperty('next');
    expect(w.clock.now() - t0).toBeLessThan(60_000);

    // The same ticks as the one-invocation driver over the same plan.
    const again = harness(interval);
    const t1 = again.clock.now();
    const rounds = await drive(again.clock, runProbeInvocation(again.probeDeps()));
    expect(rounds.map((r) => (r[0]?.at ?? 0) - t1)).toEqual(invocations.map((i) => i.at - t0));
  });

  it('an execution that starts between seconds: the first invocation only names the grid\'s first second, the rounds then fall on it every interval, and the next window keeps the interval across its start', async () => {
    const w = harness(10);
    await w.clock.advance(750);
    const s0 = w.clock.now();
    const first = await runLoop(w);
    await w.clock.advance(s0 + 60_000 - w.clock.now());
    const second = await runLoop(w);
    const grid = s0 + 250;
    // One early invocation, which probes nothing and returns the grid's first second.
    expect(first.invocations[0]).toMatchObject({ at: s0, output: { round: 0, rounds: 0, pairs: [], next: new Date(grid).toISOString().replace('.000Z', 'Z') } });
    const rounds = [...first.invocations, ...second.invocations].filter((i) => (i.output as LoopRoundOutput).pairs.length > 0).map((i) => i.at);
    expect(rounds).toEqual(Array.from({ length: 12 }, (_, k) => grid + k * 10_000));
    expect(w.firewalls.callsTo('fw-a', 'systemInfo')).toHaveLength(12);
  });

  it('a dead primary fails over from the loop exactly as from one invocation: at the round that completes the streak, once', async () => {
    const w = (h = worldHarness(makeConfig(), { firewalls: { 'fw-a': { outcomes: 'timeout' } } }));
    const t0 = w.clock.now();
    const { result, invocations } = await runLoop(w);
    expect(result.status).toBe('SUCCEEDED');
    const actions = invocations.map((i) => (i.output as LoopRoundOutput).pairs[0]?.action);
    expect(actions).toEqual(['none', 'none', 'failover', 'failover', 'failover', 'failover']);
    expect((invocations[2]?.output as LoopRoundOutput).pairs[0]?.reason).toContain('fw-a failed 3 consecutive rounds');
    // The flow is started once, at the third round, named for the incident's first failed round.
    expect(w.flows.starts).toHaveLength(1);
    expect(w.flows.starts[0]).toMatchObject({ name: flowExecutionName('hq-egress', 'failover', t0, 1), at: t0 + 20_000 });
  });

  it("a round that throws ends the window with the round's error, having probed nothing (the next minute's execution starts afresh)", async () => {
    const w = harness(10);
    const deps = w.probeDeps();
    // A definition whose Task hands the probe a bad start time: the handler refuses the round.
    const def = loadDefinition(PROBE_LOOP_DEFINITION_PATH);
    const broken = { ...def, States: { ...def.States, ProbeRound: { ...def.States.ProbeRound, Parameters: { 'round.$': '$.round', startedAt: 'yesterday' } } } } as typeof def;
    const handler = createProbeHandler(() => Promise.resolve(deps), createPowertools('health-probe'));
    const result = await drive(w.clock, runFlowLocally({}, { definition: broken, clock: w.clock, executionName: 'broken', handlers: { healthProbe: (e) => handler(e, context(w.clock)) } }));
    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('InputInvalidError');
    expect(result.error?.cause).toContain('startedAt');
    expect(w.firewalls.callsTo('fw-a', 'systemInfo')).toHaveLength(0);
  });
});

describe('the loop round event', () => {
  const ok = { round: 2, startedAt: '2026-12-07T10:00:00.123Z' };

  it('is told apart from a scheduled event and a self-test by its fields', () => {
    expect(isLoopRoundEvent(ok)).toBe(true);
    expect(isLoopRoundEvent({ round: 1 })).toBe(true);
    expect(isLoopRoundEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event' })).toBe(false);
    expect(isLoopRoundEvent(null)).toBe(false);
    expect(isLoopRoundEvent([1])).toBe(false);
  });

  it('parses a good one', () => {
    expect(parseLoopRoundEvent(ok)).toEqual({ round: 2, startedAt: Date.parse(ok.startedAt) });
  });

  it.each([
    [{ round: -1, startedAt: ok.startedAt }, 'round: must be an integer from 0 to 59 (got -1)'],
    [{ round: 1.5, startedAt: ok.startedAt }, 'round: must be an integer from 0 to 59 (got 1.5)'],
    [{ round: '1', startedAt: ok.startedAt }, 'round: must be an integer from 0 to 59 (got "1")'],
    [{ round: 60, startedAt: ok.startedAt }, 'round: must be an integer from 0 to 59 (got 60)'],
    [{ startedAt: ok.startedAt }, 'round: must be an integer from 0 to 59 (got nothing)'],
    [{ round: 0, startedAt: 'yesterday' }, 'startedAt: must be an ISO 8601 time'],
    [{ round: 0, startedAt: 1_796_000_000_000 }, 'startedAt: must be an ISO 8601 time'],
    [{ round: 0 }, 'startedAt: must be an ISO 8601 time'],
    [{ ...ok, pair: 'hq-egress' }, 'pair: is not a field of a probe loop round (round, startedAt)'],
  ])('refuses %j, naming what is wrong', (event, message) => {
    expect(() => parseLoopRoundEvent(event)).toThrow(InputInvalidError);
    expect(() => parseLoopRoundEvent(event)).toThrow(message);
  });

  it('a round the window has no room for is not run, and the loop ends', async () => {
    const w = harness(10);
    const handler = createProbeHandler(() => Promise.resolve(w.probeDeps()), createPowertools('health-probe'));
    const out = (await drive(w.clock, handler({ round: 6, startedAt: new Date(w.clock.now()).toISOString() }, context(w.clock)))) as LoopRoundOutput;
    expect(out).toEqual({ rounds: 6, round: 6, pairs: [] });
    expect(w.firewalls.callsTo('fw-a', 'systemInfo')).toHaveLength(0);
  });
});

describe('the round plan', () => {
  const plan = roundPlan(makeConfig({ probe: { intervalSeconds: 10, timeoutSeconds: 4 } }));

  it('rounds every interval while the last can take its whole timeout and end a second before the next window', () => {
    expect(plan).toEqual({ intervalMs: 10_000, maxTimeoutMs: 4000, windowMs: 60_000 });
    expect([0, 1, 2, 3, 4, 5, 6].map((k) => roundDueAt(plan, 0, k))).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, undefined]);
    // 50 s + 4 s + 1 s = 55 s fits in 60; with a 10 s timeout 50 + 10 + 1 does not.
    const slow = roundPlan(makeConfig({ probe: { intervalSeconds: 15, timeoutSeconds: 10 } }));
    expect([0, 1, 2, 3, 4].map((k) => roundDueAt(slow, 0, k))).toEqual([0, 15_000, 30_000, 45_000, undefined]);
  });

  it('the next round is due on the grid: whole seconds from the start rounded up (Step Functions drops milliseconds: a whole second is waited for exactly)', () => {
    const start = Date.parse('2026-12-07T10:00:00.750Z');
    const grid = loopGrid(start);
    expect(new Date(grid).toISOString()).toBe('2026-12-07T10:00:01.000Z');
    expect(afterRound(plan, grid, 0)).toEqual({ round: 1, next: '2026-12-07T10:00:11Z' });
    expect(afterRound(plan, grid, 4)).toEqual({ round: 5, next: '2026-12-07T10:00:51Z' });
    expect(afterRound(plan, grid, 5)).toEqual({ round: 6 });
    expect(loopGrid(Date.parse('2026-12-07T10:00:00.000Z'))).toBe(Date.parse('2026-12-07T10:00:00.000Z'));
  });
});

describe("the local runner's Wait: as Step Functions does it", () => {
  it('a timestamp waits until its whole second, a past one does not wait, seconds are seconds', () => {
    const now = Date.parse('2026-12-07T10:00:00.000Z');
    expect(waitMs({ timestamp: '2026-12-07T10:00:09.999Z' }, now)).toBe(9000);
    expect(waitMs({ timestamp: '2026-12-07T10:00:09Z' }, now)).toBe(9000);
    expect(waitMs({ timestamp: '2026-12-07T09:59:00Z' }, now)).toBe(0);
    expect(waitMs({ seconds: 7 }, now)).toBe(7000);
  });

  it('a timestamp that is not RFC 3339 with T and Z fails the execution (States.Runtime)', () => {
    for (const bad of ['2026-12-07 10:00:00Z', '2026-12-07T10:00:00+09:00', 'soon', 5]) {
      expect(() => waitMs({ timestamp: bad }, 0)).toThrow(/valid ISO-8601/);
    }
  });
});
