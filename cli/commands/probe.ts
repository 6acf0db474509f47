/**
 * `pan-failover probe`: one probe round from a laptop or bastion, read-only (no state written,
 * no flow started, nothing notified). Exit code 0 healthy, 1 degraded, 2 failed.
 */
import type { Role } from '#shared/config/schema.js';
import { probeRound, type PairRoundResult } from '#shared/usecases/probe.js';
import { table, ms } from '../format.js';
import { cliConfig, cliDeps, type CliOptions } from '../context.js';

export const EXIT = { healthy: 0, degraded: 1, failed: 2 } as const;

/** Exit code of one pair's round. */
export function exitCodeOf(r: PairRoundResult): number {
  const active = r.firewalls.find((f) => f.role === r.owner)?.status;
  if (r.decision.code === 'controller-blind') return EXIT.failed;
  if (active === 'healthy') return r.decision.action === 'none' ? EXIT.healthy : EXIT.degraded;
  if (active === 'degraded' || active === 'booting') return EXIT.degraded;
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
      f.observation.api.swVersion ?? '-',
      tunnelsCell(r, f.role),
    ]);
    return [
      `pair ${r.pair} (active: ${r.owner}${r.ownerSource === 'record' ? '' : `, from ${r.ownerSource}`})`,
      table(['firewall', 'role', 'instance', 'status', 'api', 'version', 'tunnels'], rows),
      `decision: ${r.decision.action} (${r.decision.code}): ${r.decision.reason}`,
      r.drift && r.drift.length > 0 ? `drift: ${r.drift.join('; ')}` : '',
      ...r.firewalls.filter((f) => f.observation.api.error).map((f) => `  ${f.name}: ${f.observation.api.error ?? ''}`),
    ]
      .filter(Boolean)
      .join('\n');
  });
  return `${blocks.join('\n\n')}\n(* = active)`;
}

export async function probeCommand(options: CliOptions & { pair?: string; json?: boolean }): Promise<number> {
  const config = await cliConfig(options);
  const deps = cliDeps(config, options);
  const results = await probeRound(deps, { readOnly: true, pairs: options.pair ? [options.pair] : undefined });
  if (options.pair && results.length === 0) {
    process.stderr.write(`unknown pair "${options.pair}" (configured: ${config.pairs.map((p) => p.name).join(', ')})\n`);
    return EXIT.failed;
  }
  process.stdout.write(options.json ? `${JSON.stringify(results, null, 2)}\n` : `${renderProbe(results)}\n`);
  return Math.max(...results.map(exitCodeOf));
}
