/**
 * `pan-failover selftest` against a `wire` simulator: the CLI invokes each simulated function
 * through Lambda's Invoke; each one, as its own role, dry-runs the EC2 calls of a failover and a
 * failback, simulates its other calls with iam:SimulatePrincipalPolicy, reads what it needs and
 * calls the running firewalls. Nothing changes, nobody is notified. Each injected gap (a policy
 * without one action, a service the in-VPC function cannot reach, a missing API key) fails with
 * the row that names it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { selftestCommand } from '#cli/commands/selftest.js';
import { statusCommand } from '#cli/commands/status.js';
import type { SelftestRow } from '#shared/usecases/selftest.js';
import type { NamedPolicy } from '#sim/world/iam.js';
import type { FunctionKey } from '../../infra/deployment.js';
import { createLambdaClient } from '#shared/adapters/aws/clients.js';
import { createFunctionInvoker } from '#shared/adapters/aws/selftest.js';
import { simulatedDeployment } from '#sim/iam/deployed-roles.js';
import { captureOutput, changesSince, lastSeq, startCliSim, type CliSim } from '../support/cli-sim.js';
import { keysInSecretsManager } from '../support/config.js';

let sim: CliSim | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await sim?.close();
  sim = undefined;
});

interface Envelope {
  schemaVersion: number;
  command: string;
  exitCode: number;
  result: { verdict: string; rows: SelftestRow[]; counts: Record<string, number>; stored: boolean };
}

async function selftest(s: CliSim): Promise<{ code: number; doc: Envelope }> {
  const { result, stdout } = await captureOutput(() => selftestCommand({ config: s.configPath, stage: 'sim', stateMachineArn: s.system.stateMachineArn, json: true }));
  return { code: result, doc: JSON.parse(stdout) as Envelope };
}

/** The generated policies of `fn` without `action` (one action removed, everything else as generated). */
function without(target: FunctionKey, action: string) {
  return (fn: FunctionKey, generated: readonly NamedPolicy[]): readonly NamedPolicy[] =>
    fn !== target
      ? generated
      : generated.map((p) => ({
          ...p,
          document: {
            ...p.document,
            Statement: p.document.Statement.flatMap((st) => {
              const actions = ([] as string[]).concat(st.Action as string | string[]);
              if (!actions.includes(action)) return [st];
              const rest = actions.filter((a) => a !== action);
              return rest.length === 0 ? [] : [{ ...st, Action: rest }];
            }),
          },
        }));
}

const failing = (doc: Envelope) => doc.result.rows.filter((r) => r.result !== 'pass' && r.result !== 'not-checked');

