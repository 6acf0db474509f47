/**
 * The failover flow's state: the JSON document that travels through the state machine.
 * Every task receives it whole (`{ step, state }`) and returns it with its own part filled in;
 * nothing else is kept between steps, so any step can be re-run from the document alone.
 */
import type { PairConfig, Role } from '../../config/schema.js';
import { drillHolder } from '../../domain/drill.js';
import type { FirewallStatus } from '../../domain/health.js';
import { InputInvalidError, LockLostError } from '../../errors.js';
import type { Clock } from '../../ports/clock.js';
import type { LockStore } from '../../ports/store.js';
import type { ValidFlowInput } from '../flow-input.js';
import type { FlowPause } from '../pause.js';

export const PHASES = [
  'validate',
  'lock',
  'recheck',
  'plan',
  'start',
  'boot',
  'cutover',
  'fence',
  'record',
  'dns',
  'verify',
  // The standby drill's own phases (after boot): its PAN-OS checks, and stopping the standby again.
  'check',
  'stop',
  'finish',
] as const;
export type Phase = (typeof PHASES)[number];

export interface PhaseRecord {
  readonly startedAt: number;
  readonly endedAt?: number;
  /** Short outcome for the timeline (`ok`, `skipped`, `failed: ...`). */
  readonly outcome?: string;
}

export type RecheckMode = 'proceed' | 'noop' | 'complete';

export interface FlowState {
  readonly input: ValidFlowInput;
  /** Execution name: the lock holder and the notifications' reference. */
  readonly execution: string;
  /** The state machine running this flow (`$$.StateMachine.Id`), to look up other executions. */
  readonly stateMachineArn?: string;
  readonly startedAt: number;
  /** Role the flow moves traffic to, and from; set by the re-check. */
  readonly target?: Role;
  readonly from?: Role;
  readonly phases: Partial<Record<Phase, PhaseRecord>>;
  /** The pair's maintenance pause, as Validate found it (absent: not paused). */
  readonly pause?: FlowPause;
  readonly lock?: { readonly acquired: boolean; readonly heldBy?: string; readonly expiresAt?: number };
  readonly recheck?: {
    readonly mode: RecheckMode;
    readonly reason: string;
    readonly recordedOwner: Role | undefined;
    readonly awsOwner: Role | 'split' | 'none';
    readonly statuses: Readonly<Record<Role, FirewallStatus | 'unknown'>>;
    /** A repair whose routes and EIPs are already on the recorded owner: put its DNS records right too. */
    readonly repairDns: boolean;
  };
  readonly plan?: {
    readonly changes: readonly string[];
    readonly dns: readonly string[];
    readonly instances: readonly string[];
    readonly blockers: readonly string[];
  };
  readonly start?: {
    readonly done: boolean;
    readonly state: string;
    readonly attempts: number;
    readonly typeIndex: number;
    readonly instanceType?: string;
    readonly waitSeconds: number;
    readonly requestedAt?: number;
    /** When the last StartTarget call ran (to count the waits for capacity between calls). */
    readonly lastTryAt?: number;
    /** Time spent waiting for capacity (and instance type changes): not counted against the readiness deadline. */
    readonly capacityWaitMs?: number;
    readonly runningAt?: number;
    readonly notes: readonly string[];
  };
  readonly ready?: {
    readonly ready: boolean;
    readonly deadlineAt: number;
    readonly deadlineExceeded: boolean;
    readonly waitSeconds: number;
    readonly checks: number;
    /** When the target's API first answered since its (last) start: checks come every few seconds for a while after it. */
    readonly answeredAt?: number;
    readonly detail: string;
    readonly swVersion?: string;
    readonly readyAt?: number;
    /** The instance fell back to `stopped` while booting: start it again (StartTarget). */
    readonly restart: boolean;
    readonly restarts: number;
  };
  readonly cutover?: {
    readonly moved: readonly string[];
    readonly unchanged: number;
    readonly calls: number;
    readonly throttled: number;
    readonly verifyAttempts: number;
    readonly durationMs: number;
  };
  readonly fence?: { readonly action: 'stopped' | 'none' | 'failed'; readonly detail: string };
  readonly dns?: {
    readonly done: boolean;
    readonly changes: readonly {
      readonly record: string;
      readonly changeId: string;
      readonly status: string;
    }[];
    readonly skipped: readonly string[];
    readonly insyncAt?: number;
    readonly timedOut: boolean;
  };
  readonly verify?: {
    readonly done: boolean;
    readonly waitSeconds: number;
    readonly healthy: boolean;
    readonly tunnelsUp: readonly string[];
    readonly tunnelsDown: readonly string[];
    readonly timedOut: boolean;
    readonly checks: number;
  };
  readonly result?: {
    readonly outcome: 'succeeded' | 'noop' | 'skipped-locked' | 'skipped-paused' | 'dry-run' | 'failed';
    readonly summary: string;
  };
  /**
   * What Abort found and did (after a failure once the flow held the pair): where each managed
   * object pointed when it looked (a step that dies part-way never returns its state: this is the
   * record of what it had moved), and the changes it made to converge (change labels).
   */
  readonly abort?: {
    readonly found: readonly { readonly object: string; readonly side: string }[];
    readonly moved: readonly string[];
    /** The side everything ended on, when it converged. */
    readonly side?: Role;
  };
  /** Set by a Catch: `{ Error, Cause }`. */
  readonly error?: { readonly Error: string; readonly Cause: string };
  /** The standby drill (`action: drill`): its own part, filled by the Drill* steps. */
  readonly drill?: DrillProgress;
}

