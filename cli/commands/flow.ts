/**
 * `pan-failover failover|failback|plan|repair|drill --pair NAME`: start the failover flow (a
 * drill is one of its actions: boot the standby, check it, stop it again; traffic untouched).
 * - `--local` runs the state machine definition in this process with the project's own step
 *   handlers, against whatever AWS endpoint the environment names (real AWS with your
 *   credentials, or the simulator): no deployed state machine needed.
 * - without `--local`, starts an execution of the deployed state machine (`--stage` or
 *   `--state-machine-arn`); `--wait` follows it.
 * - `--dry-run` (and `plan`) prints exactly what would change, changes nothing, notifies nobody.
 *
 * `--local` and `--wait` print each phase as it starts and ends (cli/progress.ts); the run ends
 * with its result in words, and the exit code follows it (cli/exit.ts).
 */
import { LOCK_RELEASED } from '#shared/ports/store.js';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { createSfnClient, createSnsClient } from '#shared/adapters/aws/clients.js';
import { callAws } from '#shared/adapters/aws/errors.js';
import { runFlowLocally } from '#shared/adapters/sfn-local/runner.js';
import type { PairConfig } from '#shared/config/schema.js';
import type { ExecutionStatus } from '#shared/ports/messaging.js';
import { parseFlowInput, type FlowInput } from '#shared/usecases/flow-input.js';
import { runAwsStep, runControlStep, runFirewallStep } from '#shared/usecases/flow/dispatch.js';
import { formatDuration } from '#shared/usecases/flow/notifications.js';
import { failedPhase, lockHolder, timeline, type FlowState } from '#shared/usecases/flow/state.js';
import { holderExecution } from '#shared/domain/drill.js';
import { cliConfig, cliDeps, requirePair, stateMachineArnOf, topicArnOf, type CliOptions } from '../context.js';
import { EXIT, RefusedError, UsageError } from '../exit.js';
import { manualFlowPauseCheck } from './pause.js';
import { printJson } from '../json.js';
import { jsonOption, type CommonOptions } from '../options.js';
import { isFlowState, progressPrinter } from '../progress.js';
import { COMMAND_OF, lockAdvice, splitAdvice } from '../advice.js';

export interface FlowCommandOptions extends CliOptions {
  readonly pair: string;
  readonly local?: boolean;
  readonly dryRun?: boolean;
  readonly force?: boolean;
  readonly reason?: string;
  readonly wait?: boolean;
  readonly json?: boolean;
  /** Skip the confirmation of a real forced failover on a terminal. */
  readonly yes?: boolean;
  /** The holder of the pair's lock is dead (an interrupted run): take its lock over. */
  readonly takeOver?: string;
}

/** How a forced run asks for confirmation; tests pass their own. */
export interface FlowIo {
  readonly interactive: boolean;
  ask(question: string): Promise<string>;
}

const terminalIo: FlowIo = {
  interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
  async ask(question) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
};

/** Lease of the lock a CLI `--local` run takes, renewed every minute while it runs. */
export const CLI_LOCK_LEASE_MS = 5 * 60_000;
const CLI_LOCK_RENEW_MS = 60_000;
const WAIT_POLL_MS = 2_000;

/** The command names and the flow action they start. */
export const FLOW_COMMANDS = {
  failover: { action: 'failover', dryRun: false },
  failback: { action: 'failback', dryRun: false },
  plan: { action: 'failover', dryRun: true },
  repair: { action: 'reconcile', dryRun: false },
  drill: { action: 'drill', dryRun: false },
} as const satisfies Record<string, { action: FlowInput['action']; dryRun: boolean }>;
export type FlowCommandName = keyof typeof FLOW_COMMANDS;

function requester(): string {
  return process.env.USER ?? process.env.USERNAME ?? 'cli';
}

