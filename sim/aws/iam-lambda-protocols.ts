/**
 * Two small services of the wire server, for `pan-failover selftest`:
 * - IAM's awsQuery (`Version=2010-05-08`): `SimulatePrincipalPolicy`, decided by the evaluator that
 *   enforces every call of the simulated functions (sim/iam/evaluator.ts);
 * - Lambda's restJson `Invoke` (`POST /2015-03-31/functions/<name>/invocations`) of the simulated
 *   functions the system registered (sim/world/lambda.ts).
 */
import { SimAwsError } from '#sim/world/aws-error.js';
import type { AuthorizationRequest } from '#sim/world/iam.js';
import { listParam, type HandlerContext, type WireRequest, type WireResponse } from './protocol.js';
import { XML_DECLARATION, el, escapeXml, node } from './xml.js';

const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

export function iamErrorResponse(e: SimAwsError, requestId: string): WireResponse {
  return {
    status: e.httpStatus,
    headers: { 'content-type': 'text/xml' },
    body: `${XML_DECLARATION}<ErrorResponse xmlns="${IAM_NAMESPACE}"><Error><Type>${e.faultType}</Type><Code>${escapeXml(e.code)}</Code><Message>${escapeXml(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** `ContextEntries.member.N.ContextKeyName` / `.ContextKeyValues.member.M`. */
function contextEntries(params: ReadonlyMap<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of params) {
    const m = /^ContextEntries\.member\.(\d+)\.ContextKeyName$/.exec(k);
    if (m !== null) out[v] = listParam(params, `ContextEntries.member.${m[1]}.ContextKeyValues.member`);
  }
  return out;
}

export async function handleIam(params: ReadonlyMap<string, string>, ctx: HandlerContext): Promise<WireResponse> {
  const action = params.get('Action') ?? '';
  ctx.count(`iam:${action}`);
  try {
    if (action !== 'SimulatePrincipalPolicy') throw new SimAwsError('iam', 'InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
    const source = params.get('PolicySourceArn');
    const actions = listParam(params, 'ActionNames.member');
    const resources = listParam(params, 'ResourceArns.member');
    if (source === undefined || actions.length === 0) throw new SimAwsError('iam', 'ValidationError', 'PolicySourceArn and ActionNames are required');
    const principal = await ctx.world.call('iam:SimulatePrincipalPolicy', () => ctx.world.iamApi.simulationTarget(source));
    const context = contextEntries(params);
    const members: string[] = [];
    for (const action of actions) {
      for (const resource of resources.length === 0 ? ['*'] : resources) {
        const request: AuthorizationRequest = { action, resource, context };
        const decision = await ctx.world.iam.decide(principal, request);
        const evalDecision = decision.allowed ? 'allowed' : decision.explicitDeny === true ? 'explicitDeny' : 'implicitDeny';
        members.push(node('member', `${el('EvalActionName', action)}${el('EvalResourceName', resource)}${el('EvalDecision', evalDecision)}<MatchedStatements/><MissingContextValues/>`));
      }
    }
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `${XML_DECLARATION}<SimulatePrincipalPolicyResponse xmlns="${IAM_NAMESPACE}"><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated>${node('EvaluationResults', members.join(''))}</SimulatePrincipalPolicyResult><ResponseMetadata>${el('RequestId', ctx.requestId)}</ResponseMetadata></SimulatePrincipalPolicyResponse>`,
    };
  } catch (e) {
    if (e instanceof SimAwsError) return iamErrorResponse(e, ctx.requestId);
    throw e;
  }
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export function isLambdaRequest(request: WireRequest): boolean {
  return request.path.startsWith('/2015-03-31/functions/');
}

function lambdaError(e: SimAwsError, requestId: string): WireResponse {
  return {
    status: e.httpStatus,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': e.code, 'x-amzn-requestid': requestId },
    body: JSON.stringify({ Type: e.httpStatus >= 500 ? 'Service' : 'User', message: e.message }),
  };
}

export async function handleLambda(request: WireRequest, ctx: HandlerContext): Promise<WireResponse> {
  const m = INVOKE_PATH.exec(request.path);
  ctx.count(`lambda:${m === null ? `${request.method} ${request.path}` : 'Invoke'}`);
  try {
    if (m === null || request.method !== 'POST') throw new SimAwsError('lambda', 'ResourceNotFoundException', `no route for ${request.method} ${request.path}`, { httpStatus: 404 });
    const name = decodeURIComponent(m[1] ?? '');
    const fn = await ctx.world.call('lambda:Invoke', () => ctx.world.lambda.invokeTarget(name));
    let payload: unknown;
    try {
      payload = request.body === '' ? {} : (JSON.parse(request.body) as unknown);
    } catch {
      throw new SimAwsError('lambda', 'InvalidRequestContentException', 'Could not parse request body into json');
    }
    const headers = { 'content-type': 'application/json', 'x-amzn-requestid': ctx.requestId, 'x-amz-executed-version': '$LATEST' };
    try {
      const out = await fn(payload);
      return { status: 200, headers, body: JSON.stringify(out ?? null) };
    } catch (e) {
      // The function threw: Invoke succeeds, with the error as its payload.
      const err = e instanceof Error ? e : new Error(String(e));
      return { status: 200, headers: { ...headers, 'x-amz-function-error': 'Unhandled' }, body: JSON.stringify({ errorType: err.name, errorMessage: err.message }) };
    }
  } catch (e) {
    if (e instanceof SimAwsError) return lambdaError(e, ctx.requestId);
    throw e;
  }
}
