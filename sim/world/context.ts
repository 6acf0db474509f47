/** What every service model of the world shares: time, ids, the event log, the faults. */
import type { Clock } from '#shared/ports/clock.js';
import type { EventLog } from './event-log.js';
import type { FaultController } from './faults.js';
import type { IamWorld } from './iam.js';
import type { SeededRng } from './rng.js';
import type { Scheduler } from './scheduler.js';

/** Default durations of the world's transitions, in simulated ms. */
export interface WorldTimings {
  /** StartInstances: `pending` until `running` (one measurement: about 16 s). */
  readonly pendingMs: number;
  /** StopInstances: `stopping` until `stopped`. */
  readonly stoppingMs: number;
  /** Status checks report `initializing` this long after `running`, then `ok`. */
  readonly statusInitMs: number;
  /** Route 53 changes stay PENDING this long. */
  readonly dnsSyncMs: number;
  /** EC2 publishes the StatusCheckFailed metric at this interval. */
  readonly statusMetricIntervalMs: number;
}

export const DEFAULT_TIMINGS: WorldTimings = {
  pendingMs: 16_000,
  stoppingMs: 20_000,
  statusInitMs: 120_000,
  dnsSyncMs: 30_000,
  statusMetricIntervalMs: 60_000,
};

export interface WorldContext {
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  readonly events: EventLog;
  readonly scheduler: Scheduler;
  readonly faults: FaultController;
  /** Who calls, and may they (every API operation authorizes itself first). */
  readonly iam: IamWorld;
  /** Ids and other random-looking values; separate from the fault RNG so ids never shift fault draws. */
  readonly ids: SeededRng;
  timings: WorldTimings;
  now(): number;
}

/** The ARN of a resource of this world (`arn:aws:<service>:<region>:<account>:<resource>`; global services leave region and account empty). */
export function worldArn(ctx: Pick<WorldContext, 'region' | 'accountId'>, service: string, resource: string, global = false): string {
  return `arn:aws:${service}:${global ? '' : ctx.region}:${global ? '' : ctx.accountId}:${resource}`;
}
