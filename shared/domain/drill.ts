/**
 * Pure rules of the standby drill: how its lock is recognised (a failover may take it over at
 * once), and the expected recovery time from the measured boots.
 */
import type { PairConfig } from '../config/schema.js';
import type { DrillRecord } from '../ports/store.js';

/** Lock holders of drills start with this; every other holder is a flow execution. */
export const DRILL_HOLDER_PREFIX = 'drill:';

export function drillHolder(id: string): string {
  return `${DRILL_HOLDER_PREFIX}${id}`;
}

/** A drill's lock yields to a failover or failback: the drill only ever boots the standby. */
export function isDrillHolder(holder: string | undefined): boolean {
  return holder?.startsWith(DRILL_HOLDER_PREFIX) === true;
}

/** The execution behind a lock holder (a drill's holder is its execution name, marked). */
export function holderExecution(holder: string): string {
  return isDrillHolder(holder) ? holder.slice(DRILL_HOLDER_PREFIX.length) : holder;
}

/** Boots used for the expected RTO: the last ones measured. */
export const RTO_BOOTS = 5;

export function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export interface ExpectedRto {
  /** Detection: `failuresBeforeFailover` rounds of `intervalSeconds`. */
  readonly detectionSeconds: number;
  /** Median boot of the last drills that measured one; `undefined` before the first. */
  readonly bootSeconds: number | undefined;
  readonly boots: number;
  /** Detection + boot; `undefined` while no boot was measured. */
  readonly totalSeconds: number | undefined;
}

/** Detection plus the measured boot (median of the last `RTO_BOOTS` drills that booted the standby). */
export function expectedRto(pair: PairConfig, drills: readonly DrillRecord[]): ExpectedRto {
  const detectionSeconds = pair.probe.failuresBeforeFailover * pair.probe.intervalSeconds;
  const boots = drills.flatMap((d) => (d.bootSeconds === undefined ? [] : [d.bootSeconds])).slice(-RTO_BOOTS);
  const bootSeconds = median(boots);
  return { detectionSeconds, bootSeconds, boots: boots.length, totalSeconds: bootSeconds === undefined ? undefined : detectionSeconds + bootSeconds };
}
