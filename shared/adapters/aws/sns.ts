/**
 * `Notifier` over `@aws-sdk/client-sns` (the message per protocol: shared/notify/render.ts), and an explicit log-only notifier for deployments
 * without a topic. There is deliberately no silent no-op: a failover nobody hears about is
 * worse than one that fails loudly, so the caller must choose the log-only variant by name.
 */
import { GetTopicAttributesCommand, PublishCommand } from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Notification, Notifier } from '#shared/ports/messaging.js';
import type { TopicReader } from '#shared/ports/selftest.js';
import type { Log } from '#shared/observability/telemetry.js';
import { ConfigInvalidError } from '#shared/errors.js';
import { snsMessage, type RenderOptions } from '#shared/notify/render.js';
import { callAws } from './errors.js';

/** SNS wants subjects "less than 100 characters long". */
export const MAX_SUBJECT = 99;
const FALLBACK_SUBJECT = 'pan-failover notification';

/**
 * A subject SNS accepts: printable ASCII only (other characters become `?`, line breaks and
 * control characters a space), runs of spaces collapsed, starting with a visible character,
 * at most 99 characters (cut with `...`).
 */
export function sanitiseSubject(subject: string): string {
  const printable = Array.from(subject, asciiPrintable).join('').replace(/ {2,}/g, ' ').trim();
  if (printable === '') return FALLBACK_SUBJECT;
  return printable.length <= MAX_SUBJECT ? printable : `${printable.slice(0, MAX_SUBJECT - 3).trimEnd()}...`;
}

function asciiPrintable(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return ' ';
  return code > 0x7e ? '?' : char;
}

export interface NotifierOptions extends RenderOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
}

const TOPIC_ARN = /^arn:[a-z-]+:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

export function messageAttributes(
  attributes: Readonly<Record<string, string>> | undefined,
): Record<string, { DataType: 'String'; StringValue: string }> | undefined {
  if (!attributes) return undefined;
  const out: Record<string, { DataType: 'String'; StringValue: string }> = {};
  for (const [k, v] of Object.entries(attributes)) if (v !== '') out[k] = { DataType: 'String', StringValue: v };
  return out;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { client, topicArn, chatbot } = options;
  if (!TOPIC_ARN.test(topicArn)) {
    throw new ConfigInvalidError('topicArn', [
      {
        path: 'topicArn',
        message:
          topicArn === ''
            ? 'is empty: give an SNS topic ARN, or use createLogOnlyNotifier() to only log notifications'
            : `"${topicArn}" is not an SNS topic ARN`,
      },
    ]);
  }
  return {
    async publish(notification: Notification): Promise<void> {
      const subject = sanitiseSubject(notification.subject);
      await callAws({ operation: 'sns:Publish' }, () =>
        client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: subject,
            // People (e-mail, SMS, chat) get text, machines the JSON: one message per protocol.
            ...snsMessage(subject, notification, { chatbot }),
            // Subscribers filter on these (e.g. only `event = result`), so they are sent as attributes.
            MessageAttributes: messageAttributes(notification.attributes),
          }),
        ),
      );
    },
  };
}

/** For a deployment with no topic, chosen explicitly: every notification becomes a warning log line. */
export function createLogOnlyNotifier(log: Pick<Log, 'warn'>): Notifier {
  return {
    publish(notification: Notification): Promise<void> {
      log.warn('notification not sent: no SNS topic configured', {
        subject: sanitiseSubject(notification.subject),
        body: notification.body,
      });
      return Promise.resolve();
    },
  };
}

/** The self-test's read of the topic (`sns:GetTopicAttributes`): it exists and answers; nothing is published. */
export function createTopicReader(client: SNSClient): TopicReader {
  return {
    async readTopic(topicArn: string): Promise<void> {
      await callAws({ operation: 'sns:GetTopicAttributes', resource: `topic ${topicArn}` }, () => client.send(new GetTopicAttributesCommand({ TopicArn: topicArn })));
    },
  };
}
