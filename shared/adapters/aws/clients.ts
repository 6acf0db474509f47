/**
 * SDK v3 clients, built once per process (call the factory at module scope in a Lambda so warm
 * invocations reuse the clients and their keep-alive connections).
 *
 * No `endpoint` is ever passed: the SDK then honours `AWS_ENDPOINT_URL` and the per-service
 * `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL_ROUTE_53`, ... by itself, which is how the local
 * simulator is reached without code changes. `maxAttempts` is left to the SDK (and so to
 * `AWS_MAX_ATTEMPTS`) unless the caller sets it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
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

/** The configuration every client shares: region, standard retries, bounded sockets. */
export function awsClientConfig(options: AwsClientOptions = {}) {
  const region = options.region ?? process.env.AWS_REGION;
  return {
    ...(region === undefined || region === '' ? {} : { region }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    retryMode: 'standard',
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

export interface AwsClients {
  readonly ec2: EC2Client;
  readonly route53: Route53Client;
  readonly dynamodb: DynamoDBClient;
  readonly sfn: SFNClient;
  readonly sns: SNSClient;
  readonly secretsManager: SecretsManagerClient;
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
  };
}
