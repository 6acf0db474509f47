import { describe, expect, it } from 'vitest';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { Route53ServiceException, NoSuchHostedZone, PriorRequestNotComplete } from '@aws-sdk/client-route-53';
import {
  DynamoDBServiceException,
  ResourceNotFoundException as DynamoResourceNotFound,
} from '@aws-sdk/client-dynamodb';
import { SNSServiceException, ThrottledException } from '@aws-sdk/client-sns';
import { SFNServiceException } from '@aws-sdk/client-sfn';
import { SecretsManagerServiceException, InternalServiceError } from '@aws-sdk/client-secrets-manager';
import type { AwsError } from '#shared/errors.js';
import {
  AwsAccessDeniedError,
  AwsCallError,
  AwsThrottledError,
  AwsTransientError,
  ConfigInvalidError,
  InstanceStateConflictError,
  InsufficientCapacityError,
  ManagedResourceNotFoundError,
} from '#shared/errors.js';
import { awsErrorCode, callAws, translateAwsError } from '#shared/adapters/aws/errors.js';

type ErrorClass = abstract new (...args: never[]) => AwsError;

const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'req-1' });

function ec2(name: string, httpStatusCode = 400) {
  return new EC2ServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: meta(httpStatusCode),
    message: `${name} happened`,
  });
}

const withResource = { operation: 'ec2:ReplaceRoute', resource: 'route 0.0.0.0/0 in rtb-0a1b2c3d' };
const ownTable = { operation: 'dynamodb:GetItem' };

// name, error, context, expected class, retryable
const table: [string, unknown, { operation: string; resource?: string }, ErrorClass, boolean][] = [
  [
    'RequestLimitExceeded (EC2, HTTP 503) is throttling, not a server fault',
    ec2('RequestLimitExceeded', 503),
    withResource,
    AwsThrottledError,
    true,
  ],
  [
    'Throttling (Route 53, HTTP 400)',
    new Route53ServiceException({
      name: 'Throttling',
      $fault: 'client',
      $metadata: meta(400),
      message: 'Rate exceeded',
    }),
    withResource,
    AwsThrottledError,
    true,
  ],
  [
    'ThrottlingException',
    new DynamoDBServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: meta(400),
      message: 'slow down',
    }),
    ownTable,
    AwsThrottledError,
    true,
  ],
  [
    'TooManyRequestsException',
    new SFNServiceException({
      name: 'TooManyRequestsException',
      $fault: 'client',
      $metadata: meta(400),
      message: 'x',
    }),
    ownTable,
    AwsThrottledError,
    true,
  ],
  [
    'PriorRequestNotComplete (Route 53 class)',
    new PriorRequestNotComplete({ $metadata: meta(400), message: 'wait' }),
    withResource,
    AwsThrottledError,
    true,
  ],
  [
    'SNS ThrottledException',
    new ThrottledException({ $metadata: meta(400), message: 'x' }),
    ownTable,
    AwsThrottledError,
    true,
  ],
  [
    'HTTP 429 whatever the name',
    new SNSServiceException({ name: 'SomethingNew', $fault: 'client', $metadata: meta(429), message: 'x' }),
    ownTable,
    AwsThrottledError,
    true,
  ],
  ['IncorrectInstanceState', ec2('IncorrectInstanceState'), withResource, InstanceStateConflictError, true],
  [
    'InsufficientInstanceCapacity',
    ec2('InsufficientInstanceCapacity', 500),
    withResource,
    InsufficientCapacityError,
    true,
  ],
  ['InvalidRoute.NotFound', ec2('InvalidRoute.NotFound'), withResource, ManagedResourceNotFoundError, false],
  [
    'InvalidRouteTableID.NotFound',
    ec2('InvalidRouteTableID.NotFound'),
    withResource,
    ManagedResourceNotFoundError,
    false,
  ],
  [
    'InvalidAllocationID.NotFound',
    ec2('InvalidAllocationID.NotFound'),
    withResource,
    ManagedResourceNotFoundError,
    false,
  ],
  [
    'InvalidInstanceID.NotFound',
    ec2('InvalidInstanceID.NotFound'),
    withResource,
    ManagedResourceNotFoundError,
    false,
  ],
  [
    'InvalidNetworkInterfaceID.NotFound',
    ec2('InvalidNetworkInterfaceID.NotFound'),
    withResource,
    ManagedResourceNotFoundError,
    false,
  ],
  [
    'NoSuchHostedZone (Route 53 class)',
    new NoSuchHostedZone({ $metadata: meta(404), message: 'No hosted zone found with ID: Z1' }),
    withResource,
    ManagedResourceNotFoundError,
    false,
  ],
  [
    'NoSuchChange',
    new Route53ServiceException({
      name: 'NoSuchChange',
      $fault: 'client',
      $metadata: meta(404),
      message: 'x',
    }),
    withResource,
    ManagedResourceNotFoundError,
    false,
  ],
  [
    'ResourceNotFoundException about a managed object',
    new SFNServiceException({
      name: 'ResourceNotFoundException',
      $fault: 'client',
      $metadata: meta(400),
      message: 'x',
    }),
    withResource,
    ManagedResourceNotFoundError,
    false,
  ],
  [
    'ResourceNotFoundException about the own table is a deployment error',
    new DynamoResourceNotFound({ $metadata: meta(400), message: 'Requested resource not found' }),
    ownTable,
    AwsCallError,
    false,
  ],
  ['UnauthorizedOperation', ec2('UnauthorizedOperation', 403), withResource, AwsAccessDeniedError, false],
  [
    'AccessDenied',
    new Route53ServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: meta(403),
      message: 'x',
    }),
    withResource,
    AwsAccessDeniedError,
    false,
  ],
  [
    'AccessDeniedException',
    new DynamoDBServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: meta(400),
      message: 'x',
    }),
    ownTable,
    AwsAccessDeniedError,
    false,
  ],
  ['HTTP 500', ec2('InternalError', 500), withResource, AwsTransientError, true],
  ['HTTP 503 with an unknown name', ec2('Unavailable', 503), withResource, AwsTransientError, true],
  [
    'server fault without a status (modelled 5xx class)',
    new InternalServiceError({ $metadata: {}, message: 'oops' }),
    ownTable,
    AwsTransientError,
    true,
  ],
  [
    'ECONNRESET',
    Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    withResource,
    AwsTransientError,
    true,
  ],
  [
    'ECONNREFUSED',
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    withResource,
    AwsTransientError,
    true,
  ],
  [
    'TimeoutError from the HTTP handler',
    Object.assign(new Error('request timed out'), { name: 'TimeoutError' }),
    withResource,
    AwsTransientError,
    true,
  ],
  ['an unknown client error', ec2('InvalidParameterValue'), withResource, AwsCallError, false],
  ['Resource.AlreadyAssociated', ec2('Resource.AlreadyAssociated'), withResource, AwsCallError, false],
  [
    'SecretsManager client error',
    new SecretsManagerServiceException({
      name: 'DecryptionFailure',
      $fault: 'client',
      $metadata: meta(400),
      message: 'x',
    }),
    ownTable,
    AwsCallError,
    false,
  ],
  ['a thrown string', 'boom', ownTable, AwsCallError, false],
];

