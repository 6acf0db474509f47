/**
 * The self-test's decisions, with fakes: which EC2 calls a failover and a failback make (the dry
 * runs), how each answer becomes a row (denied, unreachable, missing, could not check), the
 * verdict and its exit code, and the schedule the configuration accepts.
 */
import { describe, expect, it } from 'vitest';
import { selftestExitCode, selftestLine } from '#cli/commands/selftest.js';
import { isSelftestSchedule } from '#shared/config/schema.js';
import { AwsAccessDeniedError, AwsCallError, AwsThrottledError, AwsTransientError, InstanceStateConflictError, SecretUnavailableError } from '#shared/errors.js';
import type { Ec2Mutation, PolicyCheck } from '#shared/ports/selftest.js';
import {
  iamRecordName,
  isSelftestEvent,
  plannedMutations,
  policyChecks,
  runSelftest,
  selftestFlowAws,
  selftestHealthProbe,
  verdictOf,
  type FlowSideDeps,
  type SelftestRow,
  type VpcSideDeps,
} from '#shared/usecases/selftest.js';
import { ManualClock } from '#sim/manual-clock.js';
import { keysInSecretsManager, makeConfig, makePair } from '../support/config.js';
import { FakeFirewalls } from '../support/fake-firewalls.js';

const calls = (fn: 'flow-aws' | 'flow-control', pair = makePair()) =>
  plannedMutations(fn, pair, new Set(pair.routes.map((r) => `${r.routeTableId} ${r.destination}`))).map((m) => m.call);

describe('the EC2 calls a failover and a failback make', () => {
  it('flow-aws: start each side, every route and EIP to each side, stop each side (cold standby, fencing stop)', () => {
    const pair = makePair();
    const c = calls('flow-aws', pair);
    const a = pair.firewalls.primary;
    const b = pair.firewalls.secondary;
    expect(c).toContainEqual({ action: 'StartInstances', instanceId: b.instanceId });
    expect(c).toContainEqual({ action: 'StartInstances', instanceId: a.instanceId });
    expect(c).toContainEqual({ action: 'StopInstances', instanceId: a.instanceId });
    expect(c).toContainEqual({ action: 'StopInstances', instanceId: b.instanceId });
    for (const r of pair.routes) {
      for (const side of ['primary', 'secondary'] as const) {
        expect(c).toContainEqual({ action: 'ReplaceRoute', routeTableId: r.routeTableId, destination: r.destination, networkInterfaceId: r.targets[side] });
      }
    }
    for (const e of pair.elasticIps) {
      expect(c).toContainEqual({ action: 'AssociateAddress', allocationId: e.allocationId, networkInterfaceId: e.secondary.networkInterfaceId, privateIp: e.secondary.privateIp });
    }
    expect(c.filter((x) => x.action === 'ModifyInstanceAttribute')).toEqual([]);
    expect(new Set(c.map((x) => JSON.stringify(x))).size).toBe(c.length);
  });

  it('a route that does not exist now is created (CreateRoute), as the cutover would', () => {
    const pair = makePair();
    const [first] = pair.routes;
    const c = plannedMutations('flow-aws', pair, new Set(pair.routes.slice(1).map((r) => `${r.routeTableId} ${r.destination}`))).map((m) => m.call);
    expect(c).toContainEqual({ action: 'CreateRoute', routeTableId: first?.routeTableId, destination: first?.destination, networkInterfaceId: first?.targets.secondary });
  });

  it('fallback instance types: ModifyInstanceAttribute of the target with the first one', () => {
    const pair = makePair({ start: { fallbackInstanceTypes: ['m5.2xlarge'] } });
    expect(calls('flow-aws', pair)).toContainEqual({ action: 'ModifyInstanceAttribute', instanceId: pair.firewalls.secondary.instanceId, instanceType: 'm5.2xlarge' });
  });

  it('warm standby: the failback does not stop the secondary; fencing none: nothing is stopped', () => {
    const warm = makePair({ standbyMode: 'warm' });
    expect(calls('flow-aws', warm).filter((x) => x.action === 'StopInstances')).toEqual([{ action: 'StopInstances', instanceId: warm.firewalls.primary.instanceId }]);
    expect(calls('flow-aws', makePair({ fencing: 'none' })).filter((x) => x.action === 'StopInstances')).toEqual([]);
  });

  it('flow-control (Abort): the moves both ways and the fence, never a start', () => {
    const c = calls('flow-control');
    expect(c.filter((x) => x.action === 'StartInstances' || x.action === 'ModifyInstanceAttribute')).toEqual([]);
    expect(c.filter((x) => x.action === 'StopInstances')).toHaveLength(2);
    expect(c.filter((x) => x.action === 'AssociateAddress')).toHaveLength(2 * makePair().elasticIps.length);
  });
});

