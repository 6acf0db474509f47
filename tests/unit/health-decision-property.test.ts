/**
 * Properties of `decide()` over generated sequences of rounds (fast-check): whatever the
 * firewalls, EC2 and the controller's own network do, the invariants that make the controller
 * safe hold. The example-based tests (health-decision.test.ts) show the behaviour; these show
 * there is no sequence of observations that breaks it.
 * - Never a failover while the controller is blind: no firewall API gave any answer beyond a
 *   timeout or a refused connection, and EC2 gave no answer or the canaries failed
 *   (architecture.md's decision table, row 1). A standby that answers proves the controller's
 *   network works, whatever the canaries say.
 * - Never a failover before `failuresBeforeFailover` consecutive failed rounds of the active
 *   firewall (no failover on a blip).
 * - Never a failover towards a standby that cannot take traffic (terminated, impaired, refusing
 *   the key, an untrusted certificate).
 * - One incident per failure streak: every failover decision of one streak of API failures of a
 *   running active names the same incident start.
 * - One incident until the active is seen ready again: a restart in the middle of a failure
 *   (rounds in which it is booting) does not start a new incident, so a firewall that keeps
 *   restarting cannot multiply the flow attempts the probe allows one incident.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PairConfig, Role } from '#shared/config/schema.js';
import { API_OUTCOMES, decide, type ApiObservation, type ControllerSignals, type DecideOutput, type FirewallObservation, type PairMemory } from '#shared/domain/health.js';
import { makePair } from '../support/config.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const LONG_AGO = T0 - 30 * 86_400_000;
const INSTANCE_STATES = ['running', 'stopped', 'pending', 'stopping', 'terminated', 'unknown'] as const;

interface GenFirewall {
  readonly state: (typeof INSTANCE_STATES)[number];
  readonly impaired: boolean;
  readonly outcome: ApiObservation['outcome'];
  readonly chassisReady: boolean | undefined;
}

interface GenRound {
  readonly primary: GenFirewall;
  readonly secondary: GenFirewall;
  readonly controller: ControllerSignals;
}

const firewall: fc.Arbitrary<GenFirewall> = fc.record({
  // Mostly running, so that long failure streaks of a running firewall are common.
  state: fc.oneof({ weight: 4, arbitrary: fc.constant('running' as const) }, { weight: 1, arbitrary: fc.constantFrom(...INSTANCE_STATES) }),
  impaired: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  outcome: fc.oneof({ weight: 2, arbitrary: fc.constant('ok' as const) }, { weight: 3, arbitrary: fc.constantFrom(...API_OUTCOMES) }),
  chassisReady: fc.constantFrom(true, true, true, false, undefined),
});

const round: fc.Arbitrary<GenRound> = fc.record({
  primary: firewall,
  secondary: firewall,
  controller: fc.record({ awsReachable: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), canariesReachable: fc.constantFrom(undefined, undefined, true, false) }),
});

function observation(f: GenFirewall, at: number): FirewallObservation {
  // The probe asks the API only of a running instance; otherwise the outcome is `skipped`.
  const running = f.state === 'running';
  const outcome = running ? f.outcome : 'skipped';
  return {
    at,
    instance: { state: f.state, launchTime: LONG_AGO, instanceStatus: running ? (f.impaired ? 'impaired' : 'ok') : undefined },
    api: {
      outcome,
      latencyMs: outcome === 'ok' ? 40 : 4000,
      ...(outcome === 'ok' ? { chassisReady: f.chassisReady, tunnels: [] } : outcome === 'skipped' ? {} : { error: outcome }),
    },
  };
}

/** Plays the rounds one probe interval apart, from empty memory; every round's input and output. */
function play(pair: PairConfig, rounds: readonly GenRound[], owner: Role = 'primary'): { round: GenRound; out: DecideOutput }[] {
  let memory: PairMemory | undefined;
  let lastDecidedAt: number | undefined;
  return rounds.map((r, i) => {
    const now = T0 + i * pair.probe.intervalSeconds * 1000;
    const out = decide({
      pair,
      owner,
      ownerSince: undefined,
      observations: { primary: observation(r.primary, now), secondary: observation(r.secondary, now) },
      memory,
      controller: r.controller,
      now,
      lastDecidedAt,
    });
    memory = out.memory;
    lastDecidedAt = now;
    return { round: r, out };
  });
}

/** Did the active firewall fail this round (anything but a running, unimpaired instance whose API answered ready)? */
const activeFailed = (f: GenFirewall) => f.state !== 'running' || f.outcome !== 'ok' || f.impaired || f.chassisReady === false;
const NETWORK = new Set(['timeout', 'unreachable', 'skipped']);

const pair = makePair({ tunnels: [] });
const rounds = fc.array(round, { minLength: 1, maxLength: 14 });
const RUNS = { numRuns: 400 };

