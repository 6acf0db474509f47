/**
 * What `pan-failover selftest` needs in the stack (shared/usecases/selftest.ts): a few grants on
 * each function's role, the weekly schedule (`selftest.schedule`) that makes flow-control run the
 * whole self-test, and the alarm that notifies when a scheduled run finds a problem.
 *
 * Kept apart from infra/deployment.ts: it adds to the roles and the resources, and changes
 * nothing that is there.
 */
import type { Config } from '#shared/config/schema.js';
import { CONTROLLER_KEY } from '#shared/ports/selftest.js';
import type { Statement } from './deployment.js';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Cfn = { [k: string]: Json };

type FunctionKey = 'healthProbe' | 'flowControl' | 'flowAws' | 'flowFirewall';


export interface SelftestContext {
  readonly names: { readonly functions: Record<FunctionKey, string>; readonly roles: Record<FunctionKey, string>; readonly table: string };
  /** `arn:${AWS::Partition}:<service>:${AWS::Region}:${AWS::AccountId}:<resource>`, as infra/deployment.ts builds them. */
  readonly arn: (service: string, resource: string, global?: boolean) => Cfn;
  readonly topic: Cfn;
  readonly table: Cfn;
}

/** CloudFormation logical id of flow-control's function (the Serverless Framework's `<Key>LambdaFunction`). */
export const FLOW_CONTROL_FUNCTION = 'FlowControlLambdaFunction';

/**
 * The self-test's grants on `fn`'s role: flow-aws and flow-control simulate their own role's
 * policy (that role only); health-probe and flow-control read the topic (`GetTopicAttributes`,
 * nothing published); flow-control runs the scheduled self-test (invokes the four functions,
 * writes the result item, key `controller`).
 */
export function selftestStatements(fn: FunctionKey, ctx: SelftestContext): Statement[] {
  const out: Statement[] = [];
  if (fn === 'flowAws' || fn === 'flowControl') {
    out.push({ Sid: 'SelftestOwnPolicy', Effect: 'Allow', Action: ['iam:SimulatePrincipalPolicy'], Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${ctx.names.roles[fn]}` } });
  }
  if (fn === 'healthProbe' || fn === 'flowControl') {
    out.push({ Sid: 'SelftestTopicRead', Effect: 'Allow', Action: ['sns:GetTopicAttributes'], Resource: ctx.topic });
  }
  if (fn === 'flowControl') {
    out.push({
      Sid: 'SelftestInvoke',
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction'],
      Resource: (Object.keys(ctx.names.functions) as FunctionKey[]).map((f) => ctx.arn('lambda', `function:${ctx.names.functions[f]}`)),
    });
    out.push({
      Sid: 'SelftestResult',
      Effect: 'Allow',
      Action: ['dynamodb:PutItem'],
      Resource: ctx.table,
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CONTROLLER_KEY] } },
    });
  }
  return out;
}

/**
 * The scheduled run (EventBridge -> flow-control, no retry: a failed run is reported by the
 * alarm, not repeated) and its alarm: `SelftestFailed` at 1 (something failed or could not be
 * checked). The alarm keeps its state between runs (`ignore`), so it stays in ALARM until a
 * scheduled run passes, and says so (OK action). None of it with `schedule: off`.
 */
export function selftestResources(config: Config, options: { prefix: string; stateMachineRef: string; topicRef: string; namespace: string; dimensions: Readonly<Record<string, string>> }): Cfn {
  const schedule = config.selftest.schedule;
  if (schedule === 'off') return {};
  return {
    SelftestScheduleRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Description: `pan-failover selftest, ${schedule}: flow-control invokes the four functions (changes nothing, notifies nobody; the alarm ${options.prefix}-selftest-failed does)`,
        ScheduleExpression: schedule,
        State: 'ENABLED',
        Targets: [
          {
            Id: 'selftest',
            Arn: { 'Fn::GetAtt': [FLOW_CONTROL_FUNCTION, 'Arn'] },
            Input: { 'Fn::Sub': [JSON.stringify({ selftestAll: { requestedBy: 'schedule', stateMachineArn: '${StateMachine}' } }), { StateMachine: { Ref: options.stateMachineRef } }] },
            RetryPolicy: { MaximumRetryAttempts: 0 },
          },
        ],
      },
    },
    SelftestSchedulePermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [FLOW_CONTROL_FUNCTION, 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['SelftestScheduleRule', 'Arn'] },
      },
    },
    SelftestFailedAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${options.prefix}-selftest-failed`,
        AlarmDescription: 'The scheduled pan-failover selftest found a permission, a path or a secret a failover needs missing (or could not check): run `pan-failover selftest` and see docs/runbook.md#selftest-failed',
        Namespace: options.namespace,
        MetricName: 'SelftestFailed',
        Dimensions: Object.entries(options.dimensions).map(([Name, Value]) => ({ Name, Value })),
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'ignore',
        AlarmActions: [{ Ref: options.topicRef }],
        OKActions: [{ Ref: options.topicRef }],
      },
    },
  };
}
