/**
 * The configuration-dependent half of the stack (infra/deployment.ts) and its agreement with
 * serverless.yml, the state machine and the flow's trigger parsing. That the roles allow what the
 * functions really call is shown by tests/e2e/deployed-bundles.test.ts.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '#shared/config/load.js';
import { ConfigInvalidError } from '#shared/errors.js';
import { parseFlowInput } from '#shared/usecases/flow-input.js';
import {
  deployment,
  EVENT_PATTERN_LIMIT,
  FUNCTIONS,
  LOGICAL,
  normalizedRecordName,
  secretResource,
  triggerPattern,
  type FunctionKey,
  type Statement,
} from '../../infra/deployment.js';
import { exampleRaw, makeConfig } from '../support/config.js';
import { manyPairConfig } from '../support/many-pairs.js';
import { twoPairConfig } from '../support/two-pairs.js';

const config = makeConfig();
const d = deployment(config, { stage: 'prod' });
const KEYS = Object.keys(FUNCTIONS) as FunctionKey[];
const actions = (fn: FunctionKey) => d.permissions[fn].flatMap((s) => s.Action);
const statementWith = (fn: FunctionKey, action: string): Statement | undefined => d.permissions[fn].find((s) => s.Action.includes(action));
const subs = (resource: unknown): string[] =>
  (Array.isArray(resource) ? resource : [resource]).map((r) => (typeof r === 'string' ? r : String((r as { 'Fn::Sub': string })['Fn::Sub'])));

describe('deployment: names, region, VPC', () => {
  it('names every resource after the stage and takes the region from the firewalls', () => {
    expect(d.stage).toBe('prod');
    expect(d.region).toBe('eu-central-1');
    expect(d.names.functions.healthProbe).toBe('pan-failover-prod-health-probe');
    expect(d.names.stateMachine).toBe('pan-failover-prod');
    expect(d.names.table).toBe('pan-failover-prod-state');
    // IAM role and dashboard names are account-wide: they carry the region.
    expect(d.names.roles.flowAws).toBe('pan-failover-prod-flow-aws-eu-central-1');
    expect(d.names.dashboard).toBe('pan-failover-prod-eu-central-1');
    expect(d.vpc).toEqual({ subnetIds: ['subnet-0c000000000000001', 'subnet-0c000000000000002'], securityGroupIds: ['sg-0d000000000000001'] });
  });

  it('refuses a configuration without a deployment section, firewalls in two regions, or a bad stage, naming what is wrong', () => {
    const raw = exampleRaw() as Record<string, unknown>;
    delete raw.deployment;
    expect(() => deployment(validateConfig(raw))).toThrow(ConfigInvalidError);
    expect(() => deployment(validateConfig(raw))).toThrow(/deployment: is required/);

    const twoRegions = exampleRaw();
    const fw = (twoRegions.pairs[0] as { firewalls: { secondary: { availabilityZone: string } } }).firewalls.secondary;
    fw.availabilityZone = 'eu-west-1a';
    expect(() => deployment(validateConfig(twoRegions))).toThrow(/several regions \(eu-central-1, eu-west-1\)/);

    expect(() => deployment(config, { stage: 'Prod_1' })).toThrow(/stage: "Prod_1" must be/);
  });

  it('refuses a malformed deployment section with the field path', () => {
    const raw = exampleRaw() as Record<string, unknown>;
    raw.deployment = { subnetIds: ['subnet-0c000000000000001', 'subnet-0c000000000000001'], securityGroupIds: ['sg-x'], notifyEmails: ['not-mail'], extra: 1 };
    let message = '';
    try {
      validateConfig(raw);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/deployment\.securityGroupIds\[0\]: must be a security group id/);
    expect(message).toMatch(/deployment\.notifyEmails\[0\]: must be an e-mail address/);
    expect(message).toMatch(/deployment: unknown key "extra"/);
    raw.deployment = { subnetIds: ['subnet-0c000000000000001', 'subnet-0c000000000000001'], securityGroupIds: ['sg-0d000000000000001'] };
    expect(() => validateConfig(raw)).toThrow(/deployment\.subnetIds\[1\]: "subnet-0c000000000000001" is listed twice/);
  });
});

describe('deployment: least-privilege roles', () => {
  it('gives the probe read access to EC2 and no way to change routes, addresses, instances or DNS', () => {
    const probe = actions('healthProbe');
    // The example keeps its API keys in Parameter Store (ADR 0010): no Secrets Manager action at all.
    expect(probe).toEqual(expect.arrayContaining(['ec2:DescribeInstances', 'ec2:DescribeInstanceStatus', 'states:StartExecution', 'ssm:GetParameter']));
    expect(probe).not.toContain('secretsmanager:GetSecretValue');
    for (const a of ['ec2:ReplaceRoute', 'ec2:CreateRoute', 'ec2:AssociateAddress', 'ec2:StartInstances', 'ec2:StopInstances', 'route53:ChangeResourceRecordSets', 'dynamodb:DeleteItem']) {
      expect(probe, a).not.toContain(a);
    }
    // The flow's firewall checks read; they change nothing in AWS.
    expect(actions('flowFirewall').filter((a) => !a.startsWith('ec2:Describe') && !/NetworkInterface|PrivateIp|logs:|xray:/.test(a))).toEqual([
      'dynamodb:GetItem',
      'ssm:GetParameter',
    ]);
  });

  it('scopes every change to the configured route tables, Elastic IPs, ENIs, instances and record names', () => {
    const routes = statementWith('flowAws', 'ec2:ReplaceRoute');
    expect(subs(routes?.Resource).sort()).toEqual([
      'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:route-table/rtb-0aa00000000000001',
      'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:route-table/rtb-0aa00000000000002',
    ]);
    const eips = subs(statementWith('flowAws', 'ec2:AssociateAddress')?.Resource);
    expect(eips.filter((r) => r.includes('elastic-ip/'))).toHaveLength(2);
    expect(eips.filter((r) => r.includes('network-interface/')).sort()).toEqual([
      'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:network-interface/eni-0a000000000000012',
      'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:network-interface/eni-0b000000000000012',
    ]);
    expect(subs(statementWith('flowAws', 'ec2:StartInstances')?.Resource).filter((r) => r.includes(':instance/'))).toHaveLength(2);
    const dns = statementWith('flowAws', 'route53:ChangeResourceRecordSets');
    expect(subs(dns?.Resource)).toEqual(['arn:${AWS::Partition}:route53:::hostedzone/Z0123456789ABCDEFGHIJ']);
    expect(dns?.Condition).toEqual({
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['gp.example.com'],
        'route53:ChangeResourceRecordSetsRecordTypes': ['A'],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    });
    // Route 53 compares names lower case, without the final dot, other characters in octal.
    expect(normalizedRecordName('*.VPN.example.com.')).toBe('\\052.vpn.example.com');
    // The state table: only the configured pairs' items (and the self-test's own result item, tests/unit/deployment-selftest.test.ts).
    const puts = d.permissions.flowControl.filter((s) => s.Action.includes('dynamodb:PutItem'));
    expect(puts.map((s) => s.Condition)).toEqual([
      { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['controller'] } },
      { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['pair#hq-egress'] } },
    ]);
    // Every Describe is the only kind of statement on "*" besides what VPC attachment and X-Ray require.
    for (const fn of KEYS) {
      for (const s of d.permissions[fn].filter((st) => st.Resource === '*')) {
        expect(s.Action.every((a) => /^ec2:Describe|NetworkInterface|PrivateIpAddresses|^xray:/.test(a)), `${fn} ${s.Sid}`).toBe(true);
      }
    }
  });

  it('grants ModifyInstanceAttribute only for pairs with fallback instance types, on their instances, for the instance type attribute set to a listed type', () => {
    expect(Object.values(d.permissions).flat().flatMap((s) => s.Action)).not.toContain('ec2:ModifyInstanceAttribute');
    const config2 = twoPairConfig();
    const withFallback = validateConfig({
      ...exampleRaw(),
      pairs: config2.pairs.map((p, i) => (i === 1 ? { ...p, start: { ...p.start, fallbackInstanceTypes: ['m5n.2xlarge', 'm5.2xlarge'] } } : p)),
    });
    const d2 = deployment(withFallback, { stage: 'prod' });
    const modify = Object.entries(d2.permissions).flatMap(([fn, st]) => st.filter((s) => s.Action.includes('ec2:ModifyInstanceAttribute')).map((s) => ({ fn, s })));
    expect(modify.map((m) => m.fn)).toEqual(['flowAws']);
    const statement = modify[0]?.s;
    expect(statement?.Action).toEqual(['ec2:ModifyInstanceAttribute']);
    const second = withFallback.pairs[1];
    if (!second) throw new Error('no second pair');
    expect(subs(statement?.Resource).map((r) => r.replace(/.*:instance\//, ''))).toEqual([second.firewalls.primary.instanceId, second.firewalls.secondary.instanceId]);
    expect(statement?.Condition).toEqual({ StringEquals: { 'ec2:Attribute/InstanceType': ['m5n.2xlarge', 'm5.2xlarge'] } });
  });

  it("lets EventBridge assume the alarm trigger's role only for this deployment's rule in this account, and only to start this flow", () => {
    const roleRes = d.resources.AlarmTriggerRole as { Properties: { AssumeRolePolicyDocument: { Statement: { Condition: unknown }[] }; Policies: { PolicyDocument: { Statement: unknown[] } }[] } };
    const rule = d.resources.AlarmTriggerRule as { Properties: { Name: string } };
    expect(rule.Properties.Name).toBe('pan-failover-prod-alarm-trigger');
    expect(roleRes.Properties.AssumeRolePolicyDocument.Statement[0]?.Condition).toEqual({
      ArnEquals: { 'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/pan-failover-prod-alarm-trigger' } },
      StringEquals: { 'aws:SourceAccount': { 'Fn::Sub': '${AWS::AccountId}' } },
    });
    expect(roleRes.Properties.Policies[0]?.PolicyDocument.Statement).toEqual([{ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: LOGICAL.stateMachine } }]);
  });

  it('writes secret names as IAM needs them (the random suffix) and leaves complete ARNs alone', () => {
    expect(secretResource('pan-failover/fw-a/api-key')).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:pan-failover/fw-a/api-key-??????',
    });
    const full = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:fw-a-key-AbC123';
    expect(secretResource(full)).toBe(full);
    expect(secretResource('arn:aws:secretsmanager:eu-central-1:123456789012:secret:fw-a-key')).toBe(
      'arn:aws:secretsmanager:eu-central-1:123456789012:secret:fw-a-key-??????',
    );
  });
});

describe('deployment: lifecycle of the state table', () => {
  it('keeps the table when the stack is deleted or the resource replaced, and protects it against deletion', () => {
    expect(d.resources[LOGICAL.table]).toMatchObject({
      Type: 'AWS::DynamoDB::Table',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { TableName: 'pan-failover-prod-state', DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } },
    });
  });

  it('a redeploy after a remove uses the kept table by name instead of creating it (which CloudFormation would refuse)', () => {
    const again = deployment(config, { stage: 'prod', existingTable: true });
    expect(again.resources[LOGICAL.table]).toBeUndefined();
    expect(Object.values(again.resources).some((r) => (r as { Type: string }).Type === 'AWS::DynamoDB::Table')).toBe(false);
    // Nothing refers to the absent resource; the roles and the outputs name the same table.
    expect(JSON.stringify(again.resources)).not.toContain(`"Ref":"${LOGICAL.table}"`);
    expect(JSON.stringify(again.outputs)).not.toContain(`"Ref":"${LOGICAL.table}"`);
    expect(again.outputs.StateTableName).toEqual({ Value: 'pan-failover-prod-state' });
    expect(again.permissions).toEqual(d.permissions);
  });
});

describe('deployment: alarms and dashboard', () => {
  it("starts the flow from each firewall's status-check alarm, and the flow reads that alarm as a failover of the right pair and side", () => {
    expect(d.triggerAlarms).toEqual(['pan-failover-prod-hq-egress-fw-a-status-check', 'pan-failover-prod-hq-egress-fw-b-status-check']);
    const rule = d.resources.AlarmTriggerRule as { Properties: { EventPattern: { detail: { alarmName: string[] } } } };
    expect(rule.Properties.EventPattern.detail.alarmName).toEqual(d.triggerAlarms);
    const pair = config.pairs[0];
    if (!pair) throw new Error('no pair');
    for (const [role, alarmName] of [
      ['primary', d.triggerAlarms[0]],
      ['secondary', d.triggerAlarms[1]],
    ] as const) {
      const alarm = Object.values(d.resources).find((r) => (r as { Properties?: { AlarmName?: string } }).Properties?.AlarmName === alarmName) as {
        Properties: { Dimensions: { Name: string; Value: string }[]; MetricName: string };
      };
      expect(alarm.Properties.MetricName).toBe('StatusCheckFailed');
      const instanceId = alarm.Properties.Dimensions.find((x) => x.Name === 'InstanceId')?.Value;
      expect(instanceId).toBe(pair.firewalls[role].instanceId);
      // What EventBridge delivers for that alarm.
      const event = {
        version: '0',
        id: 'e1',
        'detail-type': 'CloudWatch Alarm State Change',
        source: 'aws.cloudwatch',
        account: '123456789012',
        time: '2026-11-29T10:00:00Z',
        region: 'eu-central-1',
        resources: [`arn:aws:cloudwatch:eu-central-1:123456789012:alarm:${alarmName}`],
        detail: {
          alarmName,
          state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: '2026-11-29T10:00:00.000+0000' },
          previousState: { value: 'OK' },
          configuration: { metrics: [{ id: 'm1', metricStat: { metric: { namespace: 'AWS/EC2', name: 'StatusCheckFailed', dimensions: { InstanceId: instanceId } }, period: 60, stat: 'Maximum' } }] },
        },
      };
      expect(parseFlowInput(event, config)).toMatchObject({ pair: 'hq-egress', action: 'failover', source: 'alarm', from: role });
    }
  });

  it('with more alarms than an event pattern can list, starts the flow on any EC2 status-check alarm of the deployment (the flow checks the instance)', () => {
    const big = deployment(manyPairConfig(30), { stage: 'prod' });
    const pattern = (big.resources.AlarmTriggerRule as { Properties: { EventPattern: Record<string, unknown> } }).Properties.EventPattern;
    expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(EVENT_PATTERN_LIMIT);
    expect(pattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: {
        alarmName: [{ prefix: 'pan-failover-prod-' }],
        state: { value: ['ALARM'] },
        configuration: { metrics: { metricStat: { metric: { namespace: ['AWS/EC2'], name: ['StatusCheckFailed'] } } } },
      },
    });
    for (const name of big.triggerAlarms) expect(name.startsWith('pan-failover-prod-')).toBe(true);
    // The example's two alarms are listed by name.
    expect(triggerPattern(d.names, d.triggerAlarms)).toMatchObject({ detail: { alarmName: d.triggerAlarms } });
  });

  it("alarms on the controller's own health and sends every alarm to the topic", () => {
    const alarms = Object.values(d.resources)
      .map((r) => r as { Type: string; Properties: { AlarmName: string; AlarmActions: unknown[]; TreatMissingData: string } })
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    const names = alarms.map((a) => a.Properties.AlarmName);
    expect(names).toEqual(
      expect.arrayContaining([
        'pan-failover-prod-hq-egress-probe-silent',
        'pan-failover-prod-hq-egress-controller-blind',
        'pan-failover-prod-probe-errors',
        'pan-failover-prod-flow-failed',
        'pan-failover-prod-flow-timed-out',
      ]),
    );
    for (const a of alarms) expect(a.Properties.AlarmActions, a.Properties.AlarmName).toEqual([{ Ref: LOGICAL.topic }]);
    // A probe that stopped writing its metric is what "silent" means.
    expect(alarms.find((a) => a.Properties.AlarmName.endsWith('probe-silent'))?.Properties.TreatMissingData).toBe('breaching');
  });

  it('charts only metrics the code emits', () => {
    const body = (d.resources[LOGICAL.dashboard] as { Properties: { DashboardBody: { 'Fn::Sub': string } } }).Properties.DashboardBody['Fn::Sub'];
    const parsed = JSON.parse(body) as { widgets: { properties: { metrics?: unknown[][] } }[] };
    const emitted = new Set(['FirewallStatusCode', 'ApiLatency', 'TunnelsUp', 'ProbeRound', 'ProbeError', 'FailoverDecision', 'ProbeAlert', 'ControllerBlind', 'DriftedObjects', 'Paused', 'FlowResult']);
    const used = parsed.widgets.flatMap((w) => w.properties.metrics ?? []).filter((m) => m[0] === 'PanFailover').map((m) => String(m[1]));
    expect(used.length).toBeGreaterThan(5);
    for (const m of used) expect(emitted.has(m), m).toBe(true);
    // Each pair's maintenance pause is on the dashboard.
    const paused = parsed.widgets.flatMap((w) => w.properties.metrics ?? []).filter((m) => m[1] === 'Paused');
    expect(paused.map((m) => m.slice(2, 6))).toEqual(config.pairs.map((p) => ['Pair', p.name, 'service', 'pan-failover']));
  });
});

describe('serverless.yml agrees with infra/', () => {
  const yml = parse(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')) as {
    functions: Record<string, { handler: string; role: string; timeout: number; vpc?: string; package: { patterns: string[] } }>;
    stepFunctions: { stateMachines: { failover: { id: string; definition: string } } };
  };
  const asl = JSON.parse(readFileSync(new URL('../../infra/state-machine.asl.json', import.meta.url), 'utf8')) as {
    States: Record<string, { Type: string; Resource?: { 'Fn::GetAtt': [string, string] }; TimeoutSeconds?: number }>;
  };

  it('declares the four functions, each with its bundle and its source map, its own role and the VPC where it needs one', () => {
    expect(Object.keys(yml.functions).sort()).toEqual([...KEYS].sort());
    for (const fn of KEYS) {
      const f = yml.functions[fn];
      expect(f?.handler).toBe(`dist/functions/${FUNCTIONS[fn].dir}/index.handler`);
      expect(f?.package.patterns).toEqual([`dist/functions/${FUNCTIONS[fn].dir}/index.mjs`, `dist/functions/${FUNCTIONS[fn].dir}/index.mjs.map`]);
      expect(f?.role).toBe(LOGICAL.role(fn));
      expect(d.resources[LOGICAL.role(fn)]).toMatchObject({ Type: 'AWS::IAM::Role' });
      expect(f?.vpc !== undefined, `${fn} in the VPC`).toBe(FUNCTIONS[fn].inVpc);
    }
    expect(yml.stepFunctions.stateMachines.failover.id).toBe(LOGICAL.stateMachine);
  });

  it("stops each function before the state machine's tasks that call it time out (the packaged template: tests/e2e/packaged-template.test.ts)", () => {
    for (const [name, state] of Object.entries(asl.States)) {
      if (state.Type !== 'Task' || !state.Resource) continue;
      const fn = state.Resource['Fn::GetAtt'][0] as FunctionKey;
      expect(yml.functions[fn]?.timeout ?? Infinity, `${name} -> ${fn}`).toBeLessThan(state.TimeoutSeconds ?? 0);
    }
  });
});

describe('deployment: the drill schedule', () => {
  it('is off by default: no rule, no drill alarm', () => {
    expect(Object.keys(d.resources).filter((k) => k.startsWith('DrillSchedule') || k.startsWith('DrillFailed'))).toEqual([]);
  });

  it('a pair with drill.schedule gets an EventBridge rule that starts a drill the flow accepts, and an alarm on the metric a failed scheduled drill writes', () => {
    const scheduled = makeConfig({ drill: { schedule: 'cron(0 3 ? * SUN *)' } });
    const dd = deployment(scheduled, { stage: 'prod' });
    const rule = dd.resources.DrillSchedulePair1Rule as { Type: string; Properties: { ScheduleExpression: string; Targets: { Arn: unknown; RoleArn: unknown; Input: string }[] } };
    expect(rule.Type).toBe('AWS::Events::Rule');
    expect(rule.Properties.ScheduleExpression).toBe('cron(0 3 ? * SUN *)');
    const [target] = rule.Properties.Targets;
    expect(target?.Arn).toEqual({ Ref: LOGICAL.stateMachine });
    // The role EventBridge assumes may start executions of that state machine only.
    expect(target?.RoleArn).toEqual({ 'Fn::GetAtt': ['AlarmTriggerRole', 'Arn'] });
    const role = dd.resources.AlarmTriggerRole as { Properties: { Policies: { PolicyDocument: { Statement: { Action: string; Resource: unknown }[] } }[] } };
    expect(role.Properties.Policies[0]?.PolicyDocument.Statement).toEqual([{ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: LOGICAL.stateMachine } }]);
    expect(parseFlowInput(JSON.parse(target?.Input ?? '{}'), scheduled)).toMatchObject({ pair: 'hq-egress', action: 'drill', source: 'drill', force: false, dryRun: false });
    const alarm = dd.resources.DrillFailedPair1Alarm as { Properties: { AlarmName: string; Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[]; AlarmActions: unknown[]; TreatMissingData: string } };
    expect(alarm.Properties).toMatchObject({ AlarmName: 'pan-failover-prod-hq-egress-drill-failed', Namespace: 'PanFailover', MetricName: 'ScheduledDrillFailed', TreatMissingData: 'notBreaching', AlarmActions: [{ Ref: LOGICAL.topic }] });
    // The dimensions DrillFinish writes (Pair) plus the one Powertools adds to every metric.
    expect(alarm.Properties.Dimensions).toEqual([{ Name: 'Pair', Value: 'hq-egress' }, { Name: 'service', Value: 'pan-failover' }]);
  });
});
