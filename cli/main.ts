/**
 * pan-failover: the operators' command line.
 * Every command reads the same configuration file as the deployed functions.
 *
 * Startup is kept small: only the command that runs is loaded (cli/commands/index.ts), and
 * every error ends in one line and one exit code (cli/exit.ts, cli/program.ts).
 */
import '#shared/polyfills.js';
import { runCli } from './program.js';
import { guardTerminalOutput } from '#shared/text/terminal.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Nothing from outside (a firewall's answer, an AWS message, a file) reaches the terminal raw.
guardTerminalOutput(process.stdout);
guardTerminalOutput(process.stderr);

process.exitCode = await runCli(process.argv);
// The command has finished: a handle left open (a keep-alive socket, a closed simulator's
// timer) must not keep the process, and whoever waits for it, hanging.
setTimeout(() => process.exit(), 1000).unref();
