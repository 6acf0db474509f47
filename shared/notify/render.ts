/**
 * One notification, laid out per SNS protocol. SNS sends each subscriber the message of its
 * protocol when the publish says `MessageStructure: json` (the JSON must have a string
 * `default`, used by every protocol without its own key):
 *
 * - `email`, `sms`: plain text for people (what happened, what it means for traffic, the
 *   timeline, what moved, what to do now, the runbook section, the console);
 * - `default` (SQS, Lambda, HTTP/S, email-json, Firehose): the JSON body, as before;
 * - `https` with `chatbot: true`: the AWS Chatbot custom-notification format (Slack, Teams).
 *
 * Pure functions: the AWS adapter and the simulator's notifier use the same ones.
 */
import type { Notification, NotificationText } from '../ports/messaging.js';
import { LABELS } from './texts.js';

export interface RenderOptions {
  /** HTTPS subscribers get the AWS Chatbot custom-notification format instead of the JSON. */
  readonly chatbot?: boolean;
}

/** The Publish fields a notification becomes. */
export interface SnsMessage {
  readonly Message: string;
  readonly MessageStructure?: 'json';
}

/** The body for machines (unchanged by the text for people). */
export function jsonMessage(notification: Notification): string {
  return JSON.stringify(notification.body, null, 2);
}

/** Lists in the text are cut here; the JSON keeps everything. */
export const MAX_TEXT_LINES = 25;

function list(lines: readonly string[], language: NotificationText['language']): string[] {
  if (lines.length <= MAX_TEXT_LINES) return lines.map((l) => `  ${l}`);
  const more = lines.length - MAX_TEXT_LINES;
  return [...lines.slice(0, MAX_TEXT_LINES).map((l) => `  ${l}`), language === 'ja' ? `  ... ほか ${more} 件 (JSON を参照)` : `  ... and ${more} more (see the JSON)`];
}

/** The e-mail: the subject's story in plain text, in the configured language. */
export function emailText(subject: string, text: NotificationText): string {
  const l = LABELS[text.language];
  const sep = text.language === 'ja' ? ': ' : ': ';
  const out: string[] = [text.headline, '', `${l.traffic}${sep}${text.traffic}`, ''];
  if (text.timeline && text.timeline.length > 0) out.push(`${l.timeline}:`, ...list(text.timeline, text.language), '');
  if (text.moved && text.moved.length > 0) out.push(`${l.moved}:`, ...list(text.moved, text.language), '');
  if (text.details && text.details.length > 0) out.push(`${l.details}:`, ...list(text.details, text.language), '');
  out.push(`${l.action}${sep}${text.action}`, `${l.runbook}${sep}${text.runbook}`, `${l.console}${sep}${text.console ?? l.noConsole}`, '', '--', subject, l.footer);
  return `${out.join('\n')}\n`;
}

/**
 * The SMS: the headline and the runbook link. SNS splits a long SMS into several (at most 1,600
 * characters per publish; 70 characters a part for Japanese): keep it short.
 */
export function smsText(text: NotificationText): string {
  const l = LABELS[text.language];
  const sms = `${text.headline} ${l.runbook}: ${text.runbook}`;
  return sms.length <= 600 ? sms : `${sms.slice(0, 597)}...`;
}

/**
 * AWS Chatbot's custom notification (version 1.0, source custom): title, a markdown
 * description, next steps, keywords; the execution as the thread and related resource.
 */
export function chatbotMessage(notification: Notification, text: NotificationText): Record<string, unknown> {
  const l = LABELS[text.language];
  const body = notification.body;
  const execution = typeof body.execution === 'string' ? body.execution : undefined;
  const pair = typeof body.pair === 'string' ? body.pair : undefined;
  const description = [
    text.headline,
    `*${l.traffic}:* ${text.traffic}`,
    ...(text.timeline && text.timeline.length > 0 ? [`*${l.timeline}:*`, '```', ...text.timeline.slice(0, MAX_TEXT_LINES), '```'] : []),
    ...(text.moved && text.moved.length > 0 ? [`*${l.moved}:* ${text.moved.slice(0, 10).join('; ')}${text.moved.length > 10 ? ' ...' : ''}`] : []),
    ...(text.details && text.details.length > 0 ? [`*${l.details}:* ${text.details.join(' ')}`] : []),
  ].join('\n');
  return {
    version: '1.0',
    source: 'custom',
    id: `${pair ?? 'pan-failover'}-${typeof body.at === 'string' ? body.at : ''}-${notification.kind ?? 'notification'}`,
    content: {
      textType: 'client-markdown',
      title: notification.subject,
      description,
      nextSteps: [text.action, `${l.runbook}: ${text.runbook}`, ...(text.console ? [`${l.console}: ${text.console}`] : [])],
      keywords: [pair, notification.kind, typeof body.event === 'string' ? body.event : undefined].filter((k): k is string => k !== undefined),
    },
    metadata: {
      threadId: execution ?? `${pair ?? 'pan-failover'}-${notification.kind ?? ''}`,
      summary: text.headline,
      eventType: notification.kind ?? 'notification',
      relatedResources: text.console ? [text.console] : [],
      additionalContext: Object.fromEntries(Object.entries(notification.attributes ?? {}).filter(([, v]) => v !== '')),
    },
  };
}

/**
 * The Publish message: with a text, a per-protocol JSON (`MessageStructure: json`); without,
 * the JSON body for everyone.
 */
export function snsMessage(subject: string, notification: Notification, options: RenderOptions = {}): SnsMessage {
  const json = jsonMessage(notification);
  const text = notification.text;
  if (!text) return { Message: json };
  const perProtocol: Record<string, string> = {
    default: json,
    email: emailText(subject, text),
    sms: smsText(text),
  };
  if (options.chatbot) perProtocol.https = JSON.stringify(chatbotMessage({ ...notification, subject }, text));
  return { Message: JSON.stringify(perProtocol), MessageStructure: 'json' };
}

/**
 * What a subscriber of `protocol` receives for a published message (SNS's selection, for the
 * simulator and tests): the protocol's key, else `default`.
 */
export function deliveredMessage(message: string, structure: string | undefined, protocol: string): string {
  if (structure !== 'json') return message;
  const parsed = JSON.parse(message) as Record<string, unknown>;
  const mine = parsed[protocol];
  return typeof mine === 'string' ? mine : String(parsed.default);
}

/** Link to a Step Functions execution in the console, from its state machine's ARN and its name. */
export function executionConsoleUrl(stateMachineArn: string | undefined, execution: string): string | undefined {
  const m = /^arn:aws:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]+)$/.exec(stateMachineArn ?? '');
  if (!m || m[2] === '000000000000') return undefined;
  const [, region, account, name] = m;
  const arn = `arn:aws:states:${region}:${account}:execution:${name}:${execution}`;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${arn}`;
}

/** Link to a state machine's executions in the console (for the probe's alerts). */
export function stateMachineConsoleUrl(stateMachineArn: string | undefined): string | undefined {
  const m = /^arn:aws:states:([a-z0-9-]+):(\d{12}):stateMachine:[A-Za-z0-9_-]+$/.exec(stateMachineArn ?? '');
  if (!m || m[2] === '000000000000') return undefined;
  return `https://${m[1]}.console.aws.amazon.com/states/home?region=${m[1]}#/statemachines/view/${stateMachineArn}`;
}
