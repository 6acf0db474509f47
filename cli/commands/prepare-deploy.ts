/**
 * `pan-failover prepare-deploy --config FILE [--stage S] [--out DIR]`: validates the
 * configuration and writes what `serverless.yml` packages and includes: the configuration as
 * JSON (bundled with every function) and the configuration-dependent part of the stack
 * (least-privilege roles, table, topic, alarms, dashboard; `infra/deployment.ts`).
 * Needs no AWS credentials; `npm run package` runs it before `osls package`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfigFile } from '#shared/config/load.js';
import { deployment, FUNCTIONS, IAM_LIMITS, type FunctionKey } from '../../infra/deployment.js';

export const DEFAULT_DEPLOY_DIR = join('dist', 'deploy');

export async function prepareDeployCommand(options: { config: string; stage?: string; out?: string; managedPolicyQuota?: string; existingTable?: boolean }): Promise<number> {
  const config = await loadConfigFile(options.config);
  // Everything is checked (IAM's limits included) before anything is written.
  const quota = options.managedPolicyQuota === undefined ? undefined : Number(options.managedPolicyQuota);
  const d = deployment(config, { stage: options.stage ?? 'dev', existingTable: options.existingTable === true, ...(quota === undefined ? {} : { managedPolicyQuota: quota }) });
  const out = options.out ?? DEFAULT_DEPLOY_DIR;
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'pan-failover.json'), `${JSON.stringify(config, null, 2)}\n`);
  await writeFile(join(out, 'deployment.json'), `${JSON.stringify(d, null, 2)}\n`);
  const fns = (Object.keys(FUNCTIONS) as FunctionKey[]).map((k) => {
    const { inline, managed } = d.policies[k].sizes;
    const sizes = `inline ${inline}/${IAM_LIMITS.inlinePerRole}${managed.length > 0 ? `, ${managed.length} managed (${managed.join(', ')} of ${IAM_LIMITS.managedPolicy} each)` : ''}`;
    return `  ${d.names.functions[k].padEnd(36)} ${d.permissions[k].length} statement(s), ${sizes}${FUNCTIONS[k].inVpc ? `, in ${d.vpc.subnetIds.join(', ')}` : ', outside any VPC'}`;
  });
  process.stdout.write(
    [
      `${options.config}: valid; stage ${d.stage}, region ${d.region}`,
      'functions and their roles (policy sizes in characters as IAM counts them, with the real ARNs):',
      ...fns,
      `state machine ${d.names.stateMachine}; table ${d.names.table}${options.existingTable ? ' (existing: used, not created)' : ''}; topic ${d.names.topic}; dashboard ${d.names.dashboard}`,
      `alarms that start the flow: ${d.triggerAlarms.join(', ')}`,
      `reserved concurrency: probe ${d.concurrency.probe}, each flow function ${d.concurrency.flow}; the account's Lambda concurrency limit must be at least ${d.concurrency.accountLimitNeeded} (aws lambda get-account-settings)`,
      `wrote ${join(out, 'pan-failover.json')} and ${join(out, 'deployment.json')}`,
      '',
    ].join('\n'),
  );
  return 0;
}

export function registerPrepareDeploy(program: Command): void {
  program
    .command('prepare-deploy')
    .description('validate the configuration and write what serverless.yml packages (config JSON, roles, alarms, dashboard)')
    .requiredOption('-c, --config <file>', 'configuration file (YAML or JSON)', process.env.PAN_FAILOVER_CONFIG_FILE)
    .option('--stage <stage>', 'deployment stage (names every resource)', 'dev')
    .option('--out <dir>', 'output directory', DEFAULT_DEPLOY_DIR)
    .option('--existing-table', 'use the state table kept by a removed stack of this stage instead of creating it (redeploy after remove)')
    .option('--managed-policy-quota <n>', `the account's quota of managed policies per IAM role, if raised (default ${IAM_LIMITS.managedPerRoleDefault}, at most ${IAM_LIMITS.managedPerRoleMax})`)
    .action(async (opts: Parameters<typeof prepareDeployCommand>[0]) => {
      process.exitCode = await prepareDeployCommand(opts);
    });
}
