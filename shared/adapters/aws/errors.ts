/**
 * The one place where AWS SDK exceptions become the typed errors of `shared/errors.ts`.
 *
 * Every adapter sends its calls through `callAws`, so a throttled `ReplaceRoute` and a throttled
 * `GetChange` fail the same way and Step Functions can retry both on one error name. A failed
 * call always throws: nothing here turns a failure into `undefined`.
 */
import {
  AwsAccessDeniedError,
  AwsCallError,
  AwsThrottledError,
  AwsTransientError,
  InstanceStateConflictError,
  InsufficientCapacityError,
  ManagedResourceNotFoundError,
  PanFailoverError,
} from '#shared/errors.js';

/** What a call was about, so the error can say so. */
export interface AwsCallContext {
  /** IAM-style action, e.g. `ec2:ReplaceRoute`; it prefixes the error message. */
  readonly operation: string;
  /**
   * The managed object(s) the call is about (`route 0.0.0.0/0 in rtb-1`). Named in
   * `ManagedResourceNotFoundError`. Only when it is set does the generic
   * `ResourceNotFoundException` count as a missing managed object: without it, the missing
   * thing is the controller's own infrastructure (its table, its topic), a deployment error.
   */
  readonly resource?: string;
}

const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'KMSThrottlingException',
  'KmsThrottlingException',
]);

const ACCESS_DENIED_CODES: ReadonlySet<string> = new Set([
  'UnauthorizedOperation',
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationErrorException',
  // SNS's wire code (the SDK names it AuthorizationErrorException).
  'AuthorizationError',
  'KMSAccessDeniedException',
  'KmsAccessDeniedException',
]);

const MANAGED_NOT_FOUND_CODES: ReadonlySet<string> = new Set([
  'InvalidRoute.NotFound',
  'InvalidRouteTableID.NotFound',
  'InvalidAllocationID.NotFound',
  'InvalidInstanceID.NotFound',
  'InvalidNetworkInterfaceID.NotFound',
  'InvalidAssociationID.NotFound',
  'NoSuchHostedZone',
  'NoSuchChange',
]);

/** Error names the SDK and its HTTP handler give to failures that a later attempt may not see. */
const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'InternalErrorException',
  'InternalServiceError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
]);

/** Node socket error codes: the connection broke or never came up. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface SdkErrorShape {
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
  readonly httpStatusCode: number | undefined;
  readonly fault: string | undefined;
  readonly throttlingTrait: boolean;
}

function shapeOf(error: unknown): SdkErrorShape {
  if (typeof error !== 'object' || error === null) {
    return {
      name: 'Error',
      message: String(error),
      code: undefined,
      httpStatusCode: undefined,
      fault: undefined,
      throttlingTrait: false,
    };
  }
  const e = error as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    $retryable?: { throttling?: unknown };
  };
  const status = e.$metadata?.httpStatusCode;
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : '',
    code: typeof e.code === 'string' ? e.code : undefined,
    httpStatusCode: typeof status === 'number' ? status : undefined,
    fault: typeof e.$fault === 'string' ? e.$fault : undefined,
    throttlingTrait: e.$retryable?.throttling === true,
  };
}

function isManagedNotFound(name: string, context: AwsCallContext): boolean {
  if (MANAGED_NOT_FOUND_CODES.has(name)) return true;
  // EC2 names every missing object `Invalid<Thing>ID.NotFound` / `Invalid<Thing>.NotFound`.
  if (/^Invalid[A-Za-z]+\.NotFound$/.test(name)) return true;
  return name === 'ResourceNotFoundException' && context.resource !== undefined;
}

/** A server-side or network fault (5xx, a reset connection, a timeout): the same call may pass later. */
function isTransientFault(shape: SdkErrorShape): boolean {
  if (TRANSIENT_NAMES.has(shape.name)) return true;
  if (shape.code !== undefined && NETWORK_CODES.has(shape.code)) return true;
  if (shape.httpStatusCode !== undefined) return shape.httpStatusCode >= 500;
  return shape.fault === 'server';
}

/** The SDK error as one line: its name, and its message when it has one. */
function errorText(shape: SdkErrorShape): string {
  return shape.message === '' ? shape.name : `${shape.name}: ${shape.message}`;
}

/**
 * Translates any thrown value of an AWS call into an `AwsError` subclass. Errors already typed
 * by this project pass through unchanged, so wrapping twice is harmless.
 */
export function translateAwsError(error: unknown, context: AwsCallContext): PanFailoverError {
  if (error instanceof PanFailoverError) return error;
  const shape = shapeOf(error);
  const { operation } = context;
  const options = {
    cause: error,
    details: context.resource === undefined ? {} : { resource: context.resource },
  };

  // Throttling first: EC2 sends RequestLimitExceeded with HTTP 503, which is not a server fault.
  if (THROTTLING_CODES.has(shape.name) || shape.httpStatusCode === 429 || shape.throttlingTrait) {
    return new AwsThrottledError(operation, `throttled (${errorText(shape)})`, shape.name, options);
  }
  if (shape.name === 'IncorrectInstanceState') {
    return new InstanceStateConflictError(operation, errorText(shape), shape.name, options);
  }
  if (shape.name === 'InsufficientInstanceCapacity') {
    return new InsufficientCapacityError(operation, errorText(shape), shape.name, options);
  }
  if (isManagedNotFound(shape.name, context)) {
    const what = context.resource ?? 'a managed object';
    return new ManagedResourceNotFoundError(
      operation,
      `${what} does not exist (${errorText(shape)})`,
      shape.name,
      options,
    );
  }
  if (ACCESS_DENIED_CODES.has(shape.name)) {
    return new AwsAccessDeniedError(operation, `access denied (${errorText(shape)})`, shape.name, options);
  }
  if (isTransientFault(shape)) {
    return new AwsTransientError(operation, errorText(shape), shape.code ?? shape.name, options);
  }
  return new AwsCallError(operation, errorText(shape), shape.name, options);
}

/** Runs one SDK call; any failure leaves as a typed error naming the operation. */
export async function callAws<T>(context: AwsCallContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translateAwsError(error, context);
  }
}

/** The AWS error code of a raw SDK exception (its `name`), for adapters that branch on one code. */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * A response that lacks what the API documents (a simulator bug, an API change): terminal,
 * because retrying the same call returns the same shape.
 */
export function malformedResponse(operation: string, what: string): AwsCallError {
  return new AwsCallError(operation, `unexpected response: ${what}`, undefined);
}
