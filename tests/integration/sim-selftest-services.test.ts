/**
 * What the simulator adds for `pan-failover selftest`, through the real SDK clients and the
 * project's adapters: IAM's SimulatePrincipalPolicy decided by the evaluator that enforces every
 * call (with the request's condition keys), Lambda's Invoke of the registered functions, SNS's
 * GetTopicAttributes, EC2's DryRun (IAM evaluated, nothing changed), and a service unreachable
 * from one simulated function only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEc2Client, createIamClient, createLambdaClient, createSecretsManagerClient, createSnsClient } from '#shared/adapters/aws/clients.js';
import { Ec2Adapter } from '#shared/adapters/aws/ec2.js';
import { createSecretReader } from '#shared/adapters/aws/secrets.js';
import { createFunctionInvoker, createPolicySimulator } from '#shared/adapters/aws/selftest.js';
import { createTopicReader } from '#shared/adapters/aws/sns.js';
import { startAwsSimulator, type AwsSimulator } from '#sim/aws/server.js';
import { ManualClock } from '#sim/manual-clock.js';
import { createPolicyEvaluator } from '#sim/iam/evaluator.js';
import type { IamPrincipal } from '#sim/world/iam.js';
import { World } from '#sim/world/world.js';
import { EXAMPLE_IDS as ID, exampleTopology } from '../support/example-topology.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

function principal(name: string, statements: Record<string, unknown>[]): IamPrincipal {
  return {
    accessKeyId: `ASIASIM${name.toUpperCase().replace(/-/g, '')}`,
    name,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
    sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${name}`,
    policies: [{ name: 'p', document: { Version: '2012-10-17', Statement: statements } }],
  };
}

/** May simulate its own policy, publish to one topic, read the topic, change vpn.example.com only, move routes of one table. */
const SELF = principal('self-tester', [
  { Effect: 'Allow', Action: ['iam:SimulatePrincipalPolicy'], Resource: `arn:aws:iam::${ACCOUNT}:role/self-tester` },
  { Effect: 'Allow', Action: ['sns:Publish', 'sns:GetTopicAttributes'], Resource: arn('sns', 'pan-failover-alerts') },
  {
    Effect: 'Allow',
    Action: ['route53:ChangeResourceRecordSets'],
    Resource: `arn:aws:route53:::hostedzone/${ID.hostedZone}`,
    Condition: { 'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['vpn.example.com'] } },
  },
  { Effect: 'Allow', Action: ['ec2:ReplaceRoute', 'ec2:DescribeRouteTables'], Resource: '*' },
  { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: arn('secretsmanager', 'secret:pan-failover/fw-a/api-key-??????') },
]);
/** May do nothing of the above. */
const OTHER = principal('other-fn', [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: arn('secretsmanager', 'secret:pan-failover/fw-a/api-key-??????') }]);

let world: World | undefined;
let sim: AwsSimulator | undefined;
const savedEndpoint = process.env.AWS_ENDPOINT_URL;
afterEach(async () => {
  if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
  else process.env.AWS_ENDPOINT_URL = savedEndpoint;
  await sim?.close();
  world?.close();
  sim = undefined;
  world = undefined;
});

async function setup() {
  world = World.create({ clock: new ManualClock(), seed: 3 }).load(exampleTopology());
  world.iam.enforce(createPolicyEvaluator(), [SELF, OTHER]);
  sim = await startAwsSimulator({ world });
  // The project's client factories take the endpoint from the environment, as in the simulator.
  process.env.AWS_ENDPOINT_URL = sim.endpoint;
  const as = (p: IamPrincipal | undefined) => ({ region: REGION, credentials: { accessKeyId: p?.accessKeyId ?? 'AKIAOPERATOR', secretAccessKey: 'x' }, maxAttempts: 1 });
  return { world, as };
}

