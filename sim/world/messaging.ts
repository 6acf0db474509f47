/** SNS topics that record every message, and Secrets Manager string secrets. */
import { deliveredMessage } from '#shared/notify/render.js';
import { SimAwsError } from './aws-error.js';
import { worldArn, type WorldContext } from './context.js';
import type { WorldTopology } from './topology.js';

export interface PublishedMessage {
  readonly topicArn: string;
  readonly messageId: string;
  readonly subject: string | undefined;
  /** The Message parameter as published (with `messageStructure: json`, one message per protocol). */
  readonly message: string;
  readonly messageStructure?: 'json';
  /** Simulated epoch ms. */
  readonly timestamp: number;
}

export interface PublishInput {
  readonly topicArn: string;
  readonly message: string;
  readonly subject?: string;
  /** `json`: the message is a JSON object of per-protocol messages with a string `default`. */
  readonly messageStructure?: string;
}

/** SNS's subscription protocols. */
export type SnsProtocol = 'email' | 'email-json' | 'sms' | 'sqs' | 'lambda' | 'http' | 'https' | 'application' | 'firehose';

/**
 * What a subscriber of `protocol` receives (SNS's selection): with `MessageStructure: json`, the
 * protocol's own key, else `default`; otherwise the message as published.
 */
export function deliveredTo(m: Pick<PublishedMessage, 'message' | 'messageStructure'>, protocol: SnsProtocol): string {
  return deliveredMessage(m.message, m.messageStructure, protocol);
}

const MAX_MESSAGE_BYTES = 256 * 1024;

export class SnsWorld {
  readonly #ctx: WorldContext;
  readonly #topics = new Set<string>();
  readonly #messages: PublishedMessage[] = [];

  constructor(ctx: WorldContext) {
    this.#ctx = ctx;
  }

  load(t: WorldTopology): void {
    for (const topic of t.topics) this.#topics.add(this.topicArn(topic.name));
  }

