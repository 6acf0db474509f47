/**
 * X-Ray: the flow functions' AWS calls are subsegments of the invocation's segment, named for
 * the service, through the functions' own composition roots and clients (against the simulator's
 * wire server). The health probe's are not: it carries no tracer, for its cold start. Outside
 * Lambda (the simulator, the CLI, the tests) the tracer is off and captures nothing.
 *
 * The tracer turns itself on only in Lambda (`AWS_EXECUTION_ENV`); this file sets that, and stands
 * in for Lambda's facade segment with a segment of its own that is never closed, so nothing is
 * sent to an X-Ray daemon.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import AWSXRay from 'aws-xray-sdk-core';
import { CallerAwareRetryStrategy, createEc2Client } from '#shared/adapters/aws/clients.js';
import { LOOPBACK_GUARD_NAME } from '#shared/adapters/aws/local-only.js';
import { recordingTelemetry } from '#shared/observability/telemetry.js';
import { createTracer, tracedClients, type ClientCapture } from '#shared/observability/tracing.js';
import { awsStepDepsFromEnv, controlDepsFromEnv, firewallStepDepsFromEnv } from '#shared/runtime/flow-deps.js';
import { isolateFromRealAws } from '#shared/runtime/local-aws.js';
import { probeDepsFromEnv } from '#shared/runtime/probe-deps.js';
import { startAwsSimulator, type AwsSimulator } from '#sim/aws/server.js';
import { ManualClock } from '#sim/manual-clock.js';
import { World } from '#sim/world/world.js';
import { exampleRaw } from '../support/config.js';
import { EXAMPLE_IDS as ID, exampleTopology } from '../support/example-topology.js';

const XRAY_MIDDLEWARE = 'XRaySDKInstrumentation';
const PAIR = String(exampleRaw().pairs[0]?.['name']);

let world: World;
let sim: AwsSimulator;
let dir: string;

beforeAll(async () => {
  world = World.create({ clock: new ManualClock(), seed: 5 }).load(exampleTopology());
  sim = await startAwsSimulator({ world });
  isolateFromRealAws({ endpoint: sim.endpoint, region: 'eu-central-1' });
  dir = mkdtempSync(join(tmpdir(), 'pan-failover-tracing-'));
  writeFileSync(join(dir, 'pan-failover.json'), JSON.stringify(exampleRaw()));
  Object.assign(process.env, {
    PAN_FAILOVER_CONFIG: join(dir, 'pan-failover.json'),
    PAN_FAILOVER_TABLE: ID.table,
    PAN_FAILOVER_TOPIC_ARN: world.sns.topicArn(ID.topic),
    PAN_FAILOVER_STATE_MACHINE_ARN: `arn:aws:states:eu-central-1:123456789012:stateMachine:${ID.stateMachine}`,
  });
});

afterAll(async () => {
  await sim.close();
  world.close();
  rmSync(dir, { recursive: true, force: true });
});

/** As in Lambda (`AWS_EXECUTION_ENV` set, tracing not switched off), or not. */
function lambdaEnvironment(inLambda: boolean): void {
  process.env.POWERTOOLS_TRACE_ENABLED = 'true';
  if (inLambda) process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs20.x';
  else delete process.env.AWS_EXECUTION_ENV;
}
afterEach(() => {
  delete process.env.AWS_EXECUTION_ENV;
  process.env.POWERTOOLS_TRACE_ENABLED = 'false';
});

/** Runs `fn` with a segment of its own as the current X-Ray context (Lambda's facade segment), and returns it. */
async function inSegment(fn: () => Promise<unknown>): Promise<AWSXRay.Segment> {
  const segment = new AWSXRay.Segment('invocation');
  await AWSXRay.getNamespace().runPromise(async () => {
    AWSXRay.setSegment(segment);
    await fn();
  });
  return segment;
}

/** The AWS subsegments of a segment, `<service> <operation>`, sorted (some calls run in parallel). */
function awsCalls(segment: AWSXRay.Segment): string[] {
  return (segment.subsegments ?? [])
    .filter((s) => s.namespace === 'aws')
    .map((s) => `${s.name} ${String((s as unknown as { aws?: { operation?: string } }).aws?.operation)}`);
}

