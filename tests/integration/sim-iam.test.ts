/**
 * IAM in the simulator, service by service: a call signed with a simulated role's key is
 * evaluated against that role's policies, and a denied one answers as AWS does, over each wire
 * protocol (the real SDK clients) and through the direct ports (typed `AwsAccessDeniedError`).
 * Allowed calls act; an EC2 `DryRun` that is allowed answers `DryRunOperation`, one that is not
 * `UnauthorizedOperation`; any other credentials are the operator's and are not evaluated.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client, ReplaceRouteCommand, StartInstancesCommand } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { startAwsSimulator, type AwsSimulator } from '#sim/aws/server.js';
import { ManualClock } from '#sim/manual-clock.js';
import { createPolicyEvaluator } from '#sim/iam/evaluator.js';
import { createDirectPorts } from '#sim/world/ports.js';
import type { IamPrincipal } from '#sim/world/iam.js';
import { iamNormalizedName } from '#sim/world/route53.js';
import { World } from '#sim/world/world.js';
import { EXAMPLE_IDS as ID, exampleTopology } from '../support/example-topology.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

/** May describe, start fw-b only, read fw-a's key only, change vpn.example.com only, touch pair#hq-egress only. */
const LIMITED: IamPrincipal = {
  accessKeyId: 'ASIASIMTEST',
  name: 'test-fn',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/test`,
  sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/test/test-fn`,
  policies: [
    {
      name: 'limited',
      document: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['ec2:DescribeInstances'], Resource: '*' },
          { Effect: 'Allow', Action: ['ec2:StartInstances'], Resource: arn('ec2', `instance/${ID.fwB}`) },
          { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: arn('secretsmanager', 'secret:pan-failover/fw-a/api-key-??????') },
          {
            Effect: 'Allow',
            Action: ['dynamodb:GetItem'],
            Resource: arn('dynamodb', `table/${ID.table}`),
            Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['pair#hq-egress'] } },
          },
          {
            Effect: 'Allow',
            Action: ['route53:ChangeResourceRecordSets'],
            Resource: `arn:aws:route53:::hostedzone/${ID.hostedZone}`,
            Condition: { 'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['vpn.example.com'] } },
          },
        ],
      },
    },
  ],
};

let world: World | undefined;
let sim: AwsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  world?.close();
  sim = undefined;
  world = undefined;
});

async function setup() {
  world = World.create({ clock: new ManualClock(), seed: 3 }).load(exampleTopology());
  world.iam.enforce(createPolicyEvaluator(), [LIMITED]);
  sim = await startAwsSimulator({ world });
  const config = (accessKeyId: string) => ({ endpoint: sim?.endpoint, region: REGION, credentials: { accessKeyId, secretAccessKey: 'x' }, maxAttempts: 1 });
  return { world, sim, as: config(LIMITED.accessKeyId), operator: config('AKIAOPERATOR') };
}

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('IAM over the wire: a denied call answers as AWS does', () => {
  it('EC2: UnauthorizedOperation (403) naming the session, the action and the resource; an allowed call acts', async () => {
    const { as, world } = await setup();
    const ec2 = new EC2Client(as);
    const denied = await failure(ec2.send(new StartInstancesCommand({ InstanceIds: [ID.fwA] })));
    expect(denied).toMatchObject({ name: 'UnauthorizedOperation', status: 403 });
    expect(denied.message).toContain(`User: ${LIMITED.sessionArn} is not authorized to perform: ec2:StartInstances on resource: ${arn('ec2', `instance/${ID.fwA}`)}`);
    const route = await failure(ec2.send(new ReplaceRouteCommand({ RouteTableId: ID.privateRtbA, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: ID.fwBTrust })));
    expect(route.name).toBe('UnauthorizedOperation');
    await ec2.send(new StartInstancesCommand({ InstanceIds: [ID.fwB] }));
    expect(world.ec2.describeInstances({ ids: [ID.fwB] })[0]?.state).toBe('pending');
    expect((await ec2.send(new DescribeInstancesCommand({}))).Reservations?.length).toBeGreaterThan(0);
  });

  it('EC2 DryRun: allowed -> DryRunOperation, denied -> UnauthorizedOperation, and nothing changes', async () => {
    const { as, world } = await setup();
    const ec2 = new EC2Client(as);
    expect((await failure(ec2.send(new StartInstancesCommand({ InstanceIds: [ID.fwB], DryRun: true })))).name).toBe('DryRunOperation');
    expect((await failure(ec2.send(new StartInstancesCommand({ InstanceIds: [ID.fwA], DryRun: true })))).name).toBe('UnauthorizedOperation');
    expect(world.ec2.describeInstances({ ids: [ID.fwB] })[0]?.state).toBe('stopped');
  });

  it('DynamoDB (dynamodb:LeadingKeys), Secrets Manager (the ARN with its suffix), Step Functions: AccessDeniedException', async () => {
    const { as } = await setup();
    const ddb = new DynamoDBClient(as);
    await ddb.send(new GetItemCommand({ TableName: ID.table, Key: { pk: { S: 'pair#hq-egress' }, sk: { S: 'owner' } } }));
    const other = await failure(ddb.send(new GetItemCommand({ TableName: ID.table, Key: { pk: { S: 'pair#other' }, sk: { S: 'owner' } } })));
    expect(other).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    expect(other.message).toContain('dynamodb:GetItem');

    const sm = new SecretsManagerClient(as);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'pan-failover/fw-a/api-key' }))).SecretString).toBe('LUFRPT-sim-key-fw-a');
    expect((await failure(sm.send(new GetSecretValueCommand({ SecretId: 'pan-failover/fw-b/api-key' })))).name).toBe('AccessDeniedException');

    const sfn = new SFNClient(as);
    const execution = arn('states', `execution:${ID.stateMachine}:x`);
    expect((await failure(sfn.send(new DescribeExecutionCommand({ executionArn: execution })))).name).toBe('AccessDeniedException');
  });

  it('Route 53 (its record-name condition): AccessDenied (403); SNS: AuthorizationError (403)', async () => {
    const { as } = await setup();
    const r53 = new Route53Client({ ...as, region: 'us-east-1' });
    const change = (name: string) =>
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ID.hostedZone,
          ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: name, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '203.0.113.1' }] } }] },
        }),
      );
    await change('VPN.example.com.');
    expect(await failure(change('gp.example.com'))).toMatchObject({ name: 'AccessDenied', status: 403 });
    const sns = new SNSClient(as);
    const published = await failure(sns.send(new PublishCommand({ TopicArn: arn('sns', ID.topic), Message: 'x' })));
    // The SDK names SNS's `AuthorizationError` code AuthorizationErrorException.
    expect(published).toMatchObject({ name: 'AuthorizationErrorException', status: 403 });
  });

  it('other credentials are the operator\'s: not evaluated; the request log names who signed each request', async () => {
    const { operator, as, sim } = await setup();
    await new EC2Client(operator).send(new StartInstancesCommand({ InstanceIds: [ID.fwA], DryRun: false })).catch(() => undefined);
    await failure(new EC2Client(as).send(new StartInstancesCommand({ InstanceIds: [ID.fwA] })));
    expect(sim.recentRequests().map((r) => r.principal)).toEqual([undefined, 'test-fn']);
    expect(world?.iam.records().map((r) => [r.principal, r.action, r.allowed])).toEqual([['test-fn', 'ec2:StartInstances', false]]);
  });
});

