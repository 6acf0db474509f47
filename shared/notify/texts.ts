/**
 * The sentences people read, per notification kind and language: what happened, what it means
 * for traffic, what to do now. Pure functions of a small context; the details (the decision's
 * reason, the error) are added by the caller as they were recorded.
 */
import type { NotificationLanguage } from '../ports/messaging.js';
import type { NotificationKind } from './kinds.js';

export interface TextContext {
  readonly pair: string;
  /** `failover`, `failback` or `reconcile`. */
  readonly action?: string;
  readonly from?: string;
  readonly to?: string;
  /** Probe: the active firewall (recorded owner) and the other one. */
  readonly active?: string;
  readonly standby?: string;
  readonly count?: number;
  readonly duration?: string;
  readonly phase?: string;
  readonly error?: string;
  readonly reason?: string;
  /** Where the traffic is after a failed flow, and whether that firewall had failed. */
  readonly trafficOn?: string;
  readonly outage?: boolean;
  readonly tunnelsDown?: readonly string[];
  readonly holder?: string;
  readonly code?: string;
  readonly cause?: string;
  readonly instanceId?: string;
  readonly records?: string;
  readonly dryRun?: boolean;
  readonly alreadyRunning?: boolean;
  /** A forced manual flow (maintenance): the old owner did not fail. */
  readonly planned?: boolean;
  /** A maintenance pause: until when (ISO time), who set it, who ended it. */
  readonly until?: string;
  readonly by?: string;
  readonly endedBy?: string;
  /** A person's flow that overrode the pair's maintenance pause (`--force`): who. */
  readonly pauseOverriddenBy?: string;
  /** A drill: whether it stopped the standby again. */
  readonly stopped?: boolean;
}

export interface Sentences {
  readonly headline: string;
  readonly traffic: string;
  readonly action: string;
}

type Texts = Readonly<Record<NotificationKind, (c: TextContext) => Sentences>>;

const ACTION_EN: Readonly<Record<string, string>> = { failover: 'failover', failback: 'failback', reconcile: 'repair (reconcile)', drill: 'standby drill' };
const ACTION_JA: Readonly<Record<string, string>> = { failover: 'フェイルオーバー', failback: 'フェイルバック', reconcile: '修復 (reconcile)', drill: 'スタンバイ起動訓練' };
const actEn = (c: TextContext) => ACTION_EN[c.action ?? ''] ?? c.action ?? 'flow';
const actJa = (c: TextContext) => ACTION_JA[c.action ?? ''] ?? c.action ?? 'フロー';
const Cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const q = (s: string | undefined) => s ?? '?';

/** What a failed flow's error means, and what to do first, per error name. */
interface ErrorText {
  readonly meaning: (c: TextContext) => string;
  readonly action: (c: TextContext) => string;
}

const ERRORS_EN: Readonly<Record<string, ErrorText>> = {
  StandbyNotReadyError: {
    meaning: (c) => `${q(c.to)} did not become ready before the readiness deadline`,
    action: (c) => `Look at ${q(c.to)} in the EC2 console (state reason, system log, screenshot) and at ready.detail below; fix it, then run the ${actEn(c)} again.`,
  },
  InsufficientCapacityError: {
    meaning: (c) => `AWS had no capacity to start ${q(c.to)} in its Availability Zone`,
    action: (c) => `Try again in a few minutes, or change ${q(c.to)}'s (stopped) instance type to one with enough ENIs, then run the ${actEn(c)} again.`,
  },
  TargetUnusableError: {
    meaning: (c) => `${q(c.to)} cannot take the traffic`,
    action: (c) => `Read why in the details below (terminated, impaired, certificate, API key, PAN-OS version, auto-commit) and fix ${q(c.to)} before anything else.`,
  },
  ManagedResourceNotFoundError: {
    meaning: () => 'a managed route or Elastic IP does not exist',
    action: () => 'Recreate the object named below (or correct the configuration and redeploy), then run the flow again.',
  },
  CutoverFailedError: {
    meaning: () => 'moving a route or an Elastic IP failed for good',
    action: (c) => `Fix the cause named below (usually a missing IAM permission or a wrong id), then run pan-failover repair -p ${c.pair}.`,
  },
  CutoverNotVerifiedError: {
    meaning: () => 'EC2 still showed managed objects elsewhere after the moves',
    action: () => 'Run pan-failover status after a minute: EC2 may show the moves late. Move nothing before it is consistent or clearly split.',
  },
  LockLostError: {
    meaning: () => 'this execution lost the pair\'s lock to another one',
    action: () => 'Follow the other execution\'s messages; run pan-failover status.',
  },
};