describe('selftest on the example deployment', () => {
  it('passes, changes nothing, notifies nobody, and status shows it', async () => {
    sim = await startCliSim();
    const before = lastSeq(sim.system.world);
    const { code, doc } = await selftest(sim);
    expect(failing(doc)).toEqual([]);
    expect(code).toBe(0);
    expect(doc).toMatchObject({ schemaVersion: 1, command: 'selftest', exitCode: 0, result: { verdict: 'ok', stored: true } });
    const rows = doc.result.rows;
    // Every function answered, as itself.
    expect(new Set(rows.map((r) => r.function))).toEqual(new Set(['health-probe', 'flow-control', 'flow-aws', 'flow-firewall']));
    // flow-aws dry-runs the start, the moves both ways and the fence of a failover and a failback.
    const dry = (fn: string) => rows.filter((r) => r.function === fn && r.check.startsWith('dry run')).map((r) => `${r.check} ${r.resource}`);
    expect(dry('flow-aws')).toEqual(expect.arrayContaining([
      'dry run ec2:StartInstances i-0a1b2c3d4e5f60002',
      'dry run ec2:StartInstances i-0a1b2c3d4e5f60001',
      'dry run ec2:StopInstances i-0a1b2c3d4e5f60001',
      'dry run ec2:StopInstances i-0a1b2c3d4e5f60002',
      'dry run ec2:ReplaceRoute rtb-0aa00000000000001 0.0.0.0/0 -> eni-0b000000000000011',
      'dry run ec2:AssociateAddress eipalloc-0e000000000000001 -> eni-0b000000000000012 (10.20.1.10)',
    ]));
    expect(rows.filter((r) => r.function === 'flow-aws' && r.check === 'simulate route53:ChangeResourceRecordSets')).toHaveLength(1);
    expect(rows.filter((r) => r.function === 'flow-control' && /^simulate (sns:Publish|dynamodb:PutItem|dynamodb:DeleteItem|states:DescribeExecution|lambda:InvokeFunction)$/.test(r.check)).length).toBeGreaterThanOrEqual(8);
    // The in-VPC functions read each key and call the running firewall; the stopped standby is not checked.
    for (const fn of ['health-probe', 'flow-firewall']) {
      expect(rows.filter((r) => r.function === fn && r.check === 'read ssm:GetParameter').map((r) => r.result)).toEqual(['pass', 'pass']);
      expect(rows.filter((r) => r.function === fn && r.check.startsWith('read secretsmanager'))).toEqual([]);
      expect(rows.find((r) => r.function === fn && r.check.startsWith('firewall API') && r.resource.startsWith('fw-a'))?.result).toBe('pass');
      expect(rows.find((r) => r.function === fn && r.check.startsWith('firewall API') && r.resource.startsWith('fw-b'))).toMatchObject({ result: 'not-checked', detail: 'not checked (stopped)' });
    }
    // Nothing changed but the self-test's own record, and nothing was published.
    const changes = changesSince(sim.system.world, before);
    expect(changes.filter((e) => !(e.type === 'dynamodb.item.put' && JSON.stringify(e.data ?? {}).includes('controller')))).toEqual([]);
    expect(sim.system.world.sns.messages()).toEqual([]);
    const status = await captureOutput(() => statusCommand({ config: sim!.configPath }));
    expect(status.stdout).toMatch(/selftest ok, \d+ seconds ago \(.*cli:/);
  });

  it('prints one table (function, check, resource, result, how to fix) and exits 0', async () => {
    sim = await startCliSim();
    const { result, stdout } = await captureOutput(() => selftestCommand({ config: sim!.configPath, stage: 'sim', stateMachineArn: sim!.system.stateMachineArn }));
    expect(result).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^function\s+check\s+resource\s+result\s+how to fix$/);
    expect(stdout).toMatch(/\nselftest ok: \d+ checks passed, 2 not checked \(stopped firewalls\); nothing was changed\n$/);
  });
});

