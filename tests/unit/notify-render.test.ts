/**
 * Notifications for people and machines: e-mail and SMS get plain text in the configured
 * language (what happened, what it means for traffic, the timeline, what moved, what to do now,
 * the runbook section, the console), SQS/Lambda/HTTPS keep the JSON, and AWS Chatbot gets its
 * custom-notification format when asked.
 */
import { describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { createNotifier } from '#shared/adapters/aws/sns.js';
import type { NotificationsConfig, PairConfig } from '#shared/config/schema.js';
import { composeText } from '#shared/notify/compose.js';
import { NOTIFICATION_KINDS } from '#shared/notify/kinds.js';
import { deliveredMessage, emailText, MAX_TEXT_LINES, smsText, snsMessage } from '#shared/notify/render.js';
import { TEXTS, type TextContext } from '#shared/notify/texts.js';
import type { Notification } from '#shared/ports/messaging.js';
import { phaseNotification } from '#shared/usecases/flow/notifications.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { makePair } from '../support/config.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const SM = 'arn:aws:states:ap-northeast-1:123456789012:stateMachine:pan-failover-prod';
const EN: NotificationsConfig = { language: 'en', chatbot: false };
const JA: NotificationsConfig = { language: 'ja', chatbot: false, runbookUrl: 'https://wiki.example.jp/pan-failover/runbook.ja.md' };

const pair: PairConfig = makePair();

const base: FlowState = {
  input: { pair: 'hq-egress', action: 'failover', reason: 'fw-a failed 3 consecutive rounds (its API does not answer)', force: false, dryRun: false, source: 'probe' },
  execution: 'failover-hq-egress-20260302T0900-1',
  stateMachineArn: SM,
  startedAt: T0,
  target: 'secondary',
  from: 'primary',
  phases: {
    validate: { startedAt: T0, endedAt: T0 + 100, outcome: 'ok' },
    lock: { startedAt: T0 + 200, endedAt: T0 + 300, outcome: 'ok' },
    recheck: { startedAt: T0 + 400, endedAt: T0 + 1400, outcome: 'proceed' },
    start: { startedAt: T0 + 1500, endedAt: T0 + 2500, outcome: 'pending' },
  },
  recheck: {
    mode: 'proceed',
    reason: 'fw-a is unreachable',
    recordedOwner: 'primary',
    awsOwner: 'primary',
    statuses: { primary: 'unreachable', secondary: 'stopped' },
    repairDns: false,
  },
};

const failed: FlowState = {
  ...base,
  phases: { ...base.phases, boot: { startedAt: T0 + 2600, endedAt: T0 + 1_202_600, outcome: 'failed: StandbyNotReadyError' } },
  ready: { ready: false, deadlineAt: T0 + 1_202_600, deadlineExceeded: true, waitSeconds: 10, checks: 120, detail: 'API timeout', restart: false, restarts: 0 },
  error: { Error: 'StandbyNotReadyError', Cause: JSON.stringify({ errorMessage: 'fw-b was not ready 1200 s after its start request' }) },
  result: { outcome: 'failed', summary: 'StandbyNotReadyError in phase boot' },
};

const succeeded: FlowState = {
  ...base,
  phases: {
    ...base.phases,
    boot: { startedAt: T0 + 2600, endedAt: T0 + 390_000, outcome: 'ok' },
    cutover: { startedAt: T0 + 390_100, endedAt: T0 + 393_100, outcome: 'ok' },
    fence: { startedAt: T0 + 393_200, endedAt: T0 + 394_000, outcome: 'stopped' },
    finish: { startedAt: T0 + 400_000, endedAt: T0 + 400_000, outcome: 'ok' },
  },
  ready: { ready: true, deadlineAt: T0 + 1_202_600, deadlineExceeded: false, waitSeconds: 10, checks: 39, detail: 'ready', restart: false, restarts: 0, readyAt: T0 + 390_000 },
  cutover: {
    moved: [
      'replace route 0.0.0.0/0 in rtb-0aa00000000000001: eni-0a000000000000011 -> eni-0b000000000000011',
      'associate EIP eipalloc-0e000000000000001 (198.51.100.10): eni-0a000000000000012/10.10.1.10 -> eni-0b000000000000012/10.20.1.10',
    ],
    unchanged: 0,
    calls: 2,
    throttled: 0,
    verifyAttempts: 1,
    durationMs: 3000,
  },
  fence: { action: 'stopped', detail: 'stopped fw-a (i-0a1b2c3d4e5f60001)' },
  verify: { done: true, waitSeconds: 10, healthy: true, tunnelsUp: ['tun-head-office'], tunnelsDown: [], timedOut: false, checks: 2 },
  result: { outcome: 'succeeded', summary: 'fw-b is active' },
};

function perProtocol(n: Notification, chatbot = false): Record<string, string> {
  const m = snsMessage(n.subject, n, { chatbot });
  expect(m.MessageStructure).toBe('json');
  return JSON.parse(m.Message) as Record<string, string>;
}

describe('a flow notification, per protocol', () => {
  it('e-mails a failure as text: what happened, traffic, the timeline, what to do, the runbook section and the execution', () => {
    const n = phaseNotification(pair, failed, 'result', T0 + 1_203_000, { notifications: EN }, { phase: 'boot', consistency: ['consistent on fw-a'] });
    expect(n.kind).toBe('flow-failed');
    const email = perProtocol(n).email ?? '';
    expect(email.split('\n')[0]).toBe('Failover of hq-egress FAILED in phase boot: fw-b did not become ready before the readiness deadline.');
    expect(email).toContain('What it means for traffic: Traffic is on fw-a, which has failed: the outage continues until a failover succeeds.');
    expect(email).toContain('Timeline (UTC):\n  09:00:00  validate      0s  ok\n  09:00:00  lock          0s  ok\n');
    expect(email).toContain('  09:00:02  boot     20m 00s  failed: StandbyNotReadyError\n');
    expect(email).toContain('StandbyNotReadyError: fw-b was not ready 1200 s after its start request');
    expect(email).toContain('ready.detail: API timeout');
    expect(email).toContain('consistent on fw-a');
    expect(email).toMatch(/What to do now: Look at fw-b in the EC2 console/);
    expect(email).toContain('Runbook: docs/runbook.md#flow-failed\n');
    expect(email).toContain(
      'Console: https://ap-northeast-1.console.aws.amazon.com/states/home?region=ap-northeast-1#/v2/executions/details/arn:aws:states:ap-northeast-1:123456789012:execution:pan-failover-prod:failover-hq-egress-20260302T0900-1\n',
    );
    expect(email).toContain('[pan-failover] hq-egress FAILOVER FAILED in phase boot: StandbyNotReadyError');
    expect(email).not.toMatch(/^\s*[{[]/);
  });

  it('gives SQS, Lambda and HTTPS subscribers the JSON body, unchanged (the failure report included)', () => {
    const n = phaseNotification(pair, failed, 'result', T0 + 1_203_000, { notifications: EN }, { phase: 'boot', consistency: ['consistent on fw-a'] });
    const message = snsMessage(n.subject, n).Message;
    for (const protocol of ['sqs', 'lambda', 'https', 'http', 'email-json', 'firehose']) {
      const json = JSON.parse(deliveredMessage(message, 'json', protocol)) as Record<string, unknown>;
      expect(json).toEqual(JSON.parse(JSON.stringify(n.body)));
      expect(json).toMatchObject({ pair: 'hq-egress', event: 'result', failedPhase: 'boot', consistency: ['consistent on fw-a'], error: { Error: 'StandbyNotReadyError' } });
    }
    // SNS requires a string `default`; every value is a string.
    const parsed = JSON.parse(message) as Record<string, unknown>;
    expect(Object.values(parsed).every((v) => typeof v === 'string')).toBe(true);
    expect(typeof parsed.default).toBe('string');
  });

  it('lists what moved and the tunnels in a success, and says what to do next', () => {
    const n = phaseNotification(pair, succeeded, 'result', T0 + 400_000, { notifications: EN });
    expect(n.kind).toBe('flow-succeeded');
    const email = perProtocol(n).email ?? '';
    expect(email.split('\n')[0]).toBe('Failover of hq-egress succeeded: fw-b is active (6m 40s).');
    expect(email).toContain(
      'What moved:\n  replace route 0.0.0.0/0 in rtb-0aa00000000000001: eni-0a000000000000011 -> eni-0b000000000000011\n  associate EIP eipalloc-0e000000000000001 (198.51.100.10): eni-0a000000000000012/10.10.1.10 -> eni-0b000000000000012/10.20.1.10\n  fencing: stopped fw-a (i-0a1b2c3d4e5f60001)\n',
    );
    expect(email).toContain('every expected tunnel is up');
    expect(email).toContain('What to do now: Find out why fw-a failed before any failback');
    expect(email).toContain('Runbook: docs/runbook.md#flow-succeeded');
  });

  it('writes the text in Japanese when configured; the subject stays ASCII, the link goes to the configured runbook', async () => {
    const n = phaseNotification(pair, failed, 'result', T0 + 1_203_000, { notifications: JA }, { phase: 'boot', consistency: [] });
    const m = perProtocol(n);
    expect(m.email?.split('\n')[0]).toBe('hq-egress のフェイルオーバーがフェーズ boot で失敗しました: fw-b が準備完了の期限までに起動しきりませんでした。');
    expect(m.email).toContain('タイムライン (UTC):\n  09:00:00  validate');
    expect(m.email).toContain('ランブック: https://wiki.example.jp/pan-failover/runbook.ja.md#flow-failed');
    expect(m.sms).toContain('https://wiki.example.jp/pan-failover/runbook.ja.md#flow-failed');
    expect(n.subject).toMatch(/^[\x20-\x7e]+$/);
    // Through the adapter: the Subject SNS gets is ASCII, the structure is json.
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    await createNotifier({ client: new SNSClient({ region: 'ap-northeast-1' }), topicArn: 'arn:aws:sns:ap-northeast-1:123456789012:pan-failover-prod-notifications' }).publish(n);
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.Subject).toBe('[pan-failover] hq-egress FAILOVER FAILED in phase boot: StandbyNotReadyError');
    expect(input.MessageStructure).toBe('json');
    expect(JSON.parse(input.Message ?? '{}')).toEqual(m);
    sns.restore();
  });

  it('links no console for a CLI --local run', () => {
    const n = phaseNotification(pair, failed, 'result', T0 + 1_203_000, { notifications: EN, local: true }, { phase: 'boot', consistency: [] });
    expect(perProtocol(n).email).toContain('Console: none (run by the CLI with --local: no Step Functions execution)');
  });

  it('gives AWS Chatbot its custom-notification format on HTTPS when configured', () => {
    const n = phaseNotification(pair, failed, 'result', T0 + 1_203_000, { notifications: { ...EN, chatbot: true } }, { phase: 'boot', consistency: [] });
    const m = perProtocol(n, true);
    const chat = JSON.parse(m.https ?? '{}') as { version: string; source: string; content: { textType: string; title: string; description: string; nextSteps: string[] }; metadata: { threadId: string } };
    expect(chat.version).toBe('1.0');
    expect(chat.source).toBe('custom');
    expect(chat.content.textType).toBe('client-markdown');
    expect(chat.content.title).toBe(n.subject);
    expect(chat.content.description).toContain('09:00:02  boot');
    expect(chat.content.nextSteps).toContain('Runbook: docs/runbook.md#flow-failed');
    expect(chat.metadata.threadId).toBe(failed.execution);
    // SQS still gets the JSON.
    expect(JSON.parse(deliveredMessage(snsMessage(n.subject, n, { chatbot: true }).Message, 'json', 'sqs'))).toMatchObject({ event: 'result' });
  });

  it('keeps the text short where it must: SMS is the headline and the link, long lists are cut', () => {
    const text = composeText(EN, 'flow-cutover', { pair: 'hq-egress', to: 'fw-b', from: 'fw-a', count: 500 }, { moved: Array.from({ length: 500 }, (_, i) => `route 10.${i}.0.0/16`) });
    expect(smsText(text)).toBe(`${text.headline} Runbook: docs/runbook.md#flow-cutover`);
    const email = emailText('s', text);
    expect(email).toContain(`  ... and ${500 - MAX_TEXT_LINES} more (see the JSON)`);
    expect(email.split('\n').filter((l) => l.startsWith('  route ')).length).toBe(MAX_TEXT_LINES);
  });

  it('publishes a notification without text as the JSON for everyone (no structure)', () => {
    expect(snsMessage('s', { subject: 's', body: { a: 1 } })).toEqual({ Message: '{\n  "a": 1\n}' });
  });
});

describe('the sentences', () => {
  const full: TextContext = {
    pair: 'hq-egress',
    action: 'failover',
    from: 'fw-a',
    to: 'fw-b',
    active: 'fw-a',
    standby: 'fw-b',
    count: 3,
    duration: '6m 28s',
    phase: 'boot',
    error: 'StandbyNotReadyError',
    reason: 'fw-a is healthy',
    trafficOn: 'fw-a',
    outage: true,
    tunnelsDown: ['tun-head-office'],
    holder: 'cli-hq-egress-failover-x',
    code: 'drift',
    cause: 'API timeout while reading tunnels',
    instanceId: 'i-0a1b2c3d4e5f60001',
    records: 'gp.example.com A',
  };

  it('exist for every kind in both languages, complete, and in Japanese for ja', () => {
    for (const language of ['en', 'ja'] as const) {
      for (const kind of NOTIFICATION_KINDS) {
        const s = TEXTS[language][kind](full);
        for (const sentence of [s.headline, s.traffic, s.action]) {
          expect(sentence, `${language} ${kind}`).not.toMatch(/undefined|\?\?|\[object/);
          expect(sentence.length, `${language} ${kind}`).toBeGreaterThan(5);
          if (language === 'ja') expect(sentence, `${language} ${kind}`).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
        }
      }
    }
  });

  it('name the cause of an unreadable tunnel state as the API, not as tunnels down', () => {
    const s = TEXTS.en['alert-active-degraded'](full);
    expect(s.headline).toBe('fw-a (active) answers, but its tunnel state could not be read (API timeout while reading tunnels).');
    expect(`${s.headline} ${s.action}`).not.toMatch(/tunnels are down/);
    const ja = TEXTS.ja['alert-active-degraded'](full);
    expect(ja.headline).toContain('トンネルの状態を読み取れませんでした (API timeout while reading tunnels)');
    // Tunnels that are really down are still "down".
    const down = TEXTS.en['alert-active-degraded']({ ...full, cause: undefined });
    expect(down.headline).toBe('fw-a (active) answers, but expected IPsec tunnels are down: tun-head-office.');
  });
});