const ERRORS_JA: Readonly<Record<string, ErrorText>> = {
  StandbyNotReadyError: {
    meaning: (c) => `${q(c.to)} が準備完了の期限までに起動しきりませんでした`,
    action: (c) => `EC2 コンソールで ${q(c.to)} の状態理由・システムログ・スクリーンショットと、下の ready.detail を確認してください。原因を直してから、${actJa(c)}をもう一度実行してください。`,
  },
  InsufficientCapacityError: {
    meaning: (c) => `${q(c.to)} のアベイラビリティーゾーンに、起動に必要な AWS の容量がありませんでした`,
    action: (c) => `数分待って再実行するか、停止中の ${q(c.to)} のインスタンスタイプを ENI 数の足りる別のタイプに変えてから、${actJa(c)}をもう一度実行してください。`,
  },
  TargetUnusableError: {
    meaning: (c) => `${q(c.to)} はトラフィックを引き受けられない状態です`,
    action: (c) => `下の詳細で理由 (終了済み、ステータスチェック異常、証明書、API キー、PAN-OS バージョン、自動コミット) を確認し、まず ${q(c.to)} を直してください。`,
  },
  ManagedResourceNotFoundError: {
    meaning: () => '管理対象のルートまたは Elastic IP が存在しません',
    action: () => '下に示されたオブジェクトを作り直す (または設定を直して再デプロイする) 後に、フローを再実行してください。',
  },
  CutoverFailedError: {
    meaning: () => 'ルートまたは Elastic IP の付け替えが最終的に失敗しました',
    action: (c) => `下に示された原因 (多くは IAM 権限の不足か ID の誤り) を直してから、pan-failover repair -p ${c.pair} を実行してください。`,
  },
  CutoverNotVerifiedError: {
    meaning: () => '付け替えの後も、EC2 の Describe 結果に旧側を向いたオブジェクトが残っていました',
    action: () => '1 分ほど待って pan-failover status を実行してください (EC2 の反映が遅れることがあります)。一貫するか、はっきり分断していると分かるまで何も動かさないでください。',
  },
  LockLostError: {
    meaning: () => 'この実行はペアのロックを別の実行に取られました',
    action: () => 'もう一方の実行の通知を追い、pan-failover status を確認してください。',
  },
};

const failedTrafficEn = (c: TextContext) =>
  `Traffic is on ${q(c.trafficOn)}${c.outage ? `, which has failed: the outage continues until a ${actEn(c)} succeeds` : ''}.`;
const failedTrafficJa = (c: TextContext) =>
  `トラフィックは ${q(c.trafficOn)} にあります。${c.outage ? `${q(c.trafficOn)} は故障しているため、${actJa(c)}が成功するまで障害は続きます。` : ''}`;

