/**
 * `pan-failover status`: where every managed route, EIP and DNS record of each pair points
 * now, the recorded owner, the lock, and both instances. Read-only.
 */
import type { Command } from 'commander';
import { ROLES, type PairConfig } from '#shared/config/schema.js';
import { pairConsistency } from '#shared/domain/consistency.js';
import { expectedRto } from '#shared/domain/drill.js';
import { readPlacement } from '#shared/usecases/flow/cutover.js';
import { describeInstancesTolerant } from '#shared/usecases/instances.js';
import { table } from '../format.js';
import { cliConfig, cliDeps, requirePair, type CliOptions } from '../context.js';
import { statusAdvice } from '../advice.js';
import { EXIT } from '../exit.js';
import { printJson } from '../json.js';
import { jsonOption, type CommonOptions } from '../options.js';
import { pauseLine } from './pause.js';
import { createDynamoDbClient } from '#shared/adapters/aws/clients.js';
import { createSelftestStore } from '#shared/adapters/aws/selftest.js';
import { errorMessage } from '#shared/errors.js';
import type { SelftestRecord } from '#shared/ports/selftest.js';
import { tableName } from '../context.js';
import { selftestLine } from './selftest.js';

function sideName(pair: PairConfig, side: string): string {
  return side === 'primary' || side === 'secondary' ? pair.firewalls[side].name : side.toUpperCase();
}

export async function statusCommand(options: CliOptions & { pair?: string; json?: boolean }): Promise<number> {
  const config = await cliConfig(options);
  requirePair(config.pairs, options.pair);
  const deps = cliDeps(config, options);
  const pairs = config.pairs.filter((p) => !options.pair || p.name === options.pair);
  const reports = [];
  let worst = 0;
  for (const pair of pairs) {
    const [placement, record, lock, pause, instances, drills] = await Promise.all([
      readPlacement(deps.ec2, pair),
      deps.store.getOwner(pair.name),
      deps.store.get(pair.name),
      deps.store.getPause(pair.name).then((p) => p.value),
      describeInstancesTolerant(deps.ec2, ROLES.map((r) => pair.firewalls[r].instanceId)).then((m) => [...m.values()].filter((i) => i !== undefined)),
      deps.store.getDrills(pair.name).catch(() => []),
    ]);
    const rto = expectedRto(pair, drills);
    const values = await Promise.all(pair.dnsRecords.map(async (r) => (await deps.dns.getRecord(r.hostedZoneId, r.name, r.type))?.values));
    const { aws, dns, consistent, problems } = pairConsistency({ pair, placement, dns: values, recordedOwner: record?.owner, lock, now: Date.now() });
    if (!consistent) worst = EXIT.notDone;
    reports.push({ pair, placement, record, lock, instances, aws, dns, consistent, problems: problems.map((p) => p.text), pause, lastDrill: drills.at(-1), expectedRto: rto });
  }
  // The last self-test of the deployment (not a pair's): shown, never part of the exit code.
  let selftest: SelftestRecord | undefined;
  let selftestError: string | undefined;
  try {
    selftest = await createSelftestStore(createDynamoDbClient({ region: options.region }), tableName(options)).getLastSelftest();
  } catch (e) {
    selftestError = errorMessage(e);
  }
  if (options.json) return printJson('status', worst, { pairs: reports.map((r) => ({ ...r, pair: r.pair.name })), selftest: selftest ?? null, ...(selftestError ? { selftestError } : {}) });
  for (const r of reports) {
    const p = r.pair;
    const out: string[] = [];
    out.push(`pair ${p.name}: AWS points at ${sideName(p, r.aws)}; recorded owner ${r.record ? `${sideName(p, r.record.owner)} since ${new Date(r.record.since).toISOString()} (${r.record.changedBy})` : 'none'}; lock ${r.lock && r.lock.expiresAt > Date.now() ? `HELD by ${r.lock.holder} until ${new Date(r.lock.expiresAt).toISOString()}` : 'free'}`);
    out.push(pauseLine(r.pause));
    out.push(
      table(
        ['firewall', 'role', 'instance', 'state', 'type', 'status checks'],
        ROLES.map((role) => {
          const fw = p.firewalls[role];
          const i = r.instances.find((x) => x.instanceId === fw.instanceId);
          return [fw.name, role, fw.instanceId, i?.state ?? 'not found', i?.instanceType ?? '-', i ? `${i.systemStatus ?? '-'}/${i.instanceStatus ?? '-'}` : '-'];
        }),
      ),
    );
    out.push(
      table(
        ['object', 'points at', 'target'],
        [
          ...r.placement.routes.map((x) => [`route ${x.route.destination} ${x.route.routeTableId}`, sideName(p, x.side), `${x.currentTarget ?? '-'}${x.blackhole ? ' (blackhole)' : ''}`]),
          ...r.placement.eips.map((x) => [`EIP ${x.publicIp ?? x.eip.allocationId}`, sideName(p, x.side), `${x.currentEni ?? '-'} ${x.currentPrivateIp ?? ''}`]),
          ...r.dns.map((d) => [`DNS ${d.name} ${d.type}`, sideName(p, d.side), d.values.join(',') || '-']),
        ],
      ),
    );
    const d = r.lastDrill;
    out.push(
      d
        ? `last drill: ${new Date(d.endedAt).toISOString()} ${d.outcome}${d.bootSeconds !== undefined ? `, boot ${d.bootSeconds.toFixed(0)} s` : ''}: ${d.summary}`
        : `last drill: none (run \`pan-failover drill -p ${p.name}\`)`,
    );
    const rto = r.expectedRto;
    out.push(
      rto.totalSeconds !== undefined
        ? `expected RTO: ${rto.totalSeconds.toFixed(0)} s (detection ${rto.detectionSeconds} s + boot ${(rto.bootSeconds ?? 0).toFixed(0)} s, median of the last ${rto.boots} drill(s))`
        : `expected RTO: detection ${rto.detectionSeconds} s + the standby's boot, not measured yet (no drill)`,
    );
    out.push(r.consistent ? 'consistent' : `NOT CONSISTENT: ${r.problems.join('; ')}`);
    if (!r.consistent) out.push(...statusAdvice(p, r.record?.owner, r.lock, Date.now()));
    process.stdout.write(`${out.join('\n')}\n\n`);
  }
  process.stdout.write(`${selftestError ? `selftest: could not read the last result (${selftestError})` : selftestLine(selftest, Date.now())}\n`);
  return worst;
}

export function registerStatus(program: Command, common: CommonOptions): void {
  jsonOption(common(program.command('status')))
    .description('where every managed route, EIP and DNS record points, the recorded owner and the lock (read-only); exit 0 consistent, 1 not')
    .option('-p, --pair <name>', 'only this pair')
    .action(async (opts: Parameters<typeof statusCommand>[0]) => {
      process.exitCode = await statusCommand(opts);
    });
}
