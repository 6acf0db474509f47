import { describe, expect, it } from 'vitest';
import {
  bootTimeline,
  currentTimeline,
  formatCtime,
  formatUptime,
  jobsAt,
  phaseAt,
  resolveProfile,
} from '#sim/panos/index.js';
import type { BootTimings, JobOptions } from '#sim/panos/index.js';
import { INSTANCE_STATES } from '#shared/ports/ec2.js';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const timings: BootTimings = resolveProfile('fw-a').timings;
const normal = { slowBoot: 1, neverReady: false };

describe('boot timeline of a restarted VM-Series', () => {
  it('uses the documented defaults: 60 s refused, 45 s of 403, ready 6 min after start, 20 s negotiation', () => {
    expect(timings).toEqual({ refuseMs: 60_000, authDownMs: 45_000, readyMs: 360_000, negotiationMs: 20_000 });
  });

  it('goes refused -> auth-down -> not-ready -> ready exactly at each boundary', () => {
    const t = bootTimeline(T0, timings, normal);
    expect(phaseAt(t, T0)).toBe('refusing');
    expect(phaseAt(t, T0 + 59_999)).toBe('refusing');
    expect(phaseAt(t, T0 + 60_000)).toBe('auth-down');
    expect(phaseAt(t, T0 + 104_999)).toBe('auth-down');
    expect(phaseAt(t, T0 + 105_000)).toBe('not-ready');
    expect(phaseAt(t, T0 + 359_999)).toBe('not-ready');
    expect(phaseAt(t, T0 + 360_000)).toBe('ready');
    expect(phaseAt(t, T0 + 30 * 86_400_000)).toBe('ready');
  });

  it('is off in every instance state but running, and when running has no start time', () => {
    for (const state of INSTANCE_STATES.filter((s) => s !== 'running')) {
      expect(phaseAt(currentTimeline(state, T0, timings, normal), T0 + 3_600_000)).toBe('off');
    }
    expect(phaseAt(currentTimeline('running', undefined, timings, normal), T0 + 3_600_000)).toBe('off');
    expect(phaseAt(currentTimeline('running', T0, timings, normal), T0 + 3_600_000)).toBe('ready');
  });

  it('slowBoot stretches every phase by its factor', () => {
    const t = bootTimeline(T0, timings, { slowBoot: 2, neverReady: false });
    expect(phaseAt(t, T0 + 119_999)).toBe('refusing');
    expect(phaseAt(t, T0 + 120_000)).toBe('auth-down');
    expect(phaseAt(t, T0 + 209_999)).toBe('auth-down');
    expect(phaseAt(t, T0 + 210_000)).toBe('not-ready');
    expect(phaseAt(t, T0 + 719_999)).toBe('not-ready');
    expect(phaseAt(t, T0 + 720_000)).toBe('ready');
  });

  it('neverReady keeps the API up but never ready', () => {
    const t = bootTimeline(T0, timings, { slowBoot: 1, neverReady: true });
    expect(t.readyAt).toBeUndefined();
    expect(phaseAt(t, T0 + 105_000)).toBe('not-ready');
    expect(phaseAt(t, T0 + 365 * 86_400_000)).toBe('not-ready');
  });

  it('cannot be ready before the key is accepted, whatever readyMs says', () => {
    const t = bootTimeline(T0, { ...timings, readyMs: 10_000 }, normal);
    expect(t.readyAt).toBe(T0 + 105_000);
    expect(phaseAt(t, T0 + 104_999)).toBe('auth-down');
    expect(phaseAt(t, T0 + 105_000)).toBe('ready');
  });
});

describe('time formats', () => {
  it('formats uptime as "N days, H:MM:SS"', () => {
    expect(formatUptime(0)).toBe('0 days, 0:00:00');
    expect(formatUptime(19 * 60_000 + 41_000)).toBe('0 days, 0:19:41');
    expect(formatUptime(((65 * 24 + 8) * 3600 + 44 * 60 + 39) * 1000 + 999)).toBe('65 days, 8:44:39');
  });

  it('formats the system time like ctime, day padded with a space', () => {
    expect(formatCtime(Date.UTC(2019, 3, 1, 14, 34, 27))).toBe('Mon Apr  1 14:34:27 2019');
    expect(formatCtime(Date.UTC(2026, 0, 29, 16, 35, 59))).toBe('Thu Jan 29 16:35:59 2026');
  });
});

describe('job history after a boot', () => {
  const options: JobOptions = { timings, slowBoot: 1, autoComRetentionMs: undefined, failedJobInHistory: false };
  const t = bootTimeline(T0, timings, normal);
  const autocom = (now: number, o: JobOptions = options, tl = t) => jobsAt(tl, now, o).find((j) => j.type === 'AutoCom');

  it('shows AutoCom ACT/PEND with growing progress until ready, then FIN/OK', () => {
    const early = autocom(T0 + 105_000);
    const later = autocom(T0 + 300_000);
    expect(early).toMatchObject({ id: 1, status: 'ACT', result: 'PEND', finishedAt: undefined });
    expect(later).toMatchObject({ status: 'ACT', result: 'PEND' });
    expect(later!.progress).toBeGreaterThan(early!.progress);
    expect(later!.progress).toBeLessThan(100);
    expect(autocom(T0 + 359_999)?.status).toBe('ACT');
    expect(autocom(T0 + 360_000)).toMatchObject({ status: 'FIN', result: 'OK', progress: 100, finishedAt: T0 + 360_000 });
  });

  it('adds a content job after the boot commit, newest first', () => {
    expect(jobsAt(t, T0 + 364_999, options).map((j) => j.type)).toEqual(['AutoCom']);
    const jobs = jobsAt(t, T0 + 365_000, options);
    expect(jobs.map((j) => [j.type, j.status])).toEqual([
      ['WildFire', 'ACT'],
      ['AutoCom', 'FIN'],
    ]);
    expect(jobsAt(t, T0 + 370_000, options)[0]).toMatchObject({ type: 'WildFire', status: 'FIN', result: 'OK' });
  });

  it('never finishes AutoCom with neverReady, progress capped below 100', () => {
    const stuck = bootTimeline(T0, timings, { slowBoot: 1, neverReady: true });
    const job = autocom(T0 + 86_400_000, options, stuck);
    expect(job).toMatchObject({ status: 'ACT', result: 'PEND' });
    expect(job!.progress).toBe(99);
    expect(jobsAt(stuck, T0 + 86_400_000, options)).toHaveLength(1);
  });

  it('drops AutoCom from history after the retention time, and can list a Failed-Job without id', () => {
    const o = { ...options, autoComRetentionMs: 3_600_000, failedJobInHistory: true };
    expect(jobsAt(t, T0 + 360_000 + 3_599_999, o).map((j) => j.type)).toEqual(['WildFire', 'Failed-Job', 'AutoCom']);
    const aged = jobsAt(t, T0 + 360_000 + 3_600_000, o);
    expect(aged.map((j) => j.type)).toEqual(['WildFire', 'Failed-Job']);
    expect(aged[1]).toMatchObject({ id: undefined, status: undefined, result: undefined });
  });
});