export const TEXTS_EN: Texts = {
  'flow-started': (c) => ({
    headline: `${Cap(actEn(c))} of ${c.pair} started: ${q(c.from)} -> ${q(c.to)}${c.dryRun ? ' (dry run: nothing will change)' : ''}.`,
    traffic:
      c.action === 'reconcile'
        ? `Managed routes and Elastic IPs that point elsewhere are being put back on ${q(c.to)}.`
        : `Traffic stays on ${q(c.from)} until the cutover; a cold standby needs several minutes to boot first.`,
    action: 'Nothing yet: follow the next messages. If you did not expect this, read the reason below.',
  }),
  'flow-starting': (c) => ({
    headline: c.alreadyRunning
      ? `${q(c.to)} is already running; the flow waits until PAN-OS is ready.`
      : `${q(c.to)} is starting; the flow waits until PAN-OS is ready.`,
    traffic: `No change yet: traffic is still on ${q(c.from)}.`,
    action: 'Nothing: wait for the "ready" message (a cold VM-Series usually needs 5 to 10 minutes).',
  }),
  'flow-ready': (c) => ({
    headline: `${q(c.to)} is ready (chassis ready, auto-commit done) after ${q(c.duration)}.`,
    traffic: `No change yet: the cutover to ${q(c.to)} follows within seconds.`,
    action: 'Nothing.',
  }),
  'flow-cutover': (c) => ({
    headline: `Traffic of ${c.pair} moved to ${q(c.to)}: ${c.count ?? 0} change(s) in ${q(c.duration)}.`,
    traffic: `Routes and Elastic IPs now point at ${q(c.to)}. Sessions that went through ${q(c.from)} are lost (there is no session sync); new ones go through ${q(c.to)}.`,
    action: `Nothing: the flow now stops ${q(c.from)}, updates DNS and checks the tunnels.`,
  }),
  'flow-fencing-failed': (c) => ({
    headline: `Traffic of ${c.pair} moved to ${q(c.to)}, but ${q(c.from)} could not be stopped (fencing failed).`,
    traffic: `Traffic flows through ${q(c.to)}. ${q(c.from)} carries none, but it still runs and could come back with the same configuration.`,
    action: `Stop ${q(c.from)} by hand: aws ec2 stop-instances --instance-ids ${q(c.instanceId)} (fence.detail says why it failed).`,
  }),
  'flow-succeeded': (c) => ({
    headline: `${Cap(actEn(c))} of ${c.pair} succeeded: ${q(c.to)} is active (${q(c.duration)}).`,
    traffic:
      c.tunnelsDown && c.tunnelsDown.length > 0
        ? `Traffic flows through ${q(c.to)}, but these tunnels did not come up: ${c.tunnelsDown.join(', ')}.`
        : `Traffic flows through ${q(c.to)}; every expected tunnel is up.`,
    action:
      c.tunnelsDown && c.tunnelsDown.length > 0
        ? `Check the tunnels listed above on ${q(c.to)} and at their peers.`
        : c.action === 'failover'
          ? c.planned
            ? `Fail back when the work on ${q(c.from)} is done (runbook: "Before a failback").`
            : `Find out why ${q(c.from)} failed before any failback (runbook: "Before a failback").`
          : 'Nothing.',
  }),
  'flow-dns-repaired': (c) => ({
    headline: `DNS records of ${c.pair} put back on ${q(c.to)}: ${q(c.records)}.`,
    traffic: `Routes and Elastic IPs were already on ${q(c.to)}; clients get ${q(c.to)}'s addresses once the old answers expire (TTL).`,
    action: 'Find out who changed the records (CloudTrail: ChangeResourceRecordSets).',
  }),
  'flow-not-needed': (c) => ({
    headline: `${Cap(actEn(c))} of ${c.pair} not needed: ${q(c.reason)}.`,
    traffic: 'Nothing was changed: traffic stays where it was.',
    action: 'Nothing, unless you expected a move: then run pan-failover status and pan-failover probe.',
  }),
  'flow-skipped': (c) => ({
    headline: `${Cap(actEn(c))} of ${c.pair} skipped: another execution (${q(c.holder)}) holds the pair.`,
    traffic: 'This execution changed nothing; the other one reports for itself.',
    action: 'Follow the other execution\'s messages. If it is dead, see the runbook section.',
  }),
  'flow-skipped-paused': (c) => ({
    headline: `${Cap(actEn(c))} of ${c.pair} skipped: the pair is paused for maintenance until ${q(c.until)} by ${q(c.by)}.`,
    traffic: 'This execution changed nothing; the traffic stays where it is.',
    action:
      c.action === 'drill'
        ? `Nothing: the next scheduled drill runs after the pause (or run one by hand then: pan-failover drill -p ${c.pair}).`
        : `If the alarm is real and the maintenance does not explain it, fail over by hand: pan-failover failover -p ${c.pair} --force --reason ...`,
  }),
  'flow-failed': (c) => ({
    headline: `${Cap(actEn(c))} of ${c.pair} FAILED in phase ${q(c.phase)}: ${ERRORS_EN[c.error ?? '']?.meaning(c) ?? q(c.error)}.`,
    traffic: failedTrafficEn(c),
    action: ERRORS_EN[c.error ?? '']?.action(c) ?? `Run pan-failover status, then follow the runbook section for ${q(c.error)}.`,
  }),
  'alert-resolved': (c) => ({
    headline: `${c.pair}: the condition ${q(c.code)} has cleared.`,
    traffic: 'Back to normal as far as this condition goes.',
    action: 'Nothing.',
  }),
  'drift-repairing': (c) => ({
    headline: `Managed routes or Elastic IPs of ${c.pair} point away from ${q(c.active)}: the probe starts a repair.`,
    traffic: `Traffic of the drifted objects goes through ${q(c.standby)} (or nowhere) until the repair puts them back on ${q(c.active)}, within a minute.`,
    action: 'Find out who changed them (CloudTrail: ReplaceRoute, CreateRoute, AssociateAddress).',
  }),
  'alert-controller-blind': (c) => ({
    headline: `The controller of ${c.pair} is blind: it gets no answer from any firewall and cannot tell whether they are down.`,
    traffic: 'Unknown: the traffic may be fine. No automatic failover happens while this lasts.',
    action: 'Check the firewalls and the traffic yourself (EC2 console), then the probe\'s network: its route tables, security groups and VPC endpoints.',
  }),
  'alert-active-auth-error': (c) => ({
    headline: `${q(c.active)} (active) refuses the controller's API key, or the key cannot be read.`,
    traffic: `Not affected by this alone; but the probe cannot see ${q(c.active)}'s readiness or tunnels, and auth errors never cause a failover.`,
    action: 'Generate a new API key on the firewall, store it in its secret (Secrets Manager) and wait for "resolved".',
  }),
  'alert-active-untrusted': (c) => ({
    headline: `${q(c.active)} (active) presents a certificate that matches neither the pinned fingerprint nor the CA.`,
    traffic: `Not affected by this alone; the probe sent nothing to ${q(c.active)}, cannot see its health, and does not fail over on TLS errors.`,
    action: 'Verify the certificate out of band. If it was replaced on purpose, put the new fingerprint in tls.pinnedSha256 and redeploy. Never turn verification off.',
  }),
  'alert-active-degraded': (c) =>
    c.cause !== undefined
      ? {
          headline: `${q(c.active)} (active) answers, but its tunnel state could not be read (${c.cause}).`,
          traffic: `Traffic through ${q(c.active)} is probably flowing; whether the tunnels are up is unknown. They are counted as down for the tunnel policy.`,
          action: `Check ${q(c.active)} itself first (management plane and dataplane load, how long the API takes to answer), not the IPsec peers.`,
        }
      : {
          headline: `${q(c.active)} (active) answers, but expected IPsec tunnels are down${c.tunnelsDown?.length ? `: ${c.tunnelsDown.join(', ')}` : ''}.`,
          traffic: `Internet traffic through ${q(c.active)} flows; traffic over the down tunnels does not. No failover for this (probe.tunnelDown: alert).`,
          action: `Check the peers, their Internet access and the IKE/IPsec settings; show vpn flow on ${q(c.active)}.`,
        },
  'alert-both-unavailable': (c) => ({
    headline: `${q(c.active)} (active) has failed, and the standby ${q(c.standby)} is down too.`,
    traffic: 'Outage: no firewall carries the traffic, and there is no automatic way out.',
    action: 'Bring back whichever firewall is quicker to fix (EC2 console: state, status checks, system log).',
  }),
  'alert-standby-unusable': (c) => ({
    headline: `${q(c.active)} (active) has failed, but the standby ${q(c.standby)} cannot take over.`,
    traffic: `Outage: traffic through ${q(c.active)} is down, and the controller will not move it to an unusable standby.`,
    action: `Fix ${q(c.standby)} (the reason is below) or ${q(c.active)}, whichever is quicker; the probe fails over once the standby is usable.`,
  }),
  'alert-standby-unhealthy': (c) => ({
    headline: `The warm standby ${q(c.standby)} of ${c.pair} runs but is not ready.`,
    traffic: `None now: ${q(c.active)} carries the traffic. A failover would have nowhere to go.`,
    action: `Fix ${q(c.standby)} before you need it.`,
  }),
  'alert-canary-down': (c) => ({
    headline: `None of the canaries of ${c.pair} answers while ${q(c.active)} is healthy.`,
    traffic: `Probably none now; but the day ${q(c.active)} fails, the controller would think itself blind and not fail over.`,
    action: 'Check the canary hosts and the path from the probe\'s subnets to them.',
  }),
  'alert-cooldown': (c) => ({
    headline: `${q(c.active)} failed within the cooldown after it took over: the probe does not move the traffic again by itself.`,
    traffic: `Traffic through ${q(c.active)} is down or degraded.`,
    action: 'Decide yourself: run pan-failover status and pan-failover probe, then fail over by hand if that is right.',
  }),
  'alert-drift': (c) => ({
    headline: `Managed routes or Elastic IPs of ${c.pair} point away from ${q(c.active)}, and the probe does not repair them.`,
    traffic: `Traffic of the drifted objects goes through ${q(c.standby)} (or nowhere).`,
    action: `Find out who changed them (CloudTrail), then run pan-failover repair -p ${c.pair} if ${q(c.active)} is healthy.`,
  }),
  'alert-flow-attempts-exhausted': (c) => ({
    headline: `The probe started the ${actEn(c)} of ${c.pair} several times and none succeeded; it will not start another.`,
    traffic: 'The outage continues until a person acts.',
    action: 'Read the failure notices of those executions, fix the cause, then run the failover by hand.',
  }),
  'alert-failover-blocked-by-lock': (c) => ({
    headline: `A ${actEn(c)} of ${c.pair} is needed, but the pair's lock is held by ${q(c.holder)}, which Step Functions does not know.`,
    traffic: 'Nothing moves until the lock is released or expires (5 minutes after an interrupted --local run).',
    action: 'If someone is running that --local flow, let it finish; otherwise wait for its lease to expire, or delete the lock (runbook).',
  }),
  'alert-failover-paused': (c) => ({
    headline: `${c.pair} would fail over from ${q(c.active)}, but the pair is paused for maintenance until ${q(c.until)} by ${q(c.by)}.`,
    traffic: `Nothing moves until the pause ends or someone fails over by hand; if ${q(c.active)} is really down, traffic is not flowing.`,
    action: `If the maintenance explains it, nothing to do. Otherwise fail over now (pan-failover failover -p ${c.pair} --force --reason ...) or resume the pair (pan-failover resume -p ${c.pair}).`,
  }),
  'pause-set': (c) => ({
    headline: `${c.pair} is paused for maintenance until ${q(c.until)} by ${q(c.by)}: ${q(c.reason)}.`,
    traffic: 'Traffic stays where it is. Until then the probe starts no failover, failback or repair, and automatic flows are skipped; it still probes and alerts.',
    action: `Nothing, if this work is planned. To end the pause early: pan-failover resume -p ${c.pair}.`,
  }),
  'pause-resumed': (c) => ({
    headline: `${q(c.endedBy)} ended the maintenance pause of ${c.pair}; automatic failover is back on.`,
    traffic: 'The probe acts on the pair again from its next round: if the active firewall is still unhealthy, it fails over.',
    action: `Check pan-failover probe -p ${c.pair} and pan-failover status -p ${c.pair}.`,
  }),
  'pause-expired': (c) => ({
    headline: `The maintenance pause of ${c.pair} (by ${q(c.by)}: ${q(c.reason)}) expired at ${q(c.until)}; automatic failover is back on.`,
    traffic: 'The probe acts on the pair again: if the active firewall is still unhealthy, it fails over.',
    action: `If the work is still going on, pause again: pan-failover pause -p ${c.pair} --for 1h --reason ...`,
  }),
  'drill-succeeded': (c) => ({
    headline: `Standby drill of ${c.pair} succeeded: ${q(c.standby)} booted${c.duration !== undefined ? ` in ${c.duration}` : ''} and matches ${q(c.active)} (${c.count ?? 0} checks, none failed).`,
    traffic: `None: traffic stayed on ${q(c.active)} throughout. ${c.stopped ? `${q(c.standby)} is stopped again.` : `${q(c.standby)} was left as the drill found it.`}`,
    action: 'Nothing. pan-failover status shows the measured boot and the expected recovery time.',
  }),
  'drill-drift': (c) => ({
    headline: `Standby drill of ${c.pair}: ${q(c.standby)} booted${c.duration !== undefined ? ` in ${c.duration}` : ''}, but ${c.count ?? 0} check(s) found it different from what a failover needs.`,
    traffic: `None now: traffic stayed on ${q(c.active)}. But a failover to ${q(c.standby)} may not carry all of it (the failed checks below say what).`,
    action: `Fix ${q(c.standby)}'s configuration, licence or versions as each failed check says (start it in a maintenance window), then run pan-failover drill -p ${c.pair} again.`,
  }),
  'drill-failed': (c) => ({
    headline: `Standby drill of ${c.pair} FAILED: ${q(c.reason)}.`,
    traffic: `None now: traffic stays on ${q(c.active)}. But if ${q(c.active)} fails, ${q(c.standby)} would probably not take over either.`,
    action: c.stopped === false && c.error !== 'TargetUnusableError'
      ? `Make sure ${q(c.standby)} is stopped (aws ec2 stop-instances --instance-ids ${q(c.instanceId)}), then find out why it did not start or boot (EC2 console: state reason, system log, screenshot), fix it and run pan-failover drill -p ${c.pair} again.`
      : `Find out why ${q(c.standby)} did not start or boot (EC2 console: state reason, system log, screenshot; capacity; IAM), fix it, then run pan-failover drill -p ${c.pair} again.`,
  }),
  'drill-yielded': (c) => ({
    headline: `Standby drill of ${c.pair} stopped: a failover took the pair over, with ${q(c.standby)} (already booting for the drill) as its target.`,
    traffic: 'The failover moves the traffic; follow its own messages.',
    action: 'Follow the failover. Run the drill again once the pair is back to normal.',
  }),
  'drill-refused': (c) => ({
    headline: `Standby drill of ${c.pair} not run: ${q(c.reason)}.`,
    traffic: `Unchanged: the drill touched nothing. ${q(c.standby)} was not started.`,
    action: `Look at ${q(c.active)} first (pan-failover probe -p ${c.pair}); run the drill once it is healthy again.`,
  }),
};

