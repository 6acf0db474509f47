/**
 * `pan-failover report` of real flows on the wire simulator, read back through the SDK clients
 * as from AWS: a failover the health probe started (the failed rounds behind its decision are on
 * the page, the same rounds the probe logged), and a failover whose cutover Lambda died on every
 * attempt and that Abort finished (what the dead attempts moved and what Abort moved are on the
 * page, though no attempt returned its state).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reportCommand } from '#cli/commands/report.js';
import type { ReportModel } from '#cli/report/model.js';
import type { FlowState } from '#shared/usecases/flow/state.js';
import { MIN_DECIDING_GAP } from '#shared/usecases/probe.js';
import { captureOutput, startCliSim, type CliSim } from '../support/cli-sim.js';
import { FAST_BOOT, FAST_WORLD, orchConfig } from './support/orch-system.js';

const OUT = resolve('reports', 'test');
let sim: CliSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: Parameters<typeof startCliSim>[0] = {}): Promise<CliSim> {
  sim = await startCliSim({
    config: orchConfig({ cutover: { concurrency: 1 } }),
    firewalls: { 'fw-a': { profile: { timings: FAST_BOOT } }, 'fw-b': { profile: { timings: FAST_BOOT } } },
    worldTimings: FAST_WORLD,
    ...options,
  });
  return sim;
}

/** The report of one execution through the CLI command, its JSON envelope and its page. */
async function report(s: CliSim, arn: string, name: string): Promise<{ model: ReportModel; html: string }> {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `${name}.html`);
  const { stdout, stderr } = await captureOutput(() => reportCommand({ config: s.configPath, execution: arn, out: file, json: true }));
  const envelope = JSON.parse(stdout || '{}') as { result?: ReportModel & { file: string } };
  if (!envelope.result) throw new Error(`no report: ${stdout} ${stderr}`);
  return { model: envelope.result, html: readFileSync(file, 'utf8') };
}

/** An attribute's values on the page, in order. */
function attrs(html: string, element: string, attr: string): string[] {
  return [...html.matchAll(new RegExp(`<${element}[^>]*\\s${attr}="([^"]*)"`, 'g'))].map((m) => m[1] ?? '');
}

