/**
 * Bad input and security at the firewall's API: a replaced certificate (24), a refused key
 * (25), hostile answers (26), and secrets kept out of everything the controller leaves behind
 * (27, on the wire: real SDK clients, keys read from Secrets Manager over HTTP).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimSystem } from '#sim/system.js';
import { deliveredTo } from '#sim/world/messaging.js';
import type { FaultPatch } from '#sim/panos/index.js';
import { MALFORMED_KINDS } from '#sim/panos/index.js';
import { captureMetrics, collectEvidence, findLeaks, leakForms } from './support/detect-evidence.js';
import {
  consistencyAfter,
  describeRounds,
  FW_A,
  FW_B,
  machineryFailures,
  probeRounds,
  routeMoves,
  snsSubjects,
  startSystem,
  startedExecutions,
  waitForOwner,
  waitForRound,
  waitForRounds,
  waitForSteadyState,
} from './support/detect-harness.js';

let system: SimSystem | undefined;
afterEach(async () => {
  await system?.close();
  system = undefined;
});

const MiB = 1024 * 1024;
const total = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((a, b) => a + b, 0);

// Failure modes 24 and 25: the firewall's certificate no longer matches the pinned fingerprint
// ("untrusted": no key is sent, no failover), and the key is refused ("auth-error": an alert,
// no failover on auth errors alone).
describe('security: TLS pinning and API key', () => {
  it('scenario 24: certificate of fw-a changed -> "untrusted", no request (so no key) reaches it, alert, no failover', async () => {
    system = await startSystem({ speed: 40 });
    const sys = system;
    const pair = sys.pair();
    await waitForSteadyState(sys);
    const fw = sys.firewall(FW_A);
    const pinned = fw.fingerprint256;
    const before = total(fw.requests());
    expect(before).toBeGreaterThan(0);

    const changedAt = sys.clock.now();
    fw.setFaults({ certificateChanged: true });
    expect(fw.servedFingerprint256).not.toBe(pinned);
    // Switching the certificate drops open connections: every later request needs a new handshake.
    const requestsAtChange = total(fw.requests());

    const first = await waitForRound(sys, (r) => r.primary !== 'healthy', changedAt, 60_000);
    expect(first.primary).toBe('untrusted');
    const rounds = await waitForRounds(sys, pair.probe.failuresBeforeFailover + 3, changedAt);
    expect(
      rounds.every((r) => r.primary === 'untrusted' && r.code === 'active-untrusted' && r.action === 'alert'),
      describeRounds(rounds),
    ).toBe(true);

    // The pin is checked before any byte of a request: the impostor never saw one, so never a key.
    expect(total(fw.requests())).toBe(requestsAtChange);
    expect(snsSubjects(sys)).toEqual(['[pan-failover] hq-egress: ALERT active-untrusted']);
    const [alert] = sys.world.sns.messages();
    const body = JSON.parse(alert ? deliveredTo(alert, 'sqs') : '{}') as { reason?: string };
    expect(body.reason).toContain('no key was sent');
    expect(alert && deliveredTo(alert, 'email')).toContain('docs/runbook.md#alert-active-untrusted');
    expect(startedExecutions(sys)).toHaveLength(0);
    expect(routeMoves(sys)).toHaveLength(0);

    // The operator restores the right certificate: healthy again, requests flow again.
    const restoredAt = sys.clock.now();
    fw.setFaults({ certificateChanged: false });
    await waitForRound(
      sys,
      (r) => r.primary === 'healthy' && r.code === 'active-healthy',
      restoredAt,
      60_000,
    );
    expect(total(fw.requests())).toBeGreaterThan(requestsAtChange);
    expect(machineryFailures(sys)).toEqual([]);
    const report = await consistencyAfter(sys);
    expect(report.problems).toEqual([]);
    expect(report.owner).toBe('primary');
  }, 60_000);

  it('scenario 25: fw-a refuses the API key -> "auth-error", one alert, no failover on auth errors alone', async () => {
    system = await startSystem({ speed: 40 });
    const sys = system;
    const pair = sys.pair();
    await waitForSteadyState(sys);
    const fw = sys.firewall(FW_A);

    const failAt = sys.clock.now();
    fw.setFaults({ authFails: true });
    const requestsAtFault = total(fw.requests());
    const first = await waitForRound(sys, (r) => r.primary !== 'healthy', failAt, 60_000);
    expect(first.primary).toBe('auth-error');
    const rounds = await waitForRounds(sys, pair.probe.failuresBeforeFailover + 3, failAt);
    // Not "unreachable", never counted toward the failure streak.
    expect(
      rounds.every(
        (r) => r.primary === 'auth-error' && r.code === 'active-auth-error' && r.action === 'alert',
      ),
      describeRounds(rounds),
    ).toBe(true);
    // The firewall was reached and said 403 (it is alive): the requests did arrive.
    expect(total(fw.requests())).toBeGreaterThan(requestsAtFault);

    expect(snsSubjects(sys)).toEqual(['[pan-failover] hq-egress: ALERT active-auth-error']);
    const [alert] = sys.world.sns.messages();
    const body = JSON.parse(alert ? deliveredTo(alert, 'sqs') : '{}') as {
      code?: string;
      reason?: string;
    };
    expect(body.code).toBe('active-auth-error');
    expect(body.reason).toContain('no failover on auth errors alone');
    expect(startedExecutions(sys)).toHaveLength(0);
    expect(routeMoves(sys)).toHaveLength(0);

    // The key is fixed: healthy, and the alert resolves.
    const fixedAt = sys.clock.now();
    fw.setFaults({ authFails: false });
    await waitForRound(sys, (r) => r.primary === 'healthy', fixedAt, 60_000);
    await sys.waitUntil(() => snsSubjects(sys).length >= 2, 20_000, 500);
    expect(snsSubjects(sys)).toEqual([
      '[pan-failover] hq-egress: ALERT active-auth-error',
      '[pan-failover] hq-egress: resolved (active-auth-error)',
    ]);
    expect(machineryFailures(sys)).toEqual([]);
    const report = await consistencyAfter(sys);
    expect(report.problems).toEqual([]);
    expect(report.owner).toBe('primary');
  }, 60_000);
});

// Failure mode 26: malformed, truncated, huge or hostile XML from the firewall (an HTML error
// page, a body cut in half, 1.5 MiB without Content-Length, a billion-laughs entity bomb) ->
// a probe failure like any other: the probe never crashes, its memory stays bounded, and the
// next good answer makes the firewall healthy again.
describe('security: hostile answers from the firewall', () => {
  it('scenario 26: html / truncated / huge / entity-bomb answers -> probe failure each time, never a crash, bounded memory, no failover', async () => {
    system = await startSystem({ speed: 30 });
    const sys = system;
    const pair = sys.pair();
    const fw = sys.firewall(FW_A);
    await waitForSteadyState(sys);
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const sample = () => {
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    };

    const start = sys.clock.now();
    for (const kind of MALFORMED_KINDS) {
      const since = sys.clock.now();
      const requests = total(fw.requests());
      fw.setFaults({ malformed: kind });
      // One round gets the broken body: it is a failure of the API, counted like any other.
      const bad = await waitForRound(sys, (r) => r.primary !== 'healthy', since, 60_000);
      sample();
      fw.setFaults({ malformed: undefined });
      expect(bad.primary, `${kind}: ${describeRounds([bad])}`).toBe('unreachable');
      expect(bad.code, kind).toBe('active-failing');
      expect(bad.reason, kind).toContain(`failed 1 of ${pair.probe.failuresBeforeFailover}`);
      // The probe did get an answer (the broken one): this is not a connection failure.
      expect(total(fw.requests()), kind).toBeGreaterThan(requests);
      // The next good answer ends the streak.
      const good = await waitForRound(sys, (r) => r.at > bad.at, since, 60_000);
      sample();
      expect(good.primary, `${kind} then: ${describeRounds([good])}`).toBe('healthy');
    }

    const rounds = probeRounds(sys, start);
    expect(rounds.filter((r) => r.primary === 'unreachable')).toHaveLength(MALFORMED_KINDS.length);
    expect(
      rounds.some((r) => r.action === 'failover'),
      describeRounds(rounds),
    ).toBe(false);
    // An expanded bomb would be gigabytes, an unbounded huge body megabytes per call; the probe kept
    // its heap within a generous margin of where it started.
    expect(heapPeak - heapBefore).toBeLessThan(256 * MiB);
    // No probe invocation threw, no simulator failed, no flow, nothing moved, nothing to alert about.
    expect(machineryFailures(sys)).toEqual([]);
    expect(startedExecutions(sys)).toHaveLength(0);
    expect(routeMoves(sys)).toHaveLength(0);
    expect(snsSubjects(sys)).toEqual([]);
    const report = await consistencyAfter(sys);
    expect(report.problems).toEqual([]);
    expect(report.owner).toBe('primary');
  }, 90_000);
});

/** Applies `fault` to fw-a for exactly one probe round, then undoes it and waits for the next round. */
async function oneRound(sys: SimSystem, fault: FaultPatch, undo: FaultPatch): Promise<string> {
  const since = sys.clock.now();
  sys.firewall(FW_A).setFaults(fault);
  const round = await waitForRound(sys, (r) => r.primary !== 'healthy', since, 60_000);
  sys.firewall(FW_A).setFaults(undo);
  await waitForRound(sys, (r) => r.at > round.at && r.primary === 'healthy', since, 60_000);
  return round.primary;
}

