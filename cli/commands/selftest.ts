/**
 * `pan-failover selftest [--stage STAGE] [--json]`: invokes each deployed function with a
 * self-test event (shared/usecases/selftest.ts), so the real roles, the real VPC placement and the
 * real endpoints are exercised; nothing is changed and nobody is notified. Prints one table
 * (function, check, resource, result, how to fix), stores the verdict in the state table (`status`
 * shows it) and exits 0 all pass, 1 something denied, unreachable or missing, 3 could not check.
 */
import type { Command } from 'commander';
import { createDynamoDbClient, createLambdaClient, createSfnClient } from '#shared/adapters/aws/clients.js';
import { createFunctionInvoker, createSelftestStore } from '#shared/adapters/aws/selftest.js';
import { errorMessage } from '#shared/errors.js';
import { systemClock } from '#shared/ports/clock.js';
import type { SelftestRecord } from '#shared/ports/selftest.js';
import { functionNamesFor, runSelftest, selftestRecord, type SelftestResult, type SelftestSummary } from '#shared/usecases/selftest.js';
import { DEFAULT_STAGE, stageNames } from '../../infra/names.js';
import { explicitStage, stateMachineArnOf, tableName, type CliOptions } from '../context.js';
import { EXIT } from '../exit.js';
import { table } from '../format.js';
import { printJson } from '../json.js';
import { jsonOption, type CommonOptions } from '../options.js';

const LABEL: Readonly<Record<SelftestResult, string>> = {
  pass: 'ok',
  denied: 'DENIED',
  unreachable: 'UNREACHABLE',
  missing: 'MISSING',
  'not-checked': 'not checked',
  unknown: 'COULD NOT CHECK',
};

/** The CLI's exit code of a self-test: 0 all pass, 1 something failed, 3 something could not be checked. */
export function selftestExitCode(summary: Pick<SelftestSummary, 'verdict'>): number {
  return summary.verdict === 'ok' ? EXIT.ok : summary.verdict === 'failed' ? EXIT.notDone : EXIT.cannotCheck;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} seconds ago`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} minutes ago`;
  const h = Math.round(m / 60);
  if (h < 36) return `${h} hours ago`;
  return `${Math.round(h / 24)} days ago`;
}

/** The line `status` prints about the last self-test ("selftest ok, 3 days ago"). */
export function selftestLine(record: SelftestRecord | undefined, now: number): string {
  if (record === undefined) return 'selftest: never run (run `pan-failover selftest` after every deployment)';
  const when = `${ago(now - record.at)} (${new Date(record.at).toISOString()}, ${record.requestedBy})`;
  if (record.verdict === 'ok') return `selftest ok, ${when}`;
  const what = record.verdict === 'failed' ? 'FAILED' : 'INCOMPLETE (some checks could not be made)';
  const first = record.problems.slice(0, 3).join('; ');
  return `selftest ${what}, ${when}${first ? `: ${first}${record.problems.length > 3 ? `; and ${record.problems.length - 3} more` : ''}` : ''}; run \`pan-failover selftest\` for the details`;
}

export async function selftestCommand(options: CliOptions & { json?: boolean }): Promise<number> {
  const aws = { region: options.region };
  if (options.profile) process.env.AWS_PROFILE = options.profile;
  const stage = explicitStage(options) ?? DEFAULT_STAGE;
  const functionNames = functionNamesFor(stageNames(stage).prefix);
  // flow-control checks the flow's state machine; without one named, its rows say so.
  const stateMachineArn = await stateMachineArnOf(options, () => createSfnClient(aws)).catch(() => undefined);
  const requestedBy = `cli:${process.env.USER ?? process.env.USERNAME ?? 'unknown'}`;
  const summary = await runSelftest(
    { invoker: createFunctionInvoker(createLambdaClient(aws)), clock: systemClock, functionNames },
    { selftest: { requestedBy, ...(stateMachineArn ? { stateMachineArn } : {}) } },
  );
  const code = selftestExitCode(summary);
  const table_ = tableName(options);
  let stored: string | undefined;
  try {
    await createSelftestStore(createDynamoDbClient(aws), table_).putLastSelftest(selftestRecord(summary));
  } catch (e) {
    stored = `the result could not be stored in ${table_} (${errorMessage(e)}): \`status\` will not show it`;
  }
  if (options.json) return printJson('selftest', code, { verdict: summary.verdict, at: new Date(summary.at).toISOString(), requestedBy, stage, counts: summary.counts, rows: summary.rows, stored: stored === undefined, ...(stored ? { storeError: stored } : {}) });
  const rows = summary.rows.map((r) => [r.function, r.check, r.resource, r.result === 'not-checked' ? r.detail : LABEL[r.result], r.result === 'pass' || r.result === 'not-checked' ? '' : (r.fix ?? '')]);
  const failures = summary.rows.filter((r) => r.result !== 'pass' && r.result !== 'not-checked');
  const c = summary.counts;
  const verdict =
    summary.verdict === 'ok'
      ? `selftest ok: ${c.pass} checks passed${c['not-checked'] > 0 ? `, ${c['not-checked']} not checked (stopped firewalls)` : ''}; nothing was changed`
      : summary.verdict === 'failed'
        ? `selftest FAILED: ${c.denied} denied, ${c.unreachable} unreachable, ${c.missing} missing${c.unknown > 0 ? `, ${c.unknown} could not be checked` : ''} (of ${summary.rows.length} checks): a failover would not work as deployed`
        : `selftest INCOMPLETE: ${c.unknown} of ${summary.rows.length} checks could not be made`;
  process.stdout.write(
    `${table(['function', 'check', 'resource', 'result', 'how to fix'], rows)}\n${
      failures.length > 0 ? `\nWhat AWS answered:\n${failures.map((r) => `- ${r.function} ${r.check} ${r.resource}: ${r.detail}`).join('\n')}\n` : ''
    }\n${verdict}\n`,
  );
  if (stored) process.stderr.write(`warning: ${stored}\n`);
  return code;
}

export function registerSelftest(program: Command, common: CommonOptions): void {
  jsonOption(common(program.command('selftest')))
    .description('prove the deployed functions may do what a failover and a failback do, and reach what they need (changes nothing, notifies nobody); exit 0 all pass, 1 denied/unreachable/missing, 3 could not check')
    .option('--state-machine-arn <arn>', 'the flow\'s state machine (default: PAN_FAILOVER_STATE_MACHINE_ARN, else the --stage one)')
    .action(async (opts: Parameters<typeof selftestCommand>[0]) => {
      process.exitCode = await selftestCommand(opts);
    });
}
