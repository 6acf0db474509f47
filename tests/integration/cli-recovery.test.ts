/**
 * Recovering an interrupted `--local` run. A laptop closed in the middle of a cutover leaves
 * what these tests set up: the pair's lock held by the dead run (a CLI holder, lease still
 * running), some routes already on the standby, the standby running, and an owner record of
 * the old side or none (a fresh table). The refusal and `status` say who holds the lock, until
 * when, and the one command to run if that holder is dead; the tests run exactly that command,
 * and the pair ends consistent on the standby.
 *
 * Two ways to interrupt: the state a killed run leaves, set up directly (every detail known, so
 * the messages can be checked word for word); and a real `pan-failover failover --local` process
 * (the prebuilt CLI) killed with SIGKILL after its first route move, then recovered with exactly
 * the command that `status` names.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '#sim/scenario/run.js';
import { runCli } from '#cli/program.js';
import { EXIT } from '#cli/exit.js';
import { SIM_TABLE } from '#sim/scenario/topology-from-config.js';
import { captureOutput, changesSince, lastSeq, startCliSim, type CliSim } from '../support/cli-sim.js';
import { makeConfig } from '../support/config.js';
import { truePlacement } from '../support/fake-firewalls.js';

const PAIR = 'hq-egress';
const DEAD = `cli-${PAIR}-failover-20261207T080000-abcdef`;

let sim: CliSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function cli(args: readonly string[]) {
  const { result, stdout, stderr } = await captureOutput(() => runCli(['node', 'pan-failover', ...args]));
  return { code: result, stdout, stderr };
}

/** What a `--local` failover killed after its first two route moves leaves behind. */
async function interruptedMidCutover(withOwnerRecord: boolean): Promise<CliSim> {
  // Warm standby: the killed run had already started it and seen it ready.
  const s = await startCliSim({ config: makeConfig({ standbyMode: 'warm' }) });
  process.env.PAN_FAILOVER_CONFIG_FILE = s.configPath;
  const world = s.system.world;
  const pair = s.system.pair();
  const now = Date.now();
  if (withOwnerRecord) {
    world.dynamodb.putItem({ TableName: SIM_TABLE, Item: { pk: { S: `pair#${PAIR}` }, sk: { S: 'owner' }, owner: { S: 'primary' }, since: { N: String(now - 86_400_000) }, changedBy: { S: 'bootstrap' }, reason: { S: 'first probe' } } });
  }
  world.dynamodb.putItem({ TableName: SIM_TABLE, Item: { pk: { S: `pair#${PAIR}` }, sk: { S: 'lock' }, holder: { S: DEAD }, acquiredAt: { N: String(now - 60_000) }, expiresAt: { N: String(now + 4 * 60_000) }, ttl: { N: String(Math.ceil((now + 86_400_000) / 1000)) } } });
  for (const r of pair.routes.slice(0, 2)) world.ec2.replaceRoute(r.routeTableId, r.destination, { networkInterfaceId: r.targets.secondary });
  expect(truePlacement(world, pair).owner).toBe('split');
  return s;
}

/** The backticked command of the advice line that contains `marker`, as argv. */
function advised(stdout: string, marker: string): string[] {
  const line = stdout.split('\n').find((l) => l.includes(marker) && l.includes('`'));
  const cmd = /`(pan-failover [^`]+)`/.exec(line ?? '')?.[1];
  expect(cmd, stdout).toBeDefined();
  return (cmd ?? '').split(' ').slice(1);
}

describe.each([
  ['with an owner record of the old side', true],
  ['without an owner record (fresh table)', false],
])('a --local failover interrupted mid-cutover, %s', (_, withRecord) => {
  it('the refusal names the holder, until when, and the command; that command completes the move', async () => {
    sim = await interruptedMidCutover(withRecord);
    const s = sim;

    // status of the split pair names the lock's holder and the command that converges it.
    const status = await cli(['status']);
    expect(status.code).toBe(EXIT.notDone);
    expect(status.stdout).toContain('NOT CONSISTENT');
    expect(status.stdout).toContain(`A run holds the pair's lock: ${DEAD}, until `);
    expect(advised(status.stdout, '--take-over')).toEqual(['failover', '-p', PAIR, '--local', '--force', '--take-over', DEAD]);

    // The same action again: refused by the lock, saying who, until when, and what to do.
    const again = await cli(['failover', '-p', PAIR, '--local', '--force']);
    expect(again.code, again.stdout).toBe(EXIT.notDone);
    expect(again.stdout).toMatch(new RegExp(`the pair's lock is held by ${DEAD} \\(a --local run of the CLI\\) until \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(in \\d+m \\d+s\\); nothing was changed`));
    const command = advised(again.stdout, 'If it is dead');
    expect(command).toEqual(['failover', '-p', PAIR, '--local', '--force', '--take-over', DEAD]);
    expect(truePlacement(s.system.world, s.system.pair()).owner).toBe('split');

    // Exactly what it advised.
    const done = await cli(command);
    expect(done.code, done.stdout + done.stderr).toBe(EXIT.ok);
    expect(done.stdout).toContain('DONE: fw-b is active (exit 0)');
    expect(truePlacement(s.system.world, s.system.pair()).owner).toBe('secondary');
    const after = await cli(['status']);
    expect(after.code, after.stdout).toBe(EXIT.ok);
    expect(after.stdout).toContain('AWS points at fw-b; recorded owner fw-b');
    expect(after.stdout).toMatch(/; lock free\n/);
  }, 120_000);
});