export function renderFlowResult(state: FlowState | undefined): string[] {
  if (!state) return [];
  const lines: string[] = [];
  const d = state.drill;
  if (d) {
    lines.push(`active: ${d.active} (${d.activeStatus}); standby: ${d.standby} (was ${d.standbyState})`);
    if (d.bootSeconds !== undefined) lines.push(`boot: ${d.bootSeconds.toFixed(1)} s from the start request to ready`);
    const shown = (d.results ?? []).filter((c) => c.status !== 'pass' && c.status !== 'skip');
    if (d.results) lines.push(`checks: ${d.results.length}, ${shown.length === 0 ? 'none failed or warned' : `${shown.length} not passed:`}`);
    for (const c of shown) lines.push(`  ${c.status.toUpperCase().padEnd(7)} ${c.check} ${c.subject}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`);
    lines.push(`standby: ${d.stopped ? 'stopped again' : d.yielded ? 'left to the failover' : 'not stopped by the drill'}`);
    for (const n of d.notes) lines.push(`note: ${n}`);
  }
  if (state.recheck) lines.push(`re-check: ${state.recheck.mode}: ${state.recheck.reason}`);
  if (state.plan) {
    lines.push('plan (nothing was changed):');
    const all = [...state.plan.instances, ...state.plan.changes, ...state.plan.dns];
    if (all.length === 0) lines.push('  nothing to change');
    for (const l of all) lines.push(`  - ${l}`);
    for (const b of state.plan.blockers) lines.push(`  ! ${b}`);
  }
  if (state.cutover) lines.push(`cutover: ${state.cutover.moved.length} change(s) in ${formatDuration(state.cutover.durationMs)} (${state.cutover.calls} calls, ${state.cutover.throttled} throttled)`);
  if (state.fence) lines.push(`fencing: ${state.fence.action}: ${state.fence.detail}`);
  if (state.dns) lines.push(`DNS: ${state.dns.changes.map((c) => `${c.record} ${c.status}`).join('; ') || 'no change'}${state.dns.timedOut ? ' (still PENDING)' : ''}`);
  if (state.verify) lines.push(`verify: ${state.verify.healthy ? 'healthy' : 'NOT healthy'}, tunnels up: ${state.verify.tunnelsUp.join(', ') || '-'}${state.verify.tunnelsDown.length ? `, down: ${state.verify.tunnelsDown.join(', ')}` : ''}`);
  const t = timeline(state);
  if (t.length > 0) {
    lines.push('phases:');
    for (const p of t) lines.push(`  ${p.phase.padEnd(9)} ${formatDuration(p.durationMs).padStart(8)}  ${p.outcome ?? ''}`);
  }
  if (state.result) lines.push(`result: ${state.result.outcome}: ${state.result.summary}`);
  return lines;
}

/** The end of a flow run, in words and as an exit code. */
export interface FlowVerdict {
  readonly exitCode: number;
  readonly words: string;
  /** What to do next, one line each (commands in backticks). */
  readonly advice: readonly string[];
}

export function flowVerdict(pair: PairConfig, status: ExecutionStatus | 'SUCCEEDED' | 'FAILED', state: FlowState | undefined, error: { name: string; cause: string } | undefined, now: number): FlowVerdict {
  // A drill that failed ends its execution FAILED (no output): its last state says why.
  if (state?.drill?.outcome) return drillVerdict(pair, state);
  if (status !== 'SUCCEEDED' || !state?.result) {
    const phase = state ? failedPhase(state) : undefined;
    return {
      exitCode: EXIT.failed,
      words: `FAILED${phase ? ` in phase ${phase}` : ''} (execution ${status}): ${error ? `${error.name}: ${error.cause}` : 'see the execution'}`,
      advice: [`See where every object points now: \`pan-failover status -p ${pair.name}\`; the runbook (docs/runbook.md) has the failed phase's section.`],
    };
  }
  const r = state.result;
  switch (r.outcome) {
    case 'succeeded':
      return { exitCode: EXIT.ok, words: `DONE: ${r.summary}`, advice: [] };
    case 'dry-run':
      return { exitCode: EXIT.ok, words: `DRY RUN: ${r.summary}`, advice: splitAdvice(pair, state) };
    case 'noop': {
      // A repair that finds everything on the recorded owner has done its job.
      const consistent = state.input.action === 'reconcile' && state.recheck?.repairDns === true;
      return { exitCode: consistent ? EXIT.ok : EXIT.notDone, words: `${consistent ? 'NOTHING TO DO' : 'NOT DONE'}: ${r.summary}`, advice: splitAdvice(pair, state) };
    }
    case 'skipped-locked':
      return { exitCode: EXIT.notDone, words: 'NOT DONE: another run holds the pair', advice: lockAdvice(pair.name, state.input.action, state.lock?.heldBy ?? '?', state.lock?.expiresAt, now) };
    case 'skipped-paused':
      return { exitCode: EXIT.notDone, words: `NOT DONE: ${r.summary}`, advice: [`The pair is paused for maintenance: \`pan-failover status -p ${pair.name}\` shows until when; \`pan-failover resume -p ${pair.name}\` ends the pause.`] };
    case 'failed':
      return { exitCode: EXIT.failed, words: `FAILED in phase ${failedPhase(state)}: ${r.summary}`, advice: [`See where every object points now: \`pan-failover status -p ${pair.name}\`; the runbook (docs/runbook.md) has the failed phase's section.`] };
  }
}

