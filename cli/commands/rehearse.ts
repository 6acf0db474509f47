/**
 * `pan-failover rehearse [--scenario FILE]` (what `npm start` runs): plays a scenario on the
 * local simulator with the controller as deployed, shows the rehearsal as it happens and the
 * summary timeline; exit 0 only if the system ended consistent and the expectations held.
 */
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadScenario } from '#sim/scenario/schema.js';
import { PROJECT_ROOT, runScenario, scenarioConfig } from '#sim/scenario/run.js';
import { finalState, livePrinter, summaryLines } from '#sim/scenario/printer.js';
import { defaultReportPath, writeRehearsalReport } from '../report/write.js';
import { EXIT } from '../exit.js';
import { printJson } from '../json.js';

export const DEFAULT_SCENARIO = resolve(PROJECT_ROOT, 'scenarios', 'rehearsal.yaml');

export async function rehearseCommand(options: { scenario?: string; speed?: string; transport?: 'wire' | 'direct'; report?: string | false; json?: boolean }): Promise<number> {
  const wall = Date.now();
  const path = options.scenario ? resolve(options.scenario) : DEFAULT_SCENARIO;
  const scenario = await loadScenario(path);
  // With --json, stdout carries the one document only.
  const out = options.json ? () => undefined : (line = '') => process.stdout.write(`${line}\n`);
  out(`pan-failover rehearsal "${scenario.name}": ${scenario.description}`);
  out(`  simulated AWS and two simulated PAN-OS firewalls on this machine; clock x${options.speed ?? scenario.speed}; nothing leaves it`);
  out();
  let startAt = 0;
  let finished = false;
  const print = livePrinter(out, () => startAt);
  const run = await runScenario(scenario, {
    baseDir: dirname(path),
    speed: options.speed ? Number(options.speed) : undefined,
    transport: options.transport,
    keepOpen: true,
    onStart: (at) => (startAt = at),
    onEvent: (e) => {
      if (startAt !== 0 && !finished) print(e);
    },
  });
  finished = true;
  try {
    out();
    for (const l of summaryLines(run)) out(l);
    out();
    out('Final state');
    const pair = run.system.pair();
    const placement = await run.system.placement(pair);
    const dns = pair.dnsRecords.map((r) => {
      const have = run.system.world.route53.resolve(r.name, r.type) as { values?: readonly string[] } | undefined;
      return `${r.name} ${r.type} ${have?.values?.join(',') ?? '(absent)'}${r.followElasticIp ? ` (follows ${r.followElasticIp})` : ''}`;
    });
    for (const l of finalState(run.system.config, pair.name, placement, dns)) out(l);
    const record = await run.system.ownerRecord(pair);
    const code = run.ok ? EXIT.ok : EXIT.notDone;
    out(`  recorded owner: ${record ? `${record.owner} (${pair.firewalls[record.owner].name}) since ${new Date(record.since).toISOString()}` : 'none'}`);
    if (run.aws()) out(`  AWS API requests sent by the controller over HTTP: ${run.aws()}`);
    out();
    out(run.ok ? 'Result: CONSISTENT. Every managed route, EIP and record points at one firewall, the recorded owner; no lock held; a re-run changed nothing.' : 'Result: FAILED');
    for (const f of run.failures) out(`  - ${f}`);
    const report = options.report === false ? undefined : await writeRehearsalReport(run, options.report ?? defaultReportPath(scenario.name), await scenarioConfig(scenario, dirname(path)));
    if (options.report !== false) out(report === undefined ? 'Report: none (no flow ran in this rehearsal)' : `Report: ${report}`);
    const wallSeconds = (Date.now() - wall) / 1000;
    out(`wall time ${wallSeconds.toFixed(1)} s`);
    if (options.json) {
      const r = run.report;
      printJson('rehearse', code, {
        scenario: { name: scenario.name, file: path },
        ok: run.ok,
        failures: run.failures,
        detectionSeconds: r.detectionSeconds ?? null,
        failureToTrafficSeconds: r.totalSeconds ?? null,
        overhead: r.overhead ?? null,
        milestones: r.milestones,
        flows: r.flows.map(({ name, action, outcome, summary }) => ({ name, action, outcome, summary })),
        initial: run.initial,
        final: { ...run.final, owner: record ? { owner: record.owner, firewall: pair.firewalls[record.owner].name, since: record.since } : null },
        awsRequests: run.aws() || null,
        report: report ?? null,
        wallSeconds,
      });
    }
  } finally {
    await run.system.close();
  }
  return run.ok ? EXIT.ok : EXIT.notDone;
}

export function registerRehearse(program: Command): void {
  program
    .command('rehearse')
    .description('rehearse a failover on the local simulator (default scenario: the active firewall dies)')
    .option('-s, --scenario <file>', 'scenario file (see scenarios/)')
    .option('--speed <factor>', 'simulated seconds per real second')
    .option('--transport <wire|direct>', 'wire: real SDK clients over HTTP to the simulator (default); direct: in-process ports')
    .option('--report <file>', 'write the HTML report there (default: reports/rehearsal-<scenario>.html)')
    .option('--no-report', 'write no HTML report')
    .option('--json', 'print one JSON document at the end (schema: docs/cli-json.md) instead of the live display')
    .action(async (opts: Parameters<typeof rehearseCommand>[0]) => {
      process.exitCode = await rehearseCommand(opts);
    });
}
