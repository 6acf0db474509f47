/**
 * The report of a real flow: the execution as Step Functions keeps it (DescribeExecution and
 * GetExecutionHistory; every step returns the whole flow state, so the history holds each
 * readiness check's view of the boot), the pair's records in the state table (recorded owner,
 * lock, the probe's current incident), and where everything points now (the same Describe calls
 * as `pan-failover status`). Read-only.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { awsErrorCode, callAws } from '#shared/adapters/aws/errors.js';
import type { Config, PairConfig } from '#shared/config/schema.js';
import { pairConsistency } from '#shared/domain/consistency.js';
import { InputInvalidError } from '#shared/errors.js';
import type { DnsPort } from '#shared/ports/dns.js';
import type { Ec2Port } from '#shared/ports/ec2.js';
import type { LockStore, OwnerStore, ProbeStateStore } from '#shared/ports/store.js';
import { parseFlowInput } from '#shared/usecases/flow-input.js';
import { readPlacement } from '#shared/usecases/flow/cutover.js';
import type { ProbeMemory } from '#shared/usecases/probe.js';
import { buildReport, type ExecutionFacts, type HistoryItem } from './build.js';
import type { ReportModel } from './model.js';
import { dnsValueKey, observedSnapshot } from './snapshot.js';
import { duration, utc } from './time.js';

export interface AwsReportDeps {
  readonly config: Config;
  readonly sfn: SFNClient;
  readonly ec2: Ec2Port;
  readonly dns: DnsPort;
  readonly store: OwnerStore & Pick<LockStore, 'get'> & ProbeStateStore<ProbeMemory>;
  readonly now: () => number;
}

/** Execution ARNs look like arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME. */
const EXECUTION_ARN = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:[A-Za-z0-9_-]{1,80}$/;

export function checkExecutionArn(arn: string): void {
  if (!EXECUTION_ARN.test(arn)) {
    throw new InputInvalidError('--execution', [{ path: 'execution', message: `"${arn}" is not a Step Functions execution ARN (arn:aws:states:REGION:ACCOUNT:execution:STATE-MACHINE:NAME)` }]);
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function describe(sfn: SFNClient, executionArn: string): Promise<ExecutionFacts> {
  const x = await callAws({ operation: 'states:DescribeExecution', resource: executionArn }, () => sfn.send(new DescribeExecutionCommand({ executionArn })));
  return {
    name: x.name ?? executionArn.split(':').at(-1) ?? '?',
    arn: executionArn,
    status: x.status ?? 'UNKNOWN',
    startedAt: x.startDate?.getTime() ?? 0,
    endedAt: x.stopDate?.getTime(),
    input: parseJson(x.input),
    output: parseJson(x.output),
    error: x.error,
    cause: x.cause,
  };
}

function historyItem(e: HistoryEvent): HistoryItem {
  const entered = e.stateEnteredEventDetails;
  const exited = e.stateExitedEventDetails;
  return { at: e.timestamp?.getTime() ?? 0, type: e.type ?? '?', name: exited?.name ?? entered?.name, output: exited?.output ?? e.taskSucceededEventDetails?.output };
}

/** The whole history, oldest first (paged; at most `maxEvents`). */
export async function history(sfn: SFNClient, executionArn: string, maxEvents = 25_000): Promise<HistoryItem[]> {
  const items: HistoryItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await callAws({ operation: 'states:GetExecutionHistory', resource: executionArn }, () =>
      sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: true })),
    );
    items.push(...(page.events ?? []).map(historyItem));
    nextToken = page.nextToken;
  } while (nextToken && items.length < maxEvents);
  return items;
}

/**
 * The pair's newest execution: ListExecutions newest first, the first whose input names the pair
 * (a probe's, a person's or an alarm's input, read as the flow reads it). Looks at most at
 * `maxLook` executions.
 */
