/**
 * The probe's failure streak in the flow's input: what the probe keeps round by round (as long as
 * the decision's own count, bounded), and the flow's strict validation of what arrives (bad or
 * oversized rounds refused with the field named; only the probe sends rounds).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Role } from '#shared/config/schema.js';
import type { DecideOutput, FirewallObservation, FirewallStatus } from '#shared/domain/health.js';
import { nextStreak, STREAK_MAX_ROUNDS, STREAK_REASON_MAX, type FailedRound } from '#shared/domain/streak.js';
import { InputInvalidError } from '#shared/errors.js';
import { parseFlowInput } from '#shared/usecases/flow-input.js';
import { makeConfig } from '../support/config.js';

const T0 = Date.UTC(2026, 11, 7, 6, 0, 0);
const config = makeConfig();

function obs(outcome: FirewallObservation['api']['outcome'], error?: string): FirewallObservation {
  return { at: T0, instance: { state: 'running', systemStatus: 'ok', instanceStatus: 'ok' }, api: { outcome, latencyMs: 0, ...(error !== undefined ? { error } : {}) } };
}

/** One round's decision output: the owner's status and counters as `decide` would leave them. */
function out(status: FirewallStatus, count: number, options: { code?: string; action?: string; owner?: Role; tunnelsDown?: string[]; reason?: string } = {}): DecideOutput {
  const owner = options.owner ?? 'primary';
  const other: Role = owner === 'primary' ? 'secondary' : 'primary';
  const tunnels = options.tunnelsDown ?? [];
  return {
    statuses: { [owner]: status, [other]: 'stopped' } as Record<Role, FirewallStatus>,
    tunnelsDown: tunnels,
    decision: { action: (options.action ?? 'none') as 'none', code: (options.code ?? 'active-failing') as 'active-failing', reason: options.reason ?? `failed ${count}` },
    memory: {
      firewalls: {
        [owner]: { consecutiveFailures: tunnels.length > 0 ? 0 : count, consecutiveTunnelFailures: tunnels.length > 0 ? count : 0 },
        [other]: { consecutiveFailures: 0, consecutiveTunnelFailures: 0 },
      } as DecideOutput['memory']['firewalls'],
    },
  };
}

const both = (o: FirewallObservation) => ({ primary: o, secondary: obs('skipped') });

function probeInput(rounds: unknown): Record<string, unknown> {
  return { pair: 'hq-egress', action: 'failover', reason: 'fw-a failed 3 consecutive rounds', source: 'probe', from: 'primary', incidentId: 'hq-egress@x', rounds };
}

function round(i: number, patch: Partial<FailedRound> = {}): FailedRound {
  return { at: T0 + i * 10_000, firewall: 'primary', status: 'unreachable', standby: 'stopped', api: 'timeout', ec2: 'running', tunnelsDown: [], action: 'none', reason: `failed ${i + 1}`, ...patch };
}

/** The issues of a refused input, as `path: message`. */
function refused(raw: unknown): string[] {
  try {
    parseFlowInput(raw, config);
  } catch (e) {
    expect(e).toBeInstanceOf(InputInvalidError);
    return (e as InputInvalidError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('accepted');
}

describe('the failure streak the probe keeps', () => {
  it('one entry per failed round, as long as the decision count; a success clears it', () => {
    let s = nextStreak(undefined, { now: T0, owner: 'primary', observations: both(obs('timeout', 'PanOsTimeoutError: 5 s')), out: out('unreachable', 1) });
    s = nextStreak(s, { now: T0 + 10_000, owner: 'primary', observations: both(obs('unreachable')), out: out('unreachable', 2) });
    s = nextStreak(s, { now: T0 + 20_000, owner: 'primary', observations: both(obs('unreachable')), out: out('unreachable', 3, { action: 'failover', code: 'active-failed' }) });
    expect(s.map((r) => [r.at, r.firewall, r.status, r.api, r.action])).toEqual([
      [T0, 'primary', 'unreachable', 'timeout', 'none'],
      [T0 + 10_000, 'primary', 'unreachable', 'unreachable', 'none'],
      [T0 + 20_000, 'primary', 'unreachable', 'unreachable', 'failover'],
    ]);
    expect(s[0]).toMatchObject({ apiError: 'PanOsTimeoutError: 5 s', ec2: 'running; checks system ok, instance ok', standby: 'stopped' });
    expect(nextStreak(s, { now: T0 + 30_000, owner: 'primary', observations: both(obs('ok')), out: out('healthy', 0, { code: 'active-healthy' }) })).toEqual([]);
  });

  it('a restarted count (a gap between rounds) starts the streak again; a blind round keeps it; another owner drops it', () => {
    const two = [round(0), round(1)];
    const restarted = nextStreak(two, { now: T0 + 600_000, owner: 'primary', observations: both(obs('timeout')), out: out('unreachable', 1) });
    expect(restarted.map((r) => r.at)).toEqual([T0 + 600_000]);
    expect(nextStreak(two, { now: T0 + 20_000, owner: 'primary', observations: both(obs('timeout')), out: out('unreachable', 2, { code: 'controller-blind', action: 'alert' }) })).toEqual(two);
    const other = nextStreak(two, { now: T0 + 20_000, owner: 'secondary', observations: { primary: obs('skipped'), secondary: obs('timeout') }, out: out('unreachable', 1, { owner: 'secondary' }) });
    expect(other.map((r) => r.firewall)).toEqual(['secondary']);
  });

  it('tunnel failures count too, with the tunnels named', () => {
    const s = nextStreak(undefined, { now: T0, owner: 'primary', observations: both(obs('ok')), out: out('degraded', 1, { tunnelsDown: ['tun-head-office'] }) });
    expect(s).toMatchObject([{ status: 'degraded', api: 'ok', tunnelsDown: ['tun-head-office'] }]);
  });

  it('keeps at most the last STREAK_MAX_ROUNDS; whatever the probe saw, its streak passes the flow validation', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.string({ maxLength: 2000 }),
        fc.array(fc.string({ minLength: 1, maxLength: 400 }), { maxLength: 30 }),
        (n, text, tunnels) => {
          let s: FailedRound[] = [];
          for (let i = 1; i <= n; i++) {
            const o = i % 2 === 0 ? out('degraded', i, { tunnelsDown: tunnels.length ? tunnels : ['t'], reason: `${text}x` }) : out('unreachable', i, { reason: `${text}y` });
            s = nextStreak(s, { now: T0 + i * 10_000, owner: 'primary', observations: both(obs(i % 2 === 0 ? 'ok' : 'timeout', `${text}e`)), out: o });
          }
          expect(s.length).toBe(Math.min(n, STREAK_MAX_ROUNDS));
          expect(s.every((r) => r.reason.length <= STREAK_REASON_MAX)).toBe(true);
          expect(parseFlowInput(probeInput(s), config).rounds).toEqual(s);
        },
      ),
      { numRuns: 60 },
    );
    let s: FailedRound[] = [];
    for (let i = 1; i <= 25; i++) s = nextStreak(s, { now: T0 + i * 10_000, owner: 'primary', observations: both(obs('timeout')), out: out('unreachable', i) });
    expect(s.map((r) => r.at)).toEqual(Array.from({ length: STREAK_MAX_ROUNDS }, (_, k) => T0 + (16 + k) * 10_000));
  });
});

