/**
 * The options commands share, each shown only on the commands where it applies. Light on
 * purpose (commander only): `main.ts` loads it for every command, including `--help`.
 */
import { Option, type Command } from 'commander';

/** Adds options to a command; the registration functions of the commands take one. */
export type CommonOptions = (cmd: Command) => Command;

export const configOption = (cmd: Command): Command =>
  cmd.requiredOption('-c, --config <file>', 'configuration file (YAML or JSON; default: PAN_FAILOVER_CONFIG_FILE)', process.env.PAN_FAILOVER_CONFIG_FILE);

export const verboseOption = (cmd: Command): Command => cmd.option('-v, --verbose', 'log what happens on stderr; errors with their stack');

export const jsonOption = (cmd: Command): Command => cmd.addOption(new Option('--json', 'machine-readable output (schema: docs/cli-json.md)'));

/** Where AWS is: credentials profile and region. */
export const awsOptions = (cmd: Command): Command =>
  cmd
    .option('--profile <name>', 'AWS credentials profile (default: AWS_PROFILE, then the usual chain)')
    .option('--region <region>', 'AWS region (default: AWS_REGION, then the profile)');

/** Which deployment: its stage names the table, the state machine and the topic. */
export const deploymentOptions = (cmd: Command): Command =>
  cmd
    .option('--stage <stage>', 'the deployment (`npm run package -- --stage`): names its table, state machine and topic (default: PAN_FAILOVER_STAGE or dev)')
    .option('--table <name>', 'DynamoDB state table (default: PAN_FAILOVER_TABLE, else pan-failover-<stage>-state)');

/** What most commands that read AWS take: config, AWS, deployment, -v. */
export const commonOptions: CommonOptions = (cmd) => verboseOption(deploymentOptions(awsOptions(configOption(cmd))));