describe('policy checks: real ARNs and condition keys', () => {
  const identity = { roleArn: 'arn:aws:iam::111122223333:role/pan-failover-prod-flow-control-eu-central-1', region: 'eu-central-1', tableName: 'pan-failover-prod-state', topicArn: 'arn:aws:sns:eu-central-1:111122223333:pan-failover-prod-notifications', functionPrefix: 'pan-failover-prod' };
  it('flow-control: the table with each pair key, the DNS UPSERTs with their record names, the topic, the executions, the scheduled run', () => {
    const checks = policyChecks('flow-control', makeConfig(), identity, 'arn:aws:states:eu-central-1:111122223333:stateMachine:pan-failover-prod');
    const find = (action: string) => checks.filter((c) => c.action === action);
    expect(find('dynamodb:DeleteItem')).toEqual([{ action: 'dynamodb:DeleteItem', resource: 'arn:aws:dynamodb:eu-central-1:111122223333:table/pan-failover-prod-state', context: { 'dynamodb:LeadingKeys': ['pair#hq-egress'] } }]);
    expect(find('dynamodb:PutItem').map((c) => c.context['dynamodb:LeadingKeys'])).toEqual([['pair#hq-egress'], ['controller']]);
    const dns = find('route53:ChangeResourceRecordSets');
    expect(dns.length).toBe(makeConfig().pairs[0]?.dnsRecords.length);
    expect(dns[0]?.context['route53:ChangeResourceRecordSetsActions']).toEqual(['UPSERT']);
    expect(find('sns:Publish')).toEqual([{ action: 'sns:Publish', resource: identity.topicArn, context: {} }]);
    expect(find('states:DescribeExecution')[0]?.resource).toMatch(/^arn:aws:states:eu-central-1:111122223333:execution:pan-failover-prod:/);
    expect(find('lambda:InvokeFunction').map((c) => c.resource)).toEqual(['health-probe', 'flow-control', 'flow-aws', 'flow-firewall'].map((f) => `arn:aws:lambda:eu-central-1:111122223333:function:pan-failover-prod-${f}`));
  });
  it('flow-aws: reads the lock only, never publishes', () => {
    const checks = policyChecks('flow-aws', makeConfig(), identity, undefined);
    expect(checks.filter((c) => c.action.startsWith('dynamodb:')).map((c) => c.action)).toEqual(['dynamodb:GetItem']);
    expect(checks.some((c) => c.action.startsWith('sns:') || c.action.startsWith('lambda:'))).toBe(false);
  });
  it("Route 53's normalized record names: lower case, no final dot, octal escapes", () => {
    expect(iamRecordName('VPN.Example.com.')).toBe('vpn.example.com');
    expect(iamRecordName('*.example.com')).toBe('\\052.example.com');
  });
});

/** flow-aws's side with fakes: EC2 answers per action, IAM per action. */
function flowDeps(options: { dryRun?: (c: Ec2Mutation) => Promise<{ allowed: true } | { allowed: false; message: string }>; simulate?: (c: PolicyCheck) => Promise<{ allowed: boolean; decision: string }>; roleArn?: string } = {}): FlowSideDeps {
  const config = makeConfig();
  const pair = config.pairs[0]!;
  return {
    config,
    ec2: {
      dryRun: options.dryRun ?? (() => Promise.resolve({ allowed: true })),
      describeRouteTables: (ids: readonly string[]) => Promise.resolve(ids.map((id) => ({ routeTableId: id, vpcId: 'vpc-1', routes: pair.routes.filter((r) => r.routeTableId === id).map((r) => ({ destination: r.destination, networkInterfaceId: r.targets.primary, instanceId: undefined, gatewayId: undefined, state: 'active' as const })) }))),
    } as unknown as FlowSideDeps['ec2'],
    dns: { getRecord: () => Promise.resolve(undefined), upsertRecord: () => Promise.reject(new Error('no')), getChangeStatus: () => Promise.reject(new Error('no')) },
    store: { get: () => Promise.resolve(undefined) },
    iam: { simulate: (_role, check) => (options.simulate ?? (() => Promise.resolve({ allowed: true, decision: 'allowed' })))(check) },
    identity: { roleArn: 'roleArn' in options ? options.roleArn : 'arn:aws:iam::111122223333:role/r', region: 'eu-central-1', tableName: 't', topicArn: undefined },
  };
}
const event = { selftest: { requestedBy: 'test' } };

