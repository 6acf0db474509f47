/**
 * The report's model and page without a browser or a simulator: the flow's change labels read
 * back as moves, the boot's PAN-OS stages from the readiness checks, times in two zones, the
 * configuration's time zone, and escaping of any value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootPhases, buildReport, flowStates, movesOf, type HistoryItem } from '#cli/report/build.js';
import { renderReport } from '#cli/report/render.js';
import { duration, utc, zoned } from '#cli/report/time.js';
import { validateConfig } from '#shared/config/load.js';
import { ConfigInvalidError } from '#shared/errors.js';
import { changeLabel, observePlacement, planCutover } from '#shared/domain/placement.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { exampleRaw, makeConfig, makePair } from '../support/config.js';

const T0 = Date.UTC(2026, 11, 7, 6, 0, 0);

/** Every managed object on the primary, as EC2 would describe it. */
function onPrimary(pair = makePair()) {
  const tables = [...new Set(pair.routes.map((r) => r.routeTableId))].map((id) => ({
    routeTableId: id,
    routes: pair.routes.filter((r) => r.routeTableId === id).map((r) => ({ destination: r.destination, networkInterfaceId: r.targets.primary, state: 'active' })),
  }));
  const addresses = pair.elasticIps.map((e) => ({ allocationId: e.allocationId, publicIp: e.publicIp, networkInterfaceId: e.primary.networkInterfaceId, privateIp: e.primary.privateIp }));
  return observePlacement(pair, tables as never, addresses as never);
}

function failoverState(reason = 'fw-a failed 3 consecutive rounds'): FlowState {
  const pair = makePair();
  const moved = planCutover(pair, onPrimary(pair), 'secondary').changes.map(changeLabel);
  const phase = (s: number, e: number, outcome = 'ok') => ({ startedAt: T0 + s * 1000, endedAt: T0 + e * 1000, outcome });
  return {
    input: { pair: 'hq-egress', action: 'failover', reason, force: false, dryRun: false, source: 'probe', incidentId: `hq-egress@${new Date(T0 - 30_000).toISOString()}` },
    execution: 'hq-egress-failover-1',
    startedAt: T0,
    target: 'secondary',
    from: 'primary',
    phases: { validate: phase(0, 0), lock: phase(0, 1), recheck: phase(1, 3, 'proceed'), start: phase(3, 5), boot: phase(5, 400), cutover: phase(400, 404), fence: phase(404, 405), record: phase(405, 406), dns: phase(406, 407), verify: phase(407, 440), finish: phase(440, 440) },
    cutover: { moved, unchanged: 0, calls: moved.length, throttled: 0, verifyAttempts: 1, durationMs: 4000 },
    result: { outcome: 'succeeded', summary: 'fw-b is active' },
  };
}

function checkReady(at: number, detail: string): HistoryItem {
  return { at: T0 + at * 1000, type: 'TaskStateExited', name: 'CheckReady', output: JSON.stringify({ ...failoverState(), ready: { detail } }) };
}

