/**
 * `pan-failover probe`: one probe round from a laptop or bastion, read-only (no state written,
 * no flow started, nothing notified). Exit code 0 healthy, 1 degraded, 2 failed, 3 could not
 * check (a pair's round failed, or the probe is blind: AWS unreachable).
 */
import type { Command } from 'commander';
import type { Role } from '#shared/config/schema.js';
import { errorMessage } from '#shared/errors.js';
import { probeRound, type PairRoundResult } from '#shared/usecases/probe.js';
import { terminalSafeLine } from '#shared/text/terminal.js';
import { table, ms } from '../format.js';
import { cliConfig, cliDeps, requirePair, type CliOptions } from '../context.js';
import { CannotCheckError, EXIT } from '../exit.js';
import { printJson } from '../json.js';
import { jsonOption, type CommonOptions } from '../options.js';

/** Exit code of one pair's round. */
export function exitCodeOf(r: PairRoundResult): number {
  const active = r.firewalls.find((f) => f.role === r.owner)?.status;
  // Blind: this machine reaches neither AWS nor anything else; the firewalls were not judged.
  if (r.decision.code === 'controller-blind') return EXIT.cannotCheck;
  if (active === 'healthy') return r.decision.action === 'none' ? EXIT.ok : EXIT.notDone;
  if (active === 'degraded' || active === 'booting') return EXIT.notDone;
  return EXIT.failed;
}

function tunnelsCell(r: PairRoundResult, role: Role): string {
  const fw = r.firewalls.find((f) => f.role === role);
  const tunnels = fw?.observation.api.tunnels;
  if (!tunnels) return '-';
  const up = tunnels.filter((t) => t.up).length;
  return `${up}/${tunnels.length} up${r.tunnelsDown.length > 0 && role === r.owner ? ` (down: ${r.tunnelsDown.join(', ')})` : ''}`;
}

export function renderProbe(results: readonly PairRoundResult[]): string {
  const blocks = results.map((r) => {
    const rows = r.firewalls.map((f) => [
      `${f.name}${f.role === r.owner ? ' *' : ''}`,
      f.role,
      f.observation.instance.state,
      f.status,
      f.observation.api.outcome === 'ok' ? ms(f.observation.api.latencyMs) : f.observation.api.outcome,
      terminalSafeLine(f.observation.api.swVersion ?? '-'),
      tunnelsCell(r, f.role),
    ]);
    return [
      `pair ${r.pair} (active: ${r.owner}${r.ownerSource === 'record' ? '' : `, from ${r.ownerSource}`})`,
      table(['firewall', 'role', 'instance', 'status', 'api', 'version', 'tunnels'], rows),
      `decision: ${r.decision.action} (${r.decision.code}): ${terminalSafeLine(r.decision.reason)}`,
      r.drift && r.drift.length > 0 ? `drift: ${r.drift.join('; ')}` : '',
      r.paused ? `PAUSED until ${new Date(r.paused.until).toISOString()} by ${terminalSafeLine(r.paused.by)}: ${terminalSafeLine(r.paused.reason)} (the controller starts no flow)` : '',
      ...r.firewalls.filter((f) => f.observation.api.error).map((f) => `  ${f.name}: ${terminalSafeLine(f.observation.api.error ?? '')}`),
    ]
      .filter(Boolean)
      .join('\n');
  });
  return `${blocks.join('\n\n')}\n(* = active)`;
}

export async function probeCommand(options: CliOptions & { pair?: string; json?: boolean }): Promise<number> {
  const config = await cliConfig(options);
  requirePair(config.pairs, options.pair);
  const deps = cliDeps(config, options);
  const failed: { pair: string; error: unknown }[] = [];
  const results = await probeRound(deps, { readOnly: true, pairs: options.pair ? [options.pair] : undefined, onPairError: (pair, error) => failed.push({ pair, error }) });
  if (results.length === 0 && failed[0]) {
    // Nothing could be probed: the first pair's error says why (no credentials, AWS unreachable, ...).
    throw failed[0].error instanceof Error ? failed[0].error : new CannotCheckError(`pair ${failed[0].pair}: ${errorMessage(failed[0].error)}`);
  }
  const code = Math.max(...results.map(exitCodeOf), ...failed.map(() => EXIT.cannotCheck));
  if (options.json) return printJson('probe', code, { pairs: results, notChecked: failed.map((f) => ({ pair: f.pair, error: errorMessage(f.error) })) });
  process.stdout.write(`${renderProbe(results)}\n`);
  for (const f of failed) process.stdout.write(`pair ${f.pair}: COULD NOT CHECK: ${errorMessage(f.error)}\n`);
  return code;
}

export function registerProbe(program: Command, common: CommonOptions): void {
  jsonOption(common(program.command('probe')))
    .description('one probe round of every pair (read-only); exit 0 healthy, 1 degraded, 2 failed, 3 could not check')
    .option('-p, --pair <name>', 'only this pair')
    .action(async (opts: Parameters<typeof probeCommand>[0]) => {
      process.exitCode = await probeCommand(opts);
    });
}