/**
 * A drill: 0 succeeded; 1 drift found, warnings, yielded to a failover, or not run (the active
 * is not healthy); 2 failed (the standby could not be started, never became ready, or could not
 * be stopped again).
 */
function drillVerdict(pair: PairConfig, state: FlowState): FlowVerdict {
  const d = state.drill;
  const summary = d?.summary ?? state.result?.summary ?? '';
  const again = `\`pan-failover drill -p ${pair.name}\``;
  switch (d?.outcome) {
    case 'succeeded': {
      const warned = (d.results ?? []).some((c) => c.status === 'warn');
      return { exitCode: warned ? EXIT.notDone : EXIT.ok, words: `DRILL ${warned ? 'SUCCEEDED WITH WARNINGS' : 'SUCCEEDED'}: ${summary}`, advice: [`\`pan-failover status -p ${pair.name}\` shows the boot time and the expected RTO.`] };
    }
    case 'drift':
      return { exitCode: EXIT.failed, words: `DRILL FOUND DRIFT: ${summary}`, advice: [`Fix the standby as each failed check says (start it in a maintenance window), then run ${again} again.`] };
    case 'yielded':
      return { exitCode: EXIT.notDone, words: `DRILL YIELDED: ${summary}`, advice: [`A failover holds the pair: follow it (\`pan-failover status -p ${pair.name}\`).`] };
    case 'refused':
      return { exitCode: EXIT.notDone, words: `NO DRILL: ${summary}`, advice: [`\`pan-failover probe -p ${pair.name}\` shows why; run ${again} once the active firewall is healthy.`] };
    case 'failed':
    default:
      return { exitCode: EXIT.failed, words: `DRILL FAILED: ${summary}`, advice: [`Look at the standby in the EC2 console (state reason, system log); \`pan-failover status -p ${pair.name}\` shows it is stopped.`] };
  }
}

async function confirmForced(options: FlowCommandOptions, pair: PairConfig, action: FlowInput['action'], io: FlowIo): Promise<void> {
  if (!options.force || action === 'reconcile' || action === 'drill' || options.dryRun || options.yes || !io.interactive) return;
  const to = action === 'failback' ? pair.firewalls.primary.name : 'the other firewall';
  const answer = await io.ask(`Forced ${action} of ${pair.name}: traffic moves to ${to} even if the active firewall is healthy.\nType the pair name (${pair.name}) to go on: `);
  if (answer.trim() !== pair.name) throw new RefusedError('not confirmed; nothing was changed', 'type the pair name to confirm, or pass --yes');
}

