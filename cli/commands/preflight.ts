/**
 * `pan-failover preflight --config FILE [--pair NAME] [--json]`: what must be true in the AWS
 * account for a failover to work (`shared/usecases/preflight.ts`), read with Describe calls only.
 * Exit 0 when every check passes, 1 when one fails.
 */
import type { Command } from 'commander';
import { preflightPair, type PreflightResult } from '#shared/usecases/preflight.js';
import { cliConfig, cliDeps, type CliOptions } from '../context.js';
import { table } from '../format.js';

export async function preflightCommand(options: CliOptions & { pair?: string; json?: boolean }): Promise<number> {
  const config = await cliConfig(options);
  const deps = cliDeps(config, options);
  const pairs = config.pairs.filter((p) => !options.pair || p.name === options.pair);
  if (pairs.length === 0) throw new Error(`unknown pair "${options.pair ?? ''}"`);
  const results: PreflightResult[] = [];
  for (const pair of pairs) results.push(...(await preflightPair(deps, pair, config.deployment?.subnetIds ?? [])));
  const failed = results.filter((r) => !r.ok);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ok: failed.length === 0, results }, null, 2)}\n`);
  } else {
    process.stdout.write(
      `${table(
        ['pair', 'check', 'subject', 'result', 'detail'],
        results.map((r) => [r.pair, r.check, r.subject, r.ok ? 'ok' : 'FAIL', r.detail]),
      )}\n${failed.length === 0 ? `all ${results.length} checks passed` : `${failed.length} of ${results.length} checks FAILED: a failover would not work as configured`} (AWS side only; the PAN-OS side is checked by hand: docs/runbook.md)\n`,
    );
  }
  return failed.length === 0 ? 0 : 1;
}

export function registerPreflight(program: Command, common: (cmd: Command) => Command): void {
  common(program.command('preflight'))
    .description('check the AWS side of every pair for what breaks failovers (read-only); exit 1 if a check fails')
    .option('-p, --pair <name>', 'only this pair')
    .option('--json', 'machine-readable output')
    .action(async (opts: Parameters<typeof preflightCommand>[0]) => {
      process.exitCode = await preflightCommand(opts);
    });
}