describe('report model', () => {
  it('reads the cutover change labels back as moves from the primary to the secondary', () => {
    const { moves, unread } = movesOf(makePair(), failoverState());
    expect(unread).toEqual([]);
    expect(moves.map((m) => `${m.kind} ${m.key} ${m.from}->${m.to}`).sort()).toEqual([
      'eip eip:eipalloc-0e000000000000001 primary->secondary',
      'eip eip:eipalloc-0e000000000000002 primary->secondary',
      'route route:rtb-0aa00000000000001:0.0.0.0/0 primary->secondary',
      'route route:rtb-0aa00000000000001:172.16.0.0/12 primary->secondary',
      'route route:rtb-0aa00000000000002:0.0.0.0/0 primary->secondary',
      'route route:rtb-0aa00000000000002:172.16.0.0/12 primary->secondary',
    ]);
  });

  it('a label it cannot read is kept as a note, not dropped', () => {
    const state = { ...failoverState(), cutover: { ...failoverState().cutover!, moved: ['something else'] } } as FlowState;
    const model = buildReport({ kind: 'flow', config: makeConfig(), execution: { name: 'x', arn: undefined, status: 'SUCCEEDED', startedAt: T0, endedAt: T0 + 1, input: state.input, output: state, error: undefined, cause: undefined }, history: [], generatedAt: T0 });
    expect(model.moves).toEqual([]);
    expect(model.notes).toContain('unrecognised change: something else');
  });

  it('boot stages only go forward; a timeout after the API answered counts on the stage it happened in', () => {
    const states = [
      checkReady(10, 'instance pending'),
      checkReady(20, 'API refused'),
      checkReady(30, 'API timeout'),
      checkReady(40, 'API auth (normal during boot)'),
      checkReady(50, 'chassis-ready: no'),
      checkReady(60, 'API timeout'),
      checkReady(70, 'chassis-ready: no'),
      checkReady(80, 'AutoCom job not finished'),
      checkReady(90, 'ready (PAN-OS 10.2.11-h12)'),
    ].map((h) => ({ at: h.at, state: 'CheckReady', flow: JSON.parse(h.output ?? '') as FlowState }));
    const bars = bootPhases(states, { startedAt: T0 + 5000, endedAt: T0 + 90_000 });
    expect(bars.map((b) => [b.label, (b.startedAt - T0) / 1000, ((b.endedAt ?? 0) - T0) / 1000, b.outcome])).toEqual([
      ['instance pending / starting', 5, 20, '1 check(s)'],
      ['management plane not answering', 20, 40, '2 check(s)'],
      ['API answers 403 (auth not up yet)', 40, 50, '1 check(s)'],
      ['API up, chassis-ready no', 50, 80, '3 check(s), 1 timed out or failed on the way'],
      ['chassis ready, AutoCom job running', 80, 90, '1 check(s)'],
    ]);
  });

  it('detection runs from the incident start (in the execution input) to the flow start', () => {
    const state = failoverState();
    const model = buildReport({ kind: 'flow', config: makeConfig(), execution: { name: 'x', arn: undefined, status: 'SUCCEEDED', startedAt: T0, endedAt: T0 + 440_000, input: state.input, output: state, error: undefined, cause: undefined }, history: [], generatedAt: T0 });
    expect(model.phases.map((p) => p.id)).toEqual(['detect', 'validate', 'lock', 'recheck', 'start', 'boot', 'cutover', 'fence', 'record', 'dns', 'verify', 'finish']);
    expect(model.phases[0]).toMatchObject({ startedAt: T0 - 30_000, endedAt: T0 });
    expect(Object.values(model.before.objects).filter((o) => o.side === 'primary')).toHaveLength(6);
    expect(Object.values(model.after.objects).every((o) => o.side === 'secondary')).toBe(true);
  });

  it('reads task outputs from TaskStateExited (Step Functions) or, without those, TaskSucceeded named by the state entered', () => {
    const out = JSON.stringify(failoverState());
    const aws: HistoryItem[] = [
      { at: T0, type: 'TaskStateEntered', name: 'CheckReady' },
      { at: T0 + 1, type: 'TaskSucceeded', output: out },
      { at: T0 + 2, type: 'TaskStateExited', name: 'CheckReady', output: out },
    ];
    expect(flowStates(aws).map((s) => [s.state, s.at - T0])).toEqual([['CheckReady', 2]]);
    const sim = aws.slice(0, 2);
    expect(flowStates(sim).map((s) => [s.state, s.at - T0])).toEqual([['CheckReady', 1]]);
  });
});

const run = (state: FlowState, status = 'SUCCEEDED') =>
  buildReport({ kind: 'flow', config: makeConfig(), execution: { name: 'x', arn: undefined, status, startedAt: T0, endedAt: T0 + 1, input: state.input, output: state, error: undefined, cause: undefined }, history: [], generatedAt: T0 });