describe('selftest names each gap', () => {
  it('a policy without ec2:AssociateAddress (flow-aws): the dry runs of the Elastic IP moves are denied', async () => {
    sim = await startCliSim({ iam: { policies: without('flowAws', 'ec2:AssociateAddress'), expectDenials: true } });
    const { code, doc } = await selftest(sim);
    expect(code).toBe(1);
    const bad = failing(doc);
    expect(bad.length).toBe(4);
    for (const r of bad) {
      expect(r).toMatchObject({ function: 'flow-aws', check: 'dry run ec2:AssociateAddress', result: 'denied' });
      expect(r.detail).toMatch(/UnauthorizedOperation: .*ec2:AssociateAddress/);
      expect(r.fix).toMatch(/redeploy/);
    }
  });

  it('a policy without sns:Publish (flow-control): the simulation of the publish is denied', async () => {
    sim = await startCliSim({ iam: { policies: without('flowControl', 'sns:Publish'), expectDenials: true } });
    const { code, doc } = await selftest(sim);
    expect(code).toBe(1);
    expect(failing(doc)).toEqual([
      expect.objectContaining({ function: 'flow-control', check: 'simulate sns:Publish', resource: sim.system.topicArn, result: 'denied', detail: expect.stringMatching(/implicitDeny/) }),
    ]);
  });

  it('Parameter Store unreachable from the probe (no VPC endpoint): its key reads are unreachable, with the endpoint to add', async () => {
    sim = await startCliSim({ awsFaults: { unreachableFrom: { 'health-probe': ['ssm:*'] } } });
    const { code, doc } = await selftest(sim);
    expect(code).toBe(1);
    const bad = failing(doc);
    expect(bad.map((r) => `${r.function} ${r.check} ${r.resource} ${r.result}`)).toEqual([
      "health-probe read ssm:GetParameter /pan-failover/fw-a/api-key (fw-a's API key) unreachable",
      "health-probe read ssm:GetParameter /pan-failover/fw-b/api-key (fw-b's API key) unreachable",
    ]);
    expect(bad[0]?.fix).toMatch(/interface VPC endpoint for ssm \(com\.amazonaws\.<region>\.ssm\)/);
    // flow-firewall, in other subnets' luck here, still reads its keys.
    expect(doc.result.rows.filter((r) => r.function === 'flow-firewall' && r.check === 'read ssm:GetParameter').map((r) => r.result)).toEqual(['pass', 'pass']);
  });

  it("a missing API key (fw-b's parameter deleted): both in-VPC functions name it, with the put-parameter fix", async () => {
    sim = await startCliSim();
    sim.system.world.parameters.remove('/pan-failover/fw-b/api-key');
    const { code, doc } = await selftest(sim);
    expect(code).toBe(1);
    const bad = failing(doc);
    expect(bad.map((r) => `${r.function} ${r.check} ${r.resource} ${r.result}`)).toEqual([
      "health-probe read ssm:GetParameter /pan-failover/fw-b/api-key (fw-b's API key) missing",
      "flow-firewall read ssm:GetParameter /pan-failover/fw-b/api-key (fw-b's API key) missing",
    ]);
    expect(bad[0]?.fix).toMatch(/^create the SecureString parameter \/pan-failover\/fw-b\/api-key with fw-b's API key \(aws ssm put-parameter --type SecureString\)/);
  });

  it("keys in Secrets Manager, fw-b's secret deleted: both in-VPC functions name it", async () => {
    sim = await startCliSim({ config: keysInSecretsManager(), iam: { expectDenials: true } });
    sim.system.world.secrets.remove('pan-failover/fw-b/api-key');
    const { code, doc } = await selftest(sim);
    expect(code).toBe(1);
    const bad = failing(doc);
    expect(bad.map((r) => `${r.function} ${r.check} ${r.resource} ${r.result}`)).toEqual([
      "health-probe read secretsmanager:GetSecretValue pan-failover/fw-b/api-key (fw-b's API key) missing",
      "flow-firewall read secretsmanager:GetSecretValue pan-failover/fw-b/api-key (fw-b's API key) missing",
    ]);
    expect(bad[0]?.fix).toMatch(/create the secret pan-failover\/fw-b\/api-key/);
  });

  it('a deployment the CLI cannot find (wrong stage): every function could not be checked, exit 3', async () => {
    sim = await startCliSim();
    const { result, stdout } = await captureOutput(() => selftestCommand({ config: sim!.configPath, stage: 'nope', json: true }));
    expect(result).toBe(3);
    const doc = JSON.parse(stdout) as Envelope;
    expect(doc.result.rows.map((r) => `${r.function} ${r.check} ${r.result}`)).toEqual([
      'health-probe invoke unknown',
      'flow-control invoke unknown',
      'flow-aws invoke unknown',
      'flow-firewall invoke unknown',
    ]);
    expect(doc.result.rows[0]?.fix).toMatch(/--stage/);
  });
});

describe('selftest usage', () => {
  it('a bad --stage is a usage error (exit 64 through main), nothing invoked', async () => {
    sim = await startCliSim();
    const before = sim.system.aws?.requestCounts()['lambda:Invoke'] ?? 0;
    await expect(selftestCommand({ config: sim.configPath, stage: 'Prod!' })).rejects.toMatchObject({ name: 'UsageError', exitCode: 64 });
    expect(sim.system.aws?.requestCounts()['lambda:Invoke'] ?? 0).toBe(before);
  });

  it('status before any self-test says so (and --json has selftest: null)', async () => {
    sim = await startCliSim();
    const text = await captureOutput(() => statusCommand({ config: sim!.configPath }));
    expect(text.stdout).toMatch(/selftest: never run \(run `pan-failover selftest` after every deployment\)/);
    const json = await captureOutput(() => statusCommand({ config: sim!.configPath, json: true }));
    expect((JSON.parse(json.stdout) as { result: { selftest: unknown } }).result.selftest).toBeNull();
  });
});

describe('the scheduled run (EventBridge -> flow-control)', () => {
  /** The generated alarm, defined in the simulated CloudWatch as CloudFormation would. */
  function defineAlarm(s: CliSim) {
    const d = simulatedDeployment(s.system.config);
    const p = (d.resources.SelftestFailedAlarm as { Properties: Record<string, unknown> }).Properties;
    // Less Powertools' own `service` dimension, which the simulator's telemetry does not add.
    const dims = Object.fromEntries((p.Dimensions as { Name: string; Value: string }[]).filter((x) => x.Name !== 'service').map((x) => [x.Name, x.Value]));
    s.system.world.cloudwatch.defineAlarm({
      name: String(p.AlarmName),
      namespace: String(p.Namespace),
      metric: String(p.MetricName),
      dimensions: dims,
      statistic: 'Maximum',
      periodSeconds: Number(p.Period),
      evaluationPeriods: Number(p.EvaluationPeriods),
      threshold: Number(p.Threshold),
      comparison: p.ComparisonOperator as 'GreaterThanOrEqualToThreshold',
      treatMissingData: p.TreatMissingData as 'ignore',
    });
    return String(p.AlarmName);
  }
  const scheduled = (s: CliSim) => {
    const d = simulatedDeployment(s.system.config);
    const input = JSON.parse(((d.resources.SelftestScheduleRule as { Properties: { Targets: { Input: { 'Fn::Sub': [string] } }[] } }).Properties.Targets[0]?.Input['Fn::Sub'][0] ?? '{}').replace('${StateMachine}', s.system.stateMachineArn)) as unknown;
    return createFunctionInvoker(createLambdaClient()).invoke(d.names.functions.flowControl, input) as Promise<{ verdict: string; rows: SelftestRow[] }>;
  };

  it('flow-control invokes the four functions as its role, stores the result and writes SelftestFailed 0; the alarm stays quiet', async () => {
    sim = await startCliSim();
    const alarm = defineAlarm(sim);
    const out = await scheduled(sim);
    expect(out.rows.filter((r) => r.result !== 'pass' && r.result !== 'not-checked')).toEqual([]);
    expect(out.verdict).toBe('ok');
    const status = await captureOutput(() => statusCommand({ config: sim!.configPath }));
    expect(status.stdout).toMatch(/selftest ok, .* ago \(.*, schedule\)/);
    await sim.system.clock.sleep(330_000);
    expect(sim.system.world.cloudwatch.evaluateAlarm(alarm)).not.toBe('ALARM');
    expect(sim.system.world.sns.messages()).toEqual([]);
  });

  it('a gap: SelftestFailed 1, the alarm goes to ALARM, status names the problem', async () => {
    sim = await startCliSim({ iam: { policies: without('flowAws', 'ec2:StopInstances'), expectDenials: true } });
    const alarm = defineAlarm(sim);
    const out = await scheduled(sim);
    expect(out.verdict).toBe('failed');
    await sim.system.clock.sleep(330_000);
    expect(sim.system.world.cloudwatch.evaluateAlarm(alarm)).toBe('ALARM');
    const status = await captureOutput(() => statusCommand({ config: sim!.configPath }));
    expect(status.stdout).toMatch(/selftest FAILED, .*schedule\): flow-aws: dry run ec2:StopInstances i-0a1b2c3d4e5f6000\d: denied/);
  });
});
