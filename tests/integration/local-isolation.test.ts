/**
 * The local modes can never reach a real AWS account. A shell "logged in to production" (a
 * profile with keys, a session token, per-service endpoint variables, a profile with
 * `ignore_configured_endpoint_urls = true`, instance-metadata settings) runs the simulator:
 * every SDK call goes to the simulator on loopback, signed with the simulator's key, and a
 * call that would go anywhere else is refused before it is signed or sent.
 *
 * Two layers, each tested on its own: the isolation of the environment (hostile variables set
 * BEFORE the simulator starts point at a loopback decoy that must see nothing), and the
 * local-only guard (hostile settings made AFTER the isolation, pointing at the real AWS host
 * names, are refused before signing; the request handler is never called).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import {
  createDynamoDbClient,
  createEc2Client,
  createRoute53Client,
  createSecretsManagerClient,
  createSsmClient,
  createSfnClient,
  createSnsClient,
} from '#shared/adapters/aws/clients.js';
import { isLoopbackHost, isLocalOnly, LOCAL_ONLY_ENV } from '#shared/adapters/aws/local-only.js';
import { isolateFromRealAws, SIMULATOR_CREDENTIALS } from '#shared/runtime/local-aws.js';
import { LocalOnlyViolationError } from '#shared/errors.js';
import { SimSystem } from '#sim/system.js';
import { makeConfig } from '../support/config.js';

const REAL_KEY = 'AKIAREALPRODKEY00001';
const REAL_SECRET = 'real/prod/secret/key/never/to/be/used/00';
const REAL_TOKEN = 'IQoJb3JpZ2luX2VjEREALSESSIONTOKEN';
const PROFILE_KEY = 'AKIAPROFILEPRODKEY01';

interface Seen {
  readonly hostname: string;
  readonly authorization: string;
  readonly token: string | undefined;
}

/** Records every request after it was signed: where it goes and with which key. */
function recordSigned<C extends { middlewareStack: { addRelativeTo: (...a: never[]) => void } }>(client: C, seen: Seen[]): C {
  (client.middlewareStack.addRelativeTo as (mw: unknown, o: unknown) => void)(
    (next: (a: unknown) => Promise<unknown>) => async (args: { request: { hostname: string; headers: Record<string, string> } }) => {
      const h = args.request.headers;
      seen.push({ hostname: args.request.hostname, authorization: h.authorization ?? h.Authorization ?? '', token: h['x-amz-security-token'] });
      return next(args);
    },
    { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'testRecordSigned' },
  );
  return client;
}

/** One call per service the controller uses, through the project's client factory. */
function everyService(seen: Seen[]): (() => Promise<unknown>)[] {
  return [
    () => recordSigned(createEc2Client(), seen).send(new DescribeInstancesCommand({})),
    () => recordSigned(createDynamoDbClient(), seen).send(new ListTablesCommand({})),
    () => recordSigned(createSecretsManagerClient(), seen).send(new GetSecretValueCommand({ SecretId: 'pan-failover/does-not-exist' })),
    () => recordSigned(createSfnClient(), seen).send(new ListExecutionsCommand({ stateMachineArn: 'arn:aws:states:eu-central-1:123456789012:stateMachine:none' })),
    () => recordSigned(createSnsClient(), seen).send(new ListTopicsCommand({})),
    () => recordSigned(createRoute53Client(), seen).send(new ListHostedZonesCommand({})),
    () => recordSigned(createSsmClient(), seen).send(new GetParameterCommand({ Name: '/pan-failover/does-not-exist', WithDecryption: true })),
  ];
}

let decoy: Server;
let decoyHits = 0;
let dir: string;
const saved = { ...process.env };

