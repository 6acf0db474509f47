/**
 * `pan-failover preflight --config FILE [--pair NAME] [--aws-only] [--json]`: what must be true
 * for a failover to work, read-only: the AWS side with Describe calls
 * (`shared/usecases/preflight.ts`), then the PAN-OS side of every running firewall through its
 * XML API (configuration, licences, versions; `shared/domain/panos-preflight.ts`) and EC2's
 * scheduled events.
 *
 * Exit codes: 0 every check passes (or is skipped), 1 a warning, 2 a check failed, 3 nothing
 * failed but a check could not be made (a running firewall did not answer).
 */
import type { Command } from 'commander';
import type { Role } from '#shared/config/schema.js';
import { preflightPair, preflightPanosPair, type PreflightResult } from '#shared/usecases/preflight.js';
import { cliConfig, cliDeps, requirePair, type CliOptions } from '../context.js';
import { EXIT } from '../exit.js';
import { printJson } from '../json.js';
import { jsonOption, type CommonOptions } from '../options.js';
import { table } from '../format.js';

const LABEL: Readonly<Record<PreflightResult['status'], string>> = { pass: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip', unknown: 'UNKNOWN' };

/** The exit code of a set of results (the CLI's contract: 0 ok, 1 warning, 2 failed, 3 could not check). */
export function preflightExitCode(results: readonly PreflightResult[]): number {
  if (results.some((r) => r.status === 'fail')) return EXIT.failed;
  if (results.some((r) => r.status === 'unknown')) return EXIT.cannotCheck;
  if (results.some((r) => r.status === 'warn')) return EXIT.notDone;
  return EXIT.ok;
}

export async function preflightCommand(options: CliOptions & { pair?: string; json?: boolean; awsOnly?: boolean }): Promise<number> {
  const config = await cliConfig(options);
  requirePair(config.pairs, options.pair);
  const deps = cliDeps(config, options);
  const pairs = config.pairs.filter((p) => !options.pair || p.name === options.pair);
  const results: PreflightResult[] = [];
  for (const pair of pairs) {
    results.push(...(await preflightPair(deps, pair, config.deployment?.subnetIds ?? [])));
    if (options.awsOnly) continue;
    // The recorded owner carries the traffic; without a record, the primary.
    const active: Role = (await deps.store.getOwner(pair.name).catch(() => undefined))?.owner ?? 'primary';
    results.push(...(await preflightPanosPair(deps, pair, { active })));
  }
  const code = preflightExitCode(results);
  if (options.json) return printJson('preflight', code, { ok: code === EXIT.ok, results });
  const count = (s: PreflightResult['status']) => results.filter((r) => r.status === s).length;
  const summary =
    code === 0
      ? `all ${results.length} checks passed${count('skip') > 0 ? ` (${count('skip')} skipped)` : ''}`
      : code === 2
        ? `${count('fail')} of ${results.length} checks FAILED: a failover would not work as configured`
        : code === 3
          ? `${count('unknown')} of ${results.length} checks could not be made`
          : `${count('warn')} warning(s) in ${results.length} checks`;
  const fixes = results.filter((r) => r.fix !== undefined && r.status !== 'pass' && r.status !== 'skip');
  process.stdout.write(
    `${table(
      ['pair', 'check', 'subject', 'result', 'detail'],
      results.map((r) => [r.pair, r.check, r.subject, LABEL[r.status], r.detail]),
    )}\n${fixes.length > 0 ? `\nWhat to change:\n${fixes.map((r) => `- ${r.check} ${r.subject}: ${r.fix ?? ''}`).join('\n')}\n\n` : ''}${summary}${options.awsOnly ? ' (AWS side only: --aws-only)' : ''}\n`,
  );
  return code;
}

export function registerPreflight(program: Command, common: CommonOptions): void {
  // The recorded owner (table) names the active firewall; the firewalls' keys are in Secrets Manager.
  jsonOption(common(program.command('preflight')))
    .description('check AWS and each running firewall for what breaks failovers (read-only); exit 1 warning, 2 failed, 3 could not check')
    .option('-p, --pair <name>', 'only this pair')
    .option('--aws-only', 'only the AWS side (no call to the firewalls)')
    .action(async (opts: Parameters<typeof preflightCommand>[0]) => {
      process.exitCode = await preflightCommand(opts);
    });
}
