/**
 * The CLI's exit-code contract (cli/exit.ts), command by command, through the same entry point
 * as `bin/pan-failover.js` (runCli), against a `wire` simulator: 0 healthy/consistent/done,
 * 1 degraded/not consistent/not done, 2 failed, 3 could not check, 64 usage or configuration.
 * Every expected error is one line on stderr, without a stack; `-v` adds it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '#cli/program.js';
import { EXIT } from '#cli/exit.js';
import { VERSION } from '#cli/version.js';
import { captureOutput, changesSince, lastSeq, startCliSim, type CliSim } from '../support/cli-sim.js';

const EXAMPLE = new URL('../../examples/hq-egress.yaml', import.meta.url).pathname;
const PAIR = 'hq-egress';

let sim: CliSim | undefined;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
  await sim?.close();
  sim = undefined;
});

async function started(): Promise<CliSim> {
  sim = await startCliSim();
  return sim;
}

/** Runs `pan-failover ...args` in-process with `env` set for the run; output captured. */
async function cli(args: readonly string[], env: Record<string, string | undefined> = {}) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const t0 = Date.now();
  try {
    const { result, stdout, stderr } = await captureOutput(() => runCli(['node', 'pan-failover', ...args]));
    return { code: result, stdout, stderr, ms: Date.now() - t0 };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** One line, naming the problem, no stack frames. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

/** A TCP port where nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** No credentials anywhere: no keys, no profile files, no instance metadata. */
function noCredentials(): Record<string, string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'pan-failover-nocreds-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  };
}

describe('the program itself', () => {
  it('--help and --version: exit 0; the version is the package version', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toContain('Exit codes: 0 healthy');
    for (const c of ['status', 'probe', 'failover', 'failback', 'plan', 'repair', 'preflight', 'validate', 'rehearse', 'sim']) expect(help.stdout).toContain(`  ${c}`);
    const version = await cli(['--version']);
    expect(version.code).toBe(EXIT.ok);
    expect(version.stdout.trim()).toBe(VERSION);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unknown command, an unknown option, a missing required option: exit 64', async () => {
    expect((await cli(['statsu'])).code).toBe(EXIT.usage);
    expect((await cli(['status', '--bogus', '-c', EXAMPLE])).code).toBe(EXIT.usage);
    expect((await cli(['status'], { PAN_FAILOVER_CONFIG_FILE: undefined })).code).toBe(EXIT.usage);
    expect((await cli([])).code).toBe(EXIT.usage);
  });

  it('options are shown only where they apply', async () => {
    const plan = await cli(['plan', '--help']);
    expect(plan.stdout).not.toMatch(/--wait|--local|--dry-run|--topic-arn|--yes/);
    const repair = await cli(['repair', '--help']);
    // A repair has no confirmation; its --force only overrides a maintenance pause.
    expect(repair.stdout).not.toMatch(/--yes/);
    expect(repair.stdout).toMatch(/--force\s+repair even though the pair is paused/);
    const failover = await cli(['failover', '--help']);
    expect(failover.stdout).toMatch(/--force[\s\S]*--yes/);
    const preflight = await cli(['preflight', '--help']);
    // It reads the recorded owner (which firewall is active) from the table; it publishes nothing.
    expect(preflight.stdout).toMatch(/--table/);
    expect(preflight.stdout).not.toMatch(/--topic-arn/);
    expect(preflight.stdout).toMatch(/--profile/);
    const validate = await cli(['validate', '--help']);
    expect(validate.stdout).not.toMatch(/--region|--profile/);
  });
});

