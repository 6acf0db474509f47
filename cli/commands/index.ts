/** Commands other than `probe` register here as they are added. */
import type { Command } from 'commander';

export function registerCommands(_program: Command, _common: (cmd: Command) => Command): void {
  // failover, failback, plan, status, sim and rehearse are added by their modules.
}