  /** Every topic's ARN (ListTopics). */
  listTopics(): string[] {
    this.#ctx.iam.check('sns', 'sns:ListTopics', ['*']);
    return [...this.#topics].sort();
  }

  topicArn(name: string): string {
    return `arn:aws:sns:${this.#ctx.region}:${this.#ctx.accountId}:${name}`;
  }

  /** GetTopicAttributes: the topic exists (the self-test's read; nothing is published). */
  getTopicAttributes(topicArn: string): Record<string, string> {
    this.#ctx.iam.check('sns', 'sns:GetTopicAttributes', [topicArn]);
    if (!this.#topics.has(topicArn)) throw new SimAwsError('sns', 'NotFound', 'Topic does not exist', { httpStatus: 404 });
    return { TopicArn: topicArn, Owner: this.#ctx.accountId, DisplayName: '', SubscriptionsConfirmed: '0', SubscriptionsPending: '0' };
  }

  publish(input: PublishInput): string {
    this.#ctx.iam.check('sns', 'sns:Publish', [input.topicArn]);
    if (!this.#topics.has(input.topicArn)) {
      throw new SimAwsError('sns', 'NotFound', 'Topic does not exist', { httpStatus: 404 });
    }
    if (input.message === '') throw invalid('Invalid parameter: Empty message');
    if (Buffer.byteLength(input.message, 'utf8') > MAX_MESSAGE_BYTES)
      throw invalid('Invalid parameter: Message too long');
    if (input.subject !== undefined && !validSubject(input.subject)) {
      throw invalid(
        'Invalid parameter: Subject must be ASCII text that begins with a letter, number, or punctuation mark; must not include line breaks or control characters; and must be less than 100 characters long',
      );
    }
    if (input.messageStructure !== undefined) checkStructure(input.messageStructure, input.message);
    const messageId = this.#ctx.ids.uuid();
    const timestamp = this.#ctx.now();
    const record: PublishedMessage = {
      topicArn: input.topicArn,
      messageId,
      subject: input.subject,
      message: input.message,
      ...(input.messageStructure === 'json' ? { messageStructure: 'json' as const } : {}),
      timestamp,
    };
    this.#messages.push(Object.freeze(record));
    this.#ctx.events.record(
      timestamp,
      'sns.published',
      input.topicArn,
      `SNS: ${input.subject ?? input.message.slice(0, 80)}`,
      {
        topicArn: input.topicArn,
        messageId,
        subject: input.subject,
        message: input.message,
      },
    );
    return messageId;
  }

  /** Every message published so far (to one topic, or all). */
  messages(topicArn?: string): PublishedMessage[] {
    return this.#messages.filter((m) => topicArn === undefined || m.topicArn === topicArn);
  }
}

/** SNS refuses a per-protocol message without a string `default`, or with a value that is not a string. */
function checkStructure(structure: string, message: string): void {
  if (structure !== 'json') throw invalid('Invalid parameter: MessageStructure Reason: Invalid value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalid('Invalid parameter: Message Structure - JSON message body failed to parse');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('Invalid parameter: Message Structure - JSON message body failed to parse');
  }
  const entries = Object.entries(parsed);
  if (typeof (parsed as Record<string, unknown>).default !== 'string') {
    throw invalid('Invalid parameter: Message Structure - No default entry in JSON message body');
  }
  for (const [key, value] of entries) {
    if (typeof value !== 'string') throw invalid(`Invalid parameter: Message Structure - ${key} is not a string`);
  }
}

function invalid(message: string): SimAwsError {
  return new SimAwsError('sns', 'InvalidParameter', message);
}

function validSubject(subject: string): boolean {
  return (
    subject.length > 0 &&
    subject.length < 100 &&
    /^[\x20-\x7e]+$/.test(subject) &&
    /^[A-Za-z0-9\p{P}]/u.test(subject)
  );
}

export interface SecretValue {
  readonly arn: string;
  readonly name: string;
  readonly versionId: string;
  readonly secretString: string;
  readonly createdDate: number;
}

export class SecretsWorld {
  readonly #ctx: WorldContext;
  readonly #secrets = new Map<string, SecretValue>();

  constructor(ctx: WorldContext) {
    this.#ctx = ctx;
  }

  load(t: WorldTopology): void {
    for (const s of t.secrets) this.put(s.name, s.value);
  }

  /** Creates or rotates a secret (a new version each time). */
  put(name: string, value: string): SecretValue {
    const existing = this.#secrets.get(name);
    const secret: SecretValue = {
      arn:
        existing?.arn ??
        `arn:aws:secretsmanager:${this.#ctx.region}:${this.#ctx.accountId}:secret:${name}-${this.#ctx.ids.chars(6, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz')}`,
      name,
      versionId: this.#ctx.ids.uuid(),
      secretString: value,
      createdDate: this.#ctx.now(),
    };
    this.#secrets.set(name, secret);
    return secret;
  }

  /** Deletes a secret at once (the administrator's; tests of a missing API key). */
  remove(name: string): boolean {
    return this.#secrets.delete(name);
  }

  /** Every secret, by name (ListSecrets; values are not listed). */
  list(): SecretValue[] {
    this.#ctx.iam.check('secretsmanager', 'secretsmanager:ListSecrets', ['*']);
    return [...this.#secrets.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** By name or by full ARN. */
  get(secretId: string): SecretValue {
    const secret = this.#secrets.get(secretId) ?? [...this.#secrets.values()].find((s) => s.arn === secretId);
    // IAM sees the secret's full ARN (with its random suffix); an unknown name is not a secret's ARN.
    const arn = secret?.arn ?? (secretId.startsWith('arn:') ? secretId : worldArn(this.#ctx, 'secretsmanager', `secret:${secretId}`));
    this.#ctx.iam.check('secretsmanager', 'secretsmanager:GetSecretValue', [arn]);
    if (secret === undefined) {
      throw new SimAwsError(
        'secretsmanager',
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    }
    return secret;
  }

  delete(name: string): void {
    this.#secrets.delete(name);
  }
}