function decoyUrl(): string {
  return `http://127.0.0.1:${(decoy.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  decoy = createServer((req, res) => {
    decoyHits++;
    res.statusCode = 500;
    res.end();
  });
  await new Promise<void>((resolve) => decoy.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => decoy.close(() => resolve()));
});

let system: SimSystem | undefined;
afterEach(async () => {
  await system?.close();
  system = undefined;
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A "production" AWS setup: profile with keys and endpoint_url, credentials file, env keys, token. */
function writeProductionProfile(endpoint: string, extra = ''): { config: string; credentials: string } {
  dir = mkdtempSync(join(tmpdir(), 'pan-failover-prod-'));
  const config = join(dir, 'config');
  const credentials = join(dir, 'credentials');
  writeFileSync(config, `[profile prod]\nregion = eu-central-1\nendpoint_url = ${endpoint}\n${extra}\n[default]\nendpoint_url = ${endpoint}\n${extra}\n`);
  writeFileSync(credentials, `[prod]\naws_access_key_id = ${PROFILE_KEY}\naws_secret_access_key = ${REAL_SECRET}\n[default]\naws_access_key_id = ${PROFILE_KEY}\naws_secret_access_key = ${REAL_SECRET}\n`);
  return { config, credentials };
}

const HOSTILE_ENDPOINT_VARS = [
  'AWS_ENDPOINT_URL_EC2',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_SFN',
  'AWS_ENDPOINT_URL_SNS',
  'AWS_ENDPOINT_URL_ROUTE_53',
  'AWS_ENDPOINT_URL_SSM',
] as const;

describe('isolation of the environment: a shell logged in to production starts the simulator', () => {
  it('every service call reaches the simulator, signed with the simulator key; the real setup sees nothing', async () => {
    const files = writeProductionProfile(decoyUrl());
    Object.assign(process.env, {
      AWS_PROFILE: 'prod',
      AWS_DEFAULT_PROFILE: 'prod',
      AWS_ACCESS_KEY_ID: REAL_KEY,
      AWS_SECRET_ACCESS_KEY: REAL_SECRET,
      AWS_SESSION_TOKEN: REAL_TOKEN,
      AWS_SECURITY_TOKEN: REAL_TOKEN,
      AWS_CONFIG_FILE: files.config,
      AWS_SHARED_CREDENTIALS_FILE: files.credentials,
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      AWS_EC2_METADATA_DISABLED: 'false',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: decoyUrl(),
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${decoyUrl()}/creds`,
      [LOCAL_ONLY_ENV]: '0',
      ...Object.fromEntries(HOSTILE_ENDPOINT_VARS.map((k) => [k, decoyUrl()])),
    });
    system = await SimSystem.start({ config: makeConfig(), speed: 30, transport: 'wire', schedule: false, alarmTrigger: false });

    const seen: Seen[] = [];
    const results = await Promise.allSettled(everyService(seen).map((call) => call()));
    // The simulator answered each one (a missing secret is an answer too): none was refused or lost.
    for (const r of results) if (r.status === 'rejected') expect((r.reason as Error).name).not.toMatch(/LocalOnly|ECONN|Timeout/);
    expect(seen).toHaveLength(7);
    for (const s of seen) {
      expect(s.hostname).toBe('127.0.0.1');
      expect(s.authorization).toContain(`Credential=${SIMULATOR_CREDENTIALS.accessKeyId}/`);
      expect(s.authorization).not.toContain(REAL_KEY);
      expect(s.authorization).not.toContain(PROFILE_KEY);
      expect(s.token).toBeUndefined();
    }
    expect(decoyHits).toBe(0);
    const counts = system.aws!.requestCounts();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(7);
    // What the process now has: nothing of the production setup.
    for (const k of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_EC2_METADATA_SERVICE_ENDPOINT', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', ...HOSTILE_ENDPOINT_VARS]) {
      expect(process.env[k], k).toBeUndefined();
    }
    expect(process.env.AWS_CONFIG_FILE).not.toBe(files.config);
    expect(process.env.AWS_SHARED_CREDENTIALS_FILE).not.toBe(files.credentials);
    expect(process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS).toBe('false');
    expect(process.env.AWS_EC2_METADATA_DISABLED).toBe('true');
    expect(isLocalOnly()).toBe(true);
  });

  it('refuses a simulator endpoint that is not loopback', () => {
    expect(() => isolateFromRealAws({ endpoint: 'https://ec2.eu-central-1.amazonaws.com', env: {} })).toThrow(/loopback/);
    expect(() => isolateFromRealAws({ endpoint: 'http://localhost:4566', env: {} })).toThrow(/loopback/);
  });

  it('the test setup itself ran the isolation (this file started with it)', () => {
    expect(saved[LOCAL_ONLY_ENV]).toBe('1');
    expect(saved.AWS_ACCESS_KEY_ID).toBe(SIMULATOR_CREDENTIALS.accessKeyId);
    expect(saved.AWS_EC2_METADATA_DISABLED).toBe('true');
    expect(saved.AWS_PROFILE).toBeUndefined();
  });
});

