/**
 * The pure health decision, replayed round by round. Scenario numbers refer to the failure
 * modes list (docs/failure-modes.md): 1 blip, 4 tunnel down, 5 flapping, 6 blind controller,
 * 9 boot race, 24 untrusted certificate, 25 wrong key; plus thresholds, standby checks,
 * cooldown against ping-pong and automatic failback.
 */
import { describe, expect, it } from 'vitest';
import type { PairConfig, Role } from '#shared/config/schema.js';
import {
  decide,
  type ApiObservation,
  type ControllerSignals,
  type DecideOutput,
  type FirewallObservation,
  type PairMemory,
} from '#shared/domain/health.js';
import type { TunnelStatus } from '#shared/ports/firewall.js';
import { makePair } from '../support/config.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const LONG_AGO = T0 - 30 * 86_400_000;

const tunnel = (name: string, up: boolean): TunnelStatus => ({
  name,
  tunnel: name,
  proxyId: undefined,
  flowState: up ? 'active' : 'inactive',
  monitor: 'off',
  ipsecSa: up,
  ikeSa: up,
  peerIp: '203.0.113.1',
  up,
});

const ok = (extra: Partial<ApiObservation> = {}): ApiObservation => ({
  outcome: 'ok',
  latencyMs: 40,
  chassisReady: true,
  tunnels: [tunnel('tun-head-office', true)],
  ...extra,
});
const fail = (outcome: ApiObservation['outcome']): ApiObservation => ({ outcome, latencyMs: 4000, error: outcome });
const skipped: ApiObservation = { outcome: 'skipped', latencyMs: 0 };

type Obs = { api: ApiObservation; state?: FirewallObservation['instance']['state']; launchTime?: number; impaired?: boolean };

interface Round {
  primary: Obs;
  secondary?: Obs;
  controller?: ControllerSignals;
}

const stoppedStandby: Obs = { api: skipped, state: 'stopped' };

function observation(o: Obs, at: number): FirewallObservation {
  return {
    at,
    instance: {
      state: o.state ?? 'running',
      launchTime: o.launchTime ?? LONG_AGO,
      instanceStatus: o.impaired ? 'impaired' : o.state === 'running' || o.state === undefined ? 'ok' : undefined,
    },
    api: o.api,
  };
}

/** Plays rounds 10 s apart and returns every round's output. */
function play(
  rounds: Round[],
  options: { pair?: PairConfig; owner?: Role; ownerSince?: number; start?: number; memory?: PairMemory } = {},
): DecideOutput[] {
  const pair = options.pair ?? makePair();
  let memory = options.memory;
  const outs: DecideOutput[] = [];
  rounds.forEach((r, i) => {
    const now = (options.start ?? T0) + i * 10_000;
    const out = decide({
      pair,
      owner: options.owner ?? 'primary',
      ownerSince: options.ownerSince,
      observations: {
        primary: observation(r.primary, now),
        secondary: observation(r.secondary ?? stoppedStandby, now),
      },
      memory,
      controller: r.controller ?? { awsReachable: true },
      now,
    });
    memory = out.memory;
    outs.push(out);
  });
  return outs;
}

const actions = (outs: DecideOutput[]) => outs.map((o) => o.decision.action);
const codes = (outs: DecideOutput[]) => outs.map((o) => o.decision.code);

const healthy: Round = { primary: { api: ok() } };
const dead: Round = { primary: { api: fail('unreachable') } };
const timeout: Round = { primary: { api: fail('timeout') } };