describe('report of a real flow', () => {
  it('a failover the probe started shows the failed rounds behind the decision: as many, at the same times, as the probe logged', async () => {
    const s = await start();
    const pair = s.system.pair();
    s.system.firewall('fw-a').setFaults({ dead: true });
    // EventBridge's schedule, by hand: one invocation a minute until the probe starts a flow.
    const flows = () => s.system.world.sfn.listExecutions(s.system.stateMachineArn);
    for (let i = 0; i < 5 && flows().length === 0; i++) await s.system.invokeProbe();
    const started = flows();
    expect(started).toHaveLength(1);
    const x = started[0]!;
    const record = await s.system.waitExecution(x.executionArn);
    expect(record.status).toBe('SUCCEEDED');

    // What the probe logged for each round up to the one that decided (CloudWatch Logs' `probe round`).
    const logged = s.system.logs.filter((l) => l.fn === 'health-probe' && l.message === 'probe round').map((l) => l.fields as { code: string; action: string; roundAt: string });
    // A round that ran too soon after the last deciding one (a late round on a busy machine) only
    // observes: it is logged, not counted (MIN_DECIDING_GAP in shared/usecases/probe.ts).
    const deciding: typeof logged = [];
    for (const l of logged) {
      const last = deciding.at(-1);
      if (!last || Date.parse(l.roundAt) - Date.parse(last.roundAt) >= pair.probe.intervalSeconds * 1000 * MIN_DECIDING_GAP) deciding.push(l);
    }
    const decided = deciding.findIndex((l) => l.action === 'failover');
    const failing = deciding.slice(0, decided + 1).filter((l) => l.code === 'active-failing' || l.code === 'active-failed');
    expect(failing.map((l) => l.action)).toEqual([...Array<string>(pair.probe.failuresBeforeFailover - 1).fill('none'), 'failover']);
    const times = failing.map((l) => Date.parse(l.roundAt));

    const { model, html } = await report(s, x.executionArn, 'probe-flow');
    expect(model.trigger.source).toBe('probe');
    expect(model.trigger.rounds.map((r) => r.at)).toEqual(times);
    expect(model.trigger.rounds.map((r) => [r.primary, r.action])).toEqual(times.map((_, i) => ['unreachable', i === times.length - 1 ? 'failover' : 'none']));
    expect(model.trigger.rounds.every((r) => /API (unreachable|timeout)/.test(r.failed ?? ''))).toBe(true);
    expect(model.trigger.roundsNote).toMatch(/carried in the flow's input/);
    // The page shows the same rounds, one row each, at the same times.
    expect(attrs(html, 'tr', 'data-at').map(Number)).toEqual(times);
    expect(html).toContain('<th>What failed</th>');
  }, 120_000);

  it('a manual failover says plainly that its trigger carried no rounds', async () => {
    const s = await start();
    s.system.firewall('fw-a').setFaults({ dead: true });
    const arn = s.system.startFlow({ pair: 'hq-egress', action: 'failover', from: 'primary', reason: 'fw-a is dead', requestedBy: 'ops' }, 'manual-no-rounds');
    await s.system.waitExecution(arn);
    const { model, html } = await report(s, arn, 'manual-flow');
    expect(model.trigger.rounds).toEqual([]);
    expect(model.trigger.roundsNote).toBe('Started by a person: the trigger carried no probe rounds.');
    expect(attrs(html, 'tr', 'data-round')).toEqual([]);
    expect(html).toContain('Started by a person: the trigger carried no probe rounds.');
  }, 120_000);

  it('every cutover attempt dies after one move and Abort finishes: the report lists what each moved, every object once', async () => {
    const s = await start({ crash: { step: 'cutover', afterMutations: 1, times: 3 } });
    const pair = s.system.pair();
    s.system.firewall('fw-a').setFaults({ dead: true });
    const arn = s.system.startFlow({ pair: 'hq-egress', action: 'failover', from: 'primary', reason: 'fw-a management plane dead' }, 'failover-crash-always');
    const record = await s.system.waitExecution(arn);
    expect(record.status).toBe('FAILED');
    const out = JSON.parse(record.output ?? 'null') as FlowState | null;
    // No cutover attempt returned its state: without Abort's record the flow would not know what moved.
    expect(out?.cutover).toBeUndefined();

    const { model, html } = await report(s, arn, 'crash-abort');
    expect(model.outcome).toBe('failed');
    const objects = pair.routes.length + pair.elasticIps.length;
    const moves = model.moves.filter((m) => m.kind !== 'dns');
    // Three dead attempts moved one object each, Abort the rest; each object once, onto fw-b.
    expect(moves.filter((m) => m.by === 'cutover (an attempt that did not return)')).toHaveLength(3);
    expect(moves.filter((m) => m.by === 'abort')).toHaveLength(objects - 3);
    expect(new Set(moves.map((m) => m.key)).size).toBe(objects);
    expect(moves.every((m) => m.from === 'primary' && m.to === 'secondary')).toBe(true);
    // The world's own record of what was moved agrees.
    const worldMoves = s.system.world.events.list().filter((e) => /^ec2\.(route|eip)/.test(e.type));
    expect(worldMoves).toHaveLength(objects);
    // On the page: one row per move, with the step that made it; the final state shows fw-b.
    expect(attrs(html, 'tr', 'data-move').filter((k) => !k.startsWith('dns:')).sort()).toEqual(moves.map((m) => m.key).sort());
    expect(attrs(html, 'tr', 'data-by').filter((b) => b !== 'dns').sort()).toEqual(moves.map((m) => m.by).sort());
    expect(Object.entries(model.after.objects).filter(([k]) => !k.startsWith('dns:')).every(([, o]) => o.side === 'secondary')).toBe(true);
    expect(model.verdict.status).toBe('consistent');
  }, 120_000);

  it('the cutover Lambda dies once after two moves and the retry does the rest: the report lists all of them, not only the retry\'s', async () => {
    const s = await start({ crash: { step: 'cutover', afterMutations: 2 } });
    const pair = s.system.pair();
    s.system.firewall('fw-a').setFaults({ dead: true });
    const arn = s.system.startFlow({ pair: 'hq-egress', action: 'failover', from: 'primary', reason: 'fw-a management plane dead' }, 'failover-crash-once');
    expect((await s.system.waitExecution(arn)).status).toBe('SUCCEEDED');
    const { model } = await report(s, arn, 'crash-once');
    const objects = pair.routes.length + pair.elasticIps.length;
    const moves = model.moves.filter((m) => m.kind !== 'dns');
    expect(moves.filter((m) => m.by === 'cutover (an attempt that did not return)')).toHaveLength(2);
    expect(moves.filter((m) => m.by === 'cutover')).toHaveLength(objects - 2);
    expect(new Set(moves.map((m) => m.key)).size).toBe(objects);
    expect(moves.every((m) => m.from === 'primary' && m.to === 'secondary')).toBe(true);
  }, 120_000);
});