describe('the local-only guard: settings that appear after the isolation', () => {
  const REAL_HOSTS = {
    AWS_ENDPOINT_URL_EC2: 'https://ec2.eu-central-1.amazonaws.com',
    AWS_ENDPOINT_URL_DYNAMODB: 'https://dynamodb.eu-central-1.amazonaws.com',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: 'https://secretsmanager.eu-central-1.amazonaws.com',
    AWS_ENDPOINT_URL_SFN: 'https://states.eu-central-1.amazonaws.com',
    AWS_ENDPOINT_URL_SNS: 'https://sns.eu-central-1.amazonaws.com',
    AWS_ENDPOINT_URL_ROUTE_53: 'https://route53.amazonaws.com',
    AWS_ENDPOINT_URL_SSM: 'https://ssm.eu-central-1.amazonaws.com',
  };

  /** Every service call must fail with the guard's error; nothing signed, nothing sent. */
  async function expectAllRefused(): Promise<void> {
    const seen: Seen[] = [];
    const results = await Promise.allSettled(everyService(seen).map((call) => call()));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(LocalOnlyViolationError);
    }
    expect(seen).toEqual([]);
  }

  it.each(Object.entries(REAL_HOSTS))('%s pointing at the real endpoint is refused before signing', async (name, url) => {
    isolateFromRealAws({ endpoint: decoyUrl(), region: 'eu-central-1' });
    process.env[name] = url;
    process.env.AWS_ACCESS_KEY_ID = REAL_KEY;
    process.env.AWS_SESSION_TOKEN = REAL_TOKEN;
    const seen: Seen[] = [];
    const calls = everyService(seen);
    const index = Object.keys(REAL_HOSTS).indexOf(name);
    const failure = await calls[index]!().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(LocalOnlyViolationError);
    expect((failure as LocalOnlyViolationError).details.host).toBe(new URL(url).hostname);
    expect(seen).toEqual([]);
    expect(decoyHits).toBe(0);
  });

  it('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (the SDK falls back to the real endpoints) is refused before signing', async () => {
    isolateFromRealAws({ endpoint: decoyUrl(), region: 'eu-central-1' });
    process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS = 'true';
    await expectAllRefused();
    expect(decoyHits).toBe(0);
  });

  it('a profile with ignore_configured_endpoint_urls = true and real keys is refused before signing', async () => {
    isolateFromRealAws({ endpoint: decoyUrl(), region: 'eu-central-1' });
    const files = writeProductionProfile(decoyUrl(), 'ignore_configured_endpoint_urls = true');
    process.env.AWS_CONFIG_FILE = files.config;
    process.env.AWS_SHARED_CREDENTIALS_FILE = files.credentials;
    process.env.AWS_PROFILE = 'prod';
    delete process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    await expectAllRefused();
    expect(decoyHits).toBe(0);
  });

  it('only loopback IP literals count as loopback (a name is resolved by whoever controls DNS or the hosts file)', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('127.3.4.5')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(false);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
    expect(isLoopbackHost('ec2.eu-central-1.amazonaws.com')).toBe(false);
    expect(isLoopbackHost('127.0.0.1.nip.io')).toBe(false);
  });
});