/** One check of the drill, as preflight reports it (`shared/usecases/preflight.ts`). */
export interface DrillCheck {
  readonly check: string;
  readonly subject: string;
  readonly status: 'pass' | 'warn' | 'fail' | 'skip' | 'unknown';
  readonly detail: string;
  readonly fix?: string;
}

/** The standby drill's progress (`shared/usecases/drill.ts`). */
export interface DrillProgress {
  /** The recorded owner (carrying the traffic) and the firewall the drill boots. */
  readonly active: Role;
  readonly standby: Role;
  /** The active's status when the drill looked (it must be healthy, or degraded by a tunnel). */
  readonly activeStatus: string;
  /** The standby's instance state when the drill began: only a `stopped` one is started, and stopped again. */
  readonly standbyState: string;
  /** False: no drill (the active is not healthy, the standby cannot be started); `outcome` says why. */
  readonly proceed: boolean;
  readonly startRequestedAt?: number;
  readonly readyAt?: number;
  readonly ready: boolean;
  readonly deadlineAt?: number;
  readonly deadlineExceeded: boolean;
  readonly waitSeconds: number;
  readonly checks: number;
  readonly detail: string;
  /** A failover or failback took the pair's lock: the drill stopped acting and left the standby to it. */
  readonly yielded: boolean;
  readonly results?: readonly DrillCheck[];
  /** The standby is stopped (or stopping) at the drill's end, as the drill found it. */
  readonly stopped: boolean;
  /** The drill asked EC2 to stop it (it had started it). */
  readonly stopRequested?: boolean;
  /** What went wrong with the standby (could not be started, never ready, could not be stopped). */
  readonly failure?: { readonly error: string; readonly detail: string };
  readonly notes: readonly string[];
  /** Set by DrillFinish. */
  readonly outcome?: DrillOutcome;
  readonly summary?: string;
  readonly bootSeconds?: number;
}

/**
 * `succeeded`: booted, every check passed (warnings allowed). `drift`: booted, some check failed
 * (its configuration, versions or licence differ from what a failover needs). `failed`: the
 * standby could not be started, never became ready, or could not be stopped again. `yielded`: a
 * failover took the pair over. `refused`: no drill (the active is not healthy).
 */
export type DrillOutcome = 'succeeded' | 'drift' | 'failed' | 'yielded' | 'refused';

/** The lock holder of an execution: its name; a drill's is marked so that a failover may take it over. */
export function lockHolder(state: Pick<FlowState, 'input' | 'execution'>): string {
  return state.input.action === 'drill' ? drillHolder(state.execution) : state.execution;
}

