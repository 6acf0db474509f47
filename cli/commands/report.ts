/**
 * `pan-failover report`: one self-contained HTML file about one flow: `--execution ARN`, or the
 * pair's last flow on the deployed state machine. Read-only.
 *
 * Exit codes: 0 report written and the pair is consistent now; 1 report written but the flow
 * failed or the pair is not consistent; 3 AWS could not be read; 64 usage or configuration error.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createSfnClient } from '#shared/adapters/aws/clients.js';
import { AwsAccessDeniedError, AwsThrottledError, AwsTransientError, ConfigInvalidError, InputInvalidError } from '#shared/errors.js';
import { cliConfig, cliDeps, type CliOptions } from '../context.js';
import { flowReport, lastExecutionOf } from '../report/from-aws.js';
import { writeReportFile } from '../report/write.js';

export interface ReportOptions extends CliOptions {
  readonly execution?: string;
  readonly pair?: string;
  readonly out?: string;
  readonly json?: boolean;
}

export const REPORT_EXIT = { ok: 0, notOk: 1, couldNotCheck: 3, usage: 64 } as const;

async function run(options: ReportOptions): Promise<number> {
  const config = await cliConfig(options);
  const deps = cliDeps(config, options);
  const sfn = createSfnClient({ region: options.region });
  let arn = options.execution;
  if (!arn) {
    const pairName = options.pair ?? (config.pairs.length === 1 ? config.pairs[0]?.name : undefined);
    if (!pairName) throw new InputInvalidError('report', [{ path: 'pair', message: `name a pair with -p (configured: ${config.pairs.map((p) => p.name).join(', ')}) or an execution with --execution` }]);
    if (!config.pairs.some((p) => p.name === pairName)) throw new InputInvalidError('report', [{ path: 'pair', message: `unknown pair "${pairName}" (configured: ${config.pairs.map((p) => p.name).join(', ')})` }]);
    const sm = options.stateMachineArn ?? process.env.PAN_FAILOVER_STATE_MACHINE_ARN;
    if (!sm) throw new InputInvalidError('report', [{ path: 'state-machine-arn', message: 'to find the pair\'s last flow, pass --state-machine-arn (or set PAN_FAILOVER_STATE_MACHINE_ARN), or name the flow with --execution' }]);
    arn = await lastExecutionOf(sfn, config, pairName, sm);
    if (!arn) {
      process.stderr.write(`no flow of pair ${pairName} among the state machine's recent executions\n`);
      return REPORT_EXIT.notOk;
    }
  }
  const model = await flowReport({ config, sfn, ec2: deps.ec2, dns: deps.dns, store: deps.store, now: () => Date.now() }, arn);
  const file = await writeReportFile(model, options.out ?? resolve('reports', `${model.execution?.name ?? 'flow'}.html`));
  const ok = model.verdict.status === 'consistent' && model.outcome !== 'failed';
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ reportVersion: 1, file, ...model }, null, 2)}\n`);
  } else {
    process.stdout.write(`${model.pair} ${model.action} ${model.execution?.name ?? ''}: ${model.outcome}; final state ${model.verdict.status}\nReport: ${file}\n`);
  }
  return ok ? REPORT_EXIT.ok : REPORT_EXIT.notOk;
}

export async function reportCommand(options: ReportOptions): Promise<number> {
  try {
    return await run(options);
  } catch (e) {
    if (e instanceof InputInvalidError || e instanceof ConfigInvalidError) {
      process.stderr.write(`error: ${e.message}\n`);
      return REPORT_EXIT.usage;
    }
    if (e instanceof AwsTransientError || e instanceof AwsThrottledError || e instanceof AwsAccessDeniedError) {
      process.stderr.write(`error (${e.name}): could not read AWS: ${e.message}\n`);
      return REPORT_EXIT.couldNotCheck;
    }
    throw e;
  }
}

export function registerReport(program: Command, common: (cmd: Command) => Command): void {
  common(program.command('report'))
    .description('write a self-contained HTML report of a flow: topology before and after, phase timeline, moves, verdict (read-only)')
    .option('--execution <arn>', 'the flow execution (default: the pair\'s last flow)')
    .option('-p, --pair <name>', 'the pair whose last flow to report (needs --state-machine-arn)')
    .option('--state-machine-arn <arn>', 'the deployed state machine (default: PAN_FAILOVER_STATE_MACHINE_ARN)')
    .option('-o, --out <file>', 'where to write the HTML (default: reports/<execution>.html)')
    .option('--json', 'print what the report says as JSON')
    .action(async (opts: ReportOptions) => {
      process.exitCode = await reportCommand(opts);
    });
}
