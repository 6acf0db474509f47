import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { NotFoundException, PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { AwsCallError, AwsThrottledError, ConfigInvalidError } from '#shared/errors.js';
import { recordingTelemetry } from '#shared/observability/telemetry.js';
import {
  MAX_SUBJECT,
  createLogOnlyNotifier,
  createNotifier,
  sanitiseSubject,
} from '#shared/adapters/aws/sns.js';

const snsMock = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-central-1:123456789012:pan-failover';
const client = () => new SNSClient({ region: 'eu-central-1' });

beforeEach(() => snsMock.reset());

describe('createNotifier', () => {
  it('publishes the sanitised subject and the body as pretty JSON to the topic', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await createNotifier({ client: client(), topicArn: TOPIC }).publish({
      subject: 'Failover edge:\nprimary → secondary',
      body: { pair: 'edge', to: 'secondary' },
    });
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input).toEqual({
      TopicArn: TOPIC,
      Subject: 'Failover edge: primary ? secondary',
      Message: '{\n  "pair": "edge",\n  "to": "secondary"\n}',
    });
  });

  it('sends the attributes as String message attributes for subscription filters', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-2' });
    await createNotifier({ client: client(), topicArn: TOPIC }).publish({
      subject: 's',
      body: {},
      attributes: { pair: 'edge', event: 'result', outcome: '' },
    });
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.MessageAttributes).toEqual({
      pair: { DataType: 'String', StringValue: 'edge' },
      event: { DataType: 'String', StringValue: 'result' },
    });
  });

  it('requires a topic: an empty one is a configuration error, not a silent no-op', () => {
    expect(() => createNotifier({ client: client(), topicArn: '' })).toThrow(ConfigInvalidError);
    expect(() => createNotifier({ client: client(), topicArn: '' })).toThrow(/createLogOnlyNotifier/);
    expect(() => createNotifier({ client: client(), topicArn: 'pan-failover' })).toThrow(ConfigInvalidError);
  });

  it('translates publish failures', async () => {
    snsMock
      .on(PublishCommand)
      .rejectsOnce(new ThrottledException({ $metadata: { httpStatusCode: 400 }, message: 'x' }))
      .rejectsOnce(
        new NotFoundException({ $metadata: { httpStatusCode: 404 }, message: 'Topic does not exist' }),
      );
    const notifier = createNotifier({ client: client(), topicArn: TOPIC });
    await expect(notifier.publish({ subject: 's', body: {} })).rejects.toThrow(AwsThrottledError);
    await expect(notifier.publish({ subject: 's', body: {} })).rejects.toThrow(AwsCallError);
  });
});

describe('sanitiseSubject', () => {
  it('keeps printable ASCII, replaces control characters with spaces and the rest with ?', () => {
    expect(sanitiseSubject('  a\tb\r\nc\u0007d  é😀 ')).toBe('a b c d ??');
  });

  it('stays under 100 characters, marking the cut', () => {
    const subject = sanitiseSubject('x'.repeat(300));
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT);
    expect(MAX_SUBJECT).toBeLessThan(100);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('never sends an empty subject', () => {
    expect(sanitiseSubject(' \n\t ')).toBe('pan-failover notification');
  });
});

describe('createLogOnlyNotifier', () => {
  it('logs each notification as a warning saying it was not sent', async () => {
    const telemetry = recordingTelemetry();
    await createLogOnlyNotifier(telemetry.log).publish({ subject: 'Failover\nedge', body: { pair: 'edge' } });
    expect(telemetry.logs).toEqual([
      {
        level: 'warn',
        message: 'notification not sent: no SNS topic configured',
        fields: { subject: 'Failover edge', body: { pair: 'edge' } },
      },
    ]);
    expect(snsMock.calls()).toHaveLength(0);
  });
});