describe('health decision', () => {
  it('scenario 1: one timeout is a blip, not a failover; the count starts again after success', () => {
    const outs = play([healthy, timeout, healthy, timeout, timeout, healthy]);
    expect(actions(outs)).toEqual(['none', 'none', 'none', 'none', 'none', 'none']);
    expect(outs[1]!.statuses.primary).toBe('unreachable');
    expect(outs[1]!.decision.reason).toContain('failed 1 of 3');
    expect(outs[5]!.memory.firewalls.primary.consecutiveFailures).toBe(0);
  });

  it('scenario 2: a dead API for the threshold fails over exactly at the third round, from the primary', () => {
    const outs = play([healthy, dead, dead, dead]);
    expect(actions(outs)).toEqual(['none', 'none', 'none', 'failover']);
    const d = outs[3]!.decision;
    expect(d).toMatchObject({ code: 'active-failed', from: 'primary', incidentSince: T0 + 10_000 });
  });

  it('scenario 3: a stopped or terminated primary instance counts as failed', () => {
    const stopped: Round = { primary: { api: skipped, state: 'stopped' } };
    expect(actions(play([stopped, stopped, stopped]))).toEqual(['none', 'none', 'failover']);
    const terminated: Round = { primary: { api: skipped, state: 'terminated' } };
    expect(play([terminated, terminated, terminated])[2]!.statuses.primary).toBe('stopped');
  });

  it('scenario 4: a tunnel down with a live API is degraded: alert, no failover', () => {
    const down: Round = { primary: { api: ok({ tunnels: [tunnel('tun-head-office', false)] }) } };
    const outs = play(Array.from({ length: 30 }, () => down));
    expect(new Set(actions(outs))).toEqual(new Set(['alert']));
    expect(outs[0]!.statuses.primary).toBe('degraded');
    expect(outs[0]!.tunnelsDown).toEqual(['tun-head-office']);
  });

  it('scenario 4 (configured): tunnelDown=failover acts only after tunnelFailuresBeforeFailover rounds', () => {
    const pair = makePair({ probe: { tunnelDown: 'failover', tunnelFailuresBeforeFailover: 4 } });
    const down: Round = { primary: { api: ok({ tunnels: [] }) } };
    expect(actions(play([down, down, down, down], { pair }))).toEqual(['alert', 'alert', 'alert', 'failover']);
  });

  it('scenario 4: proxy-IDs are checked one by one', () => {
    const pair = makePair({ tunnels: [{ name: 'tun-head-office', proxyIds: ['lan', 'voice'] }] });
    const t = (name: string, up: boolean) => ({ ...tunnel(name, up), tunnel: 'tun-head-office' });
    const outs = play([{ primary: { api: ok({ tunnels: [t('tun-head-office:lan', true), t('tun-head-office:voice', false)] }) } }], { pair });
    expect(outs[0]!.tunnelsDown).toEqual(['tun-head-office:voice']);
  });

  it('scenario 5: a flapping primary (dead, alive, dead, ...) never reaches the threshold', () => {
    const outs = play(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? dead : healthy)));
    expect(actions(outs).filter((a) => a === 'failover')).toHaveLength(0);
  });

  it('scenario 5: two-down-one-up flapping neither', () => {
    const outs = play(Array.from({ length: 30 }, (_, i) => (i % 3 === 2 ? healthy : dead)));
    expect(actions(outs)).not.toContain('failover');
  });

  it('scenario 5: no ping-pong: the new owner failing within the cooldown raises an alert instead', () => {
    const pair = makePair({ standbyMode: 'cold', probe: { cooldownSeconds: 1800 } });
    const deadSecondary: Round = { primary: stoppedStandby, secondary: { api: fail('unreachable') } };
    const outs = play([deadSecondary, deadSecondary, deadSecondary], { pair, owner: 'secondary', ownerSince: T0 - 60_000 });
    expect(outs[2]!.decision).toMatchObject({ action: 'alert', code: 'cooldown' });
    const later = play([deadSecondary, deadSecondary, deadSecondary], { pair, owner: 'secondary', ownerSince: T0 - 3_600_000 });
    expect(later[2]!.decision).toMatchObject({ action: 'failover', from: 'secondary' });
  });

  it('scenario 6: when the probe reaches neither AWS nor any firewall it is blind: alert, never failover', () => {
    const unknown: Round = {
      primary: { api: fail('timeout'), state: 'unknown' },
      secondary: { api: fail('timeout'), state: 'unknown' },
      controller: { awsReachable: false },
    };
    const outs = play(Array.from({ length: 10 }, () => unknown));
    expect(new Set(codes(outs))).toEqual(new Set(['controller-blind']));
    expect(actions(outs)).not.toContain('failover');
    expect(outs[9]!.memory.blindSince).toBe(T0);
    // Counters stay frozen while blind: sight coming back does not trigger a failover at once.
    expect(outs[9]!.memory.firewalls.primary.consecutiveFailures).toBe(0);
  });

  it('scenario 6: canaries failing with every firewall silent is blind too', () => {
    const r: Round = { primary: { api: fail('timeout') }, controller: { awsReachable: true, canariesReachable: false } };
    expect(codes(play([r, r, r, r]))).toEqual(['controller-blind', 'controller-blind', 'controller-blind', 'controller-blind']);
  });

  it('scenario 6/7: both firewalls running and both silent: no failover toward a dead target', () => {
    const pair = makePair({ standbyMode: 'warm' });
    const both: Round = { primary: { api: fail('timeout') }, secondary: { api: fail('unreachable') } };
    const outs = play([both, both, both, both], { pair });
    expect(actions(outs)).toEqual(['alert', 'alert', 'alert', 'alert']);
  });

  it('scenario 7: primary dead and warm standby running but silent: alert, standby unusable', () => {
    const pair = makePair({ standbyMode: 'warm' });
    const r: Round = { primary: { api: skipped, state: 'stopped' }, secondary: { api: fail('unreachable') } };
    const outs = play([r, r, r], { pair });
    expect(outs[2]!.decision).toMatchObject({ action: 'alert', code: 'both-unavailable' });
  });

  it('scenario 9: right after its instance started, silence and 403 are "booting", not failure', () => {
    const launch = T0 - 60_000;
    const refused: Round = { primary: { api: fail('unreachable'), launchTime: launch } };
    const auth403: Round = { primary: { api: fail('auth'), launchTime: launch } };
    const notReady: Round = { primary: { api: ok({ chassisReady: false }), launchTime: launch } };
    const outs = play([refused, refused, refused, auth403, auth403, notReady, notReady, refused, refused]);
    expect(new Set(outs.map((o) => o.statuses.primary))).toEqual(new Set(['booting']));
    expect(actions(outs)).not.toContain('failover');
    expect(new Set(codes(outs))).toEqual(new Set(['active-booting']));
  });

  it('scenario 9: once seen ready after the start, failures count again even within the grace', () => {
    const launch = T0 - 60_000;
    const up: Round = { primary: { api: ok(), launchTime: launch } };
    const down: Round = { primary: { api: fail('unreachable'), launchTime: launch } };
    expect(actions(play([up, down, down, down]))).toEqual(['none', 'none', 'none', 'failover']);
  });

  it('scenario 9: beyond the boot grace a silent firewall is unreachable', () => {
    const launch = T0 - 3600_000;
    const outs = play([{ primary: { api: fail('unreachable'), launchTime: launch } }]);
    expect(outs[0]!.statuses.primary).toBe('unreachable');
  });

  it('scenario 24: an untrusted certificate alerts and never fails over', () => {
    const r: Round = { primary: { api: fail('untrusted') } };
    const outs = play(Array.from({ length: 10 }, () => r));
    expect(new Set(actions(outs))).toEqual(new Set(['alert']));
    expect(outs[0]!.statuses.primary).toBe('untrusted');
    expect(outs[0]!.decision.reason).toContain('no key was sent');
  });

  it('scenario 25: a wrong or expired key is "auth-error", alerts, never fails over', () => {
    const r: Round = { primary: { api: fail('auth') } };
    const outs = play(Array.from({ length: 10 }, () => r));
    expect(outs.every((o) => o.statuses.primary === 'auth-error' && o.decision.code === 'active-auth-error')).toBe(true);
  });

  it('an API key the controller cannot read is not an observation: failures neither grow nor reset, and it alerts as blind', () => {
    const noKey: Round = { primary: { api: fail('no-key') } };
    const outs = play([dead, dead, noKey, noKey, dead, dead, dead]);
    expect(codes(outs)).toEqual(['active-failing', 'active-failing', 'controller-blind', 'controller-blind', 'active-failing', 'active-failing', 'active-failed']);
    // Not counted while the key could not be read, and counted again from one after it: the
    // streak does not join failures across a time nothing was observed.
    expect(outs.slice(2, 7).map((o) => o.memory.firewalls.primary.consecutiveFailures)).toEqual([2, 0, 1, 2, 3]);
    expect(outs[2]!.decision.reason).toContain('cannot read the API key of fw-a');
    // And never a failover on missing keys alone.
    expect(actions(play(Array.from({ length: 8 }, () => noKey)))).not.toContain('failover');
  });

  it('a live firewall whose tunnel state cannot be read: its tunnels count as down, so only the tunnel policy applies', () => {
    const unreadable: Round = { primary: { api: ok({ tunnels: undefined, tunnelsError: 'FirewallApiError: Timed out while getting data from dataplane' }) } };
    // Default policy (alert): degraded, an alert, never a failover; the firewall's own failure count stays 0.
    const alerting = play(Array.from({ length: 8 }, () => unreadable), { pair: makePair({ tunnels: [{ name: 'tun-head-office' }] }) });
    expect(alerting.every((o) => o.statuses.primary === 'degraded')).toBe(true);
    // The reason names the cause (the firewall's API), not "tunnels down" (the IPsec peer).
    expect(codes(alerting).every((c) => c === 'active-degraded')).toBe(true);
    expect(alerting[0]!.decision.reason).toContain('tunnel state could not be read: API error while reading tunnels');
    expect(alerting[0]!.decision.reason).toContain('tun-head-office counted as down');
    expect(alerting[0]!.decision.reason).not.toContain('tunnels are down');
    expect(alerting.at(-1)!.memory.firewalls.primary.consecutiveFailures).toBe(0);
    // tunnelDown: failover: a dataplane that stopped answering the VPN queries fails over at the tunnel threshold.
    const pair = makePair({ tunnels: [{ name: 'tun-head-office' }], probe: { tunnelDown: 'failover', tunnelFailuresBeforeFailover: 3 } });
    const outs = play([unreadable, unreadable, unreadable], { pair });
    expect(actions(outs)).toEqual(['alert', 'alert', 'failover']);
    expect(outs[2]!.decision.code).toBe('active-tunnels-failed');
    expect(outs[2]!.decision.reason).toContain('expected tunnels down or unreadable for 3 rounds');
  });

  it('names an API timeout while reading tunnels as an API timeout, not as tunnels down', () => {
    const timedOut: Round = { primary: { api: ok({ tunnels: undefined, tunnelsError: 'TimeoutError: The operation was aborted due to timeout', tunnelsOutcome: 'timeout' }) } };
    const [first] = play([timedOut], { pair: makePair({ tunnels: [{ name: 'tun-head-office' }] }) });
    expect(first!.decision.code).toBe('active-degraded');
    expect(first!.decision.reason).toMatch(/^fw-a answers, but its tunnel state could not be read: API timeout while reading tunnels \(TimeoutError/);
    expect(first!.tunnelsUnreadable).toMatch(/^API timeout while reading tunnels/);
    // A tunnel that is really down is still "tunnels down".
    const [down] = play([{ primary: { api: ok({ tunnels: [] }) } }], { pair: makePair({ tunnels: [{ name: 'tun-head-office' }] }) });
    expect(down!.decision.code).toBe('active-degraded');
    expect(down!.decision.reason).toContain('expected tunnels are down: tun-head-office');
    expect(down!.tunnelsUnreadable).toBeUndefined();
  });

  it('failures far apart in time are not one streak: after a gap longer than an invocation period plus two intervals, or after a blind spell, counting starts again', () => {
    const pair = makePair();
    // Two failures, then a gap of 5 minutes with no deciding round (rounds failed to run).
    const first = play([dead, dead], { pair });
    const memory = first.at(-1)!.memory;
    const late = decide({
      pair,
      owner: 'primary',
      ownerSince: undefined,
      observations: { primary: observation(dead.primary, T0 + 300_000), secondary: observation(stoppedStandby, T0 + 300_000) },
      memory,
      controller: { awsReachable: true },
      now: T0 + 300_000,
      lastDecidedAt: T0 + 10_000,
    });
    expect(late.decision.code).toBe('active-failing');
    expect(late.memory.firewalls.primary.consecutiveFailures).toBe(1);
    // Within the gap allowance the streak goes on.
    const onTime = decide({
      pair,
      owner: 'primary',
      ownerSince: undefined,
      observations: { primary: observation(dead.primary, T0 + 20_000), secondary: observation(stoppedStandby, T0 + 20_000) },
      memory,
      controller: { awsReachable: true },
      now: T0 + 20_000,
      lastDecidedAt: T0 + 10_000,
    });
    expect(onTime.decision.action).toBe('failover');

    // The normal gap between two invocations (rounds stopped early for a pair with a long
    // timeout) is not a break in the streak.
    const nextInvocation = decide({
      pair,
      owner: 'primary',
      ownerSince: undefined,
      observations: { primary: observation(dead.primary, T0 + 60_000), secondary: observation(stoppedStandby, T0 + 60_000) },
      memory,
      controller: { awsReachable: true },
      now: T0 + 60_000,
      lastDecidedAt: T0 + 10_000,
    });
    expect(nextInvocation.decision.action).toBe('failover');
    // A restarted count keeps the incident (its start names the execution and counts attempts).
    expect(late.memory.firewalls.primary.failingSince).toBe(memory.firewalls.primary.failingSince);

    // Two failures, a long blind spell, then one failure: not a failover.
    const blindRound: Round = { primary: { api: fail('timeout') }, controller: { awsReachable: false } };
    const outs = play([dead, dead, ...Array.from({ length: 180 }, () => blindRound), dead], { pair });
    expect(outs.at(-1)!.decision.code).toBe('active-failing');
    expect(outs.at(-1)!.memory.firewalls.primary.consecutiveFailures).toBe(1);
  });

  it('canaries that do not answer while the active does: an alert (they would make the probe blind when it matters)', () => {
    const r: Round = { primary: { api: ok() }, controller: { awsReachable: true, canariesReachable: false } };
    const outs = play([r, r]);
    expect(codes(outs)).toEqual(['canary-down', 'canary-down']);
    expect(actions(outs)).toEqual(['alert', 'alert']);
    expect(outs[0]!.decision.reason).toContain('no canary answers');
    expect(codes(play([{ primary: { api: ok() }, controller: { awsReachable: true, canariesReachable: true } }]))).toEqual(['active-healthy']);
  });

  it('does not fail over toward a standby that is known unusable', () => {
    const cases: [Obs, string][] = [
      [{ api: skipped, state: 'terminated' }, 'terminated'],
      [{ api: fail('untrusted') }, 'certificate'],
      [{ api: fail('auth') }, 'API key'],
      [{ api: skipped, state: 'stopped', impaired: true }, 'impaired'],
    ];
    for (const [secondary, why] of cases) {
      const outs = play([
        { primary: { api: fail('unreachable') }, secondary },
        { primary: { api: fail('unreachable') }, secondary },
        { primary: { api: fail('unreachable') }, secondary },
      ]);
      expect(outs[2]!.decision.action, why).toBe('alert');
      expect(outs[2]!.decision.reason, why).toContain(why);
    }
  });

  it('a cold standby that is stopped is a usable target', () => {
    const outs = play([dead, dead, dead]);
    expect(outs[2]!.statuses.secondary).toBe('stopped');
    expect(outs[2]!.decision.action).toBe('failover');
  });

  it('warm standby unhealthy while the active is fine: alert', () => {
    const pair = makePair({ standbyMode: 'warm' });
    const outs = play([{ primary: { api: ok() }, secondary: { api: fail('unreachable') } }], { pair });
    expect(outs[0]!.decision).toMatchObject({ action: 'alert', code: 'standby-unhealthy' });
  });

  it('automatic failback only with the policy on and after the hold time', () => {
    const manual = play([{ primary: { api: ok({ tunnels: [] }) }, secondary: { api: ok() } }], { owner: 'secondary' });
    expect(manual[0]!.decision.action).toBe('none');
    const pair = makePair({ failback: { mode: 'auto', holdSeconds: 60 } });
    const r: Round = { primary: { api: ok({ tunnels: [] }) }, secondary: { api: ok() } };
    const outs = play(Array.from({ length: 8 }, () => r), { pair, owner: 'secondary' });
    expect(codes(outs).slice(0, 6)).toEqual(Array(6).fill('failback-hold'));
    expect(outs[6]!.decision).toMatchObject({ action: 'failback', code: 'failback-due', from: 'secondary' });
  });
});

