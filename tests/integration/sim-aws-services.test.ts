/**
 * The real SDK clients of Route 53, DynamoDB, Step Functions, SNS, Secrets Manager and
 * CloudWatch against the simulator's wire server, each in its own protocol.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  PutMetricDataCommand,
  DescribeAlarmsCommand,
} from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SimClock } from '#sim/clock.js';
import { startAwsSimulator, type AwsSimulator } from '#sim/aws/server.js';
import { EXAMPLE_IDS as ID, exampleTopology } from '../support/example-topology.js';
import { ManualClock } from '#sim/manual-clock.js';
import { World } from '#sim/world/world.js';
import type { Clock } from '#shared/ports/clock.js';

let world: World | undefined;
let sim: AwsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  world?.close();
  sim = undefined;
  world = undefined;
});

async function setup<C extends Clock>(clock: C) {
  world = World.create({ clock, seed: 13 }).load(exampleTopology());
  sim = await startAwsSimulator({ world });
  const config = {
    endpoint: sim.endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  };
  return { clock, world, sim, config };
}

async function failure(
  p: Promise<unknown>,
): Promise<Record<string, unknown> & { name: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as Record<string, unknown> & { name: string; $metadata?: { httpStatusCode?: number } };
    return { ...err, name: err.name, message: err['message'], status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('DynamoDB over the wire', () => {
  it('names a failed condition ConditionalCheckFailedException and returns the old item on request', async () => {
    const { config, world } = await setup(new ManualClock());
    const ddb = new DynamoDBClient(config);
    const Key = { pk: { S: 'pair#hq-egress' }, sk: { S: 'lock' } };
    await ddb.send(
      new PutItemCommand({
        TableName: ID.table,
        Item: { ...Key, holder: { S: 'exec-1' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    const err = await failure(
      ddb.send(
        new PutItemCommand({
          TableName: ID.table,
          Item: { ...Key, holder: { S: 'exec-2' } },
          ConditionExpression: 'attribute_not_exists(pk) OR holder = :holder',
          ExpressionAttributeValues: { ':holder': { S: 'exec-2' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    expect(err).toMatchObject({
      name: 'ConditionalCheckFailedException',
      status: 400,
      Item: { ...Key, holder: { S: 'exec-1' } },
    });
    const read = await ddb.send(new GetItemCommand({ TableName: ID.table, Key, ConsistentRead: true }));
    expect(read.Item?.['holder']).toEqual({ S: 'exec-1' });
    expect(world.dynamodb.scan(ID.table)).toHaveLength(1);
  });

  it('refuses a reserved word used bare with ValidationException, as DynamoDB does', async () => {
    const { config } = await setup(new ManualClock());
    const ddb = new DynamoDBClient(config);
    const err = await failure(
      ddb.send(
        new PutItemCommand({
          TableName: ID.table,
          Item: { pk: { S: 'pair#hq-egress' }, sk: { S: 'probe' }, state: { S: '{}' } },
          ConditionExpression: 'attribute_not_exists(state)',
        }),
      ),
    );
    expect(err).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(String(err['message'])).toContain('reserved keyword: state');
    expect(
      await failure(
        ddb.send(new GetItemCommand({ TableName: 'nope', Key: { pk: { S: 'a' }, sk: { S: 'b' } } })),
      ),
    ).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('refuses what it does not implement by name: an expression outside the subset, UpdateItem', async () => {
    const { config, world } = await setup(new ManualClock());
    const ddb = new DynamoDBClient(config);
    const Key = { pk: { S: 'pair#hq-egress' }, sk: { S: 'probe' } };
    const expression = await failure(
      ddb.send(
        new PutItemCommand({
          TableName: ID.table,
          Item: { ...Key, version: { N: '1' } },
          ConditionExpression: 'begins_with(pk, :p)',
          ExpressionAttributeValues: { ':p': { S: 'pair#' } },
        }),
      ),
    );
    expect(expression).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(String(expression['message'])).toMatch(/^Unsupported by the simulator: function begins_with\(\) in ConditionExpression/);
    const update = await failure(
      ddb.send(
        new UpdateItemCommand({
          TableName: ID.table,
          Key,
          UpdateExpression: 'SET version = :v',
          ExpressionAttributeValues: { ':v': { N: '1' } },
        }),
      ),
    );
    expect(update).toMatchObject({ name: 'UnknownOperationException', status: 400 });
    expect(String(update['message'])).toContain('UpdateItem is not supported by the simulator');
    expect(world.dynamodb.scan(ID.table)).toEqual([]);
  });
});

describe('Route 53 over the wire', () => {
  it('reports a change PENDING, then INSYNC once the clock has passed the sync delay', async () => {
    const { clock, config } = await setup(new ManualClock());
    const r53 = new Route53Client({ ...config, region: 'us-east-1' });
    const out = await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: `/hostedzone/${ID.hostedZone}`,
        ChangeBatch: {
          Comment: 'failover hq-egress',
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: 'gp.example.com',
                Type: 'A',
                TTL: 60,
                ResourceRecords: [{ Value: '203.0.113.7' }],
              },
            },
          ],
        },
      }),
    );
    expect(out.ChangeInfo).toMatchObject({ Status: 'PENDING', Comment: 'failover hq-egress' });
    expect(out.ChangeInfo?.Id).toMatch(/^\/change\/C[A-Z0-9]+$/);
    const id = out.ChangeInfo?.Id ?? '';
    expect((await r53.send(new GetChangeCommand({ Id: id }))).ChangeInfo?.Status).toBe('PENDING');
    await clock.advance(29_999);
    expect((await r53.send(new GetChangeCommand({ Id: id }))).ChangeInfo?.Status).toBe('PENDING');
    await clock.advance(1);
    expect((await r53.send(new GetChangeCommand({ Id: id }))).ChangeInfo?.Status).toBe('INSYNC');
    const list = await r53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: ID.hostedZone,
        StartRecordName: 'gp.example.com',
        StartRecordType: 'A',
        MaxItems: 1,
      }),
    );
    expect(list.ResourceRecordSets).toEqual([
      { Name: 'gp.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '203.0.113.7' }] },
    ]);
  });

  it('goes INSYNC on a running simulated clock', async () => {
    const { config } = await setup(new SimClock({ speed: 1000 }));
    const r53 = new Route53Client({ ...config, region: 'us-east-1' });
    const out = await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ID.hostedZone,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: 'vpn.example.com',
                Type: 'A',
                TTL: 60,
                ResourceRecords: [{ Value: '203.0.113.8' }],
              },
            },
          ],
        },
      }),
    );
    const deadline = Date.now() + 10_000;
    let status = out.ChangeInfo?.Status;
    while (status !== 'INSYNC' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      status = (await r53.send(new GetChangeCommand({ Id: out.ChangeInfo?.Id ?? '' }))).ChangeInfo?.Status;
    }
    expect(status).toBe('INSYNC');
    expect(world?.route53.resolve('vpn.example.com')?.values).toEqual(['203.0.113.8']);
  });

  it('names errors as Route 53 does: NoSuchHostedZone (404), InvalidChangeBatch, Throttling (400)', async () => {
    const { config, world } = await setup(new ManualClock());
    const r53 = new Route53Client({ ...config, region: 'us-east-1' });
    expect(
      await failure(r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: 'Z404' }))),
    ).toMatchObject({ name: 'NoSuchHostedZone', status: 404 });
    expect(
      await failure(
        r53.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: ID.hostedZone,
            ChangeBatch: {
              Changes: [
                {
                  Action: 'CREATE',
                  ResourceRecordSet: {
                    Name: 'gp.example.com',
                    Type: 'A',
                    TTL: 60,
                    ResourceRecords: [{ Value: '192.0.2.1' }],
                  },
                },
              ],
            },
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidChangeBatch', status: 400 });
    world.faults.set({ throttle: { 'route53:*': { burst: 1, refillPerSecond: 1 } } });
    await r53.send(new GetChangeCommand({ Id: 'C1' })).catch(() => undefined);
    expect(await failure(r53.send(new GetChangeCommand({ Id: 'C1' })))).toMatchObject({
      name: 'Throttling',
      status: 400,
    });
  });
});

describe('Step Functions over the wire', () => {
  it('applies the StartExecution name rules', async () => {
    const { config, world } = await setup(new ManualClock());
    const sfn = new SFNClient(config);
    const stateMachineArn = world.sfn.stateMachineArn(ID.stateMachine);
    const first = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: 'failover-hq-egress-1',
        input: '{"pair":"hq-egress"}',
      }),
    );
    const again = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: 'failover-hq-egress-1',
        input: '{"pair":"hq-egress"}',
      }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());
    expect(
      await failure(
        sfn.send(
          new StartExecutionCommand({ stateMachineArn, name: 'failover-hq-egress-1', input: '{"pair":"x"}' }),
        ),
      ),
    ).toMatchObject({
      name: 'ExecutionAlreadyExists',
      status: 400,
    });
    world.sfn.complete(first.executionArn ?? '', { output: { done: true } });
    expect(
      await failure(
        sfn.send(
          new StartExecutionCommand({
            stateMachineArn,
            name: 'failover-hq-egress-1',
            input: '{"pair":"hq-egress"}',
          }),
        ),
      ),
    ).toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect(described).toMatchObject({
      status: 'SUCCEEDED',
      output: '{"done":true}',
      name: 'failover-hq-egress-1',
    });
    expect(described.stopDate).toBeInstanceOf(Date);
    const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    expect(list.executions?.map((e) => [e.name, e.status])).toEqual([['failover-hq-egress-1', 'SUCCEEDED']]);
    expect(
      await failure(
        sfn.send(new DescribeExecutionCommand({ executionArn: `${first.executionArn ?? ''}-x` })),
      ),
    ).toMatchObject({
      name: 'ExecutionDoesNotExist',
    });
  });

  it('runs the plugged executor for executions started over the wire', async () => {
    const { config, world } = await setup(new ManualClock());
    const sfn = new SFNClient(config);
    const stateMachineArn = world.sfn.stateMachineArn(ID.stateMachine);
    world.setExecutor(stateMachineArn, (execution) => Promise.resolve({ echoed: execution.input }));
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'echo', input: '{"n":1}' }),
    );
    await world.sfn.waitFor(started.executionArn ?? '');
    expect(
      (await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }))).output,
    ).toBe('{"echoed":{"n":1}}');
  });
});

describe('SNS and Secrets Manager over the wire', () => {
  it('records a published message in the world', async () => {
    const { config, world, clock } = await setup(new ManualClock());
    const sns = new SNSClient(config);
    const TopicArn = world.sns.topicArn(ID.topic);
    const out = await sns.send(
      new PublishCommand({
        TopicArn,
        Subject: 'Failover completed',
        Message: '{"pair":"hq-egress","owner":"secondary"}',
      }),
    );
    expect(world.sns.messages(TopicArn)).toEqual([
      {
        topicArn: TopicArn,
        messageId: out.MessageId,
        subject: 'Failover completed',
        message: '{"pair":"hq-egress","owner":"secondary"}',
        timestamp: clock.now(),
      },
    ]);
    expect(
      await failure(sns.send(new PublishCommand({ TopicArn: world.sns.topicArn('missing'), Message: 'x' }))),
    ).toMatchObject({
      name: 'NotFoundException',
      status: 404,
    });
  });

  it('reads a secret and names a missing one ResourceNotFoundException', async () => {
    const { config } = await setup(new ManualClock());
    const sm = new SecretsManagerClient(config);
    const out = await sm.send(new GetSecretValueCommand({ SecretId: 'pan-failover/fw-a/api-key' }));
    expect(out).toMatchObject({
      Name: 'pan-failover/fw-a/api-key',
      SecretString: 'LUFRPT-sim-key-fw-a',
      VersionStages: ['AWSCURRENT'],
    });
    expect(
      await failure(sm.send(new GetSecretValueCommand({ SecretId: 'pan-failover/none' }))),
    ).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 400,
    });
  });
});

describe('CloudWatch over the wire', () => {
  it('accepts a gzip-compressed PutMetricData body and answers GetMetricData', async () => {
    const { config, world, sim, clock } = await setup(new ManualClock());
    const cw = new CloudWatchClient(config);
    const at = new Date(Math.floor(clock.now() / 60_000) * 60_000 + 1_000);
    // 300 datapoints with long dimension values: well over the 10 KB from which the SDK compresses.
    const MetricData = Array.from({ length: 300 }, (_, i) => ({
      MetricName: 'ProbeLatency',
      Dimensions: [{ Name: 'pair', Value: `hq-egress-${'x'.repeat(40)}` }],
      Timestamp: at,
      Value: i,
    }));
    await cw.send(new PutMetricDataCommand({ Namespace: 'PanFailover', MetricData }));
    const request = sim.recentRequests().find((r) => r.key === 'cloudwatch:PutMetricData');
    expect(request?.contentEncoding).toBe('gzip');
    expect(request?.bodyBytes).toBeLessThan(10_240);
    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(at.getTime() - 60_000),
        EndTime: new Date(at.getTime() + 60_000),
        MetricDataQueries: [
          {
            Id: 'sum',
            MetricStat: {
              Metric: {
                Namespace: 'PanFailover',
                MetricName: 'ProbeLatency',
                Dimensions: [{ Name: 'pair', Value: `hq-egress-${'x'.repeat(40)}` }],
              },
              Period: 60,
              Stat: 'Sum',
            },
          },
          {
            Id: 'n',
            MetricStat: {
              Metric: {
                Namespace: 'PanFailover',
                MetricName: 'ProbeLatency',
                Dimensions: [{ Name: 'pair', Value: `hq-egress-${'x'.repeat(40)}` }],
              },
              Period: 60,
              Stat: 'SampleCount',
            },
          },
        ],
      }),
    );
    expect(
      out.MetricDataResults?.map((r) => [r.Id, r.Values, r.Timestamps?.map((t) => t.getTime())]),
    ).toEqual([
      ['sum', [(299 * 300) / 2], [at.getTime() - 1_000]],
      ['n', [300], [at.getTime() - 1_000]],
    ]);
    world.cloudwatch.defineAlarm({
      name: 'probe-latency',
      namespace: 'PanFailover',
      metric: 'ProbeLatency',
      statistic: 'Maximum',
      periodSeconds: 60,
      evaluationPeriods: 1,
      threshold: 1000,
      comparison: 'GreaterThanThreshold',
    });
    expect(
      (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['probe-latency'] }))).MetricAlarms?.[0],
    ).toMatchObject({
      AlarmName: 'probe-latency',
      StateValue: 'INSUFFICIENT_DATA',
      Threshold: 1000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('carries the error code in the x-amzn-query-error header, from which the SDK names the error', async () => {
    const { config, world, sim } = await setup(new ManualClock());
    const cw = new CloudWatchClient(config);
    const err = await failure(
      cw.send(
        new PutMetricDataCommand({ Namespace: 'AWS/EC2', MetricData: [{ MetricName: 'x', Value: 1 }] }),
      ),
    );
    // The SDK maps the query code to its modelled exception and keeps the code in `Code`.
    expect(err).toMatchObject({
      name: 'InvalidParameterValueException',
      Code: 'InvalidParameterValue',
      status: 400,
    });

    const raw = await fetch(sim.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'GraniteServiceVersion20100801.PutMetricData',
        'x-amzn-query-mode': 'true',
      },
      body: JSON.stringify({ Namespace: 'AWS/EC2', MetricData: [{ MetricName: 'x', Value: 1 }] }),
    });
    expect(raw.status).toBe(400);
    expect(raw.headers.get('x-amzn-query-error')).toBe('InvalidParameterValue;Sender');

    // An unmodelled code (throttling) becomes the error name itself.
    world.faults.set({ errorRates: { 'cloudwatch:PutMetricData': { rate: 1, code: 'Throttling' } } });
    expect(
      await failure(
        cw.send(
          new PutMetricDataCommand({ Namespace: 'PanFailover', MetricData: [{ MetricName: 'x', Value: 1 }] }),
        ),
      ),
    ).toMatchObject({
      name: 'Throttling',
      Code: 'Throttling',
    });
  });
});

describe('the wire server', () => {
  it('counts requests per service and operation, and refuses unknown JSON targets', async () => {
    const { config, sim, world } = await setup(new ManualClock());
    const sm = new SecretsManagerClient(config);
    const sns = new SNSClient(config);
    await sm.send(new GetSecretValueCommand({ SecretId: 'pan-failover/fw-a/api-key' }));
    await sm.send(new GetSecretValueCommand({ SecretId: 'pan-failover/fw-b/api-key' }));
    await sns.send(new PublishCommand({ TopicArn: world.sns.topicArn(ID.topic), Message: 'x' }));
    const raw = await fetch(sim.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.BatchWriteItem' },
      body: '{}',
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { __type: string }).__type).toMatch(/UnknownOperationException$/);
    expect(sim.requestCounts()).toEqual({
      'dynamodb:BatchWriteItem': 1,
      'secretsmanager:GetSecretValue': 2,
      'sns:Publish': 1,
    });
    expect(sim.internalErrors()).toEqual([]);
  });
});
