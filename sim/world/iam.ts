/**
 * IAM in the simulated world: who calls, and may they.
 *
 * Each simulated Lambda function calls AWS as its own role (an access key the world knows, on the
 * wire; a principal bound to its direct ports). Every API operation of the world authorizes
 * itself before it acts: `check(service, action, resources, context)` is the first statement of
 * each operation, with the resource ARNs and the request context keys AWS would evaluate. The
 * decision comes from a policy evaluator (`sim/iam/evaluator.ts`, a maintained IAM evaluator
 * over the role's policies as `infra/deployment.ts` generates them); a denied call fails as AWS
 * fails it (EC2 `UnauthorizedOperation`, Route 53 `AccessDenied`, SNS `AuthorizationError`,
 * the JSON services `AccessDeniedException`).
 *
 * Calls without a principal (the scenario, the tests' own reads, an operator's credentials on
 * the wire) are the administrator's and are not evaluated.
 *
 * The evaluator is asynchronous and the world's operations are synchronous: a decision not yet
 * known makes `check` throw `NeedsEvaluation` before the operation changed anything; `run`
 * evaluates and runs the operation again. Decisions are cached per principal, action, resource
 * and context (the policies of a principal never change while it is registered).
 */
import { SimAwsError, type ServiceName } from './aws-error.js';
import type { WorldContext } from './context.js';

/** A policy document as IAM stores it (Statement is always a list here). */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Record<string, unknown>[];
}

export interface NamedPolicy {
  readonly name: string;
  readonly document: PolicyDocument;
}

export interface IamPrincipal {
  /** What the principal signs its wire requests with. */
  readonly accessKeyId: string;
  /** A short name for logs and test messages (the function, `health-probe`). */
  readonly name: string;
  /** `arn:aws:iam::<account>:role/<role>`. */
  readonly roleArn: string;
  /** The session as AWS names it in errors: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  readonly sessionArn: string;
  /** Every policy attached to the role (inline and managed). */
  readonly policies: readonly NamedPolicy[];
}

export type ContextValue = string | readonly string[];

export interface AuthorizationRequest {
  readonly action: string;
  /** One ARN, or `*` for actions that take no resource. */
  readonly resource: string;
  readonly context: Readonly<Record<string, ContextValue>>;
}

export interface IamDecision {
  readonly allowed: boolean;
  /** Denied by a Deny statement (else, when not allowed: no statement allows it). */
  readonly explicitDeny?: boolean;
}

export interface PolicyEvaluator {
  evaluate(principal: IamPrincipal, request: AuthorizationRequest, accountId: string): Promise<IamDecision>;
}

/** A call that was evaluated, for tests and for `selftest` on the simulator. */
export interface IamRecord {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly allowed: boolean;
}

/** Thrown by `check` when a decision is not known yet: nothing has changed, evaluate and run again. */
export class NeedsEvaluation extends Error {
  override readonly name = 'NeedsEvaluation';
  constructor(
    readonly principal: IamPrincipal,
    readonly requests: readonly AuthorizationRequest[],
  ) {
    super(`IAM decisions pending for ${principal.name}`);
  }
}