describe('rows from answers', () => {
  it('all allowed: every row passes', async () => {
    const rows = await selftestFlowAws(flowDeps(), event);
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.every((r) => r.result === 'pass')).toBe(true);
    expect(verdictOf(rows)).toBe('ok');
  });
  it('UnauthorizedOperation on one dry run: that row is denied, with EC2 message and the fix', async () => {
    const rows = await selftestFlowAws(flowDeps({ dryRun: (c) => Promise.resolve(c.action === 'StopInstances' ? { allowed: false, message: 'You are not authorized to perform this operation.' } : { allowed: true }) }), event);
    const denied = rows.filter((r) => r.result === 'denied');
    expect(denied.map((r) => r.check)).toEqual(['dry run ec2:StopInstances', 'dry run ec2:StopInstances']);
    expect(denied[0]?.detail).toMatch(/^UnauthorizedOperation: You are not authorized/);
    expect(verdictOf(rows)).toBe('failed');
  });
  it('IncorrectInstanceState on a dry run means the permission was granted (EC2 checks it first)', async () => {
    const rows = await selftestFlowAws(flowDeps({ dryRun: (c) => (c.action === 'StartInstances' ? Promise.reject(new InstanceStateConflictError('ec2:StartInstances', 'IncorrectInstanceState', 'IncorrectInstanceState')) : Promise.resolve({ allowed: true })) }), event);
    expect(rows.filter((r) => r.check === 'dry run ec2:StartInstances').every((r) => r.result === 'pass' && /allowed/.test(r.detail))).toBe(true);
  });
  it('an implicit deny from IAM: denied with the decision; throttled: could not check (exit 3 when nothing failed)', async () => {
    const denied = await selftestFlowAws(flowDeps({ simulate: (c) => Promise.resolve(c.action === 'dynamodb:GetItem' ? { allowed: false, decision: 'implicitDeny' } : { allowed: true, decision: 'allowed' }) }), event);
    expect(denied.filter((r) => r.result !== 'pass')).toEqual([expect.objectContaining({ check: 'simulate dynamodb:GetItem', result: 'denied', detail: expect.stringMatching(/^implicitDeny/) })]);
    const throttled = await selftestFlowAws(flowDeps({ simulate: () => Promise.reject(new AwsThrottledError('iam:SimulatePrincipalPolicy', 'throttled', 'Throttling')) }), event);
    expect(verdictOf(throttled)).toBe('incomplete');
    expect(selftestExitCode({ verdict: verdictOf(throttled) })).toBe(3);
  });
  it('a role that may not simulate its own policy: one row, not one per check', async () => {
    const rows = await selftestFlowAws(flowDeps({ simulate: () => Promise.reject(new AwsAccessDeniedError('iam:SimulatePrincipalPolicy', 'access denied', 'AccessDenied')) }), event);
    expect(rows.filter((r) => r.check.startsWith('simulate'))).toEqual([expect.objectContaining({ check: 'simulate (iam:SimulatePrincipalPolicy)', result: 'denied' })]);
  });
  it('no role ARN in the environment: could not check, with the fix', async () => {
    const rows = await selftestFlowAws(flowDeps({ roleArn: undefined }), event);
    expect(rows.filter((r) => r.result === 'unknown')).toEqual([expect.objectContaining({ detail: expect.stringMatching(/PAN_FAILOVER_ROLE_ARN/) })]);
  });
});

function vpcDeps(options: { secret?: (id: string) => Promise<string>; parameter?: (name: string) => Promise<string>; ec2Fails?: Error; inSecretsManager?: boolean }): VpcSideDeps {
  // The example keeps its keys in Parameter Store; `inSecretsManager` moves them to Secrets Manager.
  const config = options.inSecretsManager ? keysInSecretsManager() : makeConfig();
  const pair = config.pairs[0]!;
  const firewalls = new FakeFirewalls(new ManualClock(0));
  return {
    config,
    ec2: {
      describeInstances: (ids: readonly string[]) =>
        options.ec2Fails ? Promise.reject(options.ec2Fails) : Promise.resolve(ids.map((id) => ({ instanceId: id, state: id === pair.firewalls.primary.instanceId ? 'running' : 'stopped', instanceType: 'm5.xlarge', availabilityZone: undefined, launchTime: undefined, systemStatus: undefined, instanceStatus: undefined, networkInterfaces: [] }))),
    } as unknown as VpcSideDeps['ec2'],
    store: { get: () => Promise.resolve(undefined) },
    secrets: { getSecretString: options.secret ?? (() => Promise.resolve('key')), getParameterString: options.parameter ?? (() => Promise.resolve('key')) },
    firewalls,
    identity: { roleArn: undefined, region: 'eu-central-1', tableName: 't', topicArn: undefined },
  };
}

