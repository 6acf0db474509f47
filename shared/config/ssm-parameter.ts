/**
 * An SSM Parameter Store reference, as `apiKey.ssmParameter` holds it: a parameter name or the
 * parameter's full ARN. Checked before anything reaches AWS, because the deployment turns it into
 * the one resource `ssm:GetParameter` is allowed on (a wildcard would allow every parameter).
 *
 * Names (Parameter Store's own rules): letters, digits and `_.-`, with `/` between the levels of
 * a hierarchy; a hierarchical name starts with `/` (`/pan-failover/fw-a/api-key`); at most 15
 * levels and 1011 characters; no name may begin with `aws` or `ssm` (any case), which AWS
 * reserves. The ARN of `/a/b` is `arn:aws:ssm:<region>:<account>:parameter/a/b` (one slash: the
 * name's leading slash is not repeated), and of `x` it is `...:parameter/x`.
 */

export const SSM_PARAMETER_MAX_LENGTH = 1011;
export const SSM_PARAMETER_MAX_LEVELS = 15;

const SEGMENT = /^[A-Za-z0-9_.-]+$/;
const ARN = /^arn:(aws(?:-[a-z]+)*):ssm:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):parameter\/(.*)$/;

/** What is wrong with a parameter name (no ARN), or `undefined`. */
function nameIssue(name: string, shown: string): string | undefined {
  if (name === '') return `${shown} is empty: give a parameter name such as /pan-failover/fw-a/api-key`;
  if (name.length > SSM_PARAMETER_MAX_LENGTH) return `${shown} is ${name.length} characters long: a parameter name has at most ${SSM_PARAMETER_MAX_LENGTH}`;
  if (/[*?]/.test(name)) return `${shown} contains a wildcard: name exactly one parameter (the deployment allows reading only the parameters named here)`;
  const bad = [...name].find((c) => c !== '/' && !SEGMENT.test(c));
  if (bad !== undefined) return `${shown} contains ${JSON.stringify(bad)}: a parameter name allows only letters, digits, "_", ".", "-" and "/" between levels`;
  if (name.includes('/') && !name.startsWith('/')) return `${shown} has levels but no leading "/": a hierarchical parameter name starts with "/" (e.g. /${name})`;
  const segments = (name.startsWith('/') ? name.slice(1) : name).split('/');
  if (segments.some((s) => s === '')) return `${shown} has an empty level ("//" or a trailing "/")`;
  if (segments.length > SSM_PARAMETER_MAX_LEVELS) return `${shown} has ${segments.length} levels: Parameter Store allows at most ${SSM_PARAMETER_MAX_LEVELS}`;
  if (/^(aws|ssm)/i.test(segments[0] ?? '')) return `${shown} begins with "${(segments[0] ?? '').slice(0, 3)}": Parameter Store reserves names beginning with "aws" or "ssm"`;
  return undefined;
}

/** What is wrong with `apiKey.ssmParameter` (a name or an ARN), or `undefined` when it is usable. */
export function ssmParameterIssue(ref: string): string | undefined {
  if (ref.startsWith('arn:')) {
    const m = ARN.exec(ref);
    if (m === null) return `"${ref}" is not a parameter ARN: write arn:aws:ssm:<region>:<12-digit account>:parameter/<name>`;
    const path = m[4] ?? '';
    // The ARN of /a/b is ...:parameter/a/b; a name with levels gets its leading slash back.
    return nameIssue(path.includes('/') ? `/${path}` : path, `the ARN's parameter name "${path}"`);
  }
  return nameIssue(ref, `"${ref}"`);
}

/**
 * The parameter's ARN, the resource IAM evaluates `ssm:GetParameter` on: an ARN as it is, a name
 * in the deployment's partition, region and account.
 */
export function ssmParameterArn(ref: string, where: { readonly partition?: string; readonly region: string; readonly accountId: string }): string {
  if (ref.startsWith('arn:')) return ref;
  return `arn:${where.partition ?? 'aws'}:ssm:${where.region}:${where.accountId}:parameter${ref.startsWith('/') ? '' : '/'}${ref}`;
}
