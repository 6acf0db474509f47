/**
 * What the CLI tells a person to run next about a pair that is locked or split: the one command
 * that converges it. Light (no AWS SDK): `status` and the flow commands share it.
 */
import type { PairConfig, Role } from '#shared/config/schema.js';
import type { FlowInput } from '#shared/usecases/flow-input.js';
import { formatDuration } from '#shared/usecases/flow/notifications.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { holderExecution } from '#shared/domain/drill.js';

export type FlowCommandName = 'failover' | 'failback' | 'plan' | 'repair' | 'drill';

export const COMMAND_OF: Record<FlowInput['action'], FlowCommandName> = { failover: 'failover', failback: 'failback', reconcile: 'repair', drill: 'drill' };

/** The command line that starts `action` on `pair` in this process (what the advice names). */
export function commandLine(action: FlowInput['action'], pair: string, extra: readonly string[] = []): string {
  return ['pan-failover', COMMAND_OF[action], '-p', pair, '--local', ...(action === 'failover' ? ['--force'] : []), ...extra].join(' ');
}

/** The action a CLI execution name says it ran (`cli-<pair>-<action>-<time>-<hex>`); undefined for others. */
export function actionOfHolder(holder: string, pair: string): FlowInput['action'] | undefined {
  const m = new RegExp(`^cli-${pair.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(failover|failback|reconcile|drill)-\\d{8}T\\d{6}-[0-9a-f]+$`).exec(holder);
  return m?.[1] as FlowInput['action'] | undefined;
}

/** What to do about a lock another run holds: who, until when, and the way out if it is dead. */
export function lockAdvice(pair: string, action: FlowInput['action'], heldBy: string, expiresAt: number | undefined, now: number): string[] {
  const until = expiresAt === undefined ? 'an unknown time' : `${new Date(expiresAt).toISOString()} (in ${formatDuration(Math.max(0, expiresAt - now))})`;
  // A drill holds the lock as drill:<execution>.
  const cli = holderExecution(heldBy).startsWith('cli-');
  const theirs = actionOfHolder(holderExecution(heldBy), pair) ?? action;
  return [
    `the pair's lock is held by ${heldBy} (${cli ? 'a --local run of the CLI' : 'an execution of the deployed state machine'}) until ${until}; nothing was changed.`,
    `If that run is still going, let it finish: \`pan-failover status -p ${pair}\` shows the lock and where every object points.`,
    cli
      ? `If it is dead (terminal or laptop closed, process killed), take its lock over and complete its work: \`${commandLine(theirs, pair, ['--take-over', heldBy])}\``
      : `If that execution has ended, run this again with --stage (the CLI then sees it ended and takes the lock over); if it is stuck, stop it in the Step Functions console first.`,
  ];
}

/** What to run when a flow found the pair split between the two firewalls and did not converge it. */
export function splitAdvice(pair: PairConfig, state: FlowState): string[] {
  if (state.recheck?.awsOwner !== 'split') return [];
  return convergeAdvice(pair, state.recheck.recordedOwner);
}

/** The two ways out of a split pair, each one command. */
export function convergeAdvice(pair: PairConfig, recordedOwner: Role | undefined): string[] {
  const back = recordedOwner ?? 'primary';
  const other = back === 'primary' ? 'secondary' : 'primary';
  return [
    `The pair is SPLIT between ${pair.firewalls.primary.name} and ${pair.firewalls.secondary.name} (an interrupted run, or a change by hand).`,
    other === 'secondary'
      ? `To complete the move to ${pair.firewalls[other].name}: \`${commandLine('failover', pair.name)}\``
      : `To complete the move to ${pair.firewalls[other].name}: \`${commandLine('failback', pair.name)}\``,
    `To put everything back on ${pair.firewalls[back].name}: \`${commandLine('reconcile', pair.name)}\``,
  ];
}


/**
 * For `status` of a pair that is not consistent: the command that converges it. A lock still
 * held: wait, or take it over if its holder is dead. A lock left behind by a run that never
 * released it (interrupted): re-run that run's action, which completes it. Otherwise: the two
 * ways out (complete the move, or put everything back).
 */
export function statusAdvice(pair: PairConfig, recordedOwner: Role | undefined, lock: { holder: string; expiresAt: number } | undefined, now: number): string[] {
  if (lock && lock.expiresAt > now) {
    const [, ...what] = lockAdvice(pair.name, actionOfHolder(lock.holder, pair.name) ?? 'failover', lock.holder, lock.expiresAt, now);
    return [`A run holds the pair's lock: ${lock.holder}, until ${new Date(lock.expiresAt).toISOString()}.`, ...what];
  }
  const interrupted = lock ? actionOfHolder(lock.holder, pair.name) : undefined;
  if (lock && interrupted) {
    return [`${lock.holder} took the pair's lock and never released it: that run was interrupted.`, `To complete it: \`${commandLine(interrupted, pair.name)}\``, ...convergeAdvice(pair, recordedOwner).slice(2)];
  }
  return convergeAdvice(pair, recordedOwner).slice(1);
}