describe('decide(): invariants over generated rounds', () => {
  it('never a failover while the controller is blind (no API answered, and EC2 silent or the canaries down)', () => {
    fc.assert(
      fc.property(rounds, (rs) => {
        for (const { round: r, out } of play(pair, rs)) {
          const noApiAnswered = NETWORK.has(observation(r.primary, 0).api.outcome) && NETWORK.has(observation(r.secondary, 0).api.outcome);
          const blind = noApiAnswered && (!r.controller.awsReachable || r.controller.canariesReachable === false);
          if (blind) expect(out.decision.action).not.toBe('failover');
        }
      }),
      RUNS,
    );
  });

  it('never a failover before failuresBeforeFailover consecutive failed rounds of the active firewall', () => {
    fc.assert(
      fc.property(rounds, (rs) => {
        const played = play(pair, rs);
        played.forEach(({ out }, i) => {
          if (out.decision.action !== 'failover') return;
          const streak = played.slice(0, i + 1).reverse().findIndex((p) => !activeFailed(p.round.primary));
          const failedInARow = streak === -1 ? i + 1 : streak;
          expect(failedInARow).toBeGreaterThanOrEqual(pair.probe.failuresBeforeFailover);
        });
      }),
      RUNS,
    );
  });

  it('never a failover towards a standby that cannot take traffic', () => {
    fc.assert(
      fc.property(rounds, (rs) => {
        for (const { round: r, out } of play(pair, rs)) {
          const s = r.secondary;
          const unusable = s.state === 'terminated' || (s.state === 'running' && (s.impaired || s.outcome === 'auth' || s.outcome === 'untrusted'));
          if (unusable) expect(out.decision.action).not.toBe('failover');
        }
      }),
      RUNS,
    );
  });

  it('one incident per failure streak: every failover decision of a streak names the same incident start', () => {
    // The active is running and either answers ready or fails at the API: no restarts.
    const apiOnly = fc.record({
      state: fc.constant('running' as const),
      impaired: fc.constant(false),
      outcome: fc.oneof({ weight: 1, arbitrary: fc.constant('ok' as const) }, { weight: 3, arbitrary: fc.constantFrom('timeout' as const, 'unreachable' as const, 'malformed' as const, 'api-error' as const) }),
      chassisReady: fc.constant(true),
    });
    const streaky = fc.array(fc.record({ primary: apiOnly, secondary: firewall, controller: round.map((r) => r.controller) }), { minLength: 1, maxLength: 14 });
    fc.assert(
      fc.property(streaky, (rs) => {
        let streakIncident: number | undefined;
        for (const { round: r, out } of play(pair, rs)) {
          if (!activeFailed(r.primary)) {
            streakIncident = undefined;
            continue;
          }
          if (out.decision.action !== 'failover') continue;
          expect(out.decision.incidentSince).toBeDefined();
          if (streakIncident === undefined) streakIncident = out.decision.incidentSince;
          else expect(out.decision.incidentSince).toBe(streakIncident);
        }
      }),
      RUNS,
    );
  });

  it('one incident until the active is seen ready: restarts (pending rounds) in the middle of a failure keep its start', () => {
    // The active either answers ready, fails at the API, or is restarting (pending).
    const active = fc.oneof(
      { weight: 1, arbitrary: fc.constant<GenFirewall>({ state: 'running', impaired: false, outcome: 'ok', chassisReady: true }) },
      { weight: 3, arbitrary: fc.constantFrom('timeout' as const, 'unreachable' as const).map((outcome): GenFirewall => ({ state: 'running', impaired: false, outcome, chassisReady: true })) },
      { weight: 2, arbitrary: fc.constant<GenFirewall>({ state: 'pending', impaired: false, outcome: 'skipped', chassisReady: undefined }) },
    );
    const healthyStandby: GenFirewall = { state: 'stopped', impaired: false, outcome: 'skipped', chassisReady: undefined };
    const sight = { awsReachable: true, canariesReachable: undefined };
    const restarting = fc.array(active.map((primary) => ({ primary, secondary: healthyStandby, controller: sight })), { minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(restarting, (rs) => {
        let incident: number | undefined;
        for (const { round: r, out } of play(pair, rs)) {
          if (!activeFailed(r.primary)) {
            incident = undefined;
            continue;
          }
          if (out.decision.action !== 'failover') continue;
          if (incident === undefined) incident = out.decision.incidentSince;
          else expect(out.decision.incidentSince).toBe(incident);
        }
      }),
      RUNS,
    );
  });

  it('a restart in the middle of a failure: the failover after it names the failure\'s first round, not the restart', () => {
    const up: GenFirewall = { state: 'running', impaired: false, outcome: 'ok', chassisReady: true };
    const dead: GenFirewall = { state: 'running', impaired: false, outcome: 'timeout', chassisReady: true };
    const pending: GenFirewall = { state: 'pending', impaired: false, outcome: 'skipped', chassisReady: undefined };
    const standby: GenFirewall = { state: 'stopped', impaired: false, outcome: 'skipped', chassisReady: undefined };
    const sight = { awsReachable: true, canariesReachable: undefined };
    const seq = [up, dead, dead, pending, pending, dead, dead, dead].map((primary) => ({ primary, secondary: standby, controller: sight }));
    const out = play(pair, seq).map((x) => x.out);
    const interval = pair.probe.intervalSeconds * 1000;
    expect(out.map((o) => o.decision.code)).toEqual(['active-healthy', 'active-failing', 'active-failing', 'active-booting', 'active-booting', 'active-failing', 'active-failing', 'active-failed']);
    // The restart reset the count (three more failed rounds were needed), not the incident.
    expect(out[7]?.decision).toMatchObject({ action: 'failover', incidentSince: T0 + interval });
    // Seen ready in between: a new incident.
    const recovered = [up, dead, pending, up, dead, dead, dead].map((primary) => ({ primary, secondary: standby, controller: sight }));
    expect(play(pair, recovered).at(-1)?.out.decision).toMatchObject({ action: 'failover', incidentSince: T0 + 4 * interval });
  });

  it('the generators reach failovers at all (the properties are not vacuous)', () => {
    const failovers = fc.sample(rounds, { numRuns: 400, seed: 7 }).filter((rs) => play(pair, rs).some(({ out }) => out.decision.action === 'failover'));
    expect(failovers.length).toBeGreaterThan(10);
  });
});
