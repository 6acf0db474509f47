/**
 * Typed errors with stable names.
 *
 * The `name` of each class is a contract: Step Functions matches Retry/Catch on it
 * (`tests/unit/asl-definition.test.ts` ties every name used in `infra/state-machine.asl.json`
 * to a class below), metrics and notifications report it, and operators grep for it.
 * Never rename one without changing the definition and the runbook.
 *
 * `retryable` separates transient failures (retry with backoff) from terminal ones (stop,
 * report). Messages never contain secrets: API keys are never passed to these constructors.
 */

export interface ErrorDetails {
  readonly [key: string]: unknown;
}

export abstract class PanFailoverError extends Error {
  /** Stable error name; also the Step Functions error type. */
  abstract override readonly name: string;
  /** Whether the same call may succeed if tried again later. */
  abstract readonly retryable: boolean;
  readonly details: ErrorDetails;

  constructor(message: string, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
  }

  toJSON(): { name: string; message: string; retryable: boolean; details: ErrorDetails } {
    return { name: this.name, message: this.message, retryable: this.retryable, details: this.details };
  }
}

// ---------------------------------------------------------------------------------------------
// Input and configuration

/** One problem found while validating a document: where, and what is wrong. */
export interface ValidationIssue {
  /** Field path such as `pairs[0].routes[2].targets.primary`. */
  readonly path: string;
  readonly message: string;
}

export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}

/** The configuration file is missing, unreadable or describes an impossible topology. */
export class ConfigInvalidError extends PanFailoverError {
  readonly name = 'ConfigInvalidError';
  readonly retryable = false;
  readonly issues: readonly ValidationIssue[];
  constructor(source: string, issues: readonly ValidationIssue[], options: { cause?: unknown } = {}) {
    super(`invalid configuration ${source}: ${formatIssues(issues)}`, { ...options, details: { issues } });
    this.issues = issues;
  }
}

/** A trigger (manual, alarm, probe) or step input does not match its schema. */
export class InputInvalidError extends PanFailoverError {
  readonly name = 'InputInvalidError';
  readonly retryable = false;
  readonly issues: readonly ValidationIssue[];
  constructor(what: string, issues: readonly ValidationIssue[]) {
    super(`invalid ${what}: ${formatIssues(issues)}`, { details: { issues } });
    this.issues = issues;
  }
}

/** The API key (or another secret) could not be read. The message names the reference, never the value. */
export class SecretUnavailableError extends PanFailoverError {
  readonly name = 'SecretUnavailableError';
  readonly retryable: boolean;
  constructor(reference: string, reason: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(`API key ${reference} is unavailable: ${reason}`, { cause: options.cause, details: { reference } });
    this.retryable = options.retryable ?? false;
  }
}

// ---------------------------------------------------------------------------------------------
// PAN-OS XML API

interface FirewallErrorOptions {
  cause?: unknown;
  details?: ErrorDetails;
}

/** Base of every failure to get a usable answer from a firewall's XML API. */
export abstract class FirewallError extends PanFailoverError {
  /** Management address (host:port) the call went to. */
  readonly target: string;
  constructor(target: string, message: string, options: FirewallErrorOptions = {}) {
    super(`${target}: ${message}`, { cause: options.cause, details: { target, ...options.details } });
    this.target = target;
  }
}

/** No complete answer within the configured connect or total timeout. */
export class FirewallTimeoutError extends FirewallError {
  readonly name = 'FirewallTimeoutError';
  readonly retryable = true;
}

/** TCP connection refused, reset or unreachable (stopped, booting, or a broken path). */
export class FirewallUnreachableError extends FirewallError {
  readonly name = 'FirewallUnreachableError';
  readonly retryable = true;
}

/** The peer's certificate matches neither the pinned fingerprint nor the CA bundle. No key was sent. */
export class FirewallTlsUntrustedError extends FirewallError {
  readonly name = 'FirewallTlsUntrustedError';
  readonly retryable = false;
}

