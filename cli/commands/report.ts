/**
 * `pan-failover report`: one self-contained HTML file about one flow: `--execution ARN`, or the
 * pair's last flow on the deployed state machine. Read-only.
 *
 * Exit codes (cli/exit.ts): 0 report written and the pair is consistent now; 1 report written
 * but the flow failed or the pair is not consistent, or no flow to report; 3 AWS could not be
 * read; 64 usage or configuration error. Errors are thrown to main.ts, which prints them (one
 * line, or the `--json` envelope).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createSfnClient } from '#shared/adapters/aws/clients.js';
import { InputInvalidError } from '#shared/errors.js';
import { cliConfig, cliDeps, stateMachineArnOf, type CliOptions } from '../context.js';
import { EXIT } from '../exit.js';
import { printJson } from '../json.js';
import { jsonOption } from '../options.js';
import { flowReport, lastExecutionOf } from '../report/from-aws.js';
import { writeReportFile } from '../report/write.js';

export interface ReportOptions extends CliOptions {
  readonly execution?: string;
  readonly pair?: string;
  readonly out?: string;
  readonly json?: boolean;
}

export async function reportCommand(options: ReportOptions): Promise<number> {
  const config = await cliConfig(options);
  const deps = cliDeps(config, options);
  const sfn = createSfnClient({ region: options.region });
  let arn = options.execution;
  if (!arn) {
    const pairName = options.pair ?? (config.pairs.length === 1 ? config.pairs[0]?.name : undefined);
    if (!pairName) throw new InputInvalidError('report', [{ path: 'pair', message: `name a pair with -p (configured: ${config.pairs.map((p) => p.name).join(', ')}) or an execution with --execution` }]);
    if (!config.pairs.some((p) => p.name === pairName)) throw new InputInvalidError('report', [{ path: 'pair', message: `unknown pair "${pairName}" (configured: ${config.pairs.map((p) => p.name).join(', ')})` }]);
    const sm = await stateMachineArnOf(options, () => sfn);
    if (!sm) throw new InputInvalidError('report', [{ path: 'state-machine-arn', message: 'to find the pair\'s last flow, name the deployment with --stage (or --state-machine-arn, PAN_FAILOVER_STATE_MACHINE_ARN), or name the flow with --execution' }]);
    arn = await lastExecutionOf(sfn, config, pairName, sm);
    if (!arn) {
      process.stderr.write(`no flow of pair ${pairName} among the state machine's recent executions\n`);
      return options.json ? printJson('report', EXIT.notDone, { pair: pairName, file: null }) : EXIT.notDone;
    }
  }
  const model = await flowReport({ config, sfn, ec2: deps.ec2, dns: deps.dns, store: deps.store, now: () => Date.now() }, arn);
  const file = await writeReportFile(model, options.out ?? resolve('reports', `${model.execution?.name ?? 'flow'}.html`));
  const code = model.verdict.status === 'consistent' && model.outcome !== 'failed' ? EXIT.ok : EXIT.notDone;
  if (options.json) return printJson('report', code, { file, ...model });
  process.stdout.write(`${model.pair} ${model.action} ${model.execution?.name ?? ''}: ${model.outcome}; final state ${model.verdict.status}\nReport: ${file}\n`);
  return code;
}

export function registerReport(program: Command, common: (cmd: Command) => Command): void {
  jsonOption(common(program.command('report')))
    .description('write a self-contained HTML report of a flow: topology before and after, phase timeline, moves, verdict (read-only)')
    .option('--execution <arn>', 'the flow execution (default: the pair\'s last flow)')
    .option('-p, --pair <name>', 'the pair whose last flow to report (needs --stage or --state-machine-arn)')
    .option('--state-machine-arn <arn>', 'the deployed state machine (default: PAN_FAILOVER_STATE_MACHINE_ARN)')
    .option('-o, --out <file>', 'where to write the HTML (default: reports/<execution>.html)')
    .action(async (opts: ReportOptions) => {
      process.exitCode = await reportCommand(opts);
    });
}