describe('report model: why the flow started', () => {
  it('the probe rounds carried in the input are the rounds of the report, with what failed in each', () => {
    const rounds = [0, 1, 2].map((i) => ({
      at: T0 - 30_000 + i * 10_000,
      firewall: 'primary' as const,
      status: 'unreachable' as const,
      standby: 'stopped' as const,
      api: 'timeout' as const,
      apiError: 'PanOsTimeoutError: no answer in 5 s',
      ec2: 'running; checks system ok, instance ok',
      tunnelsDown: i === 2 ? ['tun-head-office'] : [],
      action: i === 2 ? ('failover' as const) : ('none' as const),
      reason: `fw-a failed ${i + 1} of 3 rounds`,
    }));
    const state = failoverState();
    const model = run({ ...state, input: { ...state.input, rounds } });
    expect(model.trigger.rounds).toEqual(
      rounds.map((r, i) => ({
        at: r.at,
        primary: 'unreachable',
        secondary: 'stopped',
        action: r.action,
        reason: r.reason,
        failed: `API timeout (PanOsTimeoutError: no answer in 5 s); EC2 running; checks system ok, instance ok${i === 2 ? '; tunnels down: tun-head-office' : ''}`,
      })),
    );
    const html = renderReport(model);
    expect(html.match(/<tr data-round=/g)).toHaveLength(3);
    expect(html).toContain('<th>What failed</th>');
  });

  it('an alarm\'s flow shows what the alarm said and says it carried no rounds; a person\'s says so too', () => {
    const state = failoverState();
    const alarm = run({ ...state, input: { ...state.input, source: 'alarm', reason: 'CloudWatch alarm pan-failover-prod-hq-egress-fw-a-status: Threshold Crossed: 2 datapoints' } });
    expect(alarm.trigger.rounds).toEqual([]);
    expect(alarm.trigger.roundsNote).toBe('Started by a CloudWatch alarm, which said: CloudWatch alarm pan-failover-prod-hq-egress-fw-a-status: Threshold Crossed: 2 datapoints. The trigger carried no probe rounds.');
    const manual = run({ ...state, input: { ...state.input, source: 'manual' } });
    expect(manual.trigger.roundsNote).toBe('Started by a person: the trigger carried no probe rounds.');
    expect(renderReport(manual)).toContain('Started by a person: the trigger carried no probe rounds.');
  });
});