/** A capture that records the class of each client it is given. */
function recordingCapture(): { capture: ClientCapture; clients: string[] } {
  const clients: string[] = [];
  return {
    clients,
    capture: (client) => {
      clients.push(client.constructor.name);
      return client;
    },
  };
}

describe('tracing of the flow functions AWS calls', () => {
  it('each flow composition root hands every SDK client it builds to the capture', async () => {
    const control = recordingCapture();
    const controlDeps = await controlDepsFromEnv(recordingTelemetry(), control.capture);
    expect(controlDeps.executions).toBeDefined();
    controlDeps.executions?.('arn:aws:states:eu-central-1:123456789012:stateMachine:x'); // built on first use
    expect(control.clients.sort()).toEqual(['DynamoDBClient', 'EC2Client', 'Route53Client', 'SFNClient', 'SNSClient']);

    const aws = recordingCapture();
    await awsStepDepsFromEnv(recordingTelemetry(), aws.capture);
    expect(aws.clients.sort()).toEqual(['DynamoDBClient', 'EC2Client', 'Route53Client']);

    const firewall = recordingCapture();
    await firewallStepDepsFromEnv(recordingTelemetry(), firewall.capture);
    expect(firewall.clients.sort()).toEqual(['DynamoDBClient', 'EC2Client', 'SSMClient', 'SecretsManagerClient']);
  });

  it('in Lambda, each call of a flow function is a subsegment named for the service, through the same endpoint and retry strategy', async () => {
    lambdaEnvironment(true);
    const tracer = createTracer();
    expect(tracer.isTracingEnabled()).toBe(true);
    const deps = await awsStepDepsFromEnv(recordingTelemetry(), tracedClients(tracer));
    const segment = await inSegment(async () => {
      await deps.store.get(PAIR);
      await deps.ec2.describeInstances([ID.fwA]);
      await deps.dns.getRecord(ID.hostedZone, 'gp.example.com', 'A');
    });
    expect(awsCalls(segment)).toEqual([
      'DynamoDB GetItem',
      'EC2 DescribeInstanceStatus',
      'EC2 DescribeInstances',
      'Route53 ListResourceRecordSets',
    ]);
    // The calls went to the simulator (AWS_ENDPOINT_URL), which answered them.
    const sub = segment.subsegments?.find((s) => s.name === 'EC2') as unknown as { http?: { response?: { status?: number } } };
    expect(sub.http?.response?.status).toBe(200);

    // The client keeps its retry strategy and local-only guard; the tracing middleware is added once.
    const client = tracedClients(tracer)(createEc2Client());
    tracedClients(tracer)(client);
    const stack = client.middlewareStack.identify();
    expect(stack.filter((m) => m.startsWith(XRAY_MIDDLEWARE))).toHaveLength(1);
    expect(stack.some((m) => m.startsWith(LOOPBACK_GUARD_NAME))).toBe(true);
    expect(await client.config.retryStrategy()).toBeInstanceOf(CallerAwareRetryStrategy);
  });

  it('the health probe traces none of its calls, even in Lambda next to a traced client', async () => {
    lambdaEnvironment(true);
    const flow = await awsStepDepsFromEnv(recordingTelemetry(), tracedClients(createTracer()));
    const probe = await probeDepsFromEnv(recordingTelemetry());
    const segment = await inSegment(async () => {
      await probe.store.loadProbeState(PAIR);
      await probe.ec2.describeInstances([ID.fwA]);
      await flow.store.get(PAIR); // the same segment records a flow function's call
    });
    expect(awsCalls(segment)).toEqual(['DynamoDB GetItem']);
  });

  it('outside Lambda (the simulator, the CLI, the tests) the tracer is off and leaves the clients as they are', async () => {
    lambdaEnvironment(false);
    const tracer = createTracer();
    expect(tracer.isTracingEnabled()).toBe(false);
    const client = tracedClients(tracer)(createEc2Client());
    expect(client.middlewareStack.identify().some((m) => m.startsWith(XRAY_MIDDLEWARE))).toBe(false);
    const deps = await awsStepDepsFromEnv(recordingTelemetry(), tracedClients(tracer));
    const segment = await inSegment(async () => {
      await deps.store.get(PAIR);
    });
    expect(awsCalls(segment)).toEqual([]);
  });
});
