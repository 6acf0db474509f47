/**
 * What `pan-failover selftest` adds to the stack (infra/selftest.ts): iam:SimulatePrincipalPolicy
 * on each flow function's own role only, the topic read, flow-control's grants for the scheduled
 * run, PAN_FAILOVER_ROLE_ARN in each function's environment, the schedule from the configuration
 * (weekly by default, `off` for none) and the alarm on a failed run.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { deployment, FUNCTIONS, type FunctionKey } from '../../infra/deployment.js';
import { FLOW_CONTROL_FUNCTION } from '../../infra/selftest.js';
import { exampleRaw, makeConfig } from '../support/config.js';
import { validateConfig } from '#shared/config/load.js';

const d = deployment(makeConfig(), { stage: 'prod' });
const KEYS = Object.keys(FUNCTIONS) as FunctionKey[];
const withAction = (fn: FunctionKey, action: string) => d.permissions[fn].filter((s) => s.Action.includes(action));
const subs = (resource: unknown): string[] => (Array.isArray(resource) ? resource : [resource]).map((r) => (typeof r === 'string' ? r : String((r as { 'Fn::Sub': string })['Fn::Sub'])));

describe('selftest grants', () => {
  it('iam:SimulatePrincipalPolicy: flow-aws and flow-control, each on its own role only', () => {
    for (const fn of KEYS) {
      const st = withAction(fn, 'iam:SimulatePrincipalPolicy');
      if (fn === 'flowAws' || fn === 'flowControl') {
        expect(st).toHaveLength(1);
        expect(subs(st[0]?.Resource)).toEqual([`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${d.names.roles[fn]}`]);
        expect(st[0]?.Action).toEqual(['iam:SimulatePrincipalPolicy']);
      } else expect(st, fn).toEqual([]);
    }
  });

  it('sns:GetTopicAttributes on the topic for the probe and flow-control; the scheduled run: invoke the four functions, write the controller item only', () => {
    expect(KEYS.filter((fn) => withAction(fn, 'sns:GetTopicAttributes').length > 0)).toEqual(['healthProbe', 'flowControl']);
    const invoke = withAction('flowControl', 'lambda:InvokeFunction');
    expect(subs(invoke[0]?.Resource)).toEqual(KEYS.map((fn) => `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${d.names.functions[fn]}`));
    expect(KEYS.filter((fn) => withAction(fn, 'lambda:InvokeFunction').length > 0)).toEqual(['flowControl']);
    const put = withAction('flowControl', 'dynamodb:PutItem').find((s) => s.Sid === 'SelftestResult');
    expect(put?.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['controller'] } });
  });

  it('each function knows its role (PAN_FAILOVER_ROLE_ARN in serverless.yml)', () => {
    const sls = parse(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')) as { functions: Record<string, { role: string; environment?: Record<string, unknown> }> };
    for (const fn of KEYS) {
      const f = sls.functions[fn];
      expect(f?.environment?.PAN_FAILOVER_ROLE_ARN, fn).toEqual({ 'Fn::GetAtt': [f?.role, 'Arn'] });
    }
    // The schedule targets flow-control by the logical id the Serverless Framework gives it.
    expect(FLOW_CONTROL_FUNCTION).toBe(`${'flowControl'.charAt(0).toUpperCase()}${'flowControl'.slice(1)}LambdaFunction`);
  });
});

describe('the schedule and the alarm', () => {
  type Rule = { Properties: { ScheduleExpression: string; Targets: { Arn: unknown; Input: { 'Fn::Sub': [string, unknown] }; RetryPolicy: unknown }[] } };
  it('weekly by default: EventBridge -> flow-control with the whole self-test, no retry; the alarm on SelftestFailed keeps its state between runs', () => {
    const rule = d.resources.SelftestScheduleRule as Rule;
    expect(rule.Properties.ScheduleExpression).toBe('rate(7 days)');
    const target = rule.Properties.Targets[0];
    expect(target?.Arn).toEqual({ 'Fn::GetAtt': [FLOW_CONTROL_FUNCTION, 'Arn'] });
    expect(JSON.parse(target?.Input['Fn::Sub'][0] ?? '')).toEqual({ selftestAll: { requestedBy: 'schedule', stateMachineArn: '${StateMachine}' } });
    expect(target?.RetryPolicy).toEqual({ MaximumRetryAttempts: 0 });
    expect(d.resources.SelftestSchedulePermission).toMatchObject({ Properties: { Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': ['SelftestScheduleRule', 'Arn'] } } });
    expect(d.resources.SelftestFailedAlarm).toMatchObject({
      Properties: {
        AlarmName: 'pan-failover-prod-selftest-failed',
        Namespace: 'PanFailover',
        MetricName: 'SelftestFailed',
        Dimensions: [{ Name: 'service', Value: 'pan-failover' }],
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'ignore',
        AlarmActions: [{ Ref: 'NotificationTopic' }],
        OKActions: [{ Ref: 'NotificationTopic' }],
      },
    });
  });

  it('configurable: a cron expression passes through; off creates neither the schedule nor the alarm', () => {
    const withSchedule = (schedule: string) => {
      const raw = exampleRaw() as Record<string, unknown>;
      raw.selftest = { schedule };
      return deployment(validateConfig(raw), { stage: 'prod' });
    };
    expect((withSchedule('cron(0 1 ? * MON *)').resources.SelftestScheduleRule as Rule).Properties.ScheduleExpression).toBe('cron(0 1 ? * MON *)');
    const off = withSchedule('off');
    expect(Object.keys(off.resources).filter((k) => k.startsWith('Selftest'))).toEqual([]);
    expect(() => withSchedule('rate(5 minutes)')).toThrow(/selftest\.schedule/);
  });
});
