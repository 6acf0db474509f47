/**
 * `pan-failover validate [FILE] [-c FILE] [--write-json OUT] [--json]`: checks a configuration
 * file as the functions will (every problem with its field path) and, with `--write-json`,
 * writes the JSON the deployment packages with the functions (they carry no YAML parser).
 * Exit 0 valid, 64 not (nothing written).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { loadConfigFile } from '#shared/config/load.js';
import { classifyError, EXIT, UsageError } from '../exit.js';
import { printJson } from '../json.js';
import { jsonOption } from '../options.js';

export interface ValidateOptions {
  readonly config?: string;
  readonly writeJson?: string;
  readonly json?: boolean;
}

function summaryOf(config: Awaited<ReturnType<typeof loadConfigFile>>) {
  return config.pairs.map((p) => ({
    pair: p.name,
    primary: { name: p.firewalls.primary.name, availabilityZone: p.firewalls.primary.availabilityZone },
    secondary: { name: p.firewalls.secondary.name, availabilityZone: p.firewalls.secondary.availabilityZone },
    standbyMode: p.standbyMode,
    routes: p.routes.length,
    elasticIps: p.elasticIps.length,
    dnsRecords: p.dnsRecords.length,
    tunnels: p.tunnels.length,
  }));
}

/** The file named as an argument wins over -c (and PAN_FAILOVER_CONFIG_FILE). */
export async function validateCommand(options: ValidateOptions, file?: string): Promise<number> {
  const path = file ?? options.config;
  if (!path) throw new UsageError('no configuration file named', 'pass it: `pan-failover validate FILE` (or -c FILE, or set PAN_FAILOVER_CONFIG_FILE)');
  if (options.json) {
    // A --json caller wants the problems as data, not as an error line.
    let config;
    try {
      config = await loadConfigFile(path);
    } catch (e) {
      const c = classifyError(e);
      const issues = (e as { issues?: unknown }).issues;
      return printJson('validate', c.exitCode, { file: path, valid: false, message: c.message, issues: Array.isArray(issues) ? issues : [] });
    }
    if (options.writeJson) await writeConfigJson(options.writeJson, config);
    return printJson('validate', EXIT.ok, { file: path, valid: true, pairs: summaryOf(config), wrote: options.writeJson });
  }
  const config = await loadConfigFile(path);
  const summary = summaryOf(config).map(
    (p) => `${p.pair}: ${p.primary.name} (${p.primary.availabilityZone}) / ${p.secondary.name} (${p.secondary.availabilityZone}), ${p.standbyMode} standby, ${p.routes} route(s), ${p.elasticIps} EIP(s), ${p.dnsRecords} record(s), ${p.tunnels} tunnel(s)`,
  );
  process.stdout.write(`${path}: valid\n${summary.map((s) => `  ${s}`).join('\n')}\n`);
  if (options.writeJson) {
    await writeConfigJson(options.writeJson, config);
    process.stdout.write(`wrote ${options.writeJson}\n`);
  }
  return EXIT.ok;
}

async function writeConfigJson(out: string, config: unknown): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(config, null, 2)}\n`);
}

export function registerValidate(program: Command): void {
  jsonOption(program.command('validate'))
    .description('check a configuration file (exit 0 valid, 64 not); optionally write the JSON the functions are deployed with')
    .argument('[file]', 'configuration file (YAML or JSON)')
    .option('-c, --config <file>', 'the same, as an option (default: PAN_FAILOVER_CONFIG_FILE)', process.env.PAN_FAILOVER_CONFIG_FILE)
    .option('--write-json <file>', 'write the validated configuration as JSON (with defaults filled in)')
    .action(async (file: string | undefined, opts: ValidateOptions) => {
      process.exitCode = await validateCommand(opts, file);
    });
}
