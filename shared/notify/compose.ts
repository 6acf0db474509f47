/** Builds the text people read from a kind, the configured language and the event's facts. */
import type { NotificationsConfig } from '../config/schema.js';
import type { NotificationText } from '../ports/messaging.js';
import type { NotificationKind } from './kinds.js';
import { PAUSE_OVERRIDDEN, TEXTS, type TextContext } from './texts.js';

/** Where the runbook is read when `notifications.runbookUrl` is not set: its path in this repository. */
export function defaultRunbookUrl(language: NotificationsConfig['language']): string {
  return language === 'ja' ? 'docs/runbook.ja.md' : 'docs/runbook.md';
}

/** The runbook section of a notification kind (its anchor is the kind). */
export function runbookLink(settings: NotificationsConfig, kind: NotificationKind): string {
  return `${settings.runbookUrl ?? defaultRunbookUrl(settings.language)}#${kind}`;
}

export interface TextExtras {
  readonly timeline?: readonly string[];
  readonly moved?: readonly string[];
  readonly details?: readonly string[];
  readonly console?: string;
}

export function composeText(settings: NotificationsConfig, kind: NotificationKind, context: TextContext, extras: TextExtras = {}): NotificationText {
  const sentences = TEXTS[settings.language][kind](context);
  const overridden = context.pauseOverriddenBy;
  return {
    language: settings.language,
    ...sentences,
    ...(overridden !== undefined ? { headline: sentences.headline + PAUSE_OVERRIDDEN[settings.language](overridden) } : {}),
    ...(extras.timeline ? { timeline: extras.timeline } : {}),
    ...(extras.moved ? { moved: extras.moved } : {}),
    ...(extras.details && extras.details.length > 0 ? { details: extras.details } : {}),
    runbook: runbookLink(settings, kind),
    ...(extras.console ? { console: extras.console } : {}),
  };
}

/** The settings of a configuration without a `notifications` section. */
export const DEFAULT_NOTIFICATIONS: NotificationsConfig = { language: 'en', chatbot: false };