/** Marks a phase as begun (first time only) and returns the new phases map. */
export function beginPhase(state: FlowState, phase: Phase, now: number): FlowState['phases'] {
  if (state.phases[phase]) return state.phases;
  return { ...state.phases, [phase]: { startedAt: now } };
}

export function endPhase(state: FlowState, phase: Phase, now: number, outcome = 'ok'): FlowState['phases'] {
  const rec = state.phases[phase] ?? { startedAt: now };
  return { ...state.phases, [phase]: { ...rec, endedAt: now, outcome } };
}

/**
 * The phase a failure happened in. A step that throws never returns the phase it began, so the
 * phase is inferred from the flow's order: the first one of this execution's path that has not
 * ended well (a readiness deadline ends `boot` with outcome `deadline`).
 */
export function failedPhase(state: FlowState): Phase {
  const path: Phase[] = state.input.action === 'drill'
    ? ['validate', 'lock', 'recheck', 'start', 'boot', 'check', 'stop', 'finish']
    : state.input.dryRun
    ? ['validate', 'recheck', 'plan', 'finish']
    : state.recheck?.mode === 'noop'
      ? [
          'validate',
          'lock',
          'recheck',
          ...(state.input.action === 'reconcile' ? (['dns'] as const) : []),
          'finish',
        ]
      : state.recheck?.mode === 'complete'
        ? ['validate', 'lock', 'recheck', 'fence', 'record', 'dns', 'verify', 'finish']
        : PHASES.filter((p) => p !== 'plan' && p !== 'check' && p !== 'stop');
  for (const p of path) {
    const rec = state.phases[p];
    if (!rec || rec.endedAt === undefined || rec.outcome === 'deadline' || rec.outcome?.startsWith('failed'))
      return p;
  }
  return 'finish';
}

/** Phases in the order they ran, with durations (ms), for notifications and the timeline. */
export function timeline(
  state: FlowState,
): { phase: Phase; startedAt: number; durationMs: number | undefined; outcome: string | undefined }[] {
  return PHASES.flatMap((p) => {
    const rec = state.phases[p];
    return rec
      ? [
          {
            phase: p,
            startedAt: rec.startedAt,
            durationMs: rec.endedAt === undefined ? undefined : rec.endedAt - rec.startedAt,
            outcome: rec.outcome,
          },
        ]
      : [];
  }).sort((a, b) => a.startedAt - b.startedAt);
}

/** Target and origin of the move; the re-check sets them before any step that needs them. */
export function directionOf(state: FlowState): { target: Role; from: Role } {
  if (state.target === undefined || state.from === undefined) {
    throw new InputInvalidError('flow state', [
      { path: 'target', message: 'not set: the re-check step has not run' },
    ]);
  }
  return { target: state.target, from: state.from };
}

/**
 * Throws `LockLostError` unless `state`'s execution holds the pair's lock now. Every step that
 * changes AWS runs behind it: an execution whose lock was taken over, or an old one redriven by
 * hand, must not start, move, fence or record anything.
 */
export async function assertLockHeld(
  deps: { readonly store: Pick<LockStore, 'get'>; readonly clock: Pick<Clock, 'now'> },
  pair: PairConfig,
  state: FlowState,
  notDoing: string,
): Promise<void> {
  const held = await deps.store.get(pair.name);
  if (!held || held.holder !== lockHolder(state) || held.expiresAt <= deps.clock.now()) {
    throw new LockLostError(`${state.execution} no longer holds the lock of ${pair.name}${held ? ` (held by ${held.holder})` : ''}: ${notDoing}`);
  }
}

/**
 * Whether the firewall the flow moves away from was found able to carry traffic (healthy or
 * degraded) when the flow re-checked both: only then may traffic ever be put back on it.
 */
export function originUsable(state: FlowState): boolean {
  const status = state.from ? state.recheck?.statuses[state.from] : undefined;
  return status === 'healthy' || status === 'degraded';
}

export function pairOf(config: { pairs: readonly PairConfig[] }, state: FlowState): PairConfig {
  const pair = config.pairs.find((p) => p.name === state.input.pair);
  if (!pair)
    throw new InputInvalidError('flow state', [
      { path: 'input.pair', message: `unknown pair "${state.input.pair}"` },
    ]);
  return pair;
}
