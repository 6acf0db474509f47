/**
 * The CloudFormation template `npm run package` produces (osls, serverless-step-functions,
 * serverless.yml, infra/), read as CloudFormation will read it: invocation settings and timeouts
 * that cannot run a step twice at once, for every task of the state machine.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUTOVER_RESERVE_MS } from '#shared/usecases/flow/cutover.js';
import { RETURN_RESERVE_MS } from '#shared/runtime/step-handler.js';
import { loadConfigFile } from '#shared/config/load.js';
import { FUNCTIONS } from '../../infra/deployment.js';
import { oslsInFreshCheckout, packageTemplate, type PackagedTemplate } from '../support/package-template.js';

const EXAMPLE = new URL('../../examples/hq-egress.yaml', import.meta.url).pathname;

let packaged: Awaited<ReturnType<typeof packageTemplate>> | undefined;
beforeAll(async () => {
  packaged = await packageTemplate(EXAMPLE, 'ci');
}, 300_000);
afterAll(() => packaged?.dispose());

function template(): PackagedTemplate {
  if (!packaged) throw new Error('not packaged');
  return packaged.template;
}

const ofType = (type: string) => Object.entries(template().Resources).filter(([, r]) => r.Type === type);

interface Task {
  readonly name: string;
  readonly fn: string;
  readonly timeout: number;
  readonly retry: readonly { ErrorEquals: readonly string[] }[];
}

/** A state machine's tasks (default: the failover flow's), each with the logical id of the function it invokes. */
function tasks(logicalId = 'FailoverStateMachine'): Task[] {
  const sm = template().Resources[logicalId];
  const [text, vars] = (sm?.Properties.DefinitionString as { 'Fn::Sub': [string, Record<string, { 'Fn::GetAtt': [string, string] }>] })['Fn::Sub'];
  const resolved = text.replace(/\$\{(\w+)\}/g, (m, v: string) => vars[v]?.['Fn::GetAtt'][0] ?? m);
  const def = JSON.parse(resolved) as { States: Record<string, { Type: string; Resource?: string; TimeoutSeconds?: number; Retry?: Task['retry'] }> };
  return Object.entries(def.States)
    .filter(([, s]) => s.Type === 'Task')
    .map(([name, s]) => ({ name, fn: String(s.Resource), timeout: s.TimeoutSeconds ?? 60, retry: s.Retry ?? [] }));
}

function lambda(logicalId: string): { Timeout: number; ReservedConcurrentExecutions?: number; FunctionName: string } {
  const r = template().Resources[logicalId];
  if (r?.Type !== 'AWS::Lambda::Function') throw new Error(`${logicalId} is not a function`);
  return r.Properties as { Timeout: number; ReservedConcurrentExecutions?: number; FunctionName: string };
}

/** The margin a task's timeout keeps over its function's: 10 s, or a tenth of the task's time if more. */
const margin = (taskTimeout: number) => Math.max(10, Math.ceil(taskTimeout / 10));