describe('health decision right after a takeover', () => {
  it('tunnels still negotiating on the new owner are "settling", not an alert, within postVerify.tunnelTimeoutSeconds', () => {
    const down: Round = { primary: stoppedStandby, secondary: { api: ok({ tunnels: [tunnel('tun-head-office', false)] }) } };
    const early = play([down], { owner: 'secondary', ownerSince: T0 - 30_000 });
    expect(early[0]!.decision).toMatchObject({ action: 'none', code: 'active-settling' });
    const late = play([down], { owner: 'secondary', ownerSince: T0 - 3_600_000 });
    expect(late[0]!.decision).toMatchObject({ action: 'alert', code: 'active-degraded' });
  });
});

describe('health decision: not blind because of a booting standby, not ready forever', () => {
  it('primary dead while the cold standby, just started, still refuses connections: failover, not "blind"', () => {
    const booting: Obs = { api: fail('unreachable'), state: 'running', launchTime: T0 - 20_000 };
    const outs = play([
      { primary: { api: fail('unreachable') }, secondary: booting },
      { primary: { api: fail('unreachable') }, secondary: booting },
      { primary: { api: fail('unreachable') }, secondary: booting },
    ]);
    expect(outs.map((o) => o.statuses.secondary)).toEqual(['booting', 'booting', 'booting']);
    expect(codes(outs)).not.toContain('controller-blind');
    expect(outs[2]!.decision).toMatchObject({ action: 'failover', from: 'primary' });
  });

  it('a firewall answering with chassis-ready "no" long after its start is failed (no dataplane), not booting', () => {
    const notReady: Round = { primary: { api: ok({ chassisReady: false }) } };
    const outs = play([notReady, notReady, notReady]);
    expect(outs[0]!.statuses.primary).toBe('unreachable');
    expect(outs[2]!.decision).toMatchObject({ action: 'failover', code: 'active-failed' });
  });
});