export async function lastExecutionOf(sfn: SFNClient, config: Config, pair: string, stateMachineArn: string, maxLook = 25): Promise<string | undefined> {
  const list = await callAws({ operation: 'states:ListExecutions', resource: stateMachineArn }, () => sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: maxLook })));
  for (const x of list.executions ?? []) {
    if (!x.executionArn) continue;
    if (x.name?.startsWith('consistency-check-')) continue;
    const facts = await describe(sfn, x.executionArn);
    try {
      if (parseFlowInput(facts.input, config).pair === pair) return x.executionArn;
    } catch {
      // Not a flow of this configuration (or bad input, which the flow rejected): skip it.
    }
  }
  return undefined;
}

async function dnsNow(deps: AwsReportDeps, pair: PairConfig): Promise<Record<string, readonly string[] | undefined>> {
  const entries = await Promise.all(
    pair.dnsRecords.map(async (r) => [dnsValueKey(r.name, r.type), (await deps.dns.getRecord(r.hostedZoneId, r.name, r.type))?.values] as const),
  );
  return Object.fromEntries(entries);
}

export async function flowReport(deps: AwsReportDeps, executionArn: string): Promise<ReportModel> {
  checkExecutionArn(executionArn);
  let execution: ExecutionFacts;
  try {
    execution = await describe(deps.sfn, executionArn);
  } catch (e) {
    if (awsErrorCode((e as { cause?: unknown }).cause) === 'ExecutionDoesNotExist' || /ExecutionDoesNotExist|Does Not Exist/.test(String(e))) {
      throw new InputInvalidError('--execution', [{ path: 'execution', message: `no such execution: ${executionArn}` }]);
    }
    throw e;
  }
  const events = await history(deps.sfn, executionArn);
  let pairName: string | undefined;
  try {
    pairName = parseFlowInput(execution.input, deps.config).pair;
  } catch (e) {
    throw new InputInvalidError('--execution', [{ path: 'execution', message: `its input names no pair of this configuration (${e instanceof Error ? e.message : String(e)})` }]);
  }
  const pair = deps.config.pairs.find((p) => p.name === pairName);
  if (!pair) throw new InputInvalidError('--execution', [{ path: 'execution', message: `unknown pair "${pairName}"` }]);

  const now = deps.now();
  const [placement, dns, record, lock, probe] = await Promise.all([
    readPlacement(deps.ec2, pair),
    dnsNow(deps, pair),
    deps.store.getOwner(pair.name),
    deps.store.get(pair.name),
    deps.store.loadProbeState(pair.name).then((v) => v.value),
  ]);
  const after = observedSnapshot(pair, placement, dns, now, `observed now${execution.endedAt !== undefined ? `, ${duration(now - execution.endedAt)} after the flow ended` : ' (the flow is still running)'}`);
  const verdictNow = pairConsistency({ pair, placement, dns: pair.dnsRecords.map((r) => dns[dnsValueKey(r.name, r.type)]), recordedOwner: record?.owner, lock, now });
  const aws = verdictNow.aws;
  const problems = verdictNow.problems.map((p) => p.text);
  const lockHeld = lock !== undefined && lock.expiresAt > now;

  const notes = [
    `state table: recorded owner ${record ? `${pair.firewalls[record.owner].name} since ${utc(record.since)} (by ${record.changedBy}: ${record.reason})` : 'none'}; lock ${lockHeld ? `held by ${lock.holder}` : 'free'}${probe?.incident ? `; the probe's current incident began ${utc(probe.incident.since)} (${probe.incident.action}, attempt ${probe.incident.attempts}, ${probe.incident.execution})` : ''}`,
  ];
  return buildReport({
    // A drill is an execution of the same state machine: the same report, with the drill's notes.
    kind: (execution.input as { action?: unknown } | undefined)?.action === 'drill' ? 'drill' : 'flow',
    config: deps.config,
    execution,
    history: events,
    generatedAt: now,
    after,
    verdict:
      verdictNow.consistent
        ? { status: 'consistent', detail: `now: everything points at ${aws === 'primary' || aws === 'secondary' ? pair.firewalls[aws].name : aws}, the recorded owner; no flow holds the lock`, problems }
        : { status: 'inconsistent', detail: 'now: see the problems below; `pan-failover status` shows the details and `pan-failover repair` converges', problems },
    notes,
  });
}
