/**
 * SDK v3 clients, built once per process (call the factory at module scope in a Lambda so warm
 * invocations reuse the clients and their keep-alive connections).
 *
 * No `endpoint` is ever passed: the SDK then honours `AWS_ENDPOINT_URL` and the per-service
 * `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL_ROUTE_53`, ... by itself, which is how the local
 * simulator is reached without code changes. Retries: the SDK's standard strategy (3 attempts,
 * `AWS_MAX_ATTEMPTS`, or `maxAttempts`), except for calls made inside the project's own retry
 * loop (`withRetry`), which the SDK does not retry: one retry layer per call
 * (shared/runtime/retry-scope.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { StandardRetryStrategy } from '@smithy/core/retry';
import { isRetriedByCaller } from '../../runtime/retry-scope.js';
import { guardLocalOnly } from './local-only.js';

export interface AwsClientOptions {
  /** Defaults to `AWS_REGION` (then to the SDK's own resolution chain). */
  readonly region?: string;
  /** Attempts per call, first included; defaults to the SDK's (3, or `AWS_MAX_ATTEMPTS`). */
  readonly maxAttempts?: number;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Static credentials instead of the SDK's chain (the simulator signs each simulated function's calls with its own role's key). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

/**
 * The SDK's defaults are no connect timeout and a socket timeout of minutes: a blackholed
 * endpoint would hold a readiness step until Lambda kills it. AWS endpoints (or the VPC
 * interface endpoints) connect in milliseconds; the slowest call the controller makes
 * (a big DescribeRouteTables, Route 53 from another region) answers in about a second.
 */
export const AWS_CLIENT_DEFAULTS = {
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
} as const;

/** The SDK's default attempts per call when neither `maxAttempts` nor `AWS_MAX_ATTEMPTS` says. */
export const SDK_DEFAULT_MAX_ATTEMPTS = 3;

function sdkMaxAttempts(options: AwsClientOptions): number {
  if (options.maxAttempts !== undefined) return options.maxAttempts;
  const env = Number(process.env.AWS_MAX_ATTEMPTS);
  return Number.isInteger(env) && env >= 1 ? env : SDK_DEFAULT_MAX_ATTEMPTS;
}

/**
 * The SDK's standard retry strategy, which declines every retry of a call made inside
 * `retriedByCaller` (the caller retries it with its own policy, bucket and deadline).
 */
export class CallerAwareRetryStrategy {
  readonly mode = 'standard';
  readonly #inner: StandardRetryStrategy;

  constructor(maxAttempts: number) {
    this.#inner = new StandardRetryStrategy(maxAttempts);
  }

  acquireInitialRetryToken(scope: string): ReturnType<StandardRetryStrategy['acquireInitialRetryToken']> {
    return this.#inner.acquireInitialRetryToken(scope);
  }

  refreshRetryTokenForRetry(...args: Parameters<StandardRetryStrategy['refreshRetryTokenForRetry']>): ReturnType<StandardRetryStrategy['refreshRetryTokenForRetry']> {
    // The SDK's own refusal: it then throws the call's error as it is.
    if (isRetriedByCaller()) return Promise.reject(new Error('No retry token available'));
    return this.#inner.refreshRetryTokenForRetry(...args);
  }

  recordSuccess(...args: Parameters<StandardRetryStrategy['recordSuccess']>): void {
    this.#inner.recordSuccess(...args);
  }
}

/** The configuration every client shares: region, one retry layer per call, bounded sockets. */
export function awsClientConfig(options: AwsClientOptions = {}) {
  const region = options.region ?? process.env.AWS_REGION;
  return {
    ...(region === undefined || region === '' ? {} : { region }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    retryStrategy: new CallerAwareRetryStrategy(sdkMaxAttempts(options)),
    // Options rather than a handler instance: the client builds its own NodeHttpHandler from
    // them, so this module needs no direct dependency on @smithy/node-http-handler.
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? AWS_CLIENT_DEFAULTS.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs ?? AWS_CLIENT_DEFAULTS.requestTimeoutMs,
      // Without it a request timeout only logs a warning and the call keeps waiting.
      throwOnRequestTimeout: true,
    },
  } as const;
}

// One factory per service, so a Lambda bundle that needs only EC2 does not carry the others.
// `guardLocalOnly`: in a local mode (simulator, tests) a request to a non-loopback host is
// refused before it is signed (./local-only.ts); elsewhere it adds nothing.
export const createEc2Client = (options?: AwsClientOptions) => guardLocalOnly(new EC2Client(awsClientConfig(options)));
export const createRoute53Client = (options?: AwsClientOptions) =>
  guardLocalOnly(new Route53Client(awsClientConfig(options)));
export const createDynamoDbClient = (options?: AwsClientOptions) =>
  guardLocalOnly(new DynamoDBClient(awsClientConfig(options)));
export const createSfnClient = (options?: AwsClientOptions) => guardLocalOnly(new SFNClient(awsClientConfig(options)));
export const createSnsClient = (options?: AwsClientOptions) => guardLocalOnly(new SNSClient(awsClientConfig(options)));
export const createSecretsManagerClient = (options?: AwsClientOptions) =>
  guardLocalOnly(new SecretsManagerClient(awsClientConfig(options)));
/** SSM Parameter Store (the API keys stored as SecureString parameters: ADR 0010). */
export const createSsmClient = (options?: AwsClientOptions) => guardLocalOnly(new SSMClient(awsClientConfig(options)));
/** IAM (the self-test's `SimulatePrincipalPolicy` on the function's own role); only the functions outside the VPC use it. */
export const createIamClient = (options?: AwsClientOptions) => guardLocalOnly(new IAMClient(awsClientConfig(options)));
/** Lambda (the CLI's `selftest` invokes the deployed functions). A self-test runs for seconds: a longer socket timeout. */
export const createLambdaClient = (options?: AwsClientOptions) =>
  guardLocalOnly(new LambdaClient(awsClientConfig({ requestTimeoutMs: 120_000, ...options })));

export interface AwsClients {
  readonly ec2: EC2Client;
  readonly route53: Route53Client;
  readonly dynamodb: DynamoDBClient;
  readonly sfn: SFNClient;
  readonly sns: SNSClient;
  readonly secretsManager: SecretsManagerClient;
  readonly ssm: SSMClient;
}

function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

/**
 * All clients behind lazy getters: each is built on first use and then reused, so a function
 * that never touches SNS never pays for an SNS client.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const ec2 = once(() => createEc2Client(options));
  const route53 = once(() => createRoute53Client(options));
  const dynamodb = once(() => createDynamoDbClient(options));
  const sfn = once(() => createSfnClient(options));
  const sns = once(() => createSnsClient(options));
  const secretsManager = once(() => createSecretsManagerClient(options));
  const ssm = once(() => createSsmClient(options));
  return {
    get ec2() {
      return ec2();
    },
    get route53() {
      return route53();
    },
    get dynamodb() {
      return dynamodb();
    },
    get sfn() {
      return sfn();
    },
    get sns() {
      return sns();
    },
    get secretsManager() {
      return secretsManager();
    },
    get ssm() {
      return ssm();
    },
  };
}
