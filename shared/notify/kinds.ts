/**
 * Every kind of notification the controller can publish, one per subject pattern. The id is
 * also the anchor of the subject's section in docs/runbook.md and docs/runbook.ja.md
 * (`<a id="...">`): tests/unit/runbook.test.ts fails when a kind has no section in either.
 *
 * To add a notification: add its kind here, its sentences in `texts.ts` (both languages), and
 * its runbook section in both runbooks.
 */
import type { ReasonCode } from '../domain/health.js';

/** Alert codes the probe sends (`ALERT <code>`); each one has its own kind `alert-<code>`. */
export const ALERT_CODES = [
  'controller-blind',
  'active-auth-error',
  'active-untrusted',
  'active-degraded',
  'both-unavailable',
  'standby-unusable',
  'standby-unhealthy',
  'canary-down',
  'cooldown',
  'drift',
  'flow-attempts-exhausted',
  'failover-blocked-by-lock',
  'failover-paused',
] as const;
export type AlertCode = (typeof ALERT_CODES)[number];

/**
 * Whether each decision code is sent as an alert. A `Record` over every reason code: a new code
 * does not compile until someone decides, and an alerting one must be in `ALERT_CODES`.
 */
export const DECISION_ALERTS: Readonly<Record<ReasonCode, AlertCode | undefined>> = {
  'active-healthy': undefined,
  'active-booting': undefined,
  'active-failing': undefined,
  'active-failed': undefined,
  'active-settling': undefined,
  'active-tunnels-failed': undefined,
  'failback-hold': undefined,
  'failback-due': undefined,
  'active-degraded': 'active-degraded',
  'active-auth-error': 'active-auth-error',
  'active-untrusted': 'active-untrusted',
  'controller-blind': 'controller-blind',
  'both-unavailable': 'both-unavailable',
  'standby-unusable': 'standby-unusable',
  'standby-unhealthy': 'standby-unhealthy',
  'canary-down': 'canary-down',
  cooldown: 'cooldown',
};

export const FLOW_KINDS = [
  'flow-started',
  'flow-starting',
  'flow-ready',
  'flow-cutover',
  'flow-fencing-failed',
  'flow-succeeded',
  'flow-dns-repaired',
  'flow-not-needed',
  'flow-skipped',
  'flow-skipped-paused',
  'flow-failed',
] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

export const PROBE_KINDS = ['alert-resolved', 'drift-repairing', ...ALERT_CODES.map((c) => `alert-${c}` as const)] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** A maintenance pause set (`pan-failover pause`), ended (`resume`), or run out (seen by the probe). */
export const PAUSE_KINDS = ['pause-set', 'pause-resumed', 'pause-expired'] as const;
export type PauseKind = (typeof PAUSE_KINDS)[number];

/** The end of a standby drill (`action: drill`): one notification per drill, by its outcome. */
export const DRILL_KINDS = ['drill-succeeded', 'drill-drift', 'drill-failed', 'drill-yielded', 'drill-refused'] as const;
export type DrillKind = (typeof DRILL_KINDS)[number];

export type NotificationKind = FlowKind | ProbeKind | PauseKind | DrillKind;
export const NOTIFICATION_KINDS: readonly NotificationKind[] = [...FLOW_KINDS, ...PROBE_KINDS, ...PAUSE_KINDS, ...DRILL_KINDS];

/** Kinds that need a person now (the others are information). Shown in the runbook's table. */
export const NEEDS_YOU: ReadonlySet<NotificationKind> = new Set<NotificationKind>([
  'flow-fencing-failed',
  'flow-failed',
  'drill-failed',
  ...ALERT_CODES.map((c) => `alert-${c}` as const),
]);

export function alertKind(code: AlertCode): ProbeKind {
  return `alert-${code}`;
}

export function isAlertCode(code: string): code is AlertCode {
  return (ALERT_CODES as readonly string[]).includes(code);
}
