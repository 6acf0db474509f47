/** Commands other than `probe`. */
import type { Command } from 'commander';
import { registerFlowCommands } from './flow.js';
import { registerPrepareDeploy } from './prepare-deploy.js';
import { registerPreflight } from './preflight.js';
import { registerRehearse } from './rehearse.js';
import { registerSim } from './sim.js';
import { registerStatus } from './status.js';
import { registerValidate } from './validate.js';

export function registerCommands(program: Command, common: (cmd: Command) => Command): void {
  registerStatus(program, common);
  registerFlowCommands(program, common);
  registerPreflight(program, common);
  registerRehearse(program);
  registerSim(program);
  registerValidate(program);
  registerPrepareDeploy(program);
}
