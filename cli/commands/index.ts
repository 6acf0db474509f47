/**
 * Every command, by name, with the one line `--help` shows and how to load it. A command's
 * module (its options, its action and everything they import) is loaded only when that command
 * runs: `--help` and `validate` do not pay for the AWS SDK.
 *
 * To add a command: a module exporting a registration function `(program, common) => void` that
 * adds exactly that command (`common(program.command(NAME))...action(...)`), and one entry here.
 * The action returns an exit code of `EXIT` (cli/exit.ts) or throws; main.ts prints errors.
 */
import type { Command } from 'commander';
import type { CommonOptions } from '../options.js';

export type Register = (program: Command, common: CommonOptions) => void;

export interface CommandEntry {
  readonly name: string;
  /** What `pan-failover --help` lists. */
  readonly summary: string;
  readonly load: () => Promise<Register>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'status', summary: 'where every managed route, EIP and DNS record points, the recorded owner and the lock (read-only)', load: async () => (await import('./status.js')).registerStatus },
  { name: 'probe', summary: 'one probe round of every pair (read-only)', load: async () => (await import('./probe.js')).registerProbe },
  { name: 'failover', summary: 'move the pair to its standby firewall', load: async () => (await import('./flow.js')).flowRegister('failover') },
  { name: 'failback', summary: 'move the pair back to its primary firewall (after a failover)', load: async () => (await import('./flow.js')).flowRegister('failback') },
  { name: 'plan', summary: 'what a failover would change (a dry run; changes nothing, notifies nobody)', load: async () => (await import('./flow.js')).flowRegister('plan') },
  { name: 'repair', summary: 'put every managed route, EIP and DNS record back on the recorded owner', load: async () => (await import('./flow.js')).flowRegister('repair') },
  { name: 'pause', summary: 'pause automatic failover, failback and drift repair of a pair for maintenance (it ends by itself)', load: async () => (await import('./pause.js')).registerPauseCommand },
  { name: 'resume', summary: 'end the maintenance pause of a pair now', load: async () => (await import('./pause.js')).registerResumeCommand },
  { name: 'preflight', summary: 'check AWS and each running firewall for what breaks failovers (read-only)', load: async () => (await import('./preflight.js')).registerPreflight },
  { name: 'drill', summary: 'boot the standby, check it against the active, stop it again (traffic untouched)', load: async () => (await import('./flow.js')).flowRegister('drill') },
  { name: 'selftest', summary: 'prove the deployed functions may do what a failover does and reach what they need (changes nothing)', load: async () => (await import('./selftest.js')).registerSelftest },
  { name: 'validate', summary: 'check a configuration file; optionally write the JSON the functions are deployed with', load: async () => (await import('./validate.js')).registerValidate },
  { name: 'rehearse', summary: 'rehearse a failover on the local simulator', load: async () => (await import('./rehearse.js')).registerRehearse },
  { name: 'report', summary: 'write a self-contained HTML report of a flow: topology before and after, timeline, moves (read-only)', load: async () => (await import('./report.js')).registerReport },
  { name: 'sim', summary: 'start the local simulator and print how to point the CLI (or the AWS CLI) at it', load: async () => (await import('./sim.js')).registerSim },
  { name: 'prepare-deploy', summary: 'validate the configuration and write what serverless.yml packages', load: async () => (await import('./prepare-deploy.js')).registerPrepareDeploy },
];

/** Registers every command, loading every module (for tests and tools that need the whole program). */
export async function registerCommands(program: Command, common: CommonOptions): Promise<void> {
  for (const c of COMMANDS) (await c.load())(program, common);
}