describe('validate', () => {
  it('FILE as an argument or -c: 0 valid; 64 broken, missing or not named, in one line', async () => {
    expect((await cli(['validate', EXAMPLE])).code).toBe(EXIT.ok);
    expect((await cli(['validate', '-c', EXAMPLE])).code).toBe(EXIT.ok);
    const missing = await cli(['validate', '/nonexistent/pan-failover.yaml']);
    expect(missing.code).toBe(EXIT.usage);
    expectOneLine(missing.stderr, /cannot read the file/);
    const none = await cli(['validate'], { PAN_FAILOVER_CONFIG_FILE: undefined });
    expect(none.code).toBe(EXIT.usage);
    expectOneLine(none.stderr, /no configuration file named/);
  });

  it('--json: the versioned envelope, the problems as data when invalid', async () => {
    const ok = await cli(['validate', EXAMPLE, '--json']);
    expect(JSON.parse(ok.stdout)).toMatchObject({ schemaVersion: 1, command: 'validate', exitCode: 0, result: { valid: true, pairs: [{ pair: PAIR, routes: 4 }] } });
    const dir = mkdtempSync(join(tmpdir(), 'pan-failover-v-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\npairs: []\n');
    const res = await cli(['validate', bad, '--json']);
    expect(res.code).toBe(EXIT.usage);
    const doc = JSON.parse(res.stdout) as { exitCode: number; result: { valid: boolean; issues: { path: string }[] } };
    expect(doc.exitCode).toBe(EXIT.usage);
    expect(doc.result.valid).toBe(false);
    expect(doc.result.issues.map((i) => i.path)).toContain('pairs');
  });
});

describe('status', () => {
  it('0 consistent, 1 not; 64 for an unknown pair (one line, no stack; -v adds it)', async () => {
    const s = await started();
    expect((await cli(['status', '-c', s.configPath])).code).toBe(EXIT.ok);
    const unknown = await cli(['status', '-c', s.configPath, '-p', 'nope']);
    expect(unknown.code).toBe(EXIT.usage);
    expectOneLine(unknown.stderr, /unknown pair "nope"; the configuration has hq-egress/);
    const verbose = await cli(['status', '-c', s.configPath, '-p', 'nope', '-v']);
    expect(verbose.code).toBe(EXIT.usage);
    expect(verbose.stderr).toMatch(/\n\s+at /);
    const r = s.system.pair().routes[0]!;
    s.system.world.ec2.replaceRoute(r.routeTableId, r.destination, { networkInterfaceId: r.targets.secondary });
    const split = await cli(['status', '-c', s.configPath, '--json']);
    expect(split.code).toBe(EXIT.notDone);
    expect(JSON.parse(split.stdout)).toMatchObject({ schemaVersion: 1, command: 'status', exitCode: 1 });
  });

  it('a table that does not exist: 64, naming --stage', async () => {
    const s = await started();
    const res = await cli(['status', '-c', s.configPath, '--table', 'pan-failover-nope-state']);
    expect(res.code).toBe(EXIT.usage);
    expectOneLine(res.stderr, /--stage/);
  });

  it('--stage names the deployment\'s table; a bad stage is 64', async () => {
    const s = await started();
    const res = await cli(['status', '-c', s.configPath, '--stage', 'prod']);
    // The simulator's table is not prod's: the error names the table the stage gave.
    expect(res.code).toBe(EXIT.usage);
    expect(res.stderr).toContain('pan-failover-prod-state');
    expect((await cli(['status', '-c', s.configPath, '--stage', 'Prod!'])).code).toBe(EXIT.usage);
  });
});

describe('probe', () => {
  it('0 healthy, 1 degraded (tunnel down), 2 failed (active dead)', async () => {
    const s = await started();
    expect((await cli(['probe', '-c', s.configPath])).code).toBe(EXIT.ok);
    s.system.firewall('fw-a').setFaults({ tunnelPeerDown: s.system.pair().tunnels.map((t) => t.name) });
    const degraded = await cli(['probe', '-c', s.configPath]);
    expect(degraded.code, degraded.stdout).toBe(EXIT.notDone);
    s.system.firewall('fw-a').setFaults({ dead: true });
    expect((await cli(['probe', '-c', s.configPath])).code).toBe(EXIT.failed);
    expect((await cli(['probe', '-c', s.configPath, '-p', 'nope'])).code).toBe(EXIT.usage);
  });
});

describe('could not check: AWS unreachable, no credentials (exit 3, fast, one line)', () => {
  const commands = (config: string): [string, string[]][] => [
    ['status', ['status', '-c', config]],
    ['probe', ['probe', '-c', config]],
    ['preflight', ['preflight', '-c', config]],
    ['plan', ['plan', '-p', PAIR, '-c', config]],
    ['failover --local', ['failover', '-p', PAIR, '--local', '-c', config]],
    ['failback --local', ['failback', '-p', PAIR, '--local', '-c', config]],
    ['repair --local', ['repair', '-p', PAIR, '--local', '-c', config]],
    ['pause', ['pause', '-p', PAIR, '--for', '1h', '--reason', 'upgrade', '-c', config]],
    ['resume', ['resume', '-p', PAIR, '-c', config]],
    ['report', ['report', '--execution', 'arn:aws:states:eu-central-1:123456789012:execution:pan-failover-dev-failover:x', '-o', '/dev/null', '-c', config]],
  ];

  // One test per command: each fails on its own, and a slow one (preflight's Describe calls go
  // through the SDK's and the project's retries, about 20 s on a loaded CI machine) cannot eat
  // the others' time. The bound is a hang detector, not a speed target (that is the bench's).
  const NO_HANG_MS = 45_000;

  it.each(commands(EXAMPLE))('AWS unreachable: %s exits 3 with one line, no hang', async (name, args) => {
    const port = await closedPort();
    const res = await cli(args, { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', PAN_FAILOVER_TABLE: 'pan-failover-dev-state' });
    expect(res.code, `${name}: ${res.stdout}${res.stderr}`).toBe(EXIT.cannotCheck);
    expectOneLine(res.stderr, /AWS did not answer/);
    expect(res.ms, name).toBeLessThan(NO_HANG_MS);
  }, 90_000);

  it('no credentials', async () => {
    const s = await started();
    for (const [name, args] of commands(s.configPath)) {
      const res = await cli(args, noCredentials());
      expect(res.code, `${name}: ${res.stdout}${res.stderr}`).toBe(EXIT.cannotCheck);
      expectOneLine(res.stderr, /no usable AWS credentials/);
      expect(res.ms, name).toBeLessThan(NO_HANG_MS);
    }
    expect(changesSince(s.system.world, 0)).toEqual([]);
  }, 180_000);
});

describe('flows', () => {
  it('failover with neither --local nor a state machine: 64, saying what to pass', async () => {
    const s = await started();
    const res = await cli(['failover', '-p', PAIR, '-c', s.configPath]);
    expect(res.code).toBe(EXIT.usage);
    expectOneLine(res.stderr, /pass --stage STAGE .*or --local/);
  });

  it('--local failover away from a healthy firewall: exit 1 with the reason, nothing changed', async () => {
    const s = await started();
    const before = lastSeq(s.system.world);
    const res = await cli(['failover', '-p', PAIR, '--local', '-c', s.configPath]);
    expect(res.code, res.stdout).toBe(EXIT.notDone);
    expect(res.stdout).toMatch(/NOT DONE: re-checked: fw-a is healthy; no failover away from a healthy firewall .*\(exit 1\)/);
    expect(changesSince(s.system.world, before).filter((e) => !e.type.startsWith('dynamodb.'))).toEqual([]);
  });

  it('repair of a consistent pair: exit 0, nothing to do', async () => {
    const s = await started();
    // The first repair records the owner a fresh table lacks; the second finds nothing to do.
    const first = await cli(['repair', '-p', PAIR, '--local', '-c', s.configPath]);
    expect(first.code, first.stdout).toBe(EXIT.ok);
    expect(first.stdout).toContain('DONE: fw-a is active (exit 0)');
    const res = await cli(['repair', '-p', PAIR, '--local', '-c', s.configPath]);
    expect(res.code, res.stdout).toBe(EXIT.ok);
    expect(res.stdout).toContain('NOTHING TO DO');
  });

  it('--wait on a deployed execution that decides nothing must move: exit 1 with the reason', async () => {
    const s = await started();
    const res = await cli(['failover', '-p', PAIR, '--wait', '--state-machine-arn', s.system.stateMachineArn, '-c', s.configPath]);
    expect(res.code, res.stdout + res.stderr).toBe(EXIT.notDone);
    expect(res.stdout).toMatch(/started arn:aws:states:/);
    expect(res.stdout).toMatch(/recheck\s+started/);
    expect(res.stdout).toMatch(/NOT DONE: re-checked: fw-a is healthy; no failover away from a healthy firewall/);
  });
});

describe('dry runs never notify', () => {
  it('plan and failover --dry-run publish nothing, with the topic named, succeeded or failed', async () => {
    const s = await started();
    expect(process.env.PAN_FAILOVER_TOPIC_ARN).toBe(s.system.topicArn);
    s.system.firewall('fw-a').setFaults({ dead: true });
    const plan = await cli(['plan', '-p', PAIR, '-c', s.configPath]);
    expect(plan.code, plan.stdout).toBe(EXIT.ok);
    expect(plan.stdout).toContain('DRY RUN: 8 change(s) would be made');
    const dry = await cli(['failover', '-p', PAIR, '--dry-run', '-c', s.configPath, '--topic-arn', s.system.topicArn]);
    expect(dry.code).toBe(EXIT.ok);
    // A dry run that fails (the route tables cannot be read) is an error on the terminal only.
    s.system.world.faults.set({ errorRates: { 'ec2:DescribeRouteTables': { rate: 1, code: 'UnauthorizedOperation', message: 'You are not authorized' } } });
    const failed = await cli(['plan', '-p', PAIR, '-c', s.configPath]);
    expect(failed.code, failed.stdout).toBe(EXIT.failed);
    expect(failed.stdout).toMatch(/FAILED/);
    expect(s.system.world.sns.messages()).toEqual([]);
  });
});