describe('packaged template: timeouts and invocation settings', () => {
  it("every task's function times out before the task does, with a margin, and its own bound ends before that", () => {
    const all = tasks();
    expect(all.length).toBeGreaterThan(15);
    for (const t of all) {
      const fn = lambda(t.fn);
      expect(fn.Timeout + margin(t.timeout), `${t.name} (${t.fn}: ${fn.Timeout} s, task ${t.timeout} s)`).toBeLessThanOrEqual(t.timeout);
      // The step's own deadline (the function's remaining time less the return reserve) is real time.
      expect(RETURN_RESERVE_MS, t.fn).toBeLessThan(fn.Timeout * 1000 / 4);
      // A retry after a timeout covers the function's own timeout as well as the task's.
      for (const r of t.retry.filter((x) => x.ErrorEquals.includes('States.Timeout'))) expect(r.ErrorEquals, t.name).toContain('Sandbox.Timedout');
    }
    const cutover = all.find((t) => t.name === 'Cutover');
    if (!cutover) throw new Error('no Cutover task');
    // The cutover keeps time for a rollback and the verification inside its invocation.
    expect(CUTOVER_RESERVE_MS + RETURN_RESERVE_MS).toBeLessThan(lambda(cutover.fn).Timeout * 1000 / 2);
  });

  it('the probe loop: an Express state machine EventBridge starts once a minute, which alone invokes the probe (once per round), logs its failed executions, and times out each round after the probe does', () => {
    const loop = template().Resources.ProbeLoopStateMachine;
    expect(loop?.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(loop?.Properties.StateMachineType).toBe('EXPRESS');
    expect(loop?.Properties.LoggingConfiguration).toEqual({
      Level: 'ERROR',
      IncludeExecutionData: false,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['ProbeLoopLogGroup', 'Arn'] } } }],
    });
    const rules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression === 'rate(1 minute)');
    expect(rules).toHaveLength(1);
    const targets = (rules[0]?.[1].Properties.Targets ?? []) as { Arn: unknown }[];
    expect(targets.map((t) => JSON.stringify(t.Arn))).toEqual([JSON.stringify({ Ref: 'ProbeLoopStateMachine' })]);
    // Nothing else invokes the probe on a schedule: no Lambda permission for EventBridge on it.
    const permissions = ofType('AWS::Lambda::Permission').filter(([, r]) => JSON.stringify(r.Properties.FunctionName).includes('HealthProbeLambdaFunction'));
    expect(permissions).toEqual([]);
    const [round] = tasks('ProbeLoopStateMachine');
    expect(round?.fn).toBe('HealthProbeLambdaFunction');
    const probe = lambda('HealthProbeLambdaFunction');
    expect(probe.Timeout + margin(round?.timeout ?? 0)).toBeLessThanOrEqual(round?.timeout ?? 0);
    // The loop's role may invoke the probe and nothing else.
    const roleId = JSON.stringify(loop?.Properties.RoleArn).match(/"Fn::GetAtt":\["(\w+)","Arn"\]/)?.[1];
    const policies = ((roleId ? template().Resources[roleId]?.Properties.Policies : []) ?? []) as { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } }[];
    const invoke = policies.flatMap((p) => p.PolicyDocument.Statement).filter((st) => [st.Action].flat().includes('lambda:InvokeFunction'));
    expect(JSON.stringify(invoke)).toContain('HealthProbeLambdaFunction');
    for (const other of ['FlowControlLambdaFunction', 'FlowAwsLambdaFunction', 'FlowFirewallLambdaFunction']) expect(JSON.stringify(invoke)).not.toContain(other);
  });

  it('the probe: no asynchronous retry, the shortest event age, a timeout that lets at most two invocations overlap', () => {
    const probe = lambda('HealthProbeLambdaFunction');
    const configs = ofType('AWS::Lambda::EventInvokeConfig').map(([, r]) => r.Properties);
    expect(configs).toHaveLength(1);
    const config = configs[0] as { FunctionName: unknown; MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number; Qualifier: string };
    expect(JSON.stringify(config.FunctionName)).toContain('HealthProbeLambdaFunction');
    expect(config.MaximumRetryAttempts).toBe(0);
    expect(config.MaximumEventAgeInSeconds).toBe(60);
    expect(probe.Timeout).toBeLessThan(120);
    expect(probe.ReservedConcurrentExecutions).toBe(2);
    // Sized by the deployment for the example's one pair (infra/deployment.ts probeMemoryFor).
    expect((probe as { MemorySize?: unknown }).MemorySize).toBe(160);
  });

  it('every flow function has reserved concurrency: one flow per pair and the triggers that race it', async () => {
    const config = await loadConfigFile(EXAMPLE);
    for (const id of new Set(tasks().map((t) => t.fn))) {
      expect(lambda(id).ReservedConcurrentExecutions, id).toBe(config.pairs.length + 2);
    }
  });
});

