/**
 * pan-failover: the operators' command line.
 * Every command reads the same configuration file as the deployed functions.
 */
import '#shared/polyfills.js';
import { Command, Option } from 'commander';
import { ConfigInvalidError, InputInvalidError, isPanFailoverError } from '#shared/errors.js';
import { probeCommand } from './commands/probe.js';
import { registerCommands } from './commands/index.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command()
  .name('pan-failover')
  .description('Failover controller for Palo Alto VM-Series firewall pairs on AWS')
  .showHelpAfterError();

export const commonOptions = (cmd: Command): Command =>
  cmd
    .requiredOption('-c, --config <file>', 'configuration file (YAML or JSON)', process.env.PAN_FAILOVER_CONFIG_FILE)
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--table <name>', 'DynamoDB state table (default: PAN_FAILOVER_TABLE or pan-failover-state)')
    .option('--topic-arn <arn>', 'SNS topic for notifications of --local flows (default: PAN_FAILOVER_TOPIC_ARN; none: log only)')
    .option('-v, --verbose', 'log what happens on stderr');

commonOptions(program.command('probe'))
  .description('one probe round of every pair (read-only); exit 0 healthy, 1 degraded, 2 failed')
  .option('-p, --pair <name>', 'only this pair')
  .addOption(new Option('--json', 'machine-readable output'))
  .action(async (opts: Parameters<typeof probeCommand>[0]) => {
    process.exitCode = await probeCommand(opts);
  });

registerCommands(program, commonOptions);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof ConfigInvalidError || e instanceof InputInvalidError) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = 2;
  } else if (isPanFailoverError(e)) {
    process.stderr.write(`error (${e.name}): ${e.message}\n`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
