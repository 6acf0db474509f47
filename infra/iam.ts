/**
 * IAM's size limits, and how the generated statements are packed into the policies of a role so
 * that a deployment of many pairs stays within them.
 *
 * IAM counts a policy's characters without white space, after CloudFormation has substituted the
 * pseudo-parameters: `policySize` measures exactly that, with the region of the deployment, the
 * partition of that region and a 12-digit account id (every account id has 12 digits), so the
 * figure is the one IAM will see. Limits (IAM and STS quotas, "IAM object quotas"):
 * - the inline policies of a role: 10,240 characters in total;
 * - a customer managed policy: 6,144 characters;
 * - managed policies attached to a role: 10 by default, 20 at most (a quota increase).
 */
import { ConfigInvalidError, type ValidationIssue } from '#shared/errors.js';

export const IAM_LIMITS = {
  inlinePerRole: 10_240,
  managedPolicy: 6_144,
  /** The default quota of managed policies per role (adjustable). */
  managedPerRoleDefault: 10,
  /** The highest that quota can be raised to. */
  managedPerRoleMax: 20,
} as const;

/**
 * Characters kept free in every packed policy: IAM's own normalisation of a document (the order
 * of keys, escapes) must never be the difference between deploying and failing.
 */
export const PACKING_MARGIN = 128;

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: Json;
  readonly Condition?: { [k: string]: Json };
}

export interface PolicyDocument<S extends PolicyStatement = PolicyStatement> {
  readonly Version: '2012-10-17';
  readonly Statement: readonly S[];
}

export const policyDocument = <S extends PolicyStatement>(statements: readonly S[]): PolicyDocument<S> => ({ Version: '2012-10-17', Statement: statements });

/** The partition a region belongs to (what `${AWS::Partition}` becomes there). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

/** Any 12-digit account id: an ARN's length does not depend on which. */
const ACCOUNT_ID = '123456789012';

/** `{ "Fn::Sub": "..." }` with the pseudo-parameters replaced as CloudFormation will. */
export function resolvePseudo(value: unknown, region: string): unknown {
  if (Array.isArray(value)) return value.map((v) => resolvePseudo(v, region));
  if (value && typeof value === 'object') {
    const sub = (value as Record<string, unknown>)['Fn::Sub'];
    if (typeof sub === 'string' && Object.keys(value).length === 1) {
      return sub.replaceAll('${AWS::Partition}', partitionOf(region)).replaceAll('${AWS::Region}', region).replaceAll('${AWS::AccountId}', ACCOUNT_ID);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolvePseudo(v, region)]));
  }
  return value;
}

/** The size IAM counts for `doc`: its JSON without white space, with the real ARNs. */
export function policySize(doc: PolicyDocument, region: string): number {
  return JSON.stringify(resolvePseudo(doc, region)).length;
}

export interface PackedRole<S extends PolicyStatement = PolicyStatement> {
  /** The role's inline policy: what does not depend on the pairs, and as many pairs as fit. */
  readonly inline: PolicyDocument<S>;
  /** Customer managed policies, each for a run of consecutive pairs. */
  readonly managed: readonly PolicyDocument<S>[];
  /** The pairs (indexes into the configuration) each managed policy covers. */
  readonly managedPairs: readonly (readonly number[])[];
}

/**
 * Packs a role's statements: `shared` (independent of the pairs) and `forPairs(indexes)`, the
 * statements that grant exactly the listed pairs' objects. A pair is never split across
 * policies (a Route 53 change or a lock write of one pair is allowed by one statement). The inline
 * policy takes the shared statements and the first pairs that fit; each managed policy the next
 * run of pairs that fits. Throws `ConfigInvalidError`, with the numbers, when one pair alone does
 * not fit in a managed policy or the role would need more managed policies than `managedQuota`
 * (the account's quota of managed policies per role: 10 unless raised, 20 at most).
 */
export function packRole<S extends PolicyStatement>(
  role: string,
  pairCount: number,
  shared: readonly S[],
  forPairs: (indexes: readonly number[]) => readonly S[],
  region: string,
  managedQuota: number = IAM_LIMITS.managedPerRoleDefault,
): PackedRole<S> {
  const size = (statements: readonly S[]) => policySize(policyDocument(statements), region);
  const fits = (statements: readonly S[], limit: number) => size(statements) <= limit - PACKING_MARGIN;

  let next = 0;
  const inlinePairs: number[] = [];
  while (next < pairCount && fits([...shared, ...forPairs([...inlinePairs, next])], IAM_LIMITS.inlinePerRole)) inlinePairs.push(next++);
  if (!fits(shared, IAM_LIMITS.inlinePerRole)) {
    throw tooLarge(role, `its statements that do not depend on the pairs take ${size(shared)} characters (inline limit ${IAM_LIMITS.inlinePerRole})`);
  }
  const managedPairs: number[][] = [];
  while (next < pairCount) {
    const run: number[] = [];
    while (next < pairCount && fits(forPairs([...run, next]), IAM_LIMITS.managedPolicy)) run.push(next++);
    if (run.length === 0) {
      throw tooLarge(
        role,
        `the statements for pair ${next + 1} alone take ${size(forPairs([next]))} characters, more than one managed policy holds (${IAM_LIMITS.managedPolicy}, ${PACKING_MARGIN} kept free)`,
      );
    }
    managedPairs.push(run);
  }
  if (managedPairs.length > managedQuota) {
    const raise =
      managedQuota < IAM_LIMITS.managedPerRoleMax
        ? ` (the account's quota "Managed policies per role"; if it has been raised, say so: --managed-policy-quota N, at most ${IAM_LIMITS.managedPerRoleMax})`
        : '';
    throw tooLarge(
      role,
      `${pairCount} pairs need ${managedPairs.length} managed policies of at most ${IAM_LIMITS.managedPolicy} characters besides its inline policy (${IAM_LIMITS.inlinePerRole}), and a role takes at most ${managedQuota}${raise}`,
    );
  }
  return {
    inline: policyDocument([...shared, ...(inlinePairs.length > 0 ? forPairs(inlinePairs) : [])]),
    managed: managedPairs.map((run) => policyDocument(forPairs(run))),
    managedPairs,
  };
}

function tooLarge(role: string, message: string): ConfigInvalidError {
  const issue: ValidationIssue = { path: 'pairs', message: `role ${role}: ${message}; split the pairs over two deployments (two stages)` };
  return new ConfigInvalidError('for deployment (IAM limits)', [issue]);
}

export interface RoleSizes {
  readonly inline: number;
  readonly managed: readonly number[];
}

/** The sizes of a packed role's policies as IAM counts them. */
export function roleSizes(packed: PackedRole, region: string): RoleSizes {
  return { inline: policySize(packed.inline, region), managed: packed.managed.map((d) => policySize(d, region)) };
}