describe('flow input: the probe rounds, validated strictly', () => {
  it('accepts the probe rounds; a manual trigger has none and is fine', () => {
    expect(parseFlowInput(probeInput([round(0), round(1), round(2, { action: 'failover' })]), config).rounds).toHaveLength(3);
    expect(parseFlowInput({ pair: 'hq-egress', action: 'failover', source: 'manual' }, config).rounds).toBeUndefined();
  });

  it('refuses too many rounds, naming the field', () => {
    const many = Array.from({ length: STREAK_MAX_ROUNDS + 1 }, (_, i) => round(i));
    expect(refused(probeInput(many))).toEqual([`rounds: at most ${STREAK_MAX_ROUNDS} rounds (the last ones)`]);
  });

  it('refuses oversized strings and lists, naming the field', () => {
    expect(refused(probeInput([round(0, { reason: 'x'.repeat(STREAK_REASON_MAX + 1) })])).join()).toMatch(/^rounds\[0\]\.reason: /);
    expect(refused(probeInput([round(0, { apiError: 'e'.repeat(201) })])).join()).toMatch(/^rounds\[0\]\.apiError: /);
    expect(refused(probeInput([round(0, { tunnelsDown: Array.from({ length: 9 }, (_, i) => `t${i}`) })]))).toEqual(['rounds[0].tunnelsDown: at most 8 tunnel names']);
    expect(refused(probeInput([round(0, { tunnelsDown: ['t'.repeat(129)] })])).join()).toMatch(/^rounds\[0\]\.tunnelsDown\[0\]: /);
  });

  it('refuses malformed rounds: unknown fields, wrong kinds, bad times, naming the field', () => {
    expect(refused(probeInput([{ ...round(0), script: '<script>' }]))).toEqual(['rounds[0]: unknown field "script"']);
    expect(refused(probeInput([round(0, { status: 'on-fire' as FirewallStatus })])).join()).toMatch(/^rounds\[0\]\.status: /);
    expect(refused(probeInput([round(0, { at: -1 })])).join()).toMatch(/^rounds\[0\]\.at: /);
    expect(refused(probeInput([round(0, { at: 1.5 })])).join()).toMatch(/^rounds\[0\]\.at: /);
    expect(refused(probeInput('not a list')).join()).toMatch(/^rounds: /);
    expect(refused(probeInput([round(1), round(0)]))).toEqual(['rounds[1].at: rounds must be in time order (oldest first)']);
    expect(refused(probeInput([round(0, { firewall: 'secondary' })]))).toEqual(['rounds[0].firewall: a round of secondary, but the trigger names primary as the failed firewall']);
  });

  it('only the probe sends rounds: a person\'s or an alarm\'s trigger with rounds is refused', () => {
    expect(refused({ pair: 'hq-egress', action: 'failover', source: 'manual', rounds: [round(0)] })).toEqual(['rounds: only the health probe sends its failed rounds, not a "manual" trigger']);
  });
});