describe('report model: what moved when a step died', () => {
  /** A failover whose cutover never returned, then Abort: what it found, what it moved. */
  function aborted(abort: NonNullable<FlowState['abort']>): FlowState {
    const { cutover: _cutover, result: _result, ...state } = failoverState();
    return { ...state, recheck: { mode: 'proceed', reason: 'failover', recordedOwner: 'primary', awsOwner: 'primary', statuses: { primary: 'unreachable', secondary: 'stopped' }, repairDns: false }, abort, result: { outcome: 'failed', summary: 'Lambda.Unknown in phase cutover' } };
  }
  const pair = makePair();
  const labels = planCutover(pair, onPrimary(pair), 'secondary').changes.map(changeLabel);
  const objects = [...pair.routes.map((r) => `route ${r.destination} in ${r.routeTableId}`), ...pair.elasticIps.map((e) => `EIP ${e.allocationId}${e.publicIp ? ` (${e.publicIp})` : ''}`)];

  it('forward: what the dead attempts had moved (Abort found it on the target) and what Abort moved, each object once', () => {
    // The dead attempts moved the first two objects; Abort moved the other four.
    const model = run(aborted({ found: objects.map((object, i) => ({ object, side: i < 2 ? 'secondary' : 'primary' })), moved: labels.slice(2), side: 'secondary' }), 'FAILED');
    expect(model.moves.map((m) => [m.by, m.from, m.to])).toEqual([
      ['cutover (an attempt that did not return)', 'primary', 'secondary'],
      ['cutover (an attempt that did not return)', 'primary', 'secondary'],
      ...labels.slice(2).map(() => ['abort', 'primary', 'secondary']),
    ]);
    expect(new Set(model.moves.map((m) => m.key)).size).toBe(6);
  });

  it('back: what the dead attempts had moved and what Abort moved back onto the origin, both listed', () => {
    const back = planCutover(pair, onPrimary(pair), 'secondary').changes.slice(0, 2).map((c) =>
      changeLabel(c.kind === 'route' ? { ...c, from: c.to, to: c.from ?? '' } : { ...c, fromEni: c.toEni, fromPrivateIp: c.toPrivateIp, toEni: c.fromEni ?? '', toPrivateIp: c.fromPrivateIp ?? '' }),
    );
    const model = run(aborted({ found: objects.map((object, i) => ({ object, side: i < 2 ? 'secondary' : 'primary' })), moved: back, side: 'primary' }), 'FAILED');
    expect(model.moves.map((m) => [m.key, m.by, m.from, m.to])).toEqual([
      [model.moves[0]?.key, 'cutover (an attempt that did not return)', 'primary', 'secondary'],
      [model.moves[1]?.key, 'cutover (an attempt that did not return)', 'primary', 'secondary'],
      [model.moves[0]?.key, 'abort', 'secondary', 'primary'],
      [model.moves[1]?.key, 'abort', 'secondary', 'primary'],
    ]);
    // The derived end state is where the last move put each object: back on the primary.
    expect(new Set(Object.entries(model.after.objects).filter(([k]) => !k.startsWith('dns:')).map(([, o]) => o.side))).toEqual(new Set(['primary']));
    const html = renderReport(model);
    expect(html.match(/abort \(moved back\)/g)).toHaveLength(2);
  });

  it('a retried cutover lists the moves of the attempt that died, not only the retry\'s', () => {
    const state = failoverState();
    const model = run({ ...state, recheck: { mode: 'proceed', reason: 'failover', recordedOwner: 'primary', awsOwner: 'primary', statuses: { primary: 'unreachable', secondary: 'stopped' }, repairDns: false }, cutover: { ...state.cutover!, moved: labels.slice(1), unchanged: 1 } });
    expect(model.moves.map((m) => m.by)).toEqual(['cutover (an attempt that did not return)', ...labels.slice(1).map(() => 'cutover')]);
  });
});

describe('times', () => {
  it('UTC and the configured zone side by side; durations for people', () => {
    expect(utc(T0)).toBe('2026-12-07 06:00:00 UTC');
    expect(zoned(T0, 'Asia/Tokyo')).toBe('2026-12-07 15:00:00 GMT+9 (Asia/Tokyo)');
    expect(zoned(T0, undefined)).toBeUndefined();
    expect(zoned(T0, 'UTC')).toBeUndefined();
    expect([duration(120), duration(3200), duration(388_000), duration(undefined)]).toEqual(['120 ms', '3.2 s', '6m 28s', 'not ended']);
  });

  it('report.timeZone must be a zone the runtime knows', () => {
    const ok = { ...exampleRaw(), report: { timeZone: 'Asia/Tokyo' } };
    expect(validateConfig(ok).report?.timeZone).toBe('Asia/Tokyo');
    const bad = { ...exampleRaw(), report: { timeZone: 'Mars/Olympus_Mons' } };
    expect(() => validateConfig(bad)).toThrow(ConfigInvalidError);
    expect(() => validateConfig(bad)).toThrow(/report\.timeZone.*IANA time zone/);
  });
});

describe('escaping', () => {
  it('no value can add markup: the page has as many "<" whatever the reason says', () => {
    const page = (reason: string) => {
      const state = failoverState(reason);
      return renderReport(
        buildReport({ kind: 'flow', config: makeConfig(), execution: { name: 'x', arn: undefined, status: 'SUCCEEDED', startedAt: T0, endedAt: T0 + 1, input: state.input, output: state, error: undefined, cause: undefined }, history: [], generatedAt: T0 }),
      );
    };
    const tags = (html: string) => html.split('<').length;
    const base = tags(page('x'));
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 60 }), (reason) => {
        expect(tags(page(reason))).toBe(base);
      }),
      { numRuns: 40 },
    );
    expect(page('<script>alert(1)</script>')).toContain('&lt;script>alert(1)&lt;/script>');
  });
});
