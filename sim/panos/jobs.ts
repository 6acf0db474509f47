/**
 * The job history `show jobs all` reports after a boot: the AutoCom job (the commit PAN-OS
 * runs by itself at start; ACT/PEND until the firewall is ready, then FIN/OK), a content job
 * that follows it (so a client cannot take "some job is FIN/OK" for readiness), and optionally
 * a `Failed-Job` entry without id/status/result and an AutoCom that has aged out of history.
 */
import type { BootTimeline } from './lifecycle.js';
import type { BootTimings } from './profile.js';

export interface SimJob {
  /** `undefined` for `Failed-Job` entries, which real firewalls list without an id. */
  readonly id: number | undefined;
  readonly type: string;
  readonly user: string;
  readonly status: 'ACT' | 'FIN' | undefined;
  readonly result: 'PEND' | 'OK' | 'FAIL' | undefined;
  readonly enqueuedAt: number | undefined;
  readonly finishedAt: number | undefined;
  /** Percent while active; 100 when finished. */
  readonly progress: number;
  readonly details: readonly string[];
}

export interface JobOptions {
  readonly timings: BootTimings;
  readonly slowBoot: number;
  readonly autoComRetentionMs: number | undefined;
  readonly failedJobInHistory: boolean;
}

/** A content update queued shortly after the boot commit. */
const CONTENT_JOB_DELAY_MS = 5_000;
const CONTENT_JOB_DURATION_MS = 4_000;
const COMMIT_DETAILS = ['Configuration committed successfully', 'Successfully committed last configuration'];

function autoCommit(timeline: BootTimeline, now: number, options: JobOptions): SimJob {
  const start = timeline.apiUpAt;
  const done = timeline.readyAt !== undefined && now >= timeline.readyAt;
  // Progress is measured against the nominal ready time even when the boot will never finish.
  const nominalReady = timeline.runningSince + options.timings.readyMs * options.slowBoot;
  const span = Math.max(1, nominalReady - start);
  const progress = done ? 100 : Math.min(99, Math.max(0, Math.floor(((now - start) / span) * 100)));
  return {
    id: 1,
    type: 'AutoCom',
    user: '',
    status: done ? 'FIN' : 'ACT',
    result: done ? 'OK' : 'PEND',
    enqueuedAt: start,
    finishedAt: done ? timeline.readyAt : undefined,
    progress,
    details: done ? COMMIT_DETAILS : [],
  };
}

function contentJob(readyAt: number, now: number): SimJob | undefined {
  const start = readyAt + CONTENT_JOB_DELAY_MS;
  if (now < start) return undefined;
  const end = start + CONTENT_JOB_DURATION_MS;
  const done = now >= end;
  return {
    id: 2,
    type: 'WildFire',
    user: 'Auto update agent',
    status: done ? 'FIN' : 'ACT',
    result: done ? 'OK' : 'PEND',
    enqueuedAt: start,
    finishedAt: done ? end : undefined,
    progress: done ? 100 : Math.floor(((now - start) / CONTENT_JOB_DURATION_MS) * 100),
    details: done ? COMMIT_DETAILS : [],
  };
}

const FAILED_JOB: SimJob = {
  id: undefined,
  type: 'Failed-Job',
  user: '',
  status: undefined,
  result: undefined,
  enqueuedAt: undefined,
  finishedAt: undefined,
  progress: 0,
  details: ['job failed because of configd restart'],
};

/** Jobs listed at `now`, newest first as PAN-OS lists them. */
export function jobsAt(timeline: BootTimeline, now: number, options: JobOptions): SimJob[] {
  const jobs: SimJob[] = [];
  const { readyAt } = timeline;
  if (readyAt !== undefined) {
    const content = contentJob(readyAt, now);
    if (content) jobs.push(content);
  }
  if (options.failedJobInHistory) jobs.push(FAILED_JOB);
  const agedOut =
    readyAt !== undefined && options.autoComRetentionMs !== undefined && now >= readyAt + options.autoComRetentionMs;
  if (!agedOut) jobs.push(autoCommit(timeline, now, options));
  return jobs;
}
