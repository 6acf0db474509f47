/**
 * `pan-failover validate --config FILE [--write-json OUT]`: checks a configuration file as the
 * functions will (every problem with its field path) and, with `--write-json`, writes the JSON
 * the deployment packages with the functions (they carry no YAML parser).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { loadConfigFile } from '#shared/config/load.js';

export async function validateCommand(options: { config: string; writeJson?: string }): Promise<number> {
  const config = await loadConfigFile(options.config);
  const summary = config.pairs.map(
    (p) =>
      `${p.name}: ${p.firewalls.primary.name} (${p.firewalls.primary.availabilityZone}) / ${p.firewalls.secondary.name} (${p.firewalls.secondary.availabilityZone}), ${p.standbyMode} standby, ${p.routes.length} route(s), ${p.elasticIps.length} EIP(s), ${p.dnsRecords.length} record(s), ${p.tunnels.length} tunnel(s)`,
  );
  process.stdout.write(`${options.config}: valid\n${summary.map((s) => `  ${s}`).join('\n')}\n`);
  if (options.writeJson) {
    await mkdir(dirname(options.writeJson), { recursive: true });
    await writeFile(options.writeJson, `${JSON.stringify(config, null, 2)}\n`);
    process.stdout.write(`wrote ${options.writeJson}\n`);
  }
  return 0;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a configuration file; optionally write the JSON the functions are deployed with')
    .requiredOption('-c, --config <file>', 'configuration file (YAML or JSON)', process.env.PAN_FAILOVER_CONFIG_FILE)
    .option('--write-json <file>', 'write the validated configuration as JSON (with defaults filled in)')
    .action(async (opts: Parameters<typeof validateCommand>[0]) => {
      process.exitCode = await validateCommand(opts);
    });
}
