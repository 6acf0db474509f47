/**
 * `pan-failover drill -p PAIR [--json]`: the standby drill (`shared/usecases/drill.ts`), run
 * from this process: boots the standby, measures its boot, checks its PAN-OS configuration
 * against the active's, stops it again. Traffic is never touched; a failover takes the pair's
 * lock from a drill at any time. Needs the same network reach as `probe` (the management
 * addresses) and AWS credentials allowed to start and stop the standby.
 *
 * Exit codes: 0 the drill succeeded, 1 it succeeded with warnings or yielded to a failover,
 * 2 the standby failed (not started, never ready) or its checks failed, 3 no drill was run
 * (the active is not healthy, or the pair's lock is held).
 */
import type { Command } from 'commander';
import { runDrill, type DrillReport } from '#shared/usecases/drill.js';
import { cliConfig, cliDeps, requirePair, type CliOptions } from '../context.js';
import { EXIT, UsageError } from '../exit.js';
import { table } from '../format.js';
import { printJson } from '../json.js';
import { jsonOption, type CommonOptions } from '../options.js';

export function drillExitCode(r: DrillReport): number {
  switch (r.outcome) {
    case 'succeeded':
      return r.checks.some((c) => c.status === 'warn') ? EXIT.notDone : EXIT.ok;
    case 'yielded':
      return EXIT.notDone;
    case 'findings':
    case 'failed':
      return EXIT.failed;
    case 'refused':
    case 'skipped-locked':
      return EXIT.cannotCheck;
  }
}

export async function drillCommand(options: CliOptions & { pair?: string; json?: boolean }): Promise<number> {
  const config = await cliConfig(options);
  requirePair(config.pairs, options.pair);
  const pair = config.pairs.find((p) => p.name === options.pair);
  if (!pair) throw new UsageError('drill needs -p PAIR', `the configuration has ${config.pairs.map((p) => p.name).join(', ')}`);
  const deps = cliDeps(config, options);
  const report = await runDrill(deps, pair);
  const code = drillExitCode(report);
  if (options.json) return printJson('drill', code, report);
  const shown = report.checks.filter((c) => c.status !== 'pass');
  const lines = [
    `drill ${report.id}: ${report.outcome.toUpperCase()}: ${report.summary}`,
    `boot: ${report.bootSeconds !== undefined ? `${report.bootSeconds.toFixed(1)} s from the start request` : 'not measured'}; standby ${report.stoppedStandby ? 'stopped again' : 'not stopped by the drill'}`,
    ...(shown.length > 0 ? [table(['check', 'subject', 'result', 'detail'], shown.map((c) => [c.check, c.subject, c.status.toUpperCase(), c.detail]))] : []),
    ...report.notes.map((n) => `note: ${n}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return code;
}

export function registerDrill(program: Command, common: CommonOptions): void {
  jsonOption(common(program.command('drill')))
    .description('boot the standby, check it against the active, stop it again (traffic untouched); exit 0 ok, 1 warnings, 2 failed, 3 not run')
    .requiredOption('-p, --pair <name>', 'the pair to drill')
    .action(async (opts: Parameters<typeof drillCommand>[0]) => {
      process.exitCode = await drillCommand(opts);
    });
}