/** HTTP 403 / code 403 "Invalid Credential": wrong or expired key, or auth daemon not up during boot. */
export class FirewallAuthError extends FirewallError {
  readonly name = 'FirewallAuthError';
  readonly retryable = false;
}

/** `status="error"` with a PAN-OS code (or none), or an HTTP error status with an XML body. */
export class FirewallApiError extends FirewallError {
  readonly name = 'FirewallApiError';
  readonly retryable: boolean;
  readonly code: number | undefined;
  readonly httpStatus: number | undefined;
  constructor(
    target: string,
    message: string,
    options: FirewallErrorOptions & { code?: number; httpStatus?: number } = {},
  ) {
    super(target, message, { ...options, details: { code: options.code, httpStatus: options.httpStatus } });
    this.code = options.code;
    this.httpStatus = options.httpStatus;
    // Internal errors (2-5, 11, 21), session timeout (22) and 5xx may pass; the rest will not.
    const transientCodes = new Set([2, 3, 4, 5, 11, 21, 22]);
    this.retryable =
      (options.code !== undefined && transientCodes.has(options.code)) ||
      (options.httpStatus !== undefined && options.httpStatus >= 500);
  }
}

/** The body is not a PAN-OS response: HTML error page, truncated, hostile, too large, wrong shape. */
export class FirewallMalformedResponseError extends FirewallError {
  readonly name = 'FirewallMalformedResponseError';
  readonly retryable = true;
}

// ---------------------------------------------------------------------------------------------
// AWS

interface AwsErrorOptions {
  cause?: unknown;
  details?: ErrorDetails;
}

/** Base of failed AWS calls, translated by the adapters from SDK exceptions. */
export abstract class AwsError extends PanFailoverError {
  readonly operation: string;
  /** AWS error code as returned by the service (e.g. `RequestLimitExceeded`). */
  readonly awsCode: string | undefined;
  constructor(operation: string, message: string, awsCode: string | undefined, options: AwsErrorOptions = {}) {
    super(`${operation}: ${message}`, { cause: options.cause, details: { operation, awsCode, ...options.details } });
    this.operation = operation;
    this.awsCode = awsCode;
  }
}

/** Throttled (`RequestLimitExceeded`, `Throttling`, `TooManyRequestsException`). */
export class AwsThrottledError extends AwsError {
  readonly name = 'AwsThrottledError';
  readonly retryable = true;
}

/** 5xx, network errors, timeouts talking to AWS. */
export class AwsTransientError extends AwsError {
  readonly name = 'AwsTransientError';
  readonly retryable = true;
}

/** `UnauthorizedOperation` / `AccessDenied`: the controller's role lacks a permission. */
export class AwsAccessDeniedError extends AwsError {
  readonly name = 'AwsAccessDeniedError';
  readonly retryable = false;
}

/** Any other AWS error: terminal, reported with its code. */
export class AwsCallError extends AwsError {
  readonly name = 'AwsCallError';
  readonly retryable = false;
}

/** `IncorrectInstanceState`: e.g. starting an instance that is still `stopping`. Wait and retry. */
export class InstanceStateConflictError extends AwsError {
  readonly name = 'InstanceStateConflictError';
  readonly retryable = true;
}

/** `InsufficientInstanceCapacity`: the AZ has no capacity for the type right now. */
export class InsufficientCapacityError extends AwsError {
  readonly name = 'InsufficientCapacityError';
  readonly retryable = true;
}

/** A managed object (route, EIP allocation, instance, ENI, hosted zone) does not exist. */
export class ManagedResourceNotFoundError extends AwsError {
  readonly name = 'ManagedResourceNotFoundError';
  readonly retryable = false;
}

// ---------------------------------------------------------------------------------------------
// Flow

/** The target firewall did not become ready before the readiness deadline. */
export class StandbyNotReadyError extends PanFailoverError {
  readonly name = 'StandbyNotReadyError';
  readonly retryable = false;
}

