/**
 * `pan-failover sim` as a place to look around: the read and list calls a person makes with the
 * AWS CLI (Route 53 ListHostedZones, DynamoDB Scan, Step Functions ListStateMachines /
 * ListExecutions / GetExecutionHistory, SNS ListTopics / ListSubscriptions, Secrets Manager
 * ListSecrets), made with a client other than the project's own: botocore, the AWS CLI's
 * library, where python3 has it; the AWS SDK for JavaScript's clients otherwise.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListHostedZonesCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetExecutionHistoryCommand, ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ListSubscriptionsCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { SIM_TABLE } from '#sim/scenario/topology-from-config.js';
import { startCliSim, type CliSim } from '../support/cli-sim.js';
import { keysInSecretsManager } from '../support/config.js';

const SCRIPT = new URL('../support/botocore-list-calls.py', import.meta.url).pathname;
const HAS_BOTOCORE = process.env.PAN_FAILOVER_LIST_CLIENT !== 'sdk' && spawnSync('python3', ['-c', 'import botocore'], { stdio: 'ignore' }).status === 0;

type Listing = {
  'route53.ListHostedZones': string[];
  'dynamodb.Scan': string[];
  'states.ListStateMachines': string[];
  'states.ListExecutions': string[];
  'states.GetExecutionHistory': { types: string[]; entered: string[] };
  'sns.ListTopics': string[];
  'sns.ListSubscriptions': unknown[];
  'secretsmanager.ListSecrets': string[];
};

async function withSdk(executionArn: string): Promise<Listing> {
  const cfg = { region: process.env.AWS_REGION, credentials: { accessKeyId: 'simulator', secretAccessKey: 'simulator' } };
  const sfn = new SFNClient(cfg);
  const machines = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
  const events = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 5, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return {
    'route53.ListHostedZones': ((await new Route53Client(cfg).send(new ListHostedZonesCommand({}))).HostedZones ?? []).map((z) => z.Id ?? ''),
    'dynamodb.Scan': ((await new DynamoDBClient(cfg).send(new ScanCommand({ TableName: SIM_TABLE }))).Items ?? []).map((i) => `${i.pk?.S ?? ''}/${i.sk?.S ?? ''}`).sort(),
    'states.ListStateMachines': machines.map((m) => m.name ?? ''),
    'states.ListExecutions': ((await sfn.send(new ListExecutionsCommand({ stateMachineArn: machines[0]?.stateMachineArn }))).executions ?? []).map((e) => e.name ?? ''),
    'states.GetExecutionHistory': { types: events.map((e) => e.type ?? ''), entered: events.flatMap((e) => (e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : [])) },
    'sns.ListTopics': ((await new SNSClient(cfg).send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn ?? ''),
    'sns.ListSubscriptions': (await new SNSClient(cfg).send(new ListSubscriptionsCommand({}))).Subscriptions ?? [],
    'secretsmanager.ListSecrets': ((await new SecretsManagerClient(cfg).send(new ListSecretsCommand({}))).SecretList ?? []).map((s) => s.Name ?? ''),
  };
}

let sim: CliSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe(`the simulator answers the AWS CLI's read and list calls (${HAS_BOTOCORE ? 'botocore' : 'AWS SDK for JavaScript'})`, () => {
  it('zones, the state table, the state machine and its execution history, the topic, the secrets', async () => {
    // The example keeps its keys in Parameter Store; the secrets to list are this copy's.
    sim = await startCliSim({ config: keysInSecretsManager() });
    const s = sim;
    const pair = s.system.pair();
    s.system.world.dynamodb.putItem({ TableName: SIM_TABLE, Item: { pk: { S: pair.name }, sk: { S: 'owner' }, owner: { S: 'primary' }, since: { N: String(s.system.clock.now()) }, changedBy: { S: 'test' }, reason: { S: 'listed' } } });
    // One execution to list and to read the history of: a manual failover the re-check refuses.
    const run = await s.system.runFlow({ pair: pair.name, action: 'failover', reason: 'look around', source: 'manual' }, 'look-around');
    expect(run.status).toBe('SUCCEEDED');

    const listing: Listing = HAS_BOTOCORE
      // Asynchronously: the simulator answering it runs in this process.
      ? (JSON.parse((await promisify(execFile)('python3', [SCRIPT, SIM_TABLE, run.executionArn], { encoding: 'utf8', env: process.env })).stdout) as Listing)
      : await withSdk(run.executionArn);

    expect(listing['route53.ListHostedZones']).toEqual(expect.arrayContaining(pair.dnsRecords.map((r) => `/hostedzone/${r.hostedZoneId}`)));
    expect(listing['dynamodb.Scan']).toContain(`${pair.name}/owner`);
    expect(listing['states.ListStateMachines']).toEqual([s.system.stateMachineArn.split(':').at(-1)]);
    expect(listing['states.ListExecutions']).toContain('look-around');
    const history = listing['states.GetExecutionHistory'];
    expect(history.types[0]).toBe('ExecutionStarted');
    expect(history.types.at(-1)).toBe('ExecutionSucceeded');
    expect(history.types).toContain('TaskSucceeded');
    // Read page by page (5 events a page): the states in the order they ran, none lost.
    expect(history.entered[0]).toBe('Validate');
    expect(history.entered).toContain('AcquireLock');
    expect(history.entered).toContain('Finish');
    expect(listing['sns.ListTopics']).toEqual([s.system.topicArn]);
    expect(listing['sns.ListSubscriptions']).toEqual([]);
    expect(listing['secretsmanager.ListSecrets']).toEqual(expect.arrayContaining(['pan-failover/fw-a/api-key', 'pan-failover/fw-b/api-key']));
  });
});