/**
 * Starts `pan-failover failover --local --force` in its own process against the simulator and
 * SIGKILLs it right after its first route move (each ReplaceRoute takes about a second: a
 * latency fault), so it dies in the middle of the cutover, holding the lock.
 */
async function killedMidCutover(s: CliSim): Promise<{ moved: number; output: string }> {
  const world = s.system.world;
  world.faults.set({ latency: { 'ec2:ReplaceRoute': { fixedMs: 30_000 } } });
  const before = lastSeq(world);
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'pan-failover.js'), 'failover', '-p', PAIR, '--local', '--force', '--yes', '-c', s.configPath], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const deadline = Date.now() + 90_000;
  while (!changesSince(world, before).some((e) => e.type === 'ec2.route.replaced')) {
    if (child.exitCode !== null) throw new Error(`the failover ended before its first route move: ${output}`);
    if (Date.now() > deadline) throw new Error(`no route move within 90 s: ${output}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  world.faults.set({});
  return { moved: changesSince(world, before).filter((e) => e.type === 'ec2.route.replaced').length, output };
}

describe.each([
  ['with an owner record of the old side', true],
  ['without an owner record (fresh table)', false],
])('a real --local failover process killed mid-cutover, %s', (_, withRecord) => {
  it('status names the dead holder and one command; running exactly that command ends consistent on the standby', async () => {
    // One move at a time (each about a second), so the kill lands between two of them.
    sim = await startCliSim({ config: makeConfig({ standbyMode: 'warm', cutover: { concurrency: 1 } }) });
    const s = sim;
    process.env.PAN_FAILOVER_CONFIG_FILE = s.configPath;
    const pair = s.system.pair();
    if (withRecord) {
      s.system.world.dynamodb.putItem({ TableName: SIM_TABLE, Item: { pk: { S: `pair#${PAIR}` }, sk: { S: 'owner' }, owner: { S: 'primary' }, since: { N: String(Date.now() - 86_400_000) }, changedBy: { S: 'bootstrap' }, reason: { S: 'first probe' } } });
    }
    const { moved, output } = await killedMidCutover(s);
    expect(moved, output).toBeGreaterThanOrEqual(1);
    expect(moved, output).toBeLessThan(pair.routes.length);
    expect(truePlacement(s.system.world, pair).owner).toBe('split');

    const status = await cli(['status']);
    expect(status.code).toBe(EXIT.notDone);
    expect(status.stdout).toContain('NOT CONSISTENT');
    expect(status.stdout).toMatch(/A run holds the pair's lock: cli-hq-egress-failover-\S+, until /);
    const command = advised(status.stdout, '--take-over');
    expect(command.slice(0, 6)).toEqual(['failover', '-p', PAIR, '--local', '--force', '--take-over']);

    const done = await cli(command);
    expect(done.code, done.stdout + done.stderr).toBe(EXIT.ok);
    expect(done.stdout).toContain('DONE: fw-b is active (exit 0)');
    expect(truePlacement(s.system.world, pair).owner).toBe('secondary');
    const after = await cli(['status']);
    expect(after.code, after.stdout).toBe(EXIT.ok);
    expect(after.stdout).toContain('AWS points at fw-b; recorded owner fw-b');
    expect(after.stdout).toMatch(/; lock free\n/);
  }, 180_000);
});