/** The target firewall cannot take traffic (terminated, untrusted certificate, bad key, ...). */
export class TargetUnusableError extends PanFailoverError {
  readonly name = 'TargetUnusableError';
  readonly retryable = false;
}

/** After the moves, Describe calls still show managed objects elsewhere (eventual consistency or a race). */
export class CutoverNotVerifiedError extends PanFailoverError {
  readonly name = 'CutoverNotVerifiedError';
  readonly retryable = true;
}

/** The cutover could not complete; what was moved was moved back (details list both). */
export class CutoverFailedError extends PanFailoverError {
  readonly name = 'CutoverFailedError';
  readonly retryable = false;
}

/**
 * The invocation's remaining time (its Lambda timeout) does not allow this piece of work to be
 * started and finished: it was not started. The step is safe to run again.
 */
export class StepTimeBudgetError extends PanFailoverError {
  readonly name = 'StepTimeBudgetError';
  readonly retryable = true;
}

/** The caller no longer holds the lock it tries to use (lease expired and taken over). */
export class LockLostError extends PanFailoverError {
  readonly name = 'LockLostError';
  readonly retryable = false;
}

/** A person's manual flow while the pair is paused for maintenance, without overriding the pause. */
export class PairPausedError extends PanFailoverError {
  readonly name = 'PairPausedError';
  readonly retryable = false;
}

/** Optimistic write of the probe state lost a race with another probe invocation. */
export class StateConflictError extends PanFailoverError {
  readonly name = 'StateConflictError';
  readonly retryable = true;
}

// ---------------------------------------------------------------------------------------------

/**
 * Every error class the controller can throw into a flow or a caller (the local-only guard's
 * below is left out: it never leaves a local mode). A new class goes here; a test checks that
 * none is missing.
 */
export const ERROR_CLASSES = [
  ConfigInvalidError,
  InputInvalidError,
  SecretUnavailableError,
  FirewallTimeoutError,
  FirewallUnreachableError,
  FirewallTlsUntrustedError,
  FirewallAuthError,
  FirewallApiError,
  FirewallMalformedResponseError,
  AwsThrottledError,
  AwsTransientError,
  AwsAccessDeniedError,
  AwsCallError,
  InstanceStateConflictError,
  InsufficientCapacityError,
  ManagedResourceNotFoundError,
  StandbyNotReadyError,
  TargetUnusableError,
  CutoverNotVerifiedError,
  CutoverFailedError,
  LockLostError,
  PairPausedError,
  StateConflictError,
  StepTimeBudgetError,
] as const;

export type ErrorName = InstanceType<(typeof ERROR_CLASSES)[number]>['name'];

/** A constructor of any error class above, called with placeholder arguments. */
type AnyErrorClass = new (first: string, second: never[]) => PanFailoverError;

/**
 * Every error name the code can throw, read off the classes (the ASL contract test checks the
 * state machine's Retry and Catch against it). `name` is an instance field, and class names do
 * not survive minification: each class is made once, with placeholder arguments.
 */
export function errorNames(): ErrorName[] {
  return ERROR_CLASSES.map((C) => new (C as unknown as AnyErrorClass)('', []).name as ErrorName);
}

export function isPanFailoverError(e: unknown): e is PanFailoverError {
  return e instanceof PanFailoverError;
}

/** Message of any thrown value, for logs; never includes a stack. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

// ---------------------------------------------------------------------------------------------
// Local modes

/**
 * The simulator, `npm start`, `pan-failover sim` and the tests run with the local-only guard:
 * an AWS SDK call about to be signed for a host that is not loopback is refused (nothing was
 * signed or sent). Seeing it means something tried to reach a real AWS endpoint from a local mode.
 */
export class LocalOnlyViolationError extends PanFailoverError {
  readonly name = 'LocalOnlyViolationError';
  readonly retryable = false;
  constructor(host: string, operation: string) {
    super(`refused ${operation} to ${host}: in a local mode (simulator, tests) AWS calls may only go to a loopback address, and nothing was signed or sent`, {
      details: { host, operation },
    });
  }
}