describe('IAM through the direct ports', () => {
  it('each port fails with the typed AwsAccessDeniedError (or a SecretUnavailableError caused by it); the same ports without a principal are the administrator\'s', async () => {
    const w = World.create({ clock: new ManualClock(), seed: 3 }).load(exampleTopology());
    world = w;
    w.iam.enforce(createPolicyEvaluator(), [LIMITED]);
    const options = { tableName: ID.table, topicArn: arn('sns', ID.topic), stateMachineArn: w.sfn.stateMachineArn(ID.stateMachine) };
    const ports = createDirectPorts(w, { ...options, principal: LIMITED });
    await expect(ports.ec2.startInstance(ID.fwA)).rejects.toMatchObject({ name: 'AwsAccessDeniedError' });
    await expect(ports.ec2.replaceRoute(ID.privateRtbA, '0.0.0.0/0', ID.fwBTrust)).rejects.toMatchObject({ name: 'AwsAccessDeniedError' });
    await expect(ports.notifier.publish({ subject: 's', body: { pair: 'hq-egress' } })).rejects.toMatchObject({ name: 'AwsAccessDeniedError' });
    await expect(ports.flow.status('x')).rejects.toMatchObject({ name: 'AwsAccessDeniedError' });
    await expect(ports.store.getOwner('other')).rejects.toMatchObject({ name: 'AwsAccessDeniedError' });
    await expect(ports.store.getOwner('hq-egress')).resolves.toBeUndefined();
    await expect(ports.secrets.getSecretString('pan-failover/fw-b/api-key')).rejects.toMatchObject({ name: 'SecretUnavailableError', cause: { name: 'AwsAccessDeniedError' } });
    await expect(ports.dns.upsertRecord(ID.hostedZone, { name: 'gp.example.com', type: 'A', ttl: 60, values: ['203.0.113.1'] }, 'c')).rejects.toMatchObject({ name: 'AwsAccessDeniedError' });
    expect(await ports.ec2.startInstance(ID.fwB)).toBe('pending');
    const admin = createDirectPorts(w, options);
    expect(await admin.ec2.startInstance(ID.fwA)).toBeDefined();
  });
});

describe("Route 53's normalized record names", () => {
  it('lower case, no trailing dot, other characters as backslash and three octal digits', () => {
    expect(iamNormalizedName('VPN.Example.com.')).toBe('vpn.example.com');
    expect(iamNormalizedName('*.example.com')).toBe('\\052.example.com');
    expect(iamNormalizedName('a_b-c.example.com')).toBe('a_b-c.example.com');
  });
});
