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
import { SimSystem } from '#sim/system.js';
import { DEFAULT_CONFIG } from '#sim/scenario/run.js';
import { SIM_TABLE } from '#sim/scenario/topology-from-config.js';
import { livePrinter } from '#sim/scenario/printer.js';

export async function simCommand(options: { config?: string; speed?: string; quiet?: boolean; out?: string }): Promise<void> {
  const config = await loadConfigFile(options.config ?? DEFAULT_CONFIG);
  const speed = Number(options.speed ?? '1');
  const write = (l: string) => process.stdout.write(`${l}\n`);
  let start = 0;
  const print = livePrinter(write, () => start);
  // Starts at the real time, so timestamps read naturally next to the CLI's own clock.
  const system = await SimSystem.start({ config, speed, clockStart: Date.now(), transport: 'wire', onEvent: options.quiet ? undefined : (e) => print(e) });
  start = system.clock.now();
  const dir = resolve(options.out ?? '.sim');
  await mkdir(dir, { recursive: true });
  const configPath = resolve(dir, 'pan-failover.yaml');
  await writeFile(configPath, `# Written by pan-failover sim: the example pair, pointing at the simulated firewalls.\n${stringify(system.config)}`);
  const env = {
    AWS_ENDPOINT_URL: system.aws?.endpoint ?? '',
    AWS_REGION: system.world.region,
    AWS_DEFAULT_REGION: system.world.region,
    AWS_ACCESS_KEY_ID: 'simulator',
    AWS_SECRET_ACCESS_KEY: 'simulator',
    PAN_FAILOVER_TABLE: SIM_TABLE,
    PAN_FAILOVER_STATE_MACHINE_ARN: system.stateMachineArn,
    PAN_FAILOVER_TOPIC_ARN: system.topicArn,
    PAN_FAILOVER_CONFIG_FILE: configPath,
  };
  write(`simulator running (clock x${speed}); in another shell:`);
  for (const [k, v] of Object.entries(env)) write(`  export ${k}=${v}`);
  write('then for example:');
  write('  npx pan-failover status            # where every route, EIP and record points');
  write('  npx pan-failover probe             # one probe round against the simulated firewalls');
  write('  npx pan-failover plan -p hq-egress # what a failover would change');
  write('  npx pan-failover failover -p hq-egress --wait   # through the simulated Step Functions');
  write('  aws ec2 describe-route-tables      # the AWS CLI works too (it honours AWS_ENDPOINT_URL)');
  write('Ctrl-C stops the simulator.');
  await new Promise<void>((done) => {
    const stop = () => {
      void system.close().then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('start the local simulator (AWS APIs and both PAN-OS firewalls) and print how to point the CLI at it')
    .option('-c, --config <file>', 'deployment configuration to simulate (default: examples/hq-egress.yaml)')
    .option('--speed <factor>', 'simulated seconds per real second', '1')
    .option('--out <dir>', 'where to write the configuration for the simulator', '.sim')
    .option('-q, --quiet', 'do not print the simulator\'s events')
    .action(async (opts: Parameters<typeof simCommand>[0]) => {
      await simCommand(opts);
    });
}
