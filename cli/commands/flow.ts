/**
 * `pan-failover failover|failback|plan --pair NAME`: start the failover flow.
 * - `--local` runs the state machine definition in this process with the project's own step
 *   handlers, against whatever AWS endpoint the environment names (real AWS with your
 *   credentials, or the simulator): no deployed state machine needed.
 * - without `--local`, starts an execution of the deployed state machine (`--state-machine-arn`).
 * - `--dry-run` (and `plan`) prints exactly what would change, and changes nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { runFlowLocally } from '#shared/adapters/sfn-local/runner.js';
import { parseFlowInput, type FlowInput } from '#shared/usecases/flow-input.js';
import { runAwsStep, runControlStep, runFirewallStep } from '#shared/usecases/flow/dispatch.js';
import { formatDuration } from '#shared/usecases/flow/notifications.js';
import { timeline, type FlowState } from '#shared/usecases/flow/state.js';
import { cliConfig, cliDeps, type CliOptions } from '../context.js';

export interface FlowCommandOptions extends CliOptions {
  readonly stateMachineArn?: string;
  readonly pair: string;
  readonly local?: boolean;
  readonly dryRun?: boolean;
  readonly force?: boolean;
  readonly reason?: string;
  readonly wait?: boolean;
}

/** Lease of the lock a CLI `--local` run takes, renewed every minute while it runs. */
export const CLI_LOCK_LEASE_MS = 5 * 60_000;
const CLI_LOCK_RENEW_MS = 60_000;

function requester(): string {
  return process.env.USER ?? process.env.USERNAME ?? 'cli';
}

export function renderFlowResult(state: FlowState | undefined): string[] {
  if (!state) return [];
  const lines: string[] = [];
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

export async function flowCommand(action: FlowInput['action'], options: FlowCommandOptions): Promise<number> {
  const config = await cliConfig(options);
  const raw: FlowInput = {
    pair: options.pair,
    action,
    reason: options.reason ?? `${action} requested from the CLI`,
    force: options.force ?? false,
    dryRun: options.dryRun ?? false,
    source: 'manual',
    requestedBy: requester(),
  };
  // Refuse bad input here, before anything is started anywhere.
  parseFlowInput(raw, config);
  const name = `cli-${options.pair}-${action}-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const deps = cliDeps(config, options);
  const out = (l: string) => process.stdout.write(`${l}\n`);

  if (!options.local) {
    const started = await deps.flows.start(name, raw);
    out(`started ${started.executionArn}`);
    if (!options.wait) return 0;
    for (;;) {
      const status = await deps.flows.status(name);
      if (status && status !== 'RUNNING') {
        out(`execution ${status}`);
        return status === 'SUCCEEDED' ? 0 : 1;
      }
      await deps.clock.sleep(5000);
    }
  }

  out(`running the ${action} flow for ${options.pair} locally${options.dryRun ? ' (dry run: nothing will change)' : ''} as ${name}`);
  // Step Functions cannot vouch for a process on a laptop: the lock it takes is short and renewed
  // while the flow runs, so an interrupted run blocks the pair for minutes, not hours.
  const stateMachineArn = options.stateMachineArn ?? process.env.PAN_FAILOVER_STATE_MACHINE_ARN;
  const local = {
    ...deps,
    lockLeaseMs: CLI_LOCK_LEASE_MS,
    // With the deployed state machine named, a lock left by one of its ended executions is taken over.
    executions: stateMachineArn ? () => deps.flows : undefined,
  };
  const renew = setInterval(() => {
    deps.store.takeOver(options.pair, name, name, deps.clock.now(), CLI_LOCK_LEASE_MS).then(
      (r) => {
        if (!r.acquired && r.heldBy !== '(released)') process.stderr.write(`warning: the pair's lock is now held by ${r.heldBy}\n`);
      },
      (e: unknown) => process.stderr.write(`warning: could not renew the pair's lock (it lapses ${CLI_LOCK_LEASE_MS / 60_000} min after the last renewal): ${e instanceof Error ? e.message : String(e)}\n`),
    );
  }, CLI_LOCK_RENEW_MS);
  let result: Awaited<ReturnType<typeof runFlowLocally>>;
  try {
    result = await runFlowLocally(raw, {
      clock: deps.clock,
      executionName: name,
      stateMachineArn,
      handlers: {
        flowControl: (e) => runControlStep(local, e),
        flowAws: (e) => runAwsStep(local, e),
        flowFirewall: (e) => runFirewallStep(local, e),
      },
      onState: (s) => {
        if (options.verbose) out(`  ${new Date(s.at).toISOString()}  ${s.state}`);
      },
    });
  } finally {
    clearInterval(renew);
  }
  const state = result.output as FlowState | undefined;
  for (const l of renderFlowResult(state)) out(l);
  if (result.status === 'FAILED') {
    out(`FAILED: ${result.error?.name ?? '?'}: ${result.error?.cause ?? ''}`);
    return 1;
  }
  return 0;
}

export function registerFlowCommands(program: Command, common: (cmd: Command) => Command): void {
  const add = (cmdName: string, action: FlowInput['action'], description: string, dryRun = false) => {
    const cmd = common(program.command(cmdName))
      .description(description)
      .requiredOption('-p, --pair <name>', 'the firewall pair')
      .option('--local', 'run the flow in this process (no deployed state machine needed)')
      .option('--state-machine-arn <arn>', 'deployed state machine (default: PAN_FAILOVER_STATE_MACHINE_ARN)')
      .option('--wait', 'with a deployed state machine: wait for the execution to end')
      .option('--reason <text>', 'why (shown in the notifications)')
      .option('--dry-run', 'print what would change; change nothing');
    // Forcing means "even though the active firewall looks healthy": it has no meaning for a repair.
    if (action !== 'reconcile') cmd.option('--force', 'fail over even if the active firewall looks healthy');
    cmd.action(async (opts: FlowCommandOptions) => {
      process.exitCode = await flowCommand(action, dryRun ? { ...opts, dryRun: true, local: true } : opts);
    });
  };
  add('failover', 'failover', 'move the pair to its standby firewall');
  add('failback', 'failback', 'move the pair back to its primary firewall (after a failover)');
  add('plan', 'failover', 'dry run of a failover: what would change (same as failover --local --dry-run)', true);
  add('repair', 'reconcile', 'put every managed route, EIP and DNS record back on the recorded owner (what the probe does on drift)');
}