describe('iam:SimulatePrincipalPolicy', () => {
  it("decides with the role's own policies and the request's condition keys", async () => {
    const { as } = await setup();
    const iam = createPolicySimulator(createIamClient(as(SELF)));
    const zone = `arn:aws:route53:::hostedzone/${ID.hostedZone}`;
    const change = (name: string) => ({ action: 'route53:ChangeResourceRecordSets', resource: zone, context: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': [name] } });
    expect(await iam.simulate(SELF.roleArn, change('vpn.example.com'))).toEqual({ allowed: true, decision: 'allowed' });
    expect(await iam.simulate(SELF.roleArn, change('www.example.com'))).toEqual({ allowed: false, decision: 'implicitDeny' });
    expect(await iam.simulate(SELF.roleArn, { action: 'sns:Publish', resource: arn('sns', 'pan-failover-alerts'), context: {} })).toMatchObject({ allowed: true });
    expect(await iam.simulate(SELF.roleArn, { action: 'sns:Publish', resource: arn('sns', 'elsewhere'), context: {} })).toMatchObject({ allowed: false });
  });

  it("a role that may not simulate (or asks about another role) is denied; an unknown role is NoSuchEntity", async () => {
    const { as } = await setup();
    await expect(createPolicySimulator(createIamClient(as(OTHER))).simulate(OTHER.roleArn, { action: 'sns:Publish', resource: '*', context: {} })).rejects.toMatchObject({ name: 'AwsAccessDeniedError', message: expect.stringMatching(/iam:SimulatePrincipalPolicy/) });
    await expect(createPolicySimulator(createIamClient(as(SELF))).simulate(OTHER.roleArn, { action: 'sns:Publish', resource: '*', context: {} })).rejects.toMatchObject({ name: 'AwsAccessDeniedError' });
    await expect(createPolicySimulator(createIamClient(as(undefined))).simulate(`arn:aws:iam::${ACCOUNT}:role/nobody`, { action: 'sns:Publish', resource: '*', context: {} })).rejects.toMatchObject({ message: expect.stringMatching(/NoSuchEntity/) });
  });
});

describe('Lambda Invoke and SNS GetTopicAttributes', () => {
  it('invokes a registered function with its payload; a missing one is not found; a throwing one is a function error', async () => {
    const { world: w, as } = await setup();
    w.lambda.register('fn-echo', (payload) => Promise.resolve({ echoed: payload }));
    w.lambda.register('fn-throws', () => Promise.reject(new TypeError('boom')));
    const invoker = createFunctionInvoker(createLambdaClient(as(undefined)));
    expect(await invoker.invoke('fn-echo', { selftest: { requestedBy: 't' } })).toEqual({ echoed: { selftest: { requestedBy: 't' } } });
    await expect(invoker.invoke('fn-missing', {})).rejects.toMatchObject({ message: expect.stringMatching(/ResourceNotFoundException|not exist|Function not found/) });
    await expect(invoker.invoke('fn-throws', {})).rejects.toMatchObject({ message: expect.stringMatching(/fn-throws failed: TypeError: boom/) });
    // A simulated function's role needs lambda:InvokeFunction on the function.
    await expect(createFunctionInvoker(createLambdaClient(as(OTHER))).invoke('fn-echo', {})).rejects.toMatchObject({ name: 'AwsAccessDeniedError' });
  });

  it('reads a topic without publishing; a missing topic and a role without the read fail typed', async () => {
    const { world: w, as } = await setup();
    const topic = w.sns.listTopics()[0] ?? '';
    await createTopicReader(createSnsClient(as(SELF))).readTopic(arn('sns', 'pan-failover-alerts'));
    expect(topic).toBe(arn('sns', 'pan-failover-alerts'));
    await expect(createTopicReader(createSnsClient(as(undefined))).readTopic(arn('sns', 'nope'))).rejects.toMatchObject({ message: expect.stringMatching(/NotFound|does not exist/) });
    await expect(createTopicReader(createSnsClient(as(OTHER))).readTopic(topic)).rejects.toMatchObject({ name: 'AwsAccessDeniedError' });
    expect(w.sns.messages()).toEqual([]);
  });
});

describe('EC2 DryRun through the adapter', () => {
  it('allowed -> DryRunOperation, not allowed -> UnauthorizedOperation naming the action; nothing changes', async () => {
    const { world: w, as } = await setup();
    const before = w.events.list().length;
    const route = { routeTableId: ID.privateRtbA, destination: '0.0.0.0/0', networkInterfaceId: ID.fwBTrust };
    expect(await new Ec2Adapter(createEc2Client(as(SELF))).dryRun({ action: 'ReplaceRoute', ...route })).toEqual({ allowed: true });
    const denied = await new Ec2Adapter(createEc2Client(as(OTHER))).dryRun({ action: 'ReplaceRoute', ...route });
    expect(denied).toMatchObject({ allowed: false, message: expect.stringMatching(/ec2:ReplaceRoute on resource: arn:aws:ec2:eu-central-1:123456789012:route-table\//) });
    expect(w.events.list().slice(before).filter((e) => e.type.startsWith('ec2.'))).toEqual([]);
  });
});

describe('a service unreachable from one function only', () => {
  it("the probe's Secrets Manager calls get no answer; another function's are answered", async () => {
    const { world: w, as } = await setup();
    w.faults.set({ unreachableFrom: { 'self-tester': ['secretsmanager:*'] } });
    await expect(createSecretReader({ client: createSecretsManagerClient(as(SELF)) }).getSecretString('pan-failover/fw-a/api-key')).rejects.toMatchObject({ name: 'SecretUnavailableError', cause: { name: 'AwsTransientError' } });
    expect(await createSecretReader({ client: createSecretsManagerClient(as(OTHER)) }).getSecretString('pan-failover/fw-a/api-key')).toMatch(/./);
  });
});
