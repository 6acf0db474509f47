// Real SDK clients against a loopback HTTP server: proves the endpoint environment variables,
// the default region and the request timeout, which a mocked `send` cannot show.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { AwsThrottledError, AwsTransientError } from '#shared/errors.js';
import { withRetry } from '#shared/usecases/pacing.js';
import {
  AWS_CLIENT_DEFAULTS,
  CallerAwareRetryStrategy,
  SDK_DEFAULT_MAX_ATTEMPTS,
  awsClientConfig,
  createAwsClients,
  createEc2Client,
} from '#shared/adapters/aws/clients.js';
import { Ec2Adapter } from '#shared/adapters/aws/ec2.js';

interface Seen {
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

let server: Server;
let seen: Seen[];
let respond: (req: IncomingMessage, res: ServerResponse) => void;

function endpoint(): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeEach(async () => {
  seen = [];
  respond = (_req, res) => res.end();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      respond(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Static credentials: no probing of the instance metadata service.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret-test');
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_REGION', 'eu-central-1');
  vi.stubEnv('AWS_ENDPOINT_URL', '');
  vi.stubEnv('AWS_ENDPOINT_URL_EC2', '');
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', '');
  vi.stubEnv('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', '');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const EMPTY_DESCRIBE_INSTANCES =
  '<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId><reservationSet/></DescribeInstancesResponse>';

describe('createAwsClients', () => {
  it('honours AWS_ENDPOINT_URL_EC2 (no endpoint is hard-wired)', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_EC2', endpoint());
    respond = (_req, res) => {
      res.setHeader('content-type', 'text/xml');
      res.end(EMPTY_DESCRIBE_INSTANCES);
    };
    const out = await createAwsClients().ec2.send(
      new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }),
    );
    expect(out.Reservations ?? []).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body).toContain('Action=DescribeInstances');
    expect(seen[0]!.body).toContain('InstanceId.1=i-0123456789abcdef0');
    // Signed for the region taken from AWS_REGION.
    expect(seen[0]!.headers.authorization).toContain('/eu-central-1/ec2/aws4_request');
  });

  it('honours the generic AWS_ENDPOINT_URL for every service', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL', endpoint());
    respond = (_req, res) => {
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      res.end('{}');
    };
    const out = await createAwsClients().dynamodb.send(
      new GetItemCommand({ TableName: 't', Key: { pk: { S: 'pair#x' }, sk: { S: 'lock' } } }),
    );
    expect(out.Item).toBeUndefined();
    expect(seen[0]!.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
  });

  it('a region passed in wins over AWS_REGION', async () => {
    const clients = createAwsClients({ region: 'us-west-2' });
    await expect(clients.sns.config.region()).resolves.toBe('us-west-2');
    await expect(createAwsClients().sns.config.region()).resolves.toBe('eu-central-1');
  });

  it('builds each client once, on first use', () => {
    const clients = createAwsClients();
    expect(clients.ec2).toBe(clients.ec2);
    expect(clients.secretsManager).toBe(clients.secretsManager);
    expect(clients.route53).not.toBe(createAwsClients().route53);
  });

  it('uses the standard retry strategy (aware of the caller\'s retries) and bounded connect/request timeouts', () => {
    const config = awsClientConfig();
    expect(config.retryStrategy).toBeInstanceOf(CallerAwareRetryStrategy);
    expect(config.retryStrategy.mode).toBe('standard');
    expect(config.requestHandler).toEqual({
      connectionTimeout: AWS_CLIENT_DEFAULTS.connectionTimeoutMs,
      requestTimeout: AWS_CLIENT_DEFAULTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    });
    expect(config).not.toHaveProperty('endpoint');
  });

  describe('one retry layer per call', () => {
    const throttling = (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(503, { 'Content-Type': 'text/xml' });
      res.end('<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r</RequestID></Response>');
    };
    const noSleepClock = { now: () => Date.now(), sleep: () => Promise.resolve() };

    it('outside withRetry the SDK retries a throttled call itself (its 3 attempts)', async () => {
      vi.stubEnv('AWS_ENDPOINT_URL_EC2', endpoint());
      respond = throttling;
      const ec2 = new Ec2Adapter(createEc2Client());
      await expect(ec2.startInstance('i-0123456789abcdef0')).rejects.toBeInstanceOf(AwsThrottledError);
      expect(seen).toHaveLength(SDK_DEFAULT_MAX_ATTEMPTS);
    }, 30_000);

    it('inside withRetry only withRetry retries: one request per attempt, and the first throttle reaches onRetry', async () => {
      vi.stubEnv('AWS_ENDPOINT_URL_EC2', endpoint());
      respond = throttling;
      const ec2 = new Ec2Adapter(createEc2Client());
      const retried: number[] = [];
      const call = withRetry(noSleepClock, () => ec2.startInstance('i-0123456789abcdef0'), { attempts: 4, baseDelayMs: 1, maxDelayMs: 1 }, (_e, attempt) => retried.push(attempt));
      await expect(call).rejects.toBeInstanceOf(AwsThrottledError);
      // 4 requests, not 4 x 3: the bucket hears of the throttle after the first request.
      expect(seen).toHaveLength(4);
      expect(retried).toEqual([1, 2, 3]);
      // The scope ends with the call: the same client outside withRetry retries again.
      seen.length = 0;
      await expect(ec2.startInstance('i-0123456789abcdef0')).rejects.toBeInstanceOf(AwsThrottledError);
      expect(seen).toHaveLength(SDK_DEFAULT_MAX_ATTEMPTS);
    }, 30_000);

    it('AWS_MAX_ATTEMPTS still sets the SDK\'s attempts outside withRetry', async () => {
      vi.stubEnv('AWS_ENDPOINT_URL_EC2', endpoint());
      vi.stubEnv('AWS_MAX_ATTEMPTS', '2');
      respond = throttling;
      await expect(new Ec2Adapter(createEc2Client()).startInstance('i-0123456789abcdef0')).rejects.toBeInstanceOf(AwsThrottledError);
      expect(seen).toHaveLength(2);
    }, 30_000);
  });

  it('a server that never answers fails the call with AwsTransientError instead of hanging', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_EC2', endpoint());
    respond = () => undefined; // accept, read, never answer
    const ec2 = new Ec2Adapter(createEc2Client({ requestTimeoutMs: 300, maxAttempts: 1 }));
    const failure = await ec2.startInstance('i-0123456789abcdef0').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AwsTransientError);
    expect((failure as AwsTransientError).message).toContain('TimeoutError');
    expect(seen).toHaveLength(1);
  });
});
