/**
 * `pan-failover pause` / `resume` and what a pause does to the other commands, called as
 * functions against a `wire` simulator: bad input gets a clear message and the usage exit code
 * (64) with nothing written; a pause shows in `status`; a person's flow is refused (exit 1)
 * unless `--force` overrides the pause; a pause while a flow holds the pair says so.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flowCommand } from '#cli/commands/flow.js';
import { pauseCommand, resumeCommand } from '#cli/commands/pause.js';
import { EXIT } from '#cli/exit.js';
import { runCli } from '#cli/program.js';
import { probeCommand } from '#cli/commands/probe.js';
import { statusCommand } from '#cli/commands/status.js';
import { captureOutput, changesSince, lastSeq, startCliSim, type CliSim } from '../support/cli-sim.js';
import { truePlacement } from '../support/fake-firewalls.js';
import { twoPairConfig } from '../support/two-pairs.js';
import { createDirectPorts } from '#sim/world/ports.js';
import { SIM_TABLE } from '#sim/scenario/topology-from-config.js';

const PAIR = 'hq-egress';

let sim: CliSim | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await sim?.close();
  sim = undefined;
});

async function started(options: Parameters<typeof startCliSim>[0] = {}): Promise<CliSim> {
  sim = await startCliSim(options);
  return sim;
}

describe('pause: bad input', () => {
  it('each mistake is named, exits 64, and nothing is written or sent', async () => {
    const s = await started();
    const config = s.configPath;
    const before = lastSeq(s.system.world);
    // Through the whole CLI, as a person types it: the one-line error and the exit code are main.ts's (cli/exit.ts).
    const cases: [string[], RegExp][] = [
      [['-p', PAIR, '--for', '0m', '--reason', 'r'], /--for "0m" is zero/],
      [['-p', PAIR, '--for', '-1h', '--reason', 'r'], /--for "-1h" is negative/],
      [['-p', PAIR, '--for', '25h', '--reason', 'r'], /--for "25h" is longer than the longest pause allowed, 1d/],
      [['-p', PAIR, '--for', '2', '--reason', 'r'], /--for "2" has no unit/],
      [['-p', 'hq-egres', '--for', '1h', '--reason', 'r'], /unknown pair "hq-egres" \(configured: hq-egress\)/],
      [['-p', PAIR, '--for', '1h'], /a reason is required/],
      [['-p', PAIR, '--for', '1h', '--reason', '   '], /a reason is required/],
      [['--for', '1h', '--reason', 'r'], /name the pair \(-p PAIR\) or use --all/],
      [['-p', PAIR, '--all', '--for', '1h', '--reason', 'r'], /either -p PAIR or --all, not both/],
    ];
    const cli = (args: string[]) => captureOutput(() => runCli(['node', 'pan-failover', ...args, '-c', config]));
    for (const [args, message] of cases) {
      const { result, stderr, stdout } = await cli(['pause', ...args]);
      expect(result, args.join(' ')).toBe(EXIT.usage);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split('\n'), 'one line, no stack').toHaveLength(1);
      expect(stdout).toBe('');
    }
    const resume = await cli(['resume', '-p', 'nope']);
    expect(resume.result).toBe(EXIT.usage);
    expect(resume.stderr).toMatch(/unknown pair "nope"/);
    const json = await cli(['pause', '-p', PAIR, '--for', '0m', '--reason', 'r', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ schemaVersion: 1, command: 'pause', exitCode: EXIT.usage, error: { name: 'UsageError', message: expect.stringMatching(/--for "0m" is zero/) } });
    expect(changesSince(s.system.world, before)).toEqual([]);
    expect(s.system.world.sns.messages()).toEqual([]);
  });
});

describe('pause and resume', () => {
  it('pause: exit 0, status shows until when, by whom and why; a manual failover is refused with exit 1; resume gives automation back', async () => {
    const s = await started();
    const config = s.configPath;
    const paused = await captureOutput(() => pauseCommand({ config, pair: PAIR, for: '90m', reason: 'PAN-OS upgrade of fw-a', by: 'alice' }));
    expect(paused.result).toBe(0);
    expect(paused.stdout).toMatch(/^hq-egress: paused until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(1h30m\)\n$/);
    expect(s.system.world.sns.messages().map((m) => m.subject)).toEqual([expect.stringMatching(/^\[pan-failover\] hq-egress: PAUSED until \S+ by alice: PAN-OS upgrade of fw-a$/)]);

    const status = await captureOutput(() => statusCommand({ config }));
    expect(status.result).toBe(0);
    expect(status.stdout).toMatch(/\npause: PAUSED until \S+ \(1h29m\d*s? left|\npause: PAUSED until \S+ \(1h30m left/);
    expect(status.stdout).toContain('by alice: PAN-OS upgrade of fw-a');
    const probe = await captureOutput(() => probeCommand({ config }));
    expect(probe.result).toBe(0);
    expect(probe.stdout).toMatch(/\nPAUSED until \S+ by alice: PAN-OS upgrade of fw-a \(the controller starts no flow\)\n/);
    const json = await captureOutput(() => statusCommand({ config, json: true }));
    expect((JSON.parse(json.stdout) as { result: { pairs: { pause: unknown }[] } }).result.pairs[0]?.pause).toMatchObject({ by: 'alice', reason: 'PAN-OS upgrade of fw-a' });

    const before = lastSeq(s.system.world);
    const refused = await captureOutput(() => flowCommand('failover', { config, pair: PAIR, local: true, force: false }));
    expect(refused.result).toBe(1);
    expect(refused.stderr).toMatch(/refused: hq-egress is PAUSED until \S+ \(.+ left\) by alice: PAN-OS upgrade of fw-a\.\nTo run the failover anyway: pan-failover failover -p hq-egress --force/);
    expect(changesSince(s.system.world, before)).toEqual([]);
    // A dry run changes nothing: it runs, with a note.
    const plan = await captureOutput(() => flowCommand('failover', { config, pair: PAIR, local: true, dryRun: true, force: true }));
    expect(plan.result).toBe(0);
    expect(plan.stdout).toMatch(/^note: hq-egress is PAUSED until/);

    const resumed = await captureOutput(() => resumeCommand({ config, pair: PAIR, by: 'bob' }));
    expect(resumed.result).toBe(0);
    expect(resumed.stdout).toMatch(/^hq-egress: resumed \(the pause by alice would have ended \S+\); automation is back on\n$/);
    const after = await captureOutput(() => statusCommand({ config }));
    expect(after.stdout).toMatch(/\npause: not paused \(last pause by alice ended \S+, resumed by bob\)\n/);
    const again = await captureOutput(() => resumeCommand({ config, pair: PAIR, by: 'bob' }));
    expect(again.result).toBe(0);
    expect(again.stdout).toMatch(/nothing to resume/);
    expect(s.system.world.sns.messages().map((m) => m.subject).at(-1)).toBe('[pan-failover] hq-egress: RESUMED by bob; automatic failover is back on');
  });

  it('repair --force during a pause runs, and the flow records the override', async () => {
    const s = await started();
    const config = s.configPath;
    await captureOutput(() => pauseCommand({ config, pair: PAIR, reason: 'maintenance', by: 'alice' }));
    const r = s.system.pair().routes[0]!;
    s.system.world.ec2.replaceRoute(r.routeTableId, r.destination, { networkInterfaceId: r.targets.secondary });
    const refused = await captureOutput(() => flowCommand('reconcile', { config, pair: PAIR, local: true }));
    expect(refused.result).toBe(1);
    expect(refused.stderr).toMatch(/pan-failover repair -p hq-egress --force/);
    const forced = await captureOutput(() => flowCommand('reconcile', { config, pair: PAIR, local: true, force: true }));
    expect(forced.result).toBe(0);
    expect(forced.stdout).toMatch(/--force: overriding the pause/);
    expect(forced.stdout).toContain('validate');
    expect(forced.stdout).toMatch(/validate\s+\S+\s+paused: overridden/);
    expect(truePlacement(s.system.world, s.system.pair()).owner).toBe('primary');
  });

  it('--all pauses every pair, --json reports each; a pause while a flow holds the pair says the flow goes on', async () => {
    const s = await started({ config: twoPairConfig() });
    const config = s.configPath;
    const store = createDirectPorts(s.system.world, { tableName: SIM_TABLE, topicArn: s.system.topicArn, stateMachineArn: s.system.stateMachineArn }).store;
    // The CLI runs on the real clock (the simulator's is an hour behind): a lease from now.
    await store.acquire('branch-egress', 'branch-egress-failover-x-1', Date.now(), 600_000);
    const out = await captureOutput(() => pauseCommand({ config, all: true, for: '2h', reason: 'provider maintenance', by: 'alice', json: true }));
    expect(out.result).toBe(0);
    const outcomes = (JSON.parse(out.stdout) as { result: { pairs: { pair: string; outcome: string; flowRunning?: string; message: string }[] } }).result.pairs;
    expect(outcomes.map((o) => [o.pair, o.outcome])).toEqual([
      ['hq-egress', 'paused'],
      ['branch-egress', 'paused'],
    ]);
    expect(outcomes[1]?.flowRunning).toBe('branch-egress-failover-x-1');
    expect(outcomes[1]?.message).toMatch(/a flow is running \(branch-egress-failover-x-1\): the pause does not stop it/);
    expect((await store.get('branch-egress'))?.holder).toBe('branch-egress-failover-x-1');
    const resumed = await captureOutput(() => resumeCommand({ config, all: true, by: 'alice' }));
    expect(resumed.result).toBe(0);
    expect(resumed.stdout.split('\n').filter((l) => l.includes(': resumed'))).toHaveLength(2);
  });
});
