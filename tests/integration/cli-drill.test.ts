/**
 * `pan-failover drill`, called as a function against a `wire` simulator: `--local` runs the
 * state machine's drill in this process, `--wait` follows a deployed execution (the simulator's
 * Step Functions); the verdict and exit code follow the drill's outcome, `status` then shows the
 * last drill and the expected RTO; a paused pair refuses a person's drill without `--force`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flowCommand } from '#cli/commands/flow.js';
import { pauseCommand } from '#cli/commands/pause.js';
import { statusCommand } from '#cli/commands/status.js';
import { reportCommand } from '#cli/commands/report.js';
import { join } from 'node:path';
import { captureOutput, changesSince, lastSeq, startCliSim, type CliSim } from '../support/cli-sim.js';
import { makeConfig } from '../support/config.js';

const PAIR = 'hq-egress';
/** A standby that boots in 20 simulated seconds, polled every 2 s (the CLI's clock is real time). */
const FAST = { refuseMs: 4_000, authDownMs: 4_000, readyMs: 14_000, negotiationMs: 3_000 };

let sim: CliSim | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await sim?.close();
  sim = undefined;
});

async function started(readyMs = FAST.readyMs, deadlineSeconds = 300): Promise<CliSim> {
  sim = await startCliSim({
    config: makeConfig({ readiness: { pollIntervalSeconds: 2, deadlineSeconds } }),
    firewalls: { 'fw-b': { profile: { timings: { ...FAST, readyMs } } } },
    worldTimings: { pendingMs: 4_000, stoppingMs: 5_000 },
  });
  return sim;
}

const fwB = (s: CliSim) => s.system.world.ec2.describeInstances({ ids: ['i-0a1b2c3d4e5f60002'] })[0]?.state;

describe('pan-failover drill', () => {
  it('--local: boots fw-b, checks it, stops it again; exit 0 with the boot time; status shows the last drill and the expected RTO', async () => {
    const s = await started();
    const before = lastSeq(s.system.world);
    const run = await captureOutput(() => flowCommand('drill', { config: s.configPath, pair: PAIR, local: true, reason: 'monthly drill' }));
    expect(run.stdout).toMatch(/running the drill flow for hq-egress locally as cli-hq-egress-drill-/);
    expect(run.stdout).toMatch(/\n\s+\+[\d.]+s\s+boot\s+done in/);
    expect(run.stdout).toMatch(/\nboot: [\d.]+ s from the start request to ready\n/);
    expect(run.stdout).toMatch(/\nstandby: stopped again\n/);
    expect(run.stdout).toMatch(/\nDRILL SUCCEEDED: fw-b ready after \d+s; \d+ checks, none failed \(exit 0\)\n/);
    expect(run.result).toBe(0);
    expect(['stopping', 'stopped']).toContain(fwB(s));
    // Only fw-b's start and stop, the lock and the drill record changed: no route, EIP or record.
    const changed = changesSince(s.system.world, before).map((e) => e.type);
    expect(changed.filter((t) => !t.startsWith('dynamodb.') && t !== 'ec2.instance.state')).toEqual([]);
    expect(s.system.world.sns.messages().map((m) => m.subject)).toEqual([expect.stringMatching(/^\[pan-failover\] hq-egress DRILL succeeded: fw-b ready after/)]);

    const status = await captureOutput(() => statusCommand({ config: s.configPath, pair: PAIR }));
    expect(status.stdout).toMatch(/\nlast drill: \S+Z succeeded, boot \d+ s: fw-b ready after/);
    expect(status.stdout).toMatch(/\nexpected RTO: \d+ s \(detection 30 s \+ boot \d+ s, median of the last 1 drill\(s\)\)\n/);
    const json = await captureOutput(() => statusCommand({ config: s.configPath, pair: PAIR, json: true }));
    const pair = (JSON.parse(json.stdout) as { result: { pairs: { lastDrill: { outcome: string; bootSeconds: number }; expectedRto: { boots: number } }[] } }).result.pairs[0];
    expect(pair?.lastDrill.outcome).toBe('succeeded');
    expect(pair?.expectedRto.boots).toBe(1);
  });

  it('--wait on the deployed state machine: a standby that never becomes ready fails the drill, exit 2, with the reason; left stopped', async () => {
    const s = await started(3_600_000, 60);
    const run = await captureOutput(() => flowCommand('drill', { config: s.configPath, pair: PAIR, stateMachineArn: s.system.stateMachineArn, wait: true }));
    expect(run.stdout).toMatch(/^started arn:aws:states:\S+:execution:pan-failover-sim:cli-hq-egress-drill-/);
    expect(run.stdout).toMatch(/\nDRILL FAILED: fw-b not ready within 60s \(last: [^)]+\); fw-b stopped again \(exit 2\)\n/);
    expect(run.result).toBe(2);
    expect(['stopping', 'stopped']).toContain(fwB(s));
    const [execution] = s.system.world.sfn.listExecutions(s.system.stateMachineArn);
    expect(execution?.status).toBe('FAILED');
    // The HTML report renders a drill too: its phases and the drill's own notes.
    const report = await captureOutput(() => reportCommand({ config: s.configPath, execution: execution?.executionArn, out: join(s.dir, 'drill.html'), json: true }));
    const model = (JSON.parse(report.stdout) as { result: { kind: string; action: string; outcome: string; notes: string[]; phases: { id: string }[] } }).result;
    expect(model).toMatchObject({ kind: 'drill', action: 'drill', outcome: 'failed' });
    expect(model.phases.map((p) => p.id)).toEqual(expect.arrayContaining(['lock', 'recheck', 'start', 'boot', 'stop']));
    expect(model.notes).toContainEqual(expect.stringMatching(/^drill: failed: fw-b not ready within 60s/));
  });

  it("a paused pair: a person's drill is refused (exit 1, nothing started) unless --force overrides the pause", async () => {
    const s = await started();
    expect((await captureOutput(() => pauseCommand({ config: s.configPath, pair: PAIR, for: '1h', reason: 'PAN-OS upgrade of fw-b', by: 'alice' }))).result).toBe(0);
    const before = lastSeq(s.system.world);
    const refused = await captureOutput(() => flowCommand('drill', { config: s.configPath, pair: PAIR, local: true }));
    expect(refused.result).toBe(1);
    expect(refused.stderr).toMatch(/^refused: hq-egress is PAUSED until \S+ \(\S+ left\) by alice: PAN-OS upgrade of fw-b\.\nTo run the drill anyway: pan-failover drill -p hq-egress --force/);
    expect(changesSince(s.system.world, before)).toEqual([]);
    const forced = await captureOutput(() => flowCommand('drill', { config: s.configPath, pair: PAIR, local: true, force: true }));
    expect(forced.stdout).toMatch(/--force: overriding the pause/);
    expect(forced.result).toBe(0);
    const [notice] = s.system.world.sns.messages().filter((m) => m.subject?.includes('DRILL'));
    expect(notice?.message).toContain('PAUSE OVERRIDDEN');
  });

  it('a drill has no dry run: refused as bad input, nothing changed', async () => {
    const s = await started();
    const before = lastSeq(s.system.world);
    // The flow input a drill accepts: no dryRun (the CLI has no --dry-run for drill).
    await expect(flowCommand('drill', { config: s.configPath, pair: PAIR, local: true, dryRun: true })).rejects.toThrow(/dryRun: a drill has no dry run/);
    expect(changesSince(s.system.world, before)).toEqual([]);
  });
});