describe('the function zips', () => {
  it("each carries its bundle, the bundle's source map (stack traces name the .ts sources: bundle-source-maps.test.ts) and the configuration, and nothing of another function", () => {
    if (!packaged) throw new Error('not packaged');
    const dir = packaged.dir;
    const functions = ofType('AWS::Lambda::Function');
    expect(functions).toHaveLength(4);
    for (const [id, r] of functions) {
      const key = String((r.Properties.Code as { S3Key: unknown }).S3Key);
      const zip = readFileSync(join(dir, '.serverless', basename(key)));
      // Entry names are stored as plain bytes in a zip's headers.
      const names = (fn: string) => [`dist/functions/${fn}/index.mjs`, `dist/functions/${fn}/index.mjs.map`];
      const own = Object.values(FUNCTIONS).find((f) => zip.includes(Buffer.from(`dist/functions/${f.dir}/index.mjs`)));
      if (!own) throw new Error(`${id}: no bundle in ${key}`);
      for (const name of [...names(own.dir), 'dist/deploy/pan-failover.json']) expect(zip.includes(Buffer.from(name)), `${id}: ${name}`).toBe(true);
      for (const other of Object.values(FUNCTIONS).filter((f) => f !== own)) expect(zip.includes(Buffer.from(`dist/functions/${other.dir}/`)), `${id}: ${other.dir}`).toBe(false);
    }
  });
});

describe("the API keys' permissions in the packaged template (the example keeps its keys in Parameter Store, ADR 0010)", () => {
  /** Every statement of every IAM role and managed policy, with the logical id that holds it. */
  const statements = () =>
    Object.entries(template().Resources).flatMap(([id, r]) => {
      const docs = [...((r.Properties.Policies as { PolicyDocument: { Statement: unknown[] } }[] | undefined) ?? []).map((p) => p.PolicyDocument), ...(r.Properties.PolicyDocument ? [r.Properties.PolicyDocument as { Statement: unknown[] }] : [])];
      return docs.flatMap((d) => (d.Statement as { Action: string | string[]; Resource: unknown }[]).map((st) => ({ id, actions: ([] as string[]).concat(st.Action), resources: ([] as unknown[]).concat(st.Resource) })));
    });

  it('ssm:GetParameter on exactly the two parameters, for the probe and flow-firewall roles only; no Secrets Manager or KMS action anywhere', () => {
    const reads = statements().filter((s) => s.actions.some((a) => a.startsWith('ssm:')));
    expect(reads.map((s) => s.id).sort()).toEqual(['FlowFirewallRole', 'HealthProbeRole']);
    for (const s of reads) {
      expect(s.actions).toEqual(['ssm:GetParameter']);
      expect(s.resources).toEqual([
        { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/pan-failover/fw-a/api-key' },
        { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/pan-failover/fw-b/api-key' },
      ]);
    }
    expect(statements().filter((s) => s.actions.some((a) => /^(secretsmanager|kms):/.test(a)))).toEqual([]);
  });
});

describe('lifecycle from a fresh checkout (offline: what osls resolves before it calls AWS)', () => {
  it('`osls remove` needs only prepare-deploy first (docs/deployment.md): without it osls cannot name the stack; with it, stage and region resolve', async () => {
    const bare = await oslsInFreshCheckout(['print', '--format', 'json']);
    expect(bare.status).not.toBe(0);
    expect(bare.output).toMatch(/Cannot resolve variable at "custom\.deploy"|custom\.deploy/);
    const prepared = await oslsInFreshCheckout(['print', '--format', 'json'], { configFile: EXAMPLE, stage: 'prod' });
    expect(prepared.status, prepared.output).toBe(0);
    const printed = JSON.parse(prepared.output.slice(prepared.output.indexOf('{'), prepared.output.lastIndexOf('}') + 1)) as { provider: { stage: string; region: string }; service: string };
    expect(printed.service).toBe('pan-failover');
    expect(printed.provider).toMatchObject({ stage: 'prod', region: 'eu-central-1' });
  }, 300_000);
});
