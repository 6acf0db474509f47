import { afterEach, describe, expect, it } from 'vitest';
import { ConfigInvalidError, InputInvalidError } from '#shared/errors.js';
import { SimAwsError } from '#sim/world/aws-error.js';
import { deliveredTo } from '#sim/world/messaging.js';
import type { AlarmStateChangeEvent } from '#sim/world/cloudwatch.js';
import { EXAMPLE_IDS as ID, exampleTopology } from '../support/example-topology.js';
import { ManualClock } from '#sim/manual-clock.js';
import { World } from '#sim/world/world.js';

let world: World | undefined;
afterEach(() => world?.close());

function setup() {
  const clock = new ManualClock();
  world = World.create({ clock, seed: 3 }).load(exampleTopology());
  return { clock, world };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SimAwsError) return e.code;
    throw e;
  }
  throw new Error('expected an AWS error');
}

describe('topology', () => {
  it('names every broken reference with its path', () => {
    const t = exampleTopology();
    const broken = {
      ...t,
      routeTables: [
        {
          routeTableId: 'rtb-0000000000000001',
          vpcId: ID.vpc,
          routes: [{ destination: '0.0.0.0/0', networkInterfaceId: 'eni-0000000000000099' }],
        },
      ],
      elasticIps: [
        {
          allocationId: ID.eipIpsec,
          publicIp: '198.51.100.10',
          association: { networkInterfaceId: ID.fwAUntrust, privateIp: '10.10.9.9' },
        },
      ],
    };
    const err = (() => {
      try {
        World.create({ clock: new ManualClock() }).load(broken);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigInvalidError);
    expect((err as ConfigInvalidError).issues.map((i) => i.path)).toEqual([
      'routeTables[0].routes[0].networkInterfaceId',
      'elasticIps[0].association.privateIp',
    ]);
  });

  it('refuses an address outside its subnet and unknown keys', () => {
    const t = exampleTopology();
    const instances = t.instances ?? [];
    const first = instances[0];
    if (first === undefined) throw new Error('fixture');
    const bad = {
      ...t,
      instances: [
        { ...first, networkInterfaces: [{ ...first.networkInterfaces[0], privateIps: ['10.99.0.1'] }] },
        ...instances.slice(1),
      ],
    };
    expect(() => World.create({ clock: new ManualClock() }).load(bad)).toThrow(
      /outside subnet-0a000000000000001/,
    );
    expect(() => World.create({ clock: new ManualClock() }).load({ ...t, extra: 1 })).toThrow(
      ConfigInvalidError,
    );
  });
});

describe('Route 53', () => {
  it('applies a change at once, reports it PENDING, then INSYNC after the sync delay, and serves it then', async () => {
    const { clock, world } = setup();
    const change = world.route53.changeRecords(ID.hostedZone, [
      { action: 'UPSERT', record: { name: 'gp.example.com', type: 'A', ttl: 60, values: ['198.51.100.99'] } },
    ]);
    expect(change.status).toBe('PENDING');
    expect(
      world.route53.listRecords(ID.hostedZone, { startName: 'gp.example.com', startType: 'A', maxItems: 1 })
        .records[0]?.values,
    ).toEqual(['198.51.100.99']);
    expect(world.route53.resolve('gp.example.com')?.values).toEqual(['198.51.100.10']);
    await clock.advance(30_000);
    expect(world.route53.getChange(`/change/${change.id}`).status).toBe('INSYNC');
    expect(world.route53.resolve('GP.example.com.')?.values).toEqual(['198.51.100.99']);
    expect(
      world.events.list({ type: ['route53.change.submitted', 'route53.change.insync'] }).map((e) => e.type),
    ).toEqual(['route53.change.submitted', 'route53.change.insync']);
  });

  it('refuses CREATE of an existing record and DELETE of a missing one, atomically', () => {
    const { world } = setup();
    const rec = { name: 'gp.example.com', type: 'A', ttl: 60, values: ['198.51.100.10'] };
    expect(
      codeOf(() =>
        world.route53.changeRecords(ID.hostedZone, [
          { action: 'CREATE', record: { ...rec, name: 'new.example.com' } },
          { action: 'CREATE', record: rec },
        ]),
      ),
    ).toBe('InvalidChangeBatch');
    // The first change of the refused batch was not applied.
    expect(
      world.route53.listRecords(ID.hostedZone, { startName: 'new.example.com', maxItems: 1 }).records[0]
        ?.name,
    ).not.toBe('new.example.com.');
    expect(
      codeOf(() =>
        world.route53.changeRecords(ID.hostedZone, [
          { action: 'DELETE', record: { ...rec, name: 'x.example.com' } },
        ]),
      ),
    ).toBe('InvalidChangeBatch');
    expect(
      codeOf(() =>
        world.route53.changeRecords(ID.hostedZone, [
          { action: 'UPSERT', record: { ...rec, name: 'gp.other.org' } },
        ]),
      ),
    ).toBe('InvalidChangeBatch');
    expect(codeOf(() => world.route53.getHostedZone('Z999'))).toBe('NoSuchHostedZone');
    expect(codeOf(() => world.route53.getChange('C404'))).toBe('NoSuchChange');
  });

  it('lists records in Route 53 order (labels reversed, then type) from the start name', () => {
    const { world } = setup();
    world.route53.changeRecords(ID.hostedZone, [
      { action: 'CREATE', record: { name: 'a.example.com', type: 'A', ttl: 60, values: ['192.0.2.1'] } },
      { action: 'CREATE', record: { name: 'z.example.com', type: 'A', ttl: 60, values: ['192.0.2.2'] } },
    ]);
    const all = world.route53.listRecords(ID.hostedZone).records.map((r) => `${r.name} ${r.type}`);
    expect(all).toEqual([
      'example.com. NS',
      'example.com. SOA',
      'a.example.com. A',
      'gp.example.com. A',
      'z.example.com. A',
    ]);
    const page = world.route53.listRecords(ID.hostedZone, {
      startName: 'b.example.com',
      startType: 'A',
      maxItems: 1,
    });
    expect(page.records.map((r) => r.name)).toEqual(['gp.example.com.']);
    expect(page).toMatchObject({ isTruncated: true, next: { name: 'z.example.com.', type: 'A' } });
  });
});

describe('DynamoDB', () => {
  const key = { pk: { S: 'pair#hq' }, sk: { S: 'lock' } };

  it('puts with a condition, fails ConditionalCheckFailedException with the old item on request', () => {
    const { world } = setup();
    world.dynamodb.putItem({
      TableName: ID.table,
      Item: { ...key, holder: { S: 'a' } },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    let err: unknown;
    try {
      world.dynamodb.putItem({
        TableName: ID.table,
        Item: { ...key, holder: { S: 'b' } },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'ConditionalCheckFailedException',
      extra: { Item: { ...key, holder: { S: 'a' } } },
    });
    expect(
      world.dynamodb.getItem({ TableName: ID.table, Key: key, ConsistentRead: true }).Item?.['holder'],
    ).toEqual({ S: 'a' });
    expect(world.events.list({ type: 'dynamodb.item.put' })[0]?.message).toBe(
      `PutItem ${ID.table} pair#hq lock holder=a`,
    );
  });

  it('deletes with conditions and validates keys', () => {
    const { world } = setup();
    world.dynamodb.putItem({
      TableName: ID.table,
      Item: { ...key, version: { N: '1' } },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(
      codeOf(() =>
        world.dynamodb.deleteItem({
          TableName: ID.table,
          Key: key,
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': { N: '2' } },
        }),
      ),
    ).toBe('ConditionalCheckFailedException');
    world.dynamodb.deleteItem({ TableName: ID.table, Key: key });
    expect(world.dynamodb.getItem({ TableName: ID.table, Key: key })).toEqual({});
    expect(codeOf(() => world.dynamodb.getItem({ TableName: ID.table, Key: { pk: { S: 'x' } } }))).toBe(
      'ValidationException',
    );
    expect(
      codeOf(() => world.dynamodb.putItem({ TableName: ID.table, Item: { pk: { N: '1' }, sk: { S: 'x' } } })),
    ).toBe('ValidationException');
    expect(codeOf(() => world.dynamodb.getItem({ TableName: 'nope', Key: key }))).toBe(
      'ResourceNotFoundException',
    );
  });
});

describe('SNS and Secrets Manager', () => {
  it('records every published message with its simulated time', () => {
    const { clock, world } = setup();
    const topic = world.sns.topicArn(ID.topic);
    const id = world.sns.publish({
      topicArn: topic,
      subject: 'Failover started',
      message: '{"pair":"hq-egress"}',
    });
    expect(world.sns.messages(topic)).toEqual([
      {
        topicArn: topic,
        messageId: id,
        subject: 'Failover started',
        message: '{"pair":"hq-egress"}',
        timestamp: clock.now(),
      },
    ]);
    expect(codeOf(() => world.sns.publish({ topicArn: world.sns.topicArn('nope'), message: 'x' }))).toBe(
      'NotFound',
    );
    expect(codeOf(() => world.sns.publish({ topicArn: topic, message: 'x', subject: 'two\nlines' }))).toBe(
      'InvalidParameter',
    );
    expect(codeOf(() => world.sns.publish({ topicArn: topic, message: 'x', subject: 's'.repeat(100) }))).toBe(
      'InvalidParameter',
    );
    expect(codeOf(() => world.sns.publish({ topicArn: topic, message: '' }))).toBe('InvalidParameter');
  });

  it('delivers a per-protocol message (MessageStructure json) by protocol, and refuses one SNS would refuse', () => {
    const { world } = setup();
    const topic = world.sns.topicArn(ID.topic);
    const message = JSON.stringify({ default: '{"pair":"hq-egress"}', email: 'Failover of hq-egress started.', sms: 'short' });
    world.sns.publish({ topicArn: topic, subject: 's', message, messageStructure: 'json' });
    const [m] = world.sns.messages(topic);
    expect(m?.messageStructure).toBe('json');
    expect(deliveredTo(m!, 'email')).toBe('Failover of hq-egress started.');
    expect(deliveredTo(m!, 'sms')).toBe('short');
    expect(deliveredTo(m!, 'sqs')).toBe('{"pair":"hq-egress"}');
    expect(deliveredTo(m!, 'https')).toBe('{"pair":"hq-egress"}');
    // Without "default", with a value that is not a string, or not JSON at all: InvalidParameter.
    for (const bad of [JSON.stringify({ email: 'x' }), JSON.stringify({ default: 'x', sqs: { a: 1 } }), 'not json', '[]']) {
      expect(codeOf(() => world.sns.publish({ topicArn: topic, message: bad, messageStructure: 'json' })), bad).toBe('InvalidParameter');
    }
    expect(codeOf(() => world.sns.publish({ topicArn: topic, message, messageStructure: 'xml' }))).toBe('InvalidParameter');
  });

  it('reads secrets by name or ARN, and rotates them', () => {
    const { world } = setup();
    const s = world.secrets.get('pan-failover/fw-a/api-key');
    expect(world.secrets.get(s.arn).secretString).toBe('LUFRPT-sim-key-fw-a');
    world.secrets.put('pan-failover/fw-a/api-key', 'rotated');
    expect(world.secrets.get(s.arn)).toMatchObject({ secretString: 'rotated', arn: s.arn });
    expect(codeOf(() => world.secrets.get('nope'))).toBe('ResourceNotFoundException');
  });
});

describe('Step Functions', () => {
  it('returns the running execution for the same name and input, refuses other input or a finished one', async () => {
    const { world } = setup();
    const arn = world.sfn.stateMachineArn(ID.stateMachine);
    const first = world.sfn.startExecution({ stateMachineArn: arn, name: 'failover-hq-1', input: '{"a":1}' });
    expect(first.alreadyExisted).toBe(false);
    expect(
      world.sfn.startExecution({ stateMachineArn: arn, name: 'failover-hq-1', input: '{"a":1}' }),
    ).toEqual({ ...first, alreadyExisted: true });
    expect(
      codeOf(() =>
        world.sfn.startExecution({ stateMachineArn: arn, name: 'failover-hq-1', input: '{"a":2}' }),
      ),
    ).toBe('ExecutionAlreadyExists');
    world.sfn.complete(first.executionArn, { output: { ok: true } });
    await expect(world.sfn.waitFor(first.executionArn)).resolves.toMatchObject({
      status: 'SUCCEEDED',
      output: '{"ok":true}',
    });
    expect(
      codeOf(() =>
        world.sfn.startExecution({ stateMachineArn: arn, name: 'failover-hq-1', input: '{"a":1}' }),
      ),
    ).toBe('ExecutionAlreadyExists');
    expect(codeOf(() => world.sfn.startExecution({ stateMachineArn: arn, name: 'bad name' }))).toBe(
      'InvalidName',
    );
    expect(codeOf(() => world.sfn.startExecution({ stateMachineArn: arn, input: 'not json' }))).toBe(
      'InvalidExecutionInput',
    );
    expect(
      codeOf(() => world.sfn.startExecution({ stateMachineArn: world.sfn.stateMachineArn('other') })),
    ).toBe('StateMachineDoesNotExist');
  });

  it('runs executions with the plugged executor and records success and failure', async () => {
    const { world } = setup();
    const arn = world.sfn.stateMachineArn(ID.stateMachine);
    const seen: unknown[] = [];
    world.setExecutor(arn, (execution) => {
      seen.push(execution.input);
      const input = execution.input as { fail?: boolean };
      if (input.fail === true)
        return Promise.reject(
          Object.assign(new Error('standby never came up'), { name: 'StandbyNotReadyError' }),
        );
      return Promise.resolve({ cutover: 'done' });
    });
    const ok = world.sfn.startExecution({ stateMachineArn: arn, name: 'ok', input: '{}' });
    const bad = world.sfn.startExecution({ stateMachineArn: arn, name: 'bad', input: '{"fail":true}' });
    // StartExecution answers before the executor runs.
    expect(world.sfn.describeExecution(ok.executionArn).status).toBe('RUNNING');
    await expect(world.sfn.waitFor(ok.executionArn)).resolves.toMatchObject({
      status: 'SUCCEEDED',
      output: '{"cutover":"done"}',
    });
    await expect(world.sfn.waitFor(bad.executionArn)).resolves.toMatchObject({
      status: 'FAILED',
      error: 'StandbyNotReadyError',
      cause: 'standby never came up',
    });
    expect(seen).toEqual([{}, { fail: true }]);
    expect(world.sfn.listExecutions(arn, 'FAILED').map((e) => e.name)).toEqual(['bad']);
    expect(
      world.events
        .list({ type: ['sfn.execution.started', 'sfn.execution.succeeded', 'sfn.execution.failed'] })
        .map((e) => e.type),
    ).toEqual([
      'sfn.execution.started',
      'sfn.execution.started',
      'sfn.execution.succeeded',
      'sfn.execution.failed',
    ]);
  });
});

describe('CloudWatch', () => {
  it('computes statistics per period from PutMetricData', () => {
    const { clock, world } = setup();
    const t = Math.floor(clock.now() / 60_000) * 60_000;
    world.cloudwatch.putMetricData('PanFailover', [
      { MetricName: 'ProbeLatency', Value: 10, Timestamp: t + 1_000 },
      { MetricName: 'ProbeLatency', Values: [20, 30], Counts: [1, 2], Timestamp: t + 2_000 },
      { MetricName: 'ProbeLatency', Value: 100, Timestamp: t + 61_000 },
    ]);
    const metric = { namespace: 'PanFailover', name: 'ProbeLatency', dimensions: {} };
    const stats = ['Sum', 'Average', 'Maximum', 'Minimum', 'SampleCount'] as const;
    const out = world.cloudwatch.getMetricData(
      stats.map((stat) => ({ id: stat, metric, periodSeconds: 60, stat })),
      t,
      t + 120_000,
    );
    expect(out.map((r) => [r.id, r.values])).toEqual([
      ['Sum', [100, 90]],
      ['Average', [100, 22.5]],
      ['Maximum', [100, 30]],
      ['Minimum', [100, 10]],
      ['SampleCount', [1, 4]],
    ]);
    expect(out[0]?.timestamps).toEqual([t + 60_000, t]);
    expect(codeOf(() => world.cloudwatch.putMetricData('AWS/EC2', [{ MetricName: 'x', Value: 1 }]))).toBe(
      'InvalidParameterValue',
    );
    expect(codeOf(() => world.cloudwatch.putMetricData(undefined, [{ MetricName: 'x', Value: 1 }]))).toBe(
      'MissingParameter',
    );
  });

  it('ingests Embedded Metric Format lines as Powertools writes them', () => {
    const { clock, world } = setup();
    const line = JSON.stringify({
      _aws: {
        Timestamp: clock.now(),
        CloudWatchMetrics: [
          {
            Namespace: 'PanFailover',
            Dimensions: [['service', 'pair']],
            Metrics: [{ Name: 'ProbeFailures', Unit: 'Count' }],
          },
        ],
      },
      service: 'health-probe',
      pair: 'hq-egress',
      ProbeFailures: [1, 1, 0],
    });
    expect(world.ingestEmf(line)).toBe(3);
    expect(world.ingestEmf('plain log line')).toBe(0);
    expect(() => world.ingestEmf(JSON.stringify({ _aws: { CloudWatchMetrics: 'x' } }))).toThrow(
      InputInvalidError,
    );
    const [r] = world.cloudwatch.getMetricData(
      [
        {
          id: 'f',
          metric: {
            namespace: 'PanFailover',
            name: 'ProbeFailures',
            dimensions: { service: 'health-probe', pair: 'hq-egress' },
          },
          periodSeconds: 60,
          stat: 'Sum',
        },
      ],
      clock.now() - 60_000,
      clock.now() + 60_000,
    );
    expect(r?.values).toEqual([2]);
  });

  it('moves an alarm to ALARM on the clock and emits the EventBridge event', async () => {
    const { clock, world } = setup();
    const events: AlarmStateChangeEvent[] = [];
    world.onAlarmStateChange((e) => events.push(e));
    world.cloudwatch.defineAlarm({
      name: 'hq-egress-probe-failures',
      namespace: 'PanFailover',
      metric: 'ProbeFailures',
      dimensions: { pair: 'hq-egress' },
      statistic: 'Sum',
      periodSeconds: 60,
      evaluationPeriods: 2,
      threshold: 3,
      comparison: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });
    const put = (v: number) =>
      world.cloudwatch.record(
        { namespace: 'PanFailover', name: 'ProbeFailures', dimensions: { pair: 'hq-egress' } },
        v,
      );
    await clock.advance(60_000);
    expect(world.cloudwatch.describeAlarms()[0]?.state).toBe('OK');
    put(5);
    await clock.advance(60_000);
    expect(world.cloudwatch.describeAlarms()[0]?.state).toBe('OK'); // one breaching period of two
    put(4);
    await clock.advance(60_000);
    expect(world.cloudwatch.describeAlarms()[0]?.state).toBe('ALARM');
    const alarm = events.at(-1);
    expect(alarm).toMatchObject({
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      region: 'eu-central-1',
      resources: ['arn:aws:cloudwatch:eu-central-1:123456789012:alarm:hq-egress-probe-failures'],
      detail: {
        alarmName: 'hq-egress-probe-failures',
        state: { value: 'ALARM' },
        previousState: { value: 'OK' },
        configuration: {
          metrics: [
            {
              metricStat: {
                metric: {
                  namespace: 'PanFailover',
                  name: 'ProbeFailures',
                  dimensions: { pair: 'hq-egress' },
                },
                period: 60,
                stat: 'Sum',
              },
            },
          ],
        },
      },
    });
    expect(events.map((e) => e.detail.state.value)).toEqual(['OK', 'ALARM']);
  });

  it('derives AWS/EC2 StatusCheckFailed from instance status, which an alarm can watch', async () => {
    const { clock, world } = setup();
    world.cloudwatch.defineAlarm({
      name: 'fw-a-status',
      namespace: 'AWS/EC2',
      metric: 'StatusCheckFailed',
      dimensions: { InstanceId: ID.fwA },
      statistic: 'Maximum',
      periodSeconds: 60,
      evaluationPeriods: 1,
      threshold: 1,
      comparison: '>=',
    });
    expect(world.cloudwatch.describeAlarms(['fw-a-status'])[0]?.comparison).toBe('GreaterThanOrEqualToThreshold');
    await clock.advance(120_000);
    expect(world.cloudwatch.describeAlarms(['fw-a-status'])[0]?.state).toBe('OK');
    world.faults.set({ instances: { [ID.fwA]: { impaired: true } } });
    await clock.advance(120_000);
    expect(world.cloudwatch.describeAlarms(['fw-a-status'])[0]?.state).toBe('ALARM');
    // A stopped instance reports nothing: with missing data the alarm has insufficient data.
    world.ec2.stopInstances([ID.fwA]);
    await clock.advance(180_000);
    expect(world.cloudwatch.describeAlarms(['fw-a-status'])[0]?.state).toBe('INSUFFICIENT_DATA');
  });
});

describe('event log', () => {
  it('keeps events in simulated-time order and notifies subscribers', async () => {
    const { clock, world } = setup();
    const seen: string[] = [];
    const stop = world.events.subscribe((e) => seen.push(e.type));
    world.ec2.startInstances([ID.fwB]);
    world.ec2.replaceRoute(ID.privateRtbA, '0.0.0.0/0', { networkInterfaceId: ID.fwBTrust });
    await clock.advance(16_000);
    stop();
    world.ec2.stopInstances([ID.fwB]);
    expect(seen).toEqual(['ec2.instance.state', 'ec2.route.replaced', 'ec2.instance.state']);
    const all = world.events.list();
    expect(all.map((e) => e.at)).toEqual([...all.map((e) => e.at)].sort((a, b) => a - b));
    // `running` happened exactly 16 s after the start, which is now; `since` is inclusive.
    expect(world.events.list({ since: clock.now() }).map((e) => e.data['to'])).toEqual([
      'running',
      'stopping',
    ]);
    expect(world.events.list({ since: clock.now() + 1 })).toEqual([]);
  });
});