// Failure mode 27: secrets never appear in logs, metrics, notifications or error messages.
//
// One run through the deployed path (real SDK clients over HTTP, keys read from Secrets
// Manager) that exercises every place an error message is made: a refused key, hostile and
// broken answers, a replaced certificate, a dead API, a failover with the standby's boot
// (connection resets, 403 while its auth daemon is down), a trigger with bad input, and a
// manual probe. Then everything the run left behind is searched for both API keys.
describe('security: secrets stay secret', () => {
  it('scenario 27: the API keys never appear in logs, metrics, notifications, execution outputs/errors or the event log', async () => {
    system = await startSystem({ speed: 30, transport: 'wire' });
    const sys = system;
    const pair = sys.pair();
    const metrics = captureMetrics(sys);
    const keys = (['primary', 'secondary'] as const).map((role) => {
      const ref = pair.firewalls[role].apiKey;
      if (!('ssmParameter' in ref)) throw new Error('the example keeps its keys in Parameter Store');
      return sys.world.parameters.getParameter({ Name: ref.ssmParameter, WithDecryption: true }).value;
    });
    for (const key of keys) expect(leakForms(key).length).toBeGreaterThan(0);

    await waitForSteadyState(sys);
    const statuses = [
      await oneRound(sys, { authFails: true }, { authFails: false }),
      await oneRound(sys, { malformed: 'html' }, { malformed: undefined }),
      await oneRound(sys, { malformed: 'truncated' }, { malformed: undefined }),
      await oneRound(sys, { certificateChanged: true }, { certificateChanged: false }),
    ];
    expect(statuses).toEqual(['auth-error', 'unreachable', 'unreachable', 'untrusted']);

    // A trigger with wrong input fails with a validation error (its message is evidence too).
    const rejected = await sys.runFlow({
      pair: 'no-such-pair',
      action: 'failover',
      reason: 'typo',
      source: 'manual',
      extra: true,
    });
    expect(rejected.status).toBe('FAILED');

    // The API dies: failover onto fw-b through its whole boot.
    sys.firewall(FW_A).setFaults({ dead: true });
    await waitForOwner(sys, 'secondary');
    const summary = await sys.invokeProbe();
    expect(summary.pairs[0]?.owner).toBe('secondary');
    metrics.stop();

    // The run did take the paths whose messages are searched.
    expect(sys.firewall(FW_B).refusedConnections()).toBeGreaterThan(0);
    expect(snsSubjects(sys)).toContain('[pan-failover] hq-egress: ALERT active-auth-error');
    expect(snsSubjects(sys).some((s) => s.startsWith('[pan-failover] hq-egress FAILOVER succeeded'))).toBe(
      true,
    );
    expect(probeRounds(sys).some((r) => r.primary === 'unreachable' && r.code === 'active-failed')).toBe(
      true,
    );
    expect(metrics.published.length).toBeGreaterThan(0);
    expect(sys.aws?.requestCounts()['ssm:GetParameter']).toBeGreaterThan(0);

    const evidence = collectEvidence(sys, metrics, { summary, rejected });
    // The search itself finds a key wherever it is, as is or URL-encoded.
    expect(
      findLeaks(
        { control: JSON.stringify({ error: `403 for key=${encodeURIComponent(keys[0] ?? '')}` }) },
        keys[0] ?? '',
      ),
    ).not.toEqual([]);
    for (const text of Object.values(evidence)) expect(text.length).toBeGreaterThan(2);
    expect(evidence.sfnRecords).toContain('InputInvalidError');
    for (const [i, key] of keys.entries()) {
      expect(findLeaks(evidence, key), `key of ${i === 0 ? FW_A : FW_B}`).toEqual([]);
    }
    expect(machineryFailures(sys)).toEqual([]);
  }, 90_000);
});