/** The error AWS returns for a denied call, per service. */
export function accessDenied(service: ServiceName, principal: IamPrincipal, request: AuthorizationRequest, explicitDeny = false): SimAwsError {
  const because = explicitDeny ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${request.action} action`;
  const what = `User: ${principal.sessionArn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${because}`;
  switch (service) {
    case 'ec2':
      return new SimAwsError('ec2', 'UnauthorizedOperation', `You are not authorized to perform this operation. ${what}`, { httpStatus: 403 });
    case 'route53':
      return new SimAwsError('route53', 'AccessDenied', what, { httpStatus: 403 });
    case 'sns':
      return new SimAwsError('sns', 'AuthorizationError', what, { httpStatus: 403 });
    case 'cloudwatch':
    case 'iam':
      return new SimAwsError(service, 'AccessDenied', what, { httpStatus: 403 });
    case 'lambda':
      return new SimAwsError('lambda', 'AccessDeniedException', what, { httpStatus: 403 });
    default:
      return new SimAwsError(service, 'AccessDeniedException', what, { httpStatus: 400 });
  }
}

const RECORD_LIMIT = 5000;

export class IamWorld {
  readonly #accountId: () => string;
  readonly #principals = new Map<string, IamPrincipal>();
  readonly #cache = new Map<string, IamDecision>();
  readonly #records: IamRecord[] = [];
  #evaluator: PolicyEvaluator | undefined;
  #current: IamPrincipal | undefined;

  constructor(accountId: () => string) {
    this.#accountId = accountId;
  }

  /** From now on the calls of these principals are evaluated with `evaluator`. */
  enforce(evaluator: PolicyEvaluator, principals: readonly IamPrincipal[]): void {
    this.#evaluator = evaluator;
    for (const p of principals) this.#principals.set(p.accessKeyId, p);
    this.#cache.clear();
  }

  get enforcing(): boolean {
    return this.#evaluator !== undefined;
  }

  /** The principal that signs with this access key, if it is one of the registered roles. */
  principalFor(accessKeyId: string | undefined): IamPrincipal | undefined {
    return accessKeyId === undefined ? undefined : this.#principals.get(accessKeyId);
  }

  principals(): IamPrincipal[] {
    return [...this.#principals.values()];
  }

  /** Every evaluated call so far (the last 5000), oldest first. */
  records(): readonly IamRecord[] {
    return [...this.#records];
  }

  /** Decides a request for a principal without running anything (what `iam:SimulatePrincipalPolicy` answers). */
  async decide(principal: IamPrincipal, request: AuthorizationRequest): Promise<IamDecision> {
    const evaluator = this.#evaluator;
    if (evaluator === undefined) throw new Error('IAM is not enforced in this world: no evaluator');
    const key = cacheKey(principal, request);
    const known = this.#cache.get(key);
    if (known !== undefined) return known;
    const decision = await evaluator.evaluate(principal, request, this.#accountId());
    this.#cache.set(key, decision);
    return decision;
  }

  /**
   * Runs one operation as `principal` (or as the administrator when undefined). The operation
   * must authorize itself (`check`) before it acts; one that does not is a simulator bug and fails.
   */
  async run<T>(op: string, principal: IamPrincipal | undefined, fn: () => T): Promise<T> {
    if (principal === undefined) return fn();
    for (let attempt = 0; ; attempt++) {
      let pending: NeedsEvaluation;
      // The principal is current only while the (synchronous) operation runs.
      this.#current = principal;
      try {
        const out = fn();
        if (this.#current !== undefined) throw new Error(`simulator: ${op} acted without authorizing ${principal.name} (no IAM check)`);
        return out;
      } catch (e) {
        if (!(e instanceof NeedsEvaluation) || attempt >= 3) throw e;
        pending = e;
      } finally {
        this.#current = undefined;
      }
      await Promise.all(pending.requests.map((r) => this.decide(pending.principal, r)));
    }
  }

  /**
   * Authorizes the operation that is running: every resource must be allowed. Only the first
   * check of an operation counts (an operation that uses another one internally is one call).
   */
  check(service: ServiceName, action: string, resources: readonly string[], context: Readonly<Record<string, ContextValue>> = {}): void {
    const principal = this.#current;
    if (principal === undefined) return;
    const requests = (resources.length === 0 ? ['*'] : resources).map((resource) => ({ action, resource, context }));
    const pending = requests.filter((r) => !this.#cache.has(cacheKey(principal, r)));
    this.#current = undefined;
    if (pending.length > 0) throw new NeedsEvaluation(principal, pending);
    for (const r of requests) {
      const decision = this.#cache.get(cacheKey(principal, r)) ?? { allowed: false };
      this.#record({ principal: principal.name, action, resource: r.resource, allowed: decision.allowed });
      if (!decision.allowed) throw accessDenied(service, principal, r, decision.explicitDeny === true);
    }
  }

  #record(r: IamRecord): void {
    this.#records.push(r);
    if (this.#records.length > RECORD_LIMIT) this.#records.splice(0, this.#records.length - RECORD_LIMIT);
  }
}

function cacheKey(principal: IamPrincipal, r: AuthorizationRequest): string {
  return JSON.stringify([principal.accessKeyId, r.action, r.resource, r.context]);
}

/**
 * IAM's own API in the simulated account: `SimulatePrincipalPolicy` on a role, decided by the
 * evaluator that enforces every call (`IamWorld.decide`). A caller may simulate a role's policy
 * only if its own policies allow `iam:SimulatePrincipalPolicy` on that role's ARN.
 */
export class IamApiWorld {
  readonly #ctx: WorldContext;

  constructor(ctx: WorldContext) {
    this.#ctx = ctx;
  }

  /** The authorization of one SimulatePrincipalPolicy call, and the principal whose policies it names. */
  simulationTarget(policySourceArn: string): IamPrincipal {
    this.#ctx.iam.check('iam', 'iam:SimulatePrincipalPolicy', [policySourceArn]);
    const principal = this.#ctx.iam.principals().find((p) => p.roleArn === policySourceArn);
    if (principal === undefined) throw new SimAwsError('iam', 'NoSuchEntity', `The role with name ${policySourceArn.replace(/^.*:role\//, '')} cannot be found.`, { httpStatus: 404 });
    return principal;
  }
}
