/**
 * Maintenance pauses: the durations people type, the limits, the flow's own gate (automatic
 * triggers skipped, a person's refused unless overridden), and the pause item's conditional
 * writes: two people pausing and resuming at once end in one clear state, and an expired pause
 * is ended and notified once however many probes notice it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '#shared/config/load.js';
import { AUTOMATIC_SOURCES, describePause, formatSeconds, parseDuration, pauseSeconds, pauseState } from '#shared/domain/pause.js';
import { PairPausedError, StateConflictError } from '#shared/errors.js';
import type { PauseRecord } from '#shared/ports/store.js';
import { parseFlowInput } from '#shared/usecases/flow-input.js';
import { endExpiredPause, flowPauseGate, pausePairs, resumePairs, type PauseDeps } from '#shared/usecases/pause.js';
import { exampleRaw, makeConfig } from '../support/config.js';
import { worldHarness, type WorldHarness } from '../support/fake-firewalls.js';

let h: WorldHarness | undefined;
afterEach(() => h?.close());

const POLICY = { defaultSeconds: 7200, maxSeconds: 86_400 };
const PAIR = 'hq-egress';
const HOUR = 3_600_000;

describe('pause durations', () => {
  it('reads 30m, 2h, 1h30m, 45s and 1d; a bare number, a wrong unit or order, junk and a negative value are errors naming the text', () => {
    expect(parseDuration('30m')).toEqual({ seconds: 1800 });
    expect(parseDuration('2h')).toEqual({ seconds: 7200 });
    expect(parseDuration('1h30m')).toEqual({ seconds: 5400 });
    expect(parseDuration(' 45S ')).toEqual({ seconds: 45 });
    expect(parseDuration('1d')).toEqual({ seconds: 86_400 });
    expect(parseDuration('1.5h')).toEqual({ seconds: 5400 });
    expect(parseDuration('2')).toEqual({ error: '"2" has no unit (write 30m, 2h or 1h30m)' });
    expect(parseDuration('-1h')).toEqual({ error: '"-1h" is negative: a pause lasts a positive time' });
    expect(parseDuration('2w')).toMatchObject({ error: expect.stringContaining('unknown unit in "2w"') as string });
    expect(parseDuration('30m1h')).toMatchObject({ error: expect.stringContaining('largest to smallest') as string });
    expect(parseDuration('1h1h')).toMatchObject({ error: expect.stringContaining('largest to smallest') as string });
    expect(parseDuration('soon')).toMatchObject({ error: expect.stringContaining('is not a duration') as string });
    expect(parseDuration('')).toMatchObject({ error: expect.stringContaining('empty') as string });
  });

  it('no --for takes the default; 0 and anything above the maximum are refused naming the limit', () => {
    expect(pauseSeconds(undefined, POLICY)).toEqual({ seconds: 7200 });
    expect(pauseSeconds('24h', POLICY)).toEqual({ seconds: 86_400 });
    expect(pauseSeconds('0m', POLICY)).toMatchObject({ error: expect.stringContaining('is zero') as string });
    expect(pauseSeconds('0', POLICY)).toMatchObject({ error: expect.stringContaining('has no unit') as string });
    expect(pauseSeconds('24h1s', POLICY)).toEqual({ error: '"24h1s" is longer than the longest pause allowed, 1d (pause.maxSeconds in the configuration)' });
    expect(pauseSeconds('3h', { defaultSeconds: 3600, maxSeconds: 7200 })).toMatchObject({ error: expect.stringContaining('2h') as string });
    expect(formatSeconds(5400)).toBe('1h30m');
    expect(formatSeconds(90_061)).toBe('1d1h1m1s');
  });

  it('the configuration defaults to 2 h and 24 h; both can be set, and a default above the maximum is refused', () => {
    expect(makeConfig().pause).toEqual({ defaultSeconds: 7200, maxSeconds: 86_400 });
    expect(validateConfig({ ...exampleRaw(), pause: { defaultSeconds: 1800, maxSeconds: 14_400 } }, 'test').pause).toEqual({ defaultSeconds: 1800, maxSeconds: 14_400 });
    expect(() => validateConfig({ ...exampleRaw(), pause: { defaultSeconds: 7200, maxSeconds: 3600 } }, 'test')).toThrow(
      /pause\.defaultSeconds: 7200 is above pause\.maxSeconds \(3600\)/,
    );
    expect(() => validateConfig({ ...exampleRaw(), pause: { maxSeconds: 0 } }, 'test')).toThrow(/pause\.maxSeconds/);
    expect(() => validateConfig({ ...exampleRaw(), pause: { forever: true } }, 'test')).toThrow(/pause.*forever/);
  });
});

describe('pause state', () => {
  const record: PauseRecord = { since: 0, until: HOUR, by: 'alice', reason: 'upgrade fw-a' };
  it('holds until its end, then is expired until someone records the end, then is over', () => {
    expect(pauseState(undefined, 0)).toBe('none');
    expect(pauseState(record, HOUR - 1)).toBe('active');
    expect(pauseState(record, HOUR)).toBe('expired');
    expect(pauseState({ ...record, endedAt: HOUR, endedBy: 'expiry' }, HOUR)).toBe('none');
    expect(pauseState({ ...record, endedAt: 10, endedBy: 'bob' }, 20)).toBe('none');
    expect(describePause(record, HOUR / 2)).toBe('PAUSED until 1970-01-01T01:00:00Z (30m left) by alice: upgrade fw-a');
    expect(describePause({ ...record, endedAt: 10_000, endedBy: 'bob' }, HOUR / 2)).toBe(
      'not paused (last pause by alice ended 1970-01-01T00:00:10Z, resumed by bob)',
    );
  });
});

describe("the flow's pause gate", () => {
  const config = makeConfig();
  const paused: PauseRecord = { since: 0, until: HOUR, by: 'alice', reason: 'upgrade fw-a' };
  const input = (raw: Record<string, unknown>) => parseFlowInput({ pair: PAIR, action: 'failover', ...raw }, config);

  it('skips every automatic trigger (probe, alarm, drift repair, scheduled drill)', () => {
    for (const source of ['probe', 'alarm', 'drift', 'drill']) {
      expect(AUTOMATIC_SOURCES.has(source)).toBe(true);
      // The drill schedule (source drill) starts drills only.
      const trigger = source === 'drill' ? input({ source, action: 'drill' }) : input({ source });
      expect(flowPauseGate(paused, trigger, 10), source).toEqual({ until: HOUR, by: 'alice', reason: 'upgrade fw-a', skip: true, overridden: false });
    }
  });

  it("a person's drill is a person's flow: refused while paused, naming pan-failover drill --force; the override runs it", () => {
    const drill = (raw: Record<string, unknown> = {}) => input({ action: 'drill', source: 'manual', ...raw });
    expect(() => flowPauseGate(paused, drill(), 10)).toThrow(PairPausedError);
    expect(() => flowPauseGate(paused, drill(), 10)).toThrow(/a manual drill is refused.*pan-failover drill -p hq-egress --force/);
    expect(flowPauseGate(paused, drill({ overridePause: true }), 10)).toMatchObject({ skip: false, overridden: true });
  });

  it("refuses a person's flow with PairPausedError saying how to override; the override is marked", () => {
    const refuse = () => flowPauseGate(paused, input({ source: 'manual' }), 10);
    expect(refuse).toThrow(PairPausedError);
    expect(refuse).toThrow(/paused until 1970-01-01T01:00:00Z by alice \(upgrade fw-a\).*pan-failover failover -p hq-egress --force.*"overridePause": true/);
    expect(() => flowPauseGate(paused, parseFlowInput({ pair: PAIR, action: 'reconcile' }, config), 10)).toThrow(/pan-failover repair -p hq-egress --force/);
    expect(flowPauseGate(paused, input({ source: 'manual', overridePause: true }), 10)).toMatchObject({ skip: false, overridden: true });
    expect(flowPauseGate(paused, input({ source: 'manual', dryRun: true }), 10)).toMatchObject({ skip: false, overridden: false });
  });

  it('an expired, ended or absent pause holds nothing back', () => {
    expect(flowPauseGate(paused, input({ source: 'alarm' }), HOUR)).toBeUndefined();
    expect(flowPauseGate({ ...paused, endedAt: 5, endedBy: 'bob' }, input({ source: 'manual' }), 10)).toBeUndefined();
    expect(flowPauseGate(undefined, input({ source: 'probe' }), 10)).toBeUndefined();
  });
});

function deps(w: WorldHarness, store: PauseDeps['store'] = w.ports.store): PauseDeps {
  return { store, notifier: w.notifier, clock: w.clock };
}

describe('pause and resume on the state table', () => {
  it('pause writes the item and notifies; a second pause replaces it; resume ends it and notifies', async () => {
    const w = (h = worldHarness(makeConfig()));
    const t0 = w.clock.now();
    const [p] = await pausePairs(deps(w), { pairs: [PAIR], seconds: 7200, reason: 'upgrade fw-a', by: 'alice' });
    expect(p).toMatchObject({ outcome: 'paused', notified: true, flowRunning: undefined });
    expect(await w.ports.store.getPause(PAIR)).toEqual({ value: { since: t0, until: t0 + 2 * HOUR, by: 'alice', reason: 'upgrade fw-a' }, version: 1 });

    await w.clock.advance(60_000);
    const [again] = await pausePairs(deps(w), { pairs: [PAIR], seconds: 3600, reason: 'longer than planned', by: 'bob' });
    expect(again).toMatchObject({ outcome: 'extended', previous: { by: 'alice' } });
    expect(again?.message).toContain('it replaces the pause by alice');

    await w.clock.advance(60_000);
    const [r] = await resumePairs(deps(w), { pairs: [PAIR], by: 'carol' });
    expect(r).toMatchObject({ outcome: 'resumed', record: { endedAt: w.clock.now(), endedBy: 'carol' } });
    expect(pauseState((await w.ports.store.getPause(PAIR)).value, w.clock.now())).toBe('none');
    const [nothing] = await resumePairs(deps(w), { pairs: [PAIR], by: 'carol' });
    expect(nothing?.outcome).toBe('not-paused');

    expect(w.notifier.published.map((n) => [n.subject, n.attributes])).toEqual([
      ['[pan-failover] hq-egress: PAUSED until 2026-01-01T11:00:00Z by alice: upgrade fw-a', { pair: PAIR, event: 'pause' }],
      ['[pan-failover] hq-egress: PAUSED until 2026-01-01T10:01:00Z by bob: longer than planned', { pair: PAIR, event: 'pause' }],
      ['[pan-failover] hq-egress: RESUMED by carol; automatic failover is back on', { pair: PAIR, event: 'resume' }],
    ]);
    expect(w.notifier.published[1]?.body).toMatchObject({ replaces: { by: 'alice', reason: 'upgrade fw-a' } });
  });

  it('a pause requested while a flow holds the pair says so, and does not touch the lock', async () => {
    const w = (h = worldHarness(makeConfig()));
    await w.ports.store.acquire(PAIR, 'hq-egress-failover-x-1', w.clock.now(), 600_000);
    const [p] = await pausePairs(deps(w), { pairs: [PAIR], seconds: 600, reason: 'r', by: 'alice' });
    expect(p?.flowRunning).toBe('hq-egress-failover-x-1');
    expect(p?.message).toMatch(/a flow is running \(hq-egress-failover-x-1\): the pause does not stop it/);
    expect((await w.ports.store.get(PAIR))?.holder).toBe('hq-egress-failover-x-1');
  });

  it('two people pausing and resuming at the same moment: one write wins, the other is told the state it lost to', async () => {
    const w = (h = worldHarness(makeConfig()));
    await pausePairs(deps(w), { pairs: [PAIR], seconds: 3600, reason: 'first', by: 'alice' });
    // Both read the same version before either writes: the first two reads wait for each other.
    const base = w.ports.store;
    let reads = 0;
    let release: () => void = () => undefined;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    const racing: PauseDeps['store'] = {
      get: (p) => base.get(p),
      putPause: (p, r, v) => base.putPause(p, r, v),
      getPause: async (p) => {
        const read = await base.getPause(p);
        if (++reads <= 2) {
          if (reads === 2) release();
          await bothRead;
        }
        return read;
      },
    };
    const [[paused], [resumed]] = await Promise.all([
      pausePairs(deps(w, racing), { pairs: [PAIR], seconds: 7200, reason: 'second', by: 'bob' }),
      resumePairs(deps(w, racing), { pairs: [PAIR], by: 'carol' }),
    ]);
    const outcomes = [paused?.outcome, resumed?.outcome].sort();
    // Exactly one of them was written; the other reports a conflict naming the state that holds.
    expect(outcomes.filter((o) => o === 'conflict')).toHaveLength(1);
    const stored = await base.getPause(PAIR);
    expect(stored.version).toBe(2);
    const loser = paused?.outcome === 'conflict' ? paused : resumed;
    expect(loser?.message).toMatch(/NOT done: someone changed the pause at the same moment/);
    expect(loser?.record).toEqual(stored.value);
    // Only the winner notified.
    expect(w.notifier.published).toHaveLength(2);
  });

  it('an expired pause is ended and notified once, however many probes notice it at the same time', async () => {
    const w = (h = worldHarness(makeConfig()));
    await pausePairs(deps(w), { pairs: [PAIR], seconds: 600, reason: 'reboot fw-b', by: 'alice' });
    await w.clock.advance(601_000);
    const read = await w.ports.store.getPause(PAIR);
    if (!read.value) throw new Error('no pause');
    const lines = await Promise.all([1, 2, 3].map(() => endExpiredPause(deps(w), PAIR, read.value as PauseRecord, read.version)));
    expect(lines.filter((l) => l !== undefined)).toEqual(['pause by alice expired at 2026-01-01T09:10:00Z: automation resumed']);
    expect(w.notifier.subjects().filter((s) => s.includes('expired'))).toEqual(['[pan-failover] hq-egress: pause expired; automatic failover is back on']);
    expect((await w.ports.store.getPause(PAIR)).value).toMatchObject({ endedAt: read.value.until, endedBy: 'expiry' });
    // A writer with a stale version is refused by the table itself.
    await expect(w.ports.store.putPause(PAIR, read.value, read.version)).rejects.toThrow(StateConflictError);
  });
});
