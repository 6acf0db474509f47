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
import { isLocalOnly, LOCAL_ONLY_ENV } from '#shared/adapters/aws/local-only.js';
import { isolateFromRealAws } from '#shared/runtime/local-aws.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Nothing from outside (a firewall's answer, an AWS message, a file) reaches the terminal raw.
guardTerminalOutput(process.stdout);
guardTerminalOutput(process.stderr);
// A shell set up from `pan-failover sim`'s lines: the same isolation as the simulator's own
// process, whatever profile or per-service endpoint the shell gained since.
if (isLocalOnly()) {
  try {
    isolateFromRealAws({ endpoint: process.env.AWS_ENDPOINT_URL || undefined });
  } catch (e) {
    process.stderr.write(`error: ${LOCAL_ONLY_ENV}=1 ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(64);
  }
}

process.exitCode = await runCli(process.argv);
// The command has finished: a handle left open (a keep-alive socket, a closed simulator's
// timer) must not keep the process, and whoever waits for it, hanging.
setTimeout(() => process.exit(), 1000).unref();
