/** Commands other than `probe`. */
import type { Command } from 'commander';
import { registerRehearse } from './rehearse.js';

export function registerCommands(program: Command, _common: (cmd: Command) => Command): void {
  registerRehearse(program);
}
