/**
 * `pan-failover preflight --config FILE [--pair NAME] [--json]`: what must be true in the AWS
 * account for a failover to work (`shared/usecases/preflight.ts`), read with Describe calls only.
 * Exit 0 when every check passes, 1 when one fails.
 */
import type { Command } from 'commander';
import { preflightPair, type PreflightResult } from '#shared/usecases/preflight.js';
import { cliConfig, cliDeps, requirePair, type CliOptions } from '../context.js';
import { EXIT } from '../exit.js';
import { printJson } from '../json.js';
import { awsOptions, configOption, jsonOption, verboseOption } from '../options.js';
import { table } from '../format.js';

export async function preflightCommand(options: CliOptions & { pair?: string; json?: boolean }): Promise<number> {
  const config = await cliConfig(options);
  requirePair(config.pairs, options.pair);
  const deps = cliDeps(config, options);
  const pairs = config.pairs.filter((p) => !options.pair || p.name === options.pair);
  const results: PreflightResult[] = [];
  for (const pair of pairs) results.push(...(await preflightPair(deps, pair, config.deployment?.subnetIds ?? [])));
  const failed = results.filter((r) => !r.ok);
  const code = failed.length === 0 ? EXIT.ok : EXIT.notDone;
  if (options.json) return printJson('preflight', code, { ok: failed.length === 0, results });
  process.stdout.write(
    `${table(
      ['pair', 'check', 'subject', 'result', 'detail'],
      results.map((r) => [r.pair, r.check, r.subject, r.ok ? 'ok' : 'FAIL', r.detail]),
    )}\n${failed.length === 0 ? `all ${results.length} checks passed` : `${failed.length} of ${results.length} checks FAILED: a failover would not work as configured`} (AWS side only; the PAN-OS side is checked by hand: docs/runbook.md)\n`,
  );
  return code;
}

export function registerPreflight(program: Command): void {
  // Describe calls only: no table, no stage.
  jsonOption(verboseOption(awsOptions(configOption(program.command('preflight')))))
    .description('check the AWS side of every pair for what breaks failovers (read-only); exit 1 if a check fails')
    .option('-p, --pair <name>', 'only this pair')
    .action(async (opts: Parameters<typeof preflightCommand>[0]) => {
      process.exitCode = await preflightCommand(opts);
    });
}
