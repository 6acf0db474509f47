/**
 * The maintenance pause's notifications go through the notification mechanism
 * (shared/notify): each has its kind (the runbook anchor), and its text in the configured
 * language; a flow that overrode a pause says so in every message's headline.
 */
import { describe, expect, it } from 'vitest';
import type { NotificationsConfig, PairConfig } from '#shared/config/schema.js';
import { emailText } from '#shared/notify/render.js';
import type { PauseRecord } from '#shared/ports/store.js';
import { phaseNotification } from '#shared/usecases/flow/notifications.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { pauseNotification } from '#shared/usecases/pause.js';
import { makePair } from '../support/config.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const EN: NotificationsConfig = { language: 'en', chatbot: false };
const JA: NotificationsConfig = { language: 'ja', chatbot: false, runbookUrl: 'https://wiki.example.jp/pan-failover/runbook.ja.md' };
const pair: PairConfig = makePair();
const record: PauseRecord = { since: T0, until: T0 + 7_200_000, by: 'alice', reason: 'PAN-OS upgrade of fw-a (CHG-1234)' };

const state = (over: Partial<FlowState>): FlowState => ({
  input: { pair: 'hq-egress', action: 'failover', reason: 'r', force: false, dryRun: false, source: 'alarm', requestedBy: 'bob' },
  execution: 'failover-hq-egress-1',
  stateMachineArn: 'arn:aws:states:ap-northeast-1:123456789012:stateMachine:pan-failover-prod',
  startedAt: T0,
  target: 'secondary',
  from: 'primary',
  phases: {},
  ...over,
});

describe('pause notifications through shared/notify', () => {
  it('pause, resume and expiry each have their kind, runbook section and Japanese text', () => {
    const set = pauseNotification('hq-egress', 'pause', record, undefined, T0, JA);
    expect(set.kind).toBe('pause-set');
    expect(set.text?.runbook).toBe('https://wiki.example.jp/pan-failover/runbook.ja.md#pause-set');
    expect(set.text?.headline).toContain('2026-03-02T11:00:00Z までメンテナンスのため一時停止されました');
    expect(set.text?.headline).toContain('alice');
    expect(set.subject).toContain('PAUSED until 2026-03-02T11:00:00Z by alice');

    const resumed = pauseNotification('hq-egress', 'resume', { ...record, endedAt: T0 + 60_000, endedBy: 'carol' }, record, T0 + 60_000, EN);
    expect(resumed.kind).toBe('pause-resumed');
    expect(resumed.text?.headline).toBe('carol ended the maintenance pause of hq-egress; automatic failover is back on.');
    expect(resumed.text?.runbook).toBe('docs/runbook.md#pause-resumed');

    const expired = pauseNotification('hq-egress', 'pause-expired', { ...record, endedAt: record.until, endedBy: 'expiry' }, record, record.until, JA);
    expect(expired.kind).toBe('pause-expired');
    expect(expired.text?.headline).toContain('期限切れ');
    expect(emailText(expired.subject, expired.text!)).toContain("runbook.ja.md#pause-expired");
  });

  it('an automatic flow skipped by the pause is kind flow-skipped-paused, naming until when and by whom', () => {
    const pause = { until: record.until, by: 'alice', reason: record.reason, skip: true, overridden: false };
    const n = phaseNotification(pair, state({ pause, result: { outcome: 'skipped-paused', summary: 'paused' } }), 'result', T0, { notifications: JA });
    expect(n.kind).toBe('flow-skipped-paused');
    expect(n.text?.headline).toContain('alice によって 2026-03-02T11:00:00Z までメンテナンスのため一時停止中');
    expect(n.text?.runbook).toContain('#flow-skipped-paused');
  });

  it('a flow that overrode the pause says PAUSE OVERRIDDEN in every headline, in either language; one that did not, does not', () => {
    const pause = { until: record.until, by: 'alice', reason: record.reason, skip: false, overridden: true };
    const forced = state({ input: { ...state({}).input, source: 'manual', force: true }, pause });
    for (const phase of ['started', 'starting'] as const) {
      expect(phaseNotification(pair, forced, phase, T0, { notifications: EN }).text?.headline).toContain('PAUSE OVERRIDDEN by bob');
      expect(phaseNotification(pair, forced, phase, T0, { notifications: JA }).text?.headline).toContain('PAUSE OVERRIDDEN (bob がメンテナンスの一時停止を無視して');
    }
    expect(phaseNotification(pair, state({}), 'started', T0, { notifications: EN }).text?.headline).not.toContain('PAUSE OVERRIDDEN');
  });
});