describe('the in-VPC side', () => {
  it('a stopped standby is "not checked (stopped)"; the running one is called', async () => {
    const rows = await selftestHealthProbe(vpcDeps({}));
    expect(rows.filter((r) => r.check.startsWith('firewall API')).map((r) => [r.resource.split(' ')[0], r.result, r.detail.split(' (')[0]])).toEqual([
      ['fw-a', 'pass', 'answered through the pinned TLS'],
      ['fw-b', 'not-checked', 'not checked'],
    ]);
  });
  it('EC2 without an answer from the VPC: unreachable, and the fix names the interface endpoint', async () => {
    const rows = await selftestHealthProbe(vpcDeps({ ec2Fails: new AwsTransientError('ec2:DescribeInstances', 'ETIMEDOUT', 'ETIMEDOUT') }));
    const row = rows.find((r) => r.check === 'read ec2:DescribeInstances');
    expect(row).toMatchObject({ result: 'unreachable', fix: expect.stringMatching(/interface VPC endpoint for ec2/) });
    // Without the instances' states, the firewalls are not called.
    expect(rows.filter((r) => r.check.startsWith('firewall API')).every((r) => r.result === 'not-checked')).toBe(true);
  });
  it('a secret denied on its bare name is a missing secret; a secret denied on its full ARN is a missing permission', async () => {
    const absent = (id: string) =>
      Promise.reject(new SecretUnavailableError(id, 'x', { cause: new AwsAccessDeniedError('secretsmanager:GetSecretValue', `access denied (AccessDeniedException: User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: secretsmanager:GetSecretValue on resource: ${id} because no identity-based policy allows the secretsmanager:GetSecretValue action)`, 'AccessDeniedException') }));
    const rows = await selftestHealthProbe(vpcDeps({ secret: absent, inSecretsManager: true }));
    expect(rows.filter((r) => r.check === 'read secretsmanager:GetSecretValue').map((r) => r.result)).toEqual(['missing', 'missing']);
    const wrongArn = (id: string) =>
      Promise.reject(new SecretUnavailableError(id, 'x', { cause: new AwsAccessDeniedError('secretsmanager:GetSecretValue', `access denied (AccessDeniedException: ... on resource: arn:aws:secretsmanager:eu-central-1:1:secret:${id}-AbCdEf because ...)`, 'AccessDeniedException') }));
    const rows2 = await selftestHealthProbe(vpcDeps({ secret: wrongArn, inSecretsManager: true }));
    expect(rows2.filter((r) => r.check === 'read secretsmanager:GetSecretValue').map((r) => r.result)).toEqual(['denied', 'denied']);
  });
  it('keys in Parameter Store: one ssm:GetParameter row per firewall, value never shown', async () => {
    const rows = await selftestHealthProbe(vpcDeps({ secret: () => Promise.reject(new Error('Secrets Manager must not be read')) }));
    expect(rows.filter((r) => r.check === 'read ssm:GetParameter').map((r) => [r.resource, r.result, r.detail])).toEqual([
      ["/pan-failover/fw-a/api-key (fw-a's API key)", 'pass', 'read and decrypted (value not shown)'],
      ["/pan-failover/fw-b/api-key (fw-b's API key)", 'pass', 'read and decrypted (value not shown)'],
    ]);
    expect(rows.some((r) => r.check.startsWith('read secretsmanager'))).toBe(false);
  });
  it('a missing parameter is "missing" with the put-parameter fix; a denial is a missing permission; a String parameter says to store it as SecureString', async () => {
    const notFound = (name: string) =>
      Promise.reject(new SecretUnavailableError(name, 'x', { cause: new AwsCallError('ssm:GetParameter', 'ParameterNotFound', 'ParameterNotFound') }));
    const missing = (await selftestHealthProbe(vpcDeps({ parameter: notFound }))).filter((r) => r.check === 'read ssm:GetParameter');
    expect(missing.map((r) => r.result)).toEqual(['missing', 'missing']);
    expect(missing[0]?.fix).toBe('create the SecureString parameter /pan-failover/fw-a/api-key with fw-a\'s API key (aws ssm put-parameter --type SecureString), or correct pairs[].firewalls.primary.apiKey.ssmParameter');
    const denied = (name: string) =>
      Promise.reject(new SecretUnavailableError(name, 'x', { cause: new AwsAccessDeniedError('ssm:GetParameter', 'access denied (AccessDeniedException: not authorized)', 'AccessDeniedException') }));
    expect((await selftestHealthProbe(vpcDeps({ parameter: denied }))).filter((r) => r.check === 'read ssm:GetParameter').map((r) => r.result)).toEqual(['denied', 'denied']);
    const plaintext = (name: string) => Promise.reject(new SecretUnavailableError(name, 'the parameter is of type String, not SecureString'));
    const rows = await selftestHealthProbe(vpcDeps({ parameter: plaintext }));
    const row = rows.find((r) => r.check === 'read ssm:GetParameter');
    expect(row).toMatchObject({ result: 'denied', fix: expect.stringMatching(/^store fw-a's API key as a SecureString: aws ssm put-parameter --name \/pan-failover\/fw-a\/api-key --type SecureString --overwrite/) });
    // No key, so the firewall is not called with one.
    expect(rows.find((r) => r.resource.startsWith('fw-a '))).toMatchObject({ result: 'not-checked', detail: 'not checked (no API key: see the row above)' });
  });
});

describe('the whole run', () => {
  it('a function that answers something else, or cannot be invoked, is "could not check"', async () => {
    const clock = new ManualClock(0);
    const names = { 'health-probe': 'hp', 'flow-control': 'fc', 'flow-aws': 'fa', 'flow-firewall': 'ff' } as const;
    const summary = await runSelftest(
      {
        clock,
        functionNames: names,
        invoker: {
          invoke: (name) => (name === 'hp' ? Promise.resolve({ rounds: 6 }) : name === 'fc' ? Promise.reject(new AwsTransientError('lambda:InvokeFunction', 'socket hang up', 'ECONNRESET')) : Promise.resolve({ selftest: 1, function: name === 'fa' ? 'flow-aws' : 'flow-firewall', rows: [] as SelftestRow[] })),
        },
      },
      event,
    );
    expect(summary.rows.map((r) => `${r.function} ${r.result}`)).toEqual(['health-probe unknown', 'flow-control unknown']);
    expect(summary.verdict).toBe('incomplete');
  });
  it('the self-test event is recognised only with its shape', () => {
    expect(isSelftestEvent({ selftest: { requestedBy: 'x' } })).toBe(true);
    expect(isSelftestEvent({ step: 'validate', state: {} })).toBe(false);
    expect(isSelftestEvent({ selftest: true })).toBe(false);
    expect(isSelftestEvent(null)).toBe(false);
  });
  it('status line: "selftest ok, 3 days ago"; a failure names the problems', () => {
    const now = Date.UTC(2026, 11, 7);
    expect(selftestLine({ at: now - 3 * 86_400_000, verdict: 'ok', requestedBy: 'schedule', counts: {}, problems: [] }, now)).toMatch(/^selftest ok, 3 days ago/);
    expect(selftestLine({ at: now - 7_200_000, verdict: 'failed', requestedBy: 'cli:ops', counts: {}, problems: ['flow-aws: dry run ec2:StopInstances i-1: denied'] }, now)).toMatch(/^selftest FAILED, 2 hours ago .*flow-aws: dry run ec2:StopInstances i-1: denied/);
    expect(selftestLine(undefined, now)).toMatch(/never run/);
  });
});

describe('the schedule in the configuration', () => {
  it('defaults to weekly; accepts hours, days, cron and off; refuses the rest', () => {
    expect(makeConfig().selftest.schedule).toBe('rate(7 days)');
    for (const ok of ['rate(1 day)', 'rate(7 days)', 'rate(12 hours)', 'rate(1 hour)', 'cron(0 3 ? * MON *)', 'off']) expect(isSelftestSchedule(ok), ok).toBe(true);
    for (const bad of ['rate(1 days)', 'rate(2 day)', 'rate(5 minutes)', 'rate(0 days)', 'weekly', 'cron(0 3 * *)', '']) expect(isSelftestSchedule(bad), bad).toBe(false);
  });
});