export async function flowCommand(action: FlowInput['action'], options: FlowCommandOptions, io: FlowIo = terminalIo): Promise<number> {
  const config = await cliConfig(options);
  requirePair(config.pairs, options.pair);
  const pair = config.pairs.find((p) => p.name === options.pair) as PairConfig;
  const raw: FlowInput = {
    pair: options.pair,
    action,
    reason: options.reason ?? `${action} requested from the CLI`,
    // A drill has nothing to force; its --force only overrides a maintenance pause.
    force: action !== 'reconcile' && action !== 'drill' && (options.force ?? false),
    dryRun: options.dryRun ?? false,
    source: 'manual',
    requestedBy: requester(),
    ...(options.force ? { overridePause: true } : {}),
  };
  // Refuse bad input here, before anything is started anywhere.
  parseFlowInput(raw, config);
  if (options.dryRun && options.wait) throw new UsageError('--dry-run runs in this process and cannot be waited for', 'drop --wait');
  await confirmForced(options, pair, action, io);
  const name = `cli-${options.pair}-${action}-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const out = (l: string) => {
    if (!options.json) process.stdout.write(`${l}\n`);
  };
  const sfn = (() => {
    let c: ReturnType<typeof createSfnClient> | undefined;
    return () => (c ??= createSfnClient({ region: options.region }));
  })();
  const stateMachineArn = await stateMachineArnOf(options, sfn);
  const deps = cliDeps(config, { ...options, stateMachineArn, topicArn: options.dryRun ? undefined : await topicArnOf(options, () => createSnsClient({ region: options.region })) });
  // A pair paused for maintenance: a person's flow needs --force (the flow checks it again).
  const paused = await manualFlowPauseCheck(deps.store, options.pair, COMMAND_OF[action], options);
  if (paused.line) (paused.refuse ? process.stderr : process.stdout).write(`${paused.line}\n`);
  if (paused.refuse) return EXIT.notDone;

  // A dry run always runs here: the deployed flow would only say less.
  if (!options.local && !options.dryRun) {
    if (!stateMachineArn) throw new UsageError('no deployed state machine named', 'pass --stage STAGE (or --state-machine-arn ARN) to start the deployed flow, or --local to run it in this process');
    const started = await deps.flows.start(name, raw);
    out(`started ${started.executionArn}`);
    if (!options.wait) {
      out(`follow it: the Step Functions console, or run with --wait; \`pan-failover status -p ${options.pair}\` shows where every object points`);
      return options.json ? printJson(COMMAND_OF[action], EXIT.ok, { executionArn: started.executionArn, waited: false }) : EXIT.ok;
    }
    const printer = progressPrinter(out, () => deps.clock.now());
    let lastSeen: FlowState | undefined;
    const end = await followExecution(started.executionArn, sfn, (s) => {
      lastSeen = s;
      printer(s);
    }, deps.clock);
    // A failed execution has no output: its last state (a failed drill's verdict) is in its history.
    return finishRun(options, action, pair, end.status, end.state ?? (action === 'drill' ? lastSeen : undefined), end.error, deps.clock.now(), out, started.executionArn);
  }

  // One read of the pair's lock first: no credentials, no network or no table fail here, at once
  // and as what they are (exit 3 or 64), not minutes later as a failed flow.
  const lock = await deps.store.get(options.pair);
  if (lock && lock.expiresAt > deps.clock.now() && holderExecution(lock.holder) !== holderExecution(takeOverOf(options) ?? '') && !options.dryRun) {
    out(`note: the pair's lock is held by ${lock.holder} until ${new Date(lock.expiresAt).toISOString()}`);
  }
  out(`running the ${action} flow for ${options.pair} locally${options.dryRun ? ' (dry run: nothing will change, nobody is notified)' : ''} as ${name}`);
  // Step Functions cannot vouch for a process on a laptop: the lock it takes is short and renewed
  // while the flow runs, so an interrupted run blocks the pair for minutes, not hours.
  const takeOver = options.takeOver === undefined ? undefined : holderExecution(options.takeOver);
  const holder = lockHolder({ input: { action } as FlowState['input'], execution: name });
  const local = {
    ...deps,
    lockLeaseMs: CLI_LOCK_LEASE_MS,
    local: true,
    // A lock left by an ended execution of the deployed state machine (named) is taken over, and
    // so is one whose holder the person declared dead (--take-over).
    executions:
      stateMachineArn || takeOver
        ? () => ({ start: (n: string, i: Readonly<Record<string, unknown>>) => deps.flows.start(n, i), status: async (n: string) => (n === takeOver ? ('ABORTED' as const) : stateMachineArn ? deps.flows.status(n) : undefined) })
        : undefined,
  };
  const renew = setInterval(() => {
    deps.store.takeOver(options.pair, holder, holder, deps.clock.now(), CLI_LOCK_LEASE_MS).then(
      (r) => {
        if (!r.acquired && r.heldBy !== LOCK_RELEASED) process.stderr.write(`warning: the pair's lock is now held by ${r.heldBy}\n`);
      },
      (e: unknown) => process.stderr.write(`warning: could not renew the pair's lock (it lapses ${CLI_LOCK_LEASE_MS / 60_000} min after the last renewal): ${e instanceof Error ? e.message : String(e)}\n`),
    );
  }, CLI_LOCK_RENEW_MS);
  const progress = progressPrinter(out, () => deps.clock.now());
  let lastSeen: FlowState | undefined;
  const seen = <T>(p: Promise<T>): Promise<T> =>
    p.then((s) => {
      if (isFlowState(s)) {
        lastSeen = s;
        progress(s);
      }
      return s;
    });
  let result: Awaited<ReturnType<typeof runFlowLocally>>;
  try {
    result = await runFlowLocally(raw, {
      clock: deps.clock,
      executionName: name,
      stateMachineArn,
      handlers: {
        flowControl: (e) => seen(runControlStep(local, e)),
        flowAws: (e) => seen(runAwsStep(local, e)),
        flowFirewall: (e) => seen(runFirewallStep(local, e)),
      },
      onState: (s) => {
        if (options.verbose) out(`  ${new Date(s.at).toISOString()}  ${s.state}`);
      },
    });
  } finally {
    clearInterval(renew);
  }
  const output = result.output as FlowState | undefined;
  return finishRun(options, action, pair, result.status, output ?? (action === 'drill' ? lastSeen : undefined), result.error, deps.clock.now(), out, name);
}

