/**
 * `pan-failover pause -p PAIR|--all --for 2h --reason TEXT` and `pan-failover resume -p PAIR|--all`:
 * hold a pair's automation back for maintenance (the probe keeps observing and alerting but
 * starts no flow; automatic flows end `skipped-paused`; a person's flow needs `--force`), and
 * give it back. Every pause ends by itself (`pause.defaultSeconds`, at most `pause.maxSeconds`).
 *
 * Exit codes: 0 done; 1 not done (someone changed the same pause at the same moment) or done but
 * nobody could be notified; 64 usage (bad duration, unknown pair, no reason): nothing written.
 */
import type { Command } from 'commander';
import { createSnsClient } from '#shared/adapters/aws/clients.js';
import type { Config } from '#shared/config/schema.js';
import { describePause, pauseSeconds, pauseState } from '#shared/domain/pause.js';
import type { PauseStore } from '#shared/ports/store.js';
import { pausePairs, reasonIssue, resumePairs, type PauseOutcome } from '#shared/usecases/pause.js';
import { cliConfig, cliDeps, topicArnOf, type CliOptions } from '../context.js';
import { EXIT, UsageError } from '../exit.js';
import { printJson } from '../json.js';
import { jsonOption, type CommonOptions } from '../options.js';

export interface PauseCommandOptions extends CliOptions {
  readonly pair?: string;
  readonly all?: boolean;
  readonly for?: string;
  readonly reason?: string;
  readonly by?: string;
  readonly json?: boolean;
}

function who(options: { by?: string }): string {
  return options.by ?? process.env.USER ?? process.env.USERNAME ?? 'cli';
}

/** Bad arguments: main.ts prints the one line (or the `--json` error) and exits 64 (cli/exit.ts). */
function usage(message: string): never {
  throw new UsageError(message, 'nothing was paused or resumed; `pan-failover pause --help` lists the options');
}

/** The pairs a command names: `-p NAME` (one configured pair) or `--all`, never both. */
function selectPairs(config: Config, options: { pair?: string; all?: boolean }): string[] | { error: string } {
  const known = config.pairs.map((p) => p.name);
  if (options.all && options.pair !== undefined) return { error: 'give either -p PAIR or --all, not both' };
  if (options.all) return known;
  if (options.pair === undefined) return { error: `name the pair (-p PAIR) or use --all (configured: ${known.join(', ')})` };
  if (!known.includes(options.pair)) return { error: `unknown pair "${options.pair}" (configured: ${known.join(', ')})` };
  return [options.pair];
}

function report(command: string, outcomes: readonly PauseOutcome[], json: boolean | undefined, notifying: boolean): number {
  const failed = outcomes.some((o) => o.outcome === 'conflict' || o.notified === false);
  const code = failed ? EXIT.notDone : EXIT.ok;
  if (json) return printJson(command, code, { pairs: outcomes });
  for (const o of outcomes) {
    process.stdout.write(`${o.message}\n`);
    if (o.notified === false) process.stdout.write(`  WARNING: the notification could not be sent: tell the team yourself\n`);
  }
  if (!notifying && outcomes.some((o) => o.notified !== undefined)) {
    process.stdout.write('note: no SNS topic given (--topic-arn or PAN_FAILOVER_TOPIC_ARN): nobody was notified\n');
  }
  return code;
}

export async function pauseCommand(options: PauseCommandOptions): Promise<number> {
  const config = await cliConfig(options);
  const pairs = selectPairs(config, options);
  if ('error' in pairs) return usage(pairs.error);
  const length = pauseSeconds(options.for, config.pause);
  if ('error' in length) return usage(`--for ${length.error}`);
  const noReason = reasonIssue(options.reason);
  if (noReason !== undefined) return usage(noReason);
  const topicArn = await topicArnOf(options, () => createSnsClient({ region: options.region }));
  const deps = { ...cliDeps(config, { ...options, topicArn }), notifications: config.notifications };
  const outcomes = await pausePairs(deps, { pairs, seconds: length.seconds, reason: options.reason ?? '', by: who(options) });
  return report('pause', outcomes, options.json, topicArn !== undefined);
}

export async function resumeCommand(options: PauseCommandOptions): Promise<number> {
  const config = await cliConfig(options);
  const pairs = selectPairs(config, options);
  if ('error' in pairs) return usage(pairs.error);
  const topicArn = await topicArnOf(options, () => createSnsClient({ region: options.region }));
  const deps = { ...cliDeps(config, { ...options, topicArn }), notifications: config.notifications };
  const outcomes = await resumePairs(deps, { pairs, by: who(options) });
  return report('resume', outcomes, options.json, topicArn !== undefined);
}

/**
 * Before a person's flow: refuse while the pair is paused, unless `--force` overrides the pause
 * (the flow records the override and its notifications say so). A dry run changes nothing and
 * only gets a note. Returns the line to print and whether to stop.
 */
export async function manualFlowPauseCheck(
  store: PauseStore,
  pair: string,
  command: string,
  options: { force?: boolean; dryRun?: boolean },
  now = Date.now(),
): Promise<{ refuse: boolean; line?: string }> {
  const record = (await store.getPause(pair)).value;
  if (record === undefined || pauseState(record, now) !== 'active') return { refuse: false };
  const state = describePause(record, now);
  if (options.dryRun) return { refuse: false, line: `note: ${pair} is ${state}` };
  if (options.force) return { refuse: false, line: `${pair} is ${state}; --force: overriding the pause (recorded in the flow and its notifications)` };
  return {
    refuse: true,
    line:
      `refused: ${pair} is ${state}.\n` +
      `To run the ${command} anyway: pan-failover ${command} -p ${pair} --force (the override is recorded and notified).\n` +
      `Or end the pause first: pan-failover resume -p ${pair}.`,
  };
}

export function registerPauseCommand(program: Command, common: CommonOptions): void {
  jsonOption(common(program.command('pause')))
    .description('pause automatic failover, failback and drift repair of a pair for maintenance (it ends by itself); exit 0 done, 1 not done, 64 usage')
    .option('-p, --pair <name>', 'the firewall pair')
    .option('--all', 'every configured pair')
    .option('--for <duration>', 'how long: 30m, 2h, 1h30m (default pause.defaultSeconds, 2h; at most pause.maxSeconds, 24h)')
    .option('--reason <text>', 'why (required; shown to everyone notified and in status)')
    .option('--by <name>', 'who is pausing (default: $USER)')
    .option('--topic-arn <arn>', 'SNS topic for the notification (default: PAN_FAILOVER_TOPIC_ARN, else the --stage one)')
    .action(async (opts: PauseCommandOptions) => {
      process.exitCode = await pauseCommand(opts);
    });
}

export function registerResumeCommand(program: Command, common: CommonOptions): void {
  jsonOption(common(program.command('resume')))
    .description('end the maintenance pause of a pair now: automation is back on; exit 0 done, 1 not done, 64 usage')
    .option('-p, --pair <name>', 'the firewall pair')
    .option('--all', 'every configured pair')
    .option('--by <name>', 'who is resuming (default: $USER)')
    .option('--topic-arn <arn>', 'SNS topic for the notification (default: PAN_FAILOVER_TOPIC_ARN, else the --stage one)')
    .action(async (opts: PauseCommandOptions) => {
      process.exitCode = await resumeCommand(opts);
    });
}

/** One line for `status`: the pair's pause, or that it is not paused. */
export function pauseLine(record: Parameters<typeof describePause>[0] | undefined, now = Date.now()): string {
  return `pause: ${record ? describePause(record, now) : 'not paused'}`;
}