describe('translateAwsError', () => {
  it.each(table)('%s', (_label, error, context, expected, retryable) => {
    const translated = translateAwsError(error, context);
    expect(translated).toBeInstanceOf(expected);
    expect(translated.retryable).toBe(retryable);
    expect(translated.cause).toBe(error);
    expect((translated as AwsError).operation).toBe(context.operation);
    expect(translated.message.startsWith(`${context.operation}: `)).toBe(true);
  });

  it('keeps the AWS code of a service exception', () => {
    const translated = translateAwsError(ec2('InvalidParameterValue'), withResource) as AwsError;
    expect(translated.awsCode).toBe('InvalidParameterValue');
    expect(translated.message).toContain('InvalidParameterValue happened');
  });

  it('reports the socket code of a network error as the code', () => {
    const translated = translateAwsError(
      Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
      withResource,
    ) as AwsError;
    expect(translated.awsCode).toBe('ECONNRESET');
  });

  it('names the managed object that does not exist', () => {
    const translated = translateAwsError(ec2('InvalidRoute.NotFound'), withResource);
    expect(translated.message).toContain('route 0.0.0.0/0 in rtb-0a1b2c3d does not exist');
    expect(translated.details).toMatchObject({
      resource: 'route 0.0.0.0/0 in rtb-0a1b2c3d',
      awsCode: 'InvalidRoute.NotFound',
    });
  });

  it('passes errors already typed by the project through unchanged', () => {
    const typed = new ConfigInvalidError('x', []);
    expect(translateAwsError(typed, withResource)).toBe(typed);
    const aws = new AwsThrottledError('ec2:X', 'y', 'Throttling');
    expect(translateAwsError(aws, withResource)).toBe(aws);
  });
});

describe('callAws', () => {
  it('returns the result of a successful call', async () => {
    await expect(callAws(withResource, () => Promise.resolve(42))).resolves.toBe(42);
  });

  it('throws the translated error of a failed call, never undefined', async () => {
    const error = ec2('RequestLimitExceeded', 503);
    const failure = await callAws(withResource, () => Promise.reject(error)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AwsThrottledError);
    expect((failure as Error).cause).toBe(error);
  });
});

describe('awsErrorCode', () => {
  it('reads the name of an SDK exception and nothing from non-objects', () => {
    expect(awsErrorCode(ec2('IncorrectInstanceState'))).toBe('IncorrectInstanceState');
    expect(awsErrorCode('x')).toBeUndefined();
    expect(awsErrorCode(null)).toBeUndefined();
  });
});