const takeOverOf = (o: FlowCommandOptions) => o.takeOver;

function finishRun(options: FlowCommandOptions, action: FlowInput['action'], pair: PairConfig, status: ExecutionStatus | 'SUCCEEDED' | 'FAILED', state: FlowState | undefined, error: { name: string; cause: string } | undefined, now: number, out: (l: string) => void, execution: string): number {
  const verdict = flowVerdict(pair, status, state, error, now);
  const command = options.dryRun && action === 'failover' && !options.local ? 'plan' : COMMAND_OF[action];
  if (options.json) return printJson(command, verdict.exitCode, { execution, status, verdict: verdict.words, advice: verdict.advice, state });
  out('');
  for (const l of renderFlowResult(state)) out(l);
  out('');
  out(`${verdict.words} (exit ${verdict.exitCode})`);
  for (const a of verdict.advice) out(a);
  return verdict.exitCode;
}

/** Follows a deployed execution through its history until it ends, feeding the flow states it reports. */
async function followExecution(executionArn: string, sfn: () => ReturnType<typeof createSfnClient>, onState: (s: FlowState) => void, clock: { sleep(ms: number): Promise<void> }): Promise<{ status: ExecutionStatus; state: FlowState | undefined; error?: { name: string; cause: string } }> {
  let lastId = 0;
  for (;;) {
    let token: string | undefined;
    do {
      const page = await callAws({ operation: 'states:GetExecutionHistory' }, () => sfn().send(new GetExecutionHistoryCommand({ executionArn, nextToken: token, maxResults: 1000 })));
      for (const e of page.events ?? []) {
        if ((e.id ?? 0) <= lastId) continue;
        lastId = e.id ?? lastId;
        const s = stateOfEvent(e);
        if (s) onState(s);
      }
      token = page.nextToken;
    } while (token);
    const d = await callAws({ operation: 'states:DescribeExecution' }, () => sfn().send(new DescribeExecutionCommand({ executionArn })));
    if (d.status && d.status !== 'RUNNING' && d.status !== 'PENDING_REDRIVE') {
      const output = parseJson(d.output);
      return { status: d.status as ExecutionStatus, state: isFlowState(output) ? output : undefined, error: d.error ? { name: d.error, cause: d.cause ?? '' } : undefined };
    }
    await clock.sleep(WAIT_POLL_MS);
  }
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stateOfEvent(e: HistoryEvent): FlowState | undefined {
  const v = parseJson(e.taskSucceededEventDetails?.output ?? e.stateExitedEventDetails?.output);
  return isFlowState(v) ? v : undefined;
}

/** Registers one of the flow commands (`failover`, `failback`, `plan`, `repair`). */
export function flowRegister(cmdName: FlowCommandName) {
  return (program: Command, common: CommonOptions): void => registerFlowCommand(program, common, cmdName);
}

export function registerFlowCommand(program: Command, common: CommonOptions, cmdName: FlowCommandName): void {
  const { action, dryRun } = FLOW_COMMANDS[cmdName];
  const descriptions: Record<FlowCommandName, string> = {
    failover: 'move the pair to its standby firewall',
    failback: 'move the pair back to its primary firewall (after a failover)',
    plan: 'what a failover would change (a dry run in this process: changes nothing, notifies nobody)',
    repair: 'put every managed route, EIP and DNS record back on the recorded owner (what the probe does on drift)',
    drill: 'boot the standby, measure its boot, check its PAN-OS configuration against the active, stop it again (traffic untouched; a failover takes over at once)',
  };
  const exits =
    cmdName === 'drill'
      ? 'exit 0 succeeded, 1 warnings, yielded or not run (active unhealthy, lock held, paused), 2 failed or drift found, 3 could not check, 64 usage'
      : 'exit 0 done, 1 not done (refused, nothing to do, lock held), 2 failed, 3 could not check, 64 usage';
  const cmd = jsonOption(common(program.command(cmdName)))
    .description(`${descriptions[cmdName]}; ${exits}`)
    .requiredOption('-p, --pair <name>', 'the firewall pair')
    .option('--reason <text>', 'why (shown in the notifications)');
  if (!dryRun) {
    cmd
      .option('--local', 'run the flow in this process (no deployed state machine needed)')
      .option('--state-machine-arn <arn>', 'deployed state machine (default: PAN_FAILOVER_STATE_MACHINE_ARN, else the --stage one)')
      .option('--wait', 'with a deployed state machine: follow the execution to its end')
      .option('--topic-arn <arn>', 'with --local: SNS topic for the notifications (default: PAN_FAILOVER_TOPIC_ARN, else the --stage one; none: not sent)');
    if (action !== 'drill') cmd.option('--dry-run', 'print what would change; change nothing, notify nobody');
    cmd
      .option('--take-over <holder>', 'with --local: the run holding the pair\'s lock is dead; take its lock over (the refusal names it)');
  }
  // Forcing means "even though the active firewall looks healthy": it has no meaning for a repair.
  // Forcing also means "even though the pair is paused for maintenance" (recorded in the flow).
  if (action === 'failover') cmd.option('--force', 'fail over even if the active firewall looks healthy, or the pair is paused');
  if (action === 'failback') cmd.option('--force', 'fail back even if the active firewall looks healthy, or the pair is paused');
  if (action === 'reconcile' && !dryRun) cmd.option('--force', 'repair even though the pair is paused for maintenance');
  if (action === 'drill') cmd.option('--force', 'drill even though the pair is paused for maintenance (a scheduled drill is skipped during a pause)');
  if (action !== 'reconcile' && action !== 'drill' && !dryRun) cmd.option('-y, --yes', 'do not ask for confirmation of a forced run on a terminal');
  cmd.action(async (opts: FlowCommandOptions) => {
    process.exitCode = await flowCommand(action, dryRun ? { ...opts, dryRun: true, local: true } : opts);
  });
}

/** All four flow commands (tests and tools that want them together). */
export function registerFlowCommands(program: Command, common: CommonOptions): void {
  for (const name of Object.keys(FLOW_COMMANDS) as FlowCommandName[]) registerFlowCommand(program, common, name);
}