describe('health decision right after the active firewall booted', () => {
  it('tunnels still negotiating just after it first became ready are "settling"; still down much later is degraded', () => {
    const launch = T0 - 120_000;
    const ready: Obs = { api: ok({ tunnels: [tunnel('tun-head-office', false)] }), launchTime: launch };
    const outs = play([{ primary: { api: fail('unreachable'), launchTime: launch } }, { primary: ready }, { primary: ready }]);
    expect(outs[0]!.statuses.primary).toBe('booting');
    expect(codes(outs).slice(1)).toEqual(['active-settling', 'active-settling']);
    // A long-running firewall whose tunnel drops is degraded at once.
    expect(play([{ primary: { api: ok({ tunnels: [tunnel('tun-head-office', false)] }) } }])[0]!.decision.code).toBe('active-degraded');
    // And one that booted long enough ago to have settled, too.
    const later = play([{ primary: ready }], { start: T0 + 3_600_000, memory: outs[2]!.memory });
    expect(later[0]!.decision.code).toBe('active-degraded');
  });
});

describe('health decision: incidents keep one identity', () => {
  it('tunnelDown=failover: every round of the same tunnel outage names the same incident', () => {
    const pair = makePair({ probe: { tunnelDown: 'failover', tunnelFailuresBeforeFailover: 2 } });
    const down: Round = { primary: { api: ok({ tunnels: [] }) } };
    const outs = play([down, down, down, down], { pair });
    const incidents = outs.filter((o) => o.decision.action === 'failover').map((o) => o.decision.incidentSince);
    expect(incidents).toEqual([T0, T0, T0]);
  });
});
