/**
 * The program as the command line needs it: the named command fully registered (its module
 * loaded), every other command as a one-line stub for `--help`.
 */
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.js';
import { classifyError, EXIT, reportError } from './exit.js';
import { printJsonError } from './json.js';
import { commonOptions } from './options.js';
import { VERSION } from './version.js';

/** The command a command line names (`help CMD` names CMD), if any. */
export function commandNamed(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/** The program with the named command fully registered and every other one as a stub for `--help`. */
export async function buildProgram(args: readonly string[]): Promise<Command> {
  const program = new Command()
    .name('pan-failover')
    .description('Failover controller for Palo Alto VM-Series firewall pairs on AWS.\nExit codes: 0 healthy/consistent/done, 1 degraded/not consistent/not done, 2 failed, 3 could not check, 64 usage or configuration error.')
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .showSuggestionAfterError();
  // --profile before any SDK client exists: the SDK reads AWS_PROFILE for credentials and region.
  program.hook('preAction', (_, action) => {
    const profile = action.opts<{ profile?: string }>().profile;
    if (profile) process.env.AWS_PROFILE = profile;
  });
  const named = commandNamed(args);
  for (const entry of COMMANDS) {
    if (entry.name === named) (await entry.load())(program, commonOptions);
    else program.command(entry.name).description(entry.summary);
  }
  return program;
}

/**
 * Runs one command line and returns its exit code (cli/exit.ts): what `bin/pan-failover.js`
 * runs, and what the tests call in-process.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const args = argv.slice(2);
  const verbose = args.includes('-v') || args.includes('--verbose');
  try {
    const program = await buildProgram(args);
    const before = process.exitCode;
    process.exitCode = undefined;
    try {
      await program.parseAsync([...argv]);
      return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
    } finally {
      process.exitCode = before;
    }
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed its message (or the help, or the version) already.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (args.includes('--json')) printJsonError(commandNamed(args) ?? '', classifyError(e));
    return reportError(e, { verbose });
  }
}