export const TEXTS_JA: Texts = {
  'flow-started': (c) => ({
    headline: `${c.pair} の${actJa(c)}を開始しました: ${q(c.from)} -> ${q(c.to)}${c.dryRun ? ' (ドライラン: 何も変更しません)' : ''}。`,
    traffic:
      c.action === 'reconcile'
        ? `別の側を向いている管理対象のルートと Elastic IP を ${q(c.to)} に戻しています。`
        : `切り替えまでトラフィックは ${q(c.from)} のままです。コールドスタンバイは先に起動に数分かかります。`,
    action: 'まだ何もしなくて構いません。続く通知を追ってください。想定外の実行であれば、下の理由を確認してください。',
  }),
  'flow-starting': (c) => ({
    headline: c.alreadyRunning
      ? `${q(c.to)} はすでに起動しています。PAN-OS の準備完了を待っています。`
      : `${q(c.to)} を起動しています。PAN-OS の準備完了を待っています。`,
    traffic: `まだ変化はありません。トラフィックは ${q(c.from)} のままです。`,
    action: '何もしなくて構いません。「ready」の通知を待ってください (コールドの VM-Series は通常 5〜10 分かかります)。',
  }),
  'flow-ready': (c) => ({
    headline: `${q(c.to)} が ${q(c.duration)} で準備完了になりました (chassis ready、自動コミット完了)。`,
    traffic: `まだ変化はありません。数秒以内に ${q(c.to)} への切り替えが続きます。`,
    action: '何もしなくて構いません。',
  }),
  'flow-cutover': (c) => ({
    headline: `${c.pair} のトラフィックを ${q(c.to)} に切り替えました: ${c.count ?? 0} 件の変更、${q(c.duration)}。`,
    traffic: `ルートと Elastic IP は ${q(c.to)} を向いています。${q(c.from)} を通っていたセッションは切れます (セッション同期はありません)。新しいセッションは ${q(c.to)} を通ります。`,
    action: `何もしなくて構いません。フローはこの後 ${q(c.from)} を停止し、DNS を更新し、トンネルを確認します。`,
  }),
  'flow-fencing-failed': (c) => ({
    headline: `${c.pair} のトラフィックは ${q(c.to)} に切り替わりましたが、${q(c.from)} を停止できませんでした (フェンシング失敗)。`,
    traffic: `トラフィックは ${q(c.to)} を通っています。${q(c.from)} はトラフィックを運んでいませんが、動いたままで、同じ設定のまま戻ってくるおそれがあります。`,
    action: `${q(c.from)} を手で停止してください: aws ec2 stop-instances --instance-ids ${q(c.instanceId)} (失敗の理由は fence.detail にあります)。`,
  }),
  'flow-succeeded': (c) => ({
    headline: `${c.pair} の${actJa(c)}が成功しました: ${q(c.to)} がアクティブです (${q(c.duration)})。`,
    traffic:
      c.tunnelsDown && c.tunnelsDown.length > 0
        ? `トラフィックは ${q(c.to)} を通っていますが、次のトンネルが上がっていません: ${c.tunnelsDown.join(', ')}。`
        : `トラフィックは ${q(c.to)} を通っています。想定したトンネルはすべて上がっています。`,
    action:
      c.tunnelsDown && c.tunnelsDown.length > 0
        ? `上に挙げたトンネルを、${q(c.to)} と対向側の両方で確認してください。`
        : c.action === 'failover'
          ? c.planned
            ? `${q(c.from)} の作業が終わったらフェイルバックしてください (ランブック「フェイルバックの前に」)。`
            : `フェイルバックの前に、${q(c.from)} が故障した理由を調べてください (ランブック「フェイルバックの前に」)。`
          : '何もしなくて構いません。',
  }),
  'flow-dns-repaired': (c) => ({
    headline: `${c.pair} の DNS レコードを ${q(c.to)} 側に戻しました: ${q(c.records)}。`,
    traffic: `ルートと Elastic IP はすでに ${q(c.to)} にありました。古い応答の TTL が切れると、クライアントは ${q(c.to)} のアドレスを受け取ります。`,
    action: '誰がレコードを変えたかを調べてください (CloudTrail: ChangeResourceRecordSets)。',
  }),
  'flow-not-needed': (c) => ({
    headline: `${c.pair} の${actJa(c)}は不要でした: ${q(c.reason)}。`,
    traffic: '何も変更していません。トラフィックはそのままです。',
    action: '切り替わるはずだった場合を除き、何もしなくて構いません。その場合は pan-failover status と pan-failover probe を実行してください。',
  }),
  'flow-skipped': (c) => ({
    headline: `${c.pair} の${actJa(c)}をスキップしました: 別の実行 (${q(c.holder)}) がペアを保持しています。`,
    traffic: 'この実行は何も変更していません。もう一方の実行が自分で通知します。',
    action: 'もう一方の実行の通知を追ってください。その実行が止まっている場合はランブックの該当節を参照してください。',
  }),
  'flow-skipped-paused': (c) => ({
    headline: `${c.pair} の${actJa(c)}をスキップしました: ペアは ${q(c.by)} によって ${q(c.until)} までメンテナンスのため一時停止中です。`,
    traffic: 'この実行は何も変更していません。トラフィックは今の経路のままです。',
    action:
      c.action === 'drill'
        ? `対応は不要です。次の定期訓練は一時停止の後に実行されます (手動で実行する場合は、その後に pan-failover drill -p ${c.pair})。`
        : `アラームが本物で、メンテナンスでは説明がつかない場合は手動でフェイルオーバーしてください: pan-failover failover -p ${c.pair} --force --reason ...`,
  }),
  'flow-failed': (c) => ({
    headline: `${c.pair} の${actJa(c)}がフェーズ ${q(c.phase)} で失敗しました: ${ERRORS_JA[c.error ?? '']?.meaning(c) ?? q(c.error)}。`,
    traffic: failedTrafficJa(c),
    action: ERRORS_JA[c.error ?? '']?.action(c) ?? `pan-failover status を実行し、ランブックの ${q(c.error)} の節に従ってください。`,
  }),
  'alert-resolved': (c) => ({
    headline: `${c.pair}: 状態 ${q(c.code)} は解消しました。`,
    traffic: 'この状態に関しては平常に戻りました。',
    action: '何もしなくて構いません。',
  }),
  'drift-repairing': (c) => ({
    headline: `${c.pair} の管理対象のルートまたは Elastic IP が ${q(c.active)} 以外を向いているため、プローブが修復を始めます。`,
    traffic: `ずれたオブジェクトのトラフィックは、修復で ${q(c.active)} に戻るまで (1 分以内) ${q(c.standby)} を通ります (または行き場がありません)。`,
    action: '誰が変更したかを調べてください (CloudTrail: ReplaceRoute、CreateRoute、AssociateAddress)。',
  }),
  'alert-controller-blind': (c) => ({
    headline: `${c.pair} のコントローラーは何も見えていません: どのファイアウォールからも応答がなく、停止しているかどうか判断できません。`,
    traffic: '不明です。トラフィックは正常かもしれません。この状態の間、自動フェイルオーバーは行われません。',
    action: 'まずファイアウォールとトラフィックを自分で確認し (EC2 コンソール)、次にプローブ側のネットワーク (ルートテーブル、セキュリティグループ、VPC エンドポイント) を確認してください。',
  }),
  'alert-active-auth-error': (c) => ({
    headline: `アクティブの ${q(c.active)} がコントローラーの API キーを拒否しています (またはキーを読み取れません)。`,
    traffic: `これだけではトラフィックに影響はありません。ただし ${q(c.active)} の準備状態やトンネルがプローブから見えず、認証エラーでフェイルオーバーすることはありません。`,
    action: 'ファイアウォールで API キーを作り直し、そのシークレット (Secrets Manager) に保存して「resolved」の通知を待ってください。',
  }),
  'alert-active-untrusted': (c) => ({
    headline: `アクティブの ${q(c.active)} の証明書が、ピン留めしたフィンガープリントにも CA にも一致しません。`,
    traffic: `これだけではトラフィックに影響はありません。プローブは ${q(c.active)} に何も送っておらず、その状態は見えません。TLS エラーでフェイルオーバーすることはありません。`,
    action: '別の経路で証明書を確かめてください。意図して入れ替えたものなら、新しいフィンガープリントを tls.pinnedSha256 に設定して再デプロイしてください。検証を無効にしてはいけません。',
  }),
  'alert-active-degraded': (c) =>
    c.cause !== undefined
      ? {
          headline: `アクティブの ${q(c.active)} は応答していますが、トンネルの状態を読み取れませんでした (${c.cause})。`,
          traffic: `${q(c.active)} 経由の通信はおそらく流れています。トンネルが上がっているかは不明で、トンネルのポリシー上は落ちているものとして数えます。`,
          action: `IPsec の対向より先に、${q(c.active)} 自体 (管理プレーンとデータプレーンの負荷、API の応答時間) を確認してください。`,
        }
      : {
          headline: `アクティブの ${q(c.active)} は応答していますが、想定した IPsec トンネルが落ちています${c.tunnelsDown?.length ? `: ${c.tunnelsDown.join(', ')}` : ''}。`,
          traffic: `${q(c.active)} 経由のインターネット通信は流れています。落ちているトンネル経由の通信は流れていません。この状態ではフェイルオーバーしません (probe.tunnelDown: alert)。`,
          action: `対向装置とその回線、IKE/IPsec の設定を確認し、${q(c.active)} で show vpn flow を実行してください。`,
        },
  'alert-both-unavailable': (c) => ({
    headline: `アクティブの ${q(c.active)} が故障し、スタンバイの ${q(c.standby)} も停止しています。`,
    traffic: '障害中です。トラフィックを運ぶファイアウォールがなく、自動で復旧する手段もありません。',
    action: '早く直せる方のファイアウォールを復旧してください (EC2 コンソール: 状態、ステータスチェック、システムログ)。',
  }),
  'alert-standby-unusable': (c) => ({
    headline: `アクティブの ${q(c.active)} が故障しましたが、スタンバイの ${q(c.standby)} は引き継げない状態です。`,
    traffic: `障害中です。${q(c.active)} 経由の通信は止まっており、コントローラーは使えないスタンバイへは切り替えません。`,
    action: `${q(c.standby)} (理由は下記) か ${q(c.active)} の、早く直せる方を直してください。スタンバイが使える状態になれば、プローブがフェイルオーバーします。`,
  }),
  'alert-standby-unhealthy': (c) => ({
    headline: `${c.pair} のウォームスタンバイ ${q(c.standby)} は動いていますが、準備完了ではありません。`,
    traffic: `今は影響ありません。トラフィックは ${q(c.active)} が運んでいます。ただしフェイルオーバーが必要になっても切り替え先がありません。`,
    action: `必要になる前に ${q(c.standby)} を直してください。`,
  }),
  'alert-canary-down': (c) => ({
    headline: `${q(c.active)} は正常ですが、${c.pair} のカナリアがどれも応答しません。`,
    traffic: `今はおそらく影響ありません。ただし ${q(c.active)} が故障したとき、コントローラーは自分が何も見えていないと判断し、フェイルオーバーしません。`,
    action: 'カナリアのホストと、プローブのサブネットからそこまでの経路を確認してください。',
  }),
  'alert-cooldown': (c) => ({
    headline: `${q(c.active)} が引き継いでからクールダウン期間内に故障しました。プローブは自動では再度切り替えません。`,
    traffic: `${q(c.active)} 経由の通信は止まっているか、劣化しています。`,
    action: 'ご自身で判断してください: pan-failover status と pan-failover probe を実行し、妥当なら手動でフェイルオーバーしてください。',
  }),
  'alert-drift': (c) => ({
    headline: `${c.pair} の管理対象のルートまたは Elastic IP が ${q(c.active)} 以外を向いており、プローブは修復しません。`,
    traffic: `ずれたオブジェクトのトラフィックは ${q(c.standby)} を通っています (または行き場がありません)。`,
    action: `誰が変更したかを調べ (CloudTrail)、${q(c.active)} が正常なら pan-failover repair -p ${c.pair} を実行してください。`,
  }),
  'alert-flow-attempts-exhausted': (c) => ({
    headline: `プローブは ${c.pair} の${actJa(c)}を何度か開始しましたが、どれも成功しませんでした。これ以上は開始しません。`,
    traffic: '人が対応するまで障害は続きます。',
    action: 'それらの実行の失敗通知を読み、原因を直してから、手動でフェイルオーバーしてください。',
  }),
  'alert-failover-blocked-by-lock': (c) => ({
    headline: `${c.pair} の${actJa(c)}が必要ですが、ペアのロックを Step Functions の知らない ${q(c.holder)} が保持しています。`,
    traffic: 'ロックが解放されるか期限切れになるまで (中断された --local 実行なら 5 分後)、何も切り替わりません。',
    action: 'その --local フローを誰かが実行中なら終わるのを待ってください。そうでなければ期限切れを待つか、ロックを削除してください (ランブック参照)。',
  }),
  'alert-failover-paused': (c) => ({
    headline: `${c.pair} は ${q(c.active)} からフェイルオーバーすべき状態ですが、ペアは ${q(c.by)} によって ${q(c.until)} までメンテナンスのため一時停止中です。`,
    traffic: `一時停止が終わるか誰かが手動でフェイルオーバーするまで、何も切り替わりません。${q(c.active)} が本当に停止している場合、トラフィックは流れていません。`,
    action: `メンテナンスで説明がつくなら対応は不要です。そうでなければ今すぐフェイルオーバーする (pan-failover failover -p ${c.pair} --force --reason ...) か、一時停止を解除してください (pan-failover resume -p ${c.pair})。`,
  }),
  'pause-set': (c) => ({
    headline: `${c.pair} は ${q(c.by)} によって ${q(c.until)} までメンテナンスのため一時停止されました: ${q(c.reason)}。`,
    traffic: 'トラフィックは今の経路のままです。その時刻まで、プローブはフェイルオーバー・フェイルバック・修復を開始せず、自動のフローはスキップされます。監視とアラートは続きます。',
    action: `計画された作業であれば対応は不要です。早めに解除するには: pan-failover resume -p ${c.pair}`,
  }),
  'pause-resumed': (c) => ({
    headline: `${q(c.endedBy)} が ${c.pair} のメンテナンス一時停止を解除しました。自動フェイルオーバーが再び有効です。`,
    traffic: 'プローブは次のラウンドから再びこのペアに対応します。アクティブのファイアウォールが異常のままなら、フェイルオーバーします。',
    action: `pan-failover probe -p ${c.pair} と pan-failover status -p ${c.pair} で状態を確認してください。`,
  }),
  'pause-expired': (c) => ({
    headline: `${c.pair} のメンテナンス一時停止 (${q(c.by)}: ${q(c.reason)}) は ${q(c.until)} に期限切れとなりました。自動フェイルオーバーが再び有効です。`,
    traffic: 'プローブは再びこのペアに対応します。アクティブのファイアウォールが異常のままなら、フェイルオーバーします。',
    action: `作業がまだ続いている場合は、もう一度一時停止してください: pan-failover pause -p ${c.pair} --for 1h --reason ...`,
  }),
  'drill-succeeded': (c) => ({
    headline: `${c.pair} のスタンバイ起動訓練が成功しました: ${q(c.standby)} は${c.duration !== undefined ? ` ${c.duration} で` : ''}起動し、${q(c.active)} と整合しています (${c.count ?? 0} 項目のチェック、失敗なし)。`,
    traffic: `影響はありません。トラフィックはずっと ${q(c.active)} を通っていました。${c.stopped ? `${q(c.standby)} は再び停止しています。` : `${q(c.standby)} は訓練前の状態のままです。`}`,
    action: '何もしなくて構いません。計測した起動時間と想定復旧時間は pan-failover status で確認できます。',
  }),
  'drill-drift': (c) => ({
    headline: `${c.pair} のスタンバイ起動訓練: ${q(c.standby)} は${c.duration !== undefined ? ` ${c.duration} で` : ''}起動しましたが、${c.count ?? 0} 項目のチェックで、フェイルオーバーに必要な状態との違いが見つかりました。`,
    traffic: `今は影響ありません。トラフィックは ${q(c.active)} のままでした。ただし ${q(c.standby)} へフェイルオーバーしても、すべての通信を引き継げないおそれがあります (下の失敗したチェックを参照)。`,
    action: `失敗した各チェックの指示に従って ${q(c.standby)} の設定・ライセンス・バージョンを直し (メンテナンス時間帯に起動して作業)、もう一度 pan-failover drill -p ${c.pair} を実行してください。`,
  }),
  'drill-failed': (c) => ({
    headline: `${c.pair} のスタンバイ起動訓練が失敗しました: ${q(c.reason)}。`,
    traffic: `今は影響ありません。トラフィックは ${q(c.active)} のままです。ただし ${q(c.active)} が故障しても、${q(c.standby)} はおそらく引き継げません。`,
    action: c.stopped === false && c.error !== 'TargetUnusableError'
      ? `${q(c.standby)} が停止していることを確かめ (aws ec2 stop-instances --instance-ids ${q(c.instanceId)})、起動しなかった・起動しきらなかった理由を調べてください (EC2 コンソール: 状態理由、システムログ、スクリーンショット)。直してから、もう一度 pan-failover drill -p ${c.pair} を実行してください。`
      : `${q(c.standby)} が起動しなかった・起動しきらなかった理由を調べてください (EC2 コンソール: 状態理由、システムログ、スクリーンショット、容量、IAM)。直してから、もう一度 pan-failover drill -p ${c.pair} を実行してください。`,
  }),
  'drill-yielded': (c) => ({
    headline: `${c.pair} のスタンバイ起動訓練を中断しました: フェイルオーバーがペアを引き継ぎ、訓練で起動中だった ${q(c.standby)} をその切り替え先にしています。`,
    traffic: 'トラフィックはフェイルオーバーが切り替えます。その通知を追ってください。',
    action: 'フェイルオーバーを見届けてください。ペアが平常に戻ったら、訓練をもう一度実行してください。',
  }),
  'drill-refused': (c) => ({
    headline: `${c.pair} のスタンバイ起動訓練は実行されませんでした: ${q(c.reason)}。`,
    traffic: `変化はありません。訓練は何も操作しておらず、${q(c.standby)} も起動していません。`,
    action: `まず ${q(c.active)} を確認し (pan-failover probe -p ${c.pair})、正常に戻ってから訓練を実行してください。`,
  }),
};

