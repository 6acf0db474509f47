/**
 * `pan-failover sim`: starts the simulator alone (AWS and both firewalls, with the controller's
 * probe schedule and state machine running as deployed), writes the configuration to use
 * against it, and prints what to export so the CLI or the AWS CLI talk to it. Ctrl-C stops it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfigFile } from '#shared/config/load.js';
import { LOCAL_ONLY_ENV } from '#shared/adapters/aws/local-only.js';
import { isolateFromRealAws } from '#shared/runtime/local-aws.js';
import { SimSystem } from '#sim/system.js';
import { DEFAULT_CONFIG } from '#sim/scenario/run.js';
import { SIM_STAGE, SIM_TABLE } from '#sim/scenario/topology-from-config.js';
import { livePrinter } from '#sim/scenario/printer.js';
import { EXIT } from '../exit.js';
import { printJson } from '../json.js';

export async function simCommand(options: { config?: string; speed?: string; quiet?: boolean; out?: string; json?: boolean }): Promise<void> {
  const config = await loadConfigFile(options.config ?? DEFAULT_CONFIG);
  // What this shell had (names only), so the lines printed below can unset it in another one.
  const { removed } = isolateFromRealAws();
  const speed = Number(options.speed ?? '1');
  const write = (l: string) => process.stdout.write(`${l}\n`);
  let start = 0;
  const print = livePrinter(write, () => start);
  // Starts at the real time, so timestamps read naturally next to the CLI's own clock.
  const quiet = options.quiet === true || options.json === true;
  const system = await SimSystem.start({ config, speed, clockStart: Date.now(), transport: 'wire', onEvent: quiet ? undefined : (e) => print(e) });
  start = system.clock.now();
  const dir = resolve(options.out ?? '.sim');
  await mkdir(dir, { recursive: true });
  const configPath = resolve(dir, 'pan-failover.yaml');
  await writeFile(configPath, `# Written by pan-failover sim: the example pair, pointing at the simulated firewalls.\n${stringify(system.config)}`);
  // The other shell gets the same isolation: no profile or per-service endpoint of its own, empty
  // AWS config files, the simulator's keys, and the local-only guard in the CLI's clients.
  const env = {
    ...localAwsExports(),
    PAN_FAILOVER_STAGE: SIM_STAGE,
    PAN_FAILOVER_TABLE: SIM_TABLE,
    PAN_FAILOVER_STATE_MACHINE_ARN: system.stateMachineArn,
    PAN_FAILOVER_TOPIC_ARN: system.topicArn,
    PAN_FAILOVER_CONFIG_FILE: configPath,
  };
  const unset = [...new Set([...ALWAYS_UNSET, ...removed])].filter((k) => !(k in env));
  if (options.json) {
    // One document once the simulator is up (the process keeps running until Ctrl-C).
    printJson('sim', EXIT.ok, { running: true, speed, configPath, stage: SIM_STAGE, stateMachineArn: system.stateMachineArn, topicArn: system.topicArn, unset, env });
  } else {
    write(`simulator running (clock x${speed}); in another shell:`);
    write(`  unset ${unset.join(' ')}`);
    for (const [k, v] of Object.entries(env)) write(`  export ${k}=${shellQuote(v)}`);
    printExamples(write);
  }
  await new Promise<void>((done) => {
    const stop = () => {
      void system.close().then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function printExamples(write: (l: string) => void): void {
  write('then for example:');
  write('  npx pan-failover status            # where every route, EIP and record points');
  write('  npx pan-failover probe             # one probe round against the simulated firewalls');
  write('  npx pan-failover plan -p hq-egress # what a failover would change');
  write('  npx pan-failover failover -p hq-egress --wait   # through the simulated Step Functions');
  write('  npx pan-failover selftest          # each simulated function proves its permissions and paths');
  write('  aws ec2 describe-route-tables      # the AWS CLI works too (it honours AWS_ENDPOINT_URL)');
  write('Ctrl-C stops the simulator.');
}

/** Variables that would point the other shell's CLI or AWS CLI at a real account or endpoint. */
const ALWAYS_UNSET = ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'];

/** The isolation variables as this process has them after `SimSystem.start` (endpoint included). */
function localAwsExports(): Record<string, string> {
  const keys = ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', LOCAL_ONLY_ENV];
  return Object.fromEntries(keys.map((k) => [k, process.env[k] ?? '']));
}

const shellQuote = (v: string) => (/^[A-Za-z0-9_./:=@-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('start the local simulator (AWS APIs and both PAN-OS firewalls) and print how to point the CLI at it')
    .option('-c, --config <file>', 'deployment configuration to simulate (default: examples/hq-egress.yaml)')
    .option('--speed <factor>', 'simulated seconds per real second', '1')
    .option('--out <dir>', 'where to write the configuration for the simulator', '.sim')
    .option('-q, --quiet', 'do not print the simulator\'s events')
    .option('--json', 'print one JSON document (schema: docs/cli-json.md) once it runs, and no events')
    .action(async (opts: Parameters<typeof simCommand>[0]) => {
      await simCommand(opts);
    });
}
