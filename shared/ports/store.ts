/**
 * Ports to the controller's own state, kept in one DynamoDB table (see docs/decisions/0001-single-flight-lock.md):
 * the per-pair lock, the recorded owner, and the probe's memory between invocations.
 *
 * Table layout (DynamoDB adapter and simulator alike): string keys `pk` = `pair#<name>`,
 * `sk` = `lock` | `owner` | `probe`.
 * - lock: `holder` (S), `acquiredAt`, `expiresAt` (N, epoch ms), `ttl` (N, epoch s). Acquire is a
 *   PutItem with `attribute_not_exists(pk) OR expiresAt < :now OR holder = :holder`; take-over of
 *   a stale holder a PutItem with `holder = :stale`; release is a DeleteItem with `holder = :holder`.
 * - owner: the OwnerRecord fields.
 * - probe: `state` (S, JSON), `version` (N); saved with `attribute_not_exists(pk)` or
 *   `version = :expected`.
 * - pause: the PauseRecord fields; saved with `attribute_not_exists(pk)` or `version = :expected`.
 */
import type { Role } from '../config/schema.js';

export type LockResult =
  | { readonly acquired: true; readonly expiresAt: number }
  | { readonly acquired: false; readonly heldBy: string; readonly expiresAt: number };

/** `heldBy` of a take-over refused because nobody holds the lock any more (the item was gone). */
export const LOCK_RELEASED = '(released)';

export interface LockStore {
  /**
   * Takes the pair's lock for `holder` if it is free, expired, or already held by `holder`
   * (re-entrant, so a retried step does not lock itself out). Atomic (conditional write).
   */
  acquire(pair: string, holder: string, nowMs: number, leaseMs: number): Promise<LockResult>;
  /**
   * Takes the lock from `staleHolder` (an execution known to have ended without releasing it,
   * e.g. aborted by a person): atomic, only if `staleHolder` still holds it.
   */
  takeOver(pair: string, holder: string, staleHolder: string, nowMs: number, leaseMs: number): Promise<LockResult>;
  /** Releases it if `holder` still holds it. Returns false when it was not held by `holder`. */
  release(pair: string, holder: string): Promise<boolean>;
  /** Current holder, if any (expired locks are reported with their expiry). */
  get(pair: string): Promise<{ holder: string; expiresAt: number } | undefined>;
}

export interface OwnerRecord {
  readonly owner: Role;
  /** Epoch ms when this owner took over. */
  readonly since: number;
  /** Execution (or person) that made it the owner. */
  readonly changedBy: string;
  readonly reason: string;
}

export interface OwnerStore {
  getOwner(pair: string): Promise<OwnerRecord | undefined>;
  /**
   * Writes the owner record. With `ifAbsent` (the probe's bootstrap from what AWS shows) only if
   * there is none yet, so it can never overwrite what a flow recorded; returns whether it wrote.
   */
  putOwner(pair: string, record: OwnerRecord, options?: { ifAbsent?: boolean }): Promise<boolean>;
}

/** One standby drill (`pan-failover drill`), as recorded after it ended. */
export interface DrillRecord {
  /** The execution that ran it. */
  readonly execution?: string;
  /** Epoch ms the drill began and ended. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** The firewall that was booted. */
  readonly standby: string;
  /** `succeeded`, `drift` (booted, checks failed), `failed` (not started, never ready, not stopped), `yielded` (a failover took over), `refused` (the active was not healthy: no drill). */
  readonly outcome: 'succeeded' | 'drift' | 'failed' | 'yielded' | 'refused';
  /** `manual` (a person) or `drill` (the schedule). */
  readonly source?: string;
  /** From the start request to ready; absent when the standby did not boot (or was already running). */
  readonly bootSeconds?: number;
  readonly summary: string;
}

/** The drill history of a pair (item `sk = drill`), newest last. */
export interface DrillStore {
  getDrills(pair: string): Promise<DrillRecord[]>;
  /** Appends, keeping the last `DRILL_HISTORY` records. Drills of a pair run one at a time (lock). */
  recordDrill(pair: string, record: DrillRecord): Promise<void>;
}

/** Drill records kept per pair. */
export const DRILL_HISTORY = 10;

/** What the probe remembers between invocations, per pair. Plain JSON. */
export interface Versioned<T> {
  readonly value: T;
  /** Opaque version for optimistic concurrency; `undefined` when nothing was stored yet. */
  readonly version: number | undefined;
}

export interface ProbeStateStore<T> {
  loadProbeState(pair: string): Promise<Versioned<T | undefined>>;
  /** Writes if the stored version is still `expectedVersion`; otherwise throws `StateConflictError`. */
  saveProbeState(pair: string, value: T, expectedVersion: number | undefined): Promise<void>;
}

/**
 * A maintenance pause of one pair (`sk` = `pause`): while it is active the probe starts no flow
 * and the flow ends automatic triggers as `skipped-paused`. The item stays after the pause ends
 * (with `endedAt`), so `status` can say when and how the last one ended.
 */
export interface PauseRecord {
  /** Epoch ms when it was requested. */
  readonly since: number;
  /** Epoch ms when it ends by itself. */
  readonly until: number;
  /** Who asked (user name or IAM principal). */
  readonly by: string;
  readonly reason: string;
  /** Set when it ended: epoch ms, and who ended it (a person's name, or `expiry`). */
  readonly endedAt?: number;
  readonly endedBy?: string;
}

export interface PauseStore {
  /** The pair's pause record with its version (`undefined` when there has never been one). */
  getPause(pair: string): Promise<Versioned<PauseRecord | undefined>>;
  /**
   * Writes it if the stored version is still `expectedVersion` (`undefined`: no record yet);
   * otherwise throws `StateConflictError`. Returns the new version.
   */
  putPause(pair: string, record: PauseRecord, expectedVersion: number | undefined): Promise<number>;
}