export const TEXTS: Readonly<Record<NotificationLanguage, Texts>> = { en: TEXTS_EN, ja: TEXTS_JA };

/** Appended to the headline of every message of a flow that overrode the pair's maintenance pause. */
export const PAUSE_OVERRIDDEN: Readonly<Record<NotificationLanguage, (by: string) => string>> = {
  en: (by) => ` PAUSE OVERRIDDEN by ${by}: the pair is paused for maintenance, and this flow runs anyway.`,
  ja: (by) => ` PAUSE OVERRIDDEN (${by} がメンテナンスの一時停止を無視して、このフローを実行しています)。`,
};

/** Labels of the plain-text layout. */
export const LABELS: Readonly<Record<NotificationLanguage, Readonly<Record<'traffic' | 'timeline' | 'moved' | 'details' | 'action' | 'runbook' | 'console' | 'footer' | 'noConsole', string>>>> = {
  en: {
    traffic: 'What it means for traffic',
    timeline: 'Timeline (UTC)',
    moved: 'What moved',
    details: 'Details',
    action: 'What to do now',
    runbook: 'Runbook',
    console: 'Console',
    noConsole: 'none (run by the CLI with --local: no Step Functions execution)',
    footer: 'Sent by pan-failover. Machines (SQS, Lambda, HTTPS) receive this notification as JSON.',
  },
  ja: {
    traffic: 'トラフィックへの影響',
    timeline: 'タイムライン (UTC)',
    moved: '切り替えたもの',
    details: '詳細 (記録されたままの英語)',
    action: '今やること',
    runbook: 'ランブック',
    console: 'コンソール',
    noConsole: 'なし (CLI の --local で実行: Step Functions の実行はありません)',
    footer: 'pan-failover からの通知です。機械向けの購読 (SQS、Lambda、HTTPS) には同じ内容が JSON で届きます。',
  },
};
