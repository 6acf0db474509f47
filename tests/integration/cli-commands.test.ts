/**
 * The operators' CLI commands, called as functions (not spawned) against a `wire` SimSystem:
 * real SDK clients over HTTP to the simulated AWS, real HTTPS to the simulated firewalls, with
 * the environment `pan-failover sim` prints. What a person sees (stdout, exit code) and what
 * each command changes, or must not change, in the world.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { CLI_LOCK_LEASE_MS, flowCommand, registerFlowCommands } from '#cli/commands/flow.js';
import { preflightCommand } from '#cli/commands/preflight.js';
import { probeCommand } from '#cli/commands/probe.js';
import { statusCommand } from '#cli/commands/status.js';
import { validateCommand } from '#cli/commands/validate.js';
import { loadConfigFile } from '#shared/config/load.js';
import { loadJsonConfigFile } from '#shared/config/load-json.js';
import { ConfigInvalidError } from '#shared/errors.js';
import { SimAwsError } from '#sim/world/aws-error.js';
import type { WorldEvent } from '#sim/world/event-log.js';
import { exampleRaw } from '../support/config.js';
import { captureOutput, changesSince, lastSeq, startCliSim, type CliSim } from '../support/cli-sim.js';
import { truePlacement } from '../support/fake-firewalls.js';

const EXAMPLE = new URL('../../examples/hq-egress.yaml', import.meta.url).pathname;
const PAIR = 'hq-egress';

let sim: CliSim | undefined;
let scratch: string | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await sim?.close();
  sim = undefined;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

function scratchDir(): string {
  scratch = mkdtempSync(join(tmpdir(), 'pan-failover-validate-'));
  return scratch;
}

async function started(): Promise<CliSim> {
  sim = await startCliSim();
  return sim;
}

/** Lines of a status report that name a managed object: `route 0.0.0.0/0 rtb-... fw-a eni-...`. */
function objectRows(stdout: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^((?:route \S+ \S+)|(?:EIP \S+)|(?:DNS \S+ \S+))\s{2,}(\S+)/.exec(line);
    if (m?.[1] && m[2]) rows.set(m[1], m[2]);
  }
  return rows;
}

function expectedObjects(s: CliSim): string[] {
  const pair = s.system.pair();
  return [
    ...pair.routes.map((r) => `route ${r.destination} ${r.routeTableId}`),
    ...pair.elasticIps.map((e) => `EIP ${e.publicIp ?? e.allocationId}`),
    ...pair.dnsRecords.map((d) => `DNS ${d.name} ${d.type}`),
  ];
}

function moveFirstRouteToSecondary(s: CliSim): void {
  const r = s.system.pair().routes[0]!;
  s.system.world.ec2.replaceRoute(r.routeTableId, r.destination, { networkInterfaceId: r.targets.secondary });
}

describe('validate', () => {
  it('a valid file: exit 0, a summary of each pair', async () => {
    const { result, stdout } = await captureOutput(() => validateCommand({ config: EXAMPLE }));
    expect(result).toBe(0);
    expect(stdout).toBe(
      `${EXAMPLE}: valid\n  hq-egress: fw-a (eu-central-1a) / fw-b (eu-central-1b), cold standby, 4 route(s), 2 EIP(s), 1 record(s), 1 tunnel(s)\n`,
    );
  });

  it('a broken file: ConfigInvalidError naming each problem by its field path, nothing printed as valid', async () => {
    const raw = exampleRaw();
    const pair = raw.pairs[0] as {
      routes: { targets: Record<string, unknown> }[];
      probe: Record<string, unknown>;
      standbyMode?: unknown;
    };
    delete pair.routes[1]!.targets.secondary;
    pair.probe.intervalSeconds = 'ten';
    pair.standbyMode = 'lukewarm';
    const file = join(scratchDir(), 'broken.yaml');
    writeFileSync(file, stringify(raw));

    let error: unknown;
    const { stdout } = await captureOutput(() =>
      validateCommand({ config: file }).catch((e: unknown) => (error = e)),
    );
    expect(error).toBeInstanceOf(ConfigInvalidError);
    const issues = (error as ConfigInvalidError).issues.map((i) => i.path);
    expect(issues).toEqual(
      expect.arrayContaining([
        'pairs[0].routes[1].targets.secondary',
        'pairs[0].probe.intervalSeconds',
        'pairs[0].standbyMode',
      ]),
    );
    expect((error as Error).message).toContain(file);
    expect(stdout).toBe('');
  });

  it('--write-json writes the validated configuration (defaults filled in) that the functions load', async () => {
    const out = join(scratchDir(), 'build', 'nested', 'config.json');
    const { result, stdout } = await captureOutput(() =>
      validateCommand({ config: EXAMPLE, writeJson: out }),
    );
    expect(result).toBe(0);
    expect(stdout).toContain(`wrote ${out}\n`);
    const loaded = await loadJsonConfigFile(out);
    expect(loaded).toEqual(await loadConfigFile(EXAMPLE));
    expect(loaded.pairs[0]?.probe.cooldownSeconds).toBe(1800);
  });
});

describe('probe (read-only round)', () => {
  it('healthy: exit 0; --json parses; nothing stored, started or notified', async () => {
    const s = await started();
    const before = lastSeq(s.system.world);
    const { result, stdout } = await captureOutput(() => probeCommand({ config: s.configPath, json: true }));
    expect(result).toBe(0);
    const doc = JSON.parse(stdout) as { schemaVersion: number; command: string; exitCode: number; result: { pairs: {
      pair: string;
      owner: string;
      decision: { action: string; code: string };
      firewalls: { name: string; status: string }[];
    }[] } };
    expect(doc).toMatchObject({ schemaVersion: 1, command: 'probe', exitCode: 0 });
    const rounds = doc.result.pairs;
    expect(rounds).toHaveLength(1);
    expect(rounds[0]).toMatchObject({
      pair: PAIR,
      owner: 'primary',
      decision: { action: 'none', code: 'active-healthy' },
    });
    expect(rounds[0]?.firewalls.map((f) => [f.name, f.status])).toEqual([
      ['fw-a', 'healthy'],
      ['fw-b', 'stopped'],
    ]);
    expect(changesSince(s.system.world, before)).toEqual([]);
    expect(s.system.world.sns.messages()).toEqual([]);

    const text = await captureOutput(() => probeCommand({ config: s.configPath }));
    expect(text.result).toBe(0);
    expect(text.stdout).toContain('decision: none (active-healthy): fw-a is healthy');
  });

  it('the active firewall dead: exit 2, and the round says which', async () => {
    const s = await started();
    s.system.firewall('fw-a').setFaults({ dead: true });
    const { result, stdout } = await captureOutput(() => probeCommand({ config: s.configPath, json: true }));
    expect(result).toBe(2);
    const [round] = (JSON.parse(stdout) as { exitCode: number; result: { pairs: {
      firewalls: { name: string; status: string }[];
      decision: { code: string };
    }[] } }).result.pairs;
    expect(round?.firewalls.find((f) => f.name === 'fw-a')?.status).toBe('unreachable');
    expect(round?.decision.code).toBe('active-failing');
  });
});

describe('preflight', () => {
  it('over the wire simulator: every check of the example passes (the stopped standby skipped), exit 0; read-only', async () => {
    const s = await started();
    const since = lastSeq(s.system.world);
    const { result, stdout } = await captureOutput(() => preflightCommand({ config: s.configPath }));
    expect(result, stdout).toBe(0);
    expect(stdout).toMatch(/all \d+ checks passed/);
    for (const check of ['instance', 'eni-count', 'eni-attachment', 'source-dest-check', 'eip-private-ip', 'management-address', 'instance-type-capacity', 'routes-present', 'controller-subnets']) {
      expect(stdout, check).toContain(check);
    }
    // The controller subnets' table was found through the SDK's association filter.
    expect(stdout).toMatch(/controller-subnets\s+subnet-0c000000000000001\s+ok\s+rtb-\w+: no route through either firewall/);
    // The PAN-OS side, read from fw-a over HTTPS; fw-b (cold, stopped) is not contacted.
    expect(stdout).toMatch(/panos-static-addresses\s+fw-a ethernet1\/1 \(eni-0a000000000000012\)\s+ok\s+static 10\.10\.1\.10\/24, 10\.10\.1\.11\/24/);
    expect(stdout).toMatch(/panos-read\s+fw-b\s+skip\s+instance is stopped/);
    expect(stdout).toMatch(/panos-management\s+fw-a management\s+ok\s+10\.10\.0\.10 on eth0/);
    expect(s.system.firewall('fw-b').requests()).toEqual({});
    expect(s.system.firewall('fw-a').requests()).toMatchObject({ 'config show': 3, 'request license info': 1 });
    expect(changesSince(s.system.world, since)).toEqual([]);
    const json = await captureOutput(() => preflightCommand({ config: s.configPath, json: true }));
    expect((JSON.parse(json.stdout) as { result: { ok: boolean } }).result.ok).toBe(true);
  });

  it('exit 2 naming the object when a check fails (a fallback type without enough ENIs)', async () => {
    const s = await started();
    const raw = exampleRaw();
    const pair = raw.pairs[0] as { start?: Record<string, unknown>; firewalls: Record<string, Record<string, unknown>> };
    const run = (await loadConfigFile(s.configPath)).pairs[0];
    pair.start = { fallbackInstanceTypes: ['m4.large'] };
    // Keep the simulator's management addresses and certificate pins.
    for (const role of ['primary', 'secondary'] as const) {
      pair.firewalls[role] = { ...pair.firewalls[role], management: run?.firewalls[role].management, tls: run?.firewalls[role].tls };
    }
    const file = join(scratchDir(), 'small-fallback.yaml');
    writeFileSync(file, stringify(raw));
    const { result, stdout } = await captureOutput(() => preflightCommand({ config: file, awsOnly: true }));
    expect(result).toBe(2);
    expect(stdout).toMatch(/instance-type-capacity\s+fw-a on m4\.large \(fallback\)\s+FAIL/);
    expect(stdout).toContain('2 of ');
    expect(stdout).not.toContain('panos-');
  });

  it('a PAN-OS pitfall on the active (DHCP on the trust interface): exit 2, with the fix; a warning alone exits 1', async () => {
    const s = await started();
    const fw = s.system.firewall('fw-a');
    fw.reconfigure({ interfaces: fw.profile.interfaces.map((i) => (i.name === 'ethernet1/2' ? { ...i, dhcp: true } : i)) });
    const failed = await captureOutput(() => preflightCommand({ config: s.configPath }));
    expect(failed.result).toBe(2);
    expect(failed.stdout).toMatch(/panos-static-addresses\s+fw-a ethernet1\/2 \(eni-0a000000000000011\)\s+FAIL\s+DHCP client/);
    expect(failed.stdout).toContain('What to change:\n- panos-static-addresses fw-a ethernet1/2 (eni-0a000000000000011): set ethernet1/2 to static 10.10.12.10/<subnet length> and remove its DHCP client');
    fw.reconfigure({ interfaces: fw.profile.interfaces.map((i) => ({ ...i, dhcp: false })), natRules: fw.profile.natRules.filter((r) => r.name !== 'eip-2-outbound') });
    const warned = await captureOutput(() => preflightCommand({ config: s.configPath, json: true }));
    expect(warned.result).toBe(1);
    const body = (JSON.parse(warned.stdout) as { result: { results: { check: string; status: string; subject: string }[] } }).result;
    expect(body.results.filter((r) => r.status !== 'pass' && r.status !== 'skip').map((r) => `${r.status} ${r.check} ${r.subject}`)).toEqual([
      'warn panos-eip-in-use fw-a 10.10.1.11 (198.51.100.20 (eipalloc-0e000000000000002))',
    ]);
  });
});

describe('status', () => {
  it('lists every route, EIP and record with the firewall it points at; exit 0 when consistent', async () => {
    const s = await started();
    const { result, stdout } = await captureOutput(() => statusCommand({ config: s.configPath }));
    expect(result).toBe(0);
    const rows = objectRows(stdout);
    expect([...rows.keys()].sort()).toEqual(expectedObjects(s).sort());
    expect(new Set(rows.values())).toEqual(new Set(['fw-a']));
    expect(stdout).toContain('pair hq-egress: AWS points at fw-a; recorded owner none; lock free');
    expect(stdout).toMatch(/\nconsistent\n/);
  });

  it('exit 1 after a hand-made drift, showing the drifted route on fw-b', async () => {
    const s = await started();
    moveFirstRouteToSecondary(s);
    const { result, stdout } = await captureOutput(() => statusCommand({ config: s.configPath }));
    expect(result).toBe(1);
    const rows = objectRows(stdout);
    const [r0, ...rest] = s.system.pair().routes;
    expect(rows.get(`route ${r0!.destination} ${r0!.routeTableId}`)).toBe('fw-b');
    for (const r of rest) expect(rows.get(`route ${r.destination} ${r.routeTableId}`)).toBe('fw-a');
    expect(stdout).toContain('AWS points at SPLIT');
    expect(stdout).toContain('NOT CONSISTENT');
  });

  it('does not crash when EC2 no longer knows an instance (terminated long ago)', async () => {
    const s = await started();
    const world = s.system.world;
    const gone = s.system.pair().firewalls.secondary.instanceId;
    world.ec2.terminateInstance(gone);
    // Terminated instances vanish from EC2 after about an hour; the simulator keeps them, so
    // the world answers as EC2 then does: the whole call fails with InvalidInstanceID.NotFound.
    for (const method of ['describeInstances', 'describeInstanceStatus'] as const) {
      const real = world.ec2[method].bind(world.ec2) as (q?: { ids?: readonly string[] }) => unknown;
      vi.spyOn(world.ec2, method).mockImplementation(((q?: { ids?: readonly string[] }) => {
        if (q?.ids?.includes(gone))
          throw new SimAwsError(
            'ec2',
            'InvalidInstanceID.NotFound',
            `The instance ID '${gone}' does not exist`,
          );
        return real(q);
      }) as never);
    }
    const { result, stdout } = await captureOutput(() => statusCommand({ config: s.configPath }));
    expect(result).toBe(0);
    const fwB = stdout.split('\n').find((l) => l.startsWith('fw-b '));
    expect(fwB).toMatch(/^fw-b\s+secondary\s+i-0a1b2c3d4e5f60002\s+not found\s+-\s+-$/);
    expect(stdout.split('\n').find((l) => l.startsWith('fw-a '))).toMatch(/\srunning\s/);
  });
});

describe('plan / failover --local --dry-run', () => {
  /** The route and EIP moves a failover to fw-b would make, as the plan prints them. */
  function expectedPlanLines(s: CliSim): string[] {
    const pair = s.system.pair();
    return [
      `  - start ${pair.firewalls.secondary.instanceId} (fw-b, now stopped)`,
      ...pair.routes.map(
        (r) =>
          `  - replace route ${r.destination} in ${r.routeTableId}: ${r.targets.primary} -> ${r.targets.secondary}`,
      ),
      ...pair.elasticIps.map(
        (e) =>
          `  - associate EIP ${e.allocationId} (${e.publicIp ?? ''}): ${e.primary.networkInterfaceId}/${e.primary.privateIp} -> ${e.secondary.networkInterfaceId}/${e.secondary.privateIp}`,
      ),
    ];
  }

  async function runPlanCommand(
    s: CliSim,
  ): Promise<{ stdout: string; exitCode: number | string | undefined }> {
    const program = new Command().exitOverride();
    registerFlowCommands(program, (cmd) =>
      cmd.requiredOption('-c, --config <file>', 'configuration file').option('-v, --verbose'),
    );
    const previous = process.exitCode;
    try {
      const { stdout } = await captureOutput(() =>
        program.parseAsync(['plan', '-p', PAIR, '-c', s.configPath], { from: 'user' }),
      );
      return { stdout, exitCode: process.exitCode };
    } finally {
      process.exitCode = previous;
    }
  }

  it.each([
    ['plan', (s: CliSim) => runPlanCommand(s)],
    [
      'failover --local --dry-run',
      async (s: CliSim) => {
        const { result, stdout } = await captureOutput(() =>
          flowCommand('failover', { config: s.configPath, pair: PAIR, local: true, dryRun: true }),
        );
        return { stdout, exitCode: result };
      },
    ],
  ])('%s prints every change a failover would make, and changes nothing', async (_, run) => {
    const s = await started();
    s.system.firewall('fw-a').setFaults({ dead: true });
    const before = lastSeq(s.system.world);

    const { stdout, exitCode } = await run(s);

    expect(exitCode).toBe(0);
    expect(stdout).toContain('(dry run: nothing will change, nobody is notified)');
    expect(stdout).toContain('plan (nothing was changed):');
    const lines = stdout.split('\n');
    for (const l of expectedPlanLines(s)) expect(lines).toContain(l);
    expect(stdout).toContain('result: dry-run: 8 change(s) would be made; nothing was changed');
    expect(changesSince(s.system.world, before).map((e) => e.message)).toEqual([]);
    expect(truePlacement(s.system.world, s.system.pair()).owner).toBe('primary');
    expect(s.system.world.ec2.instanceNow(s.system.pair().firewalls.secondary.instanceId).state).toBe(
      'stopped',
    );
  });
});

describe('repair --local', () => {
  it('puts a drifted route back on the owner, and only that route', async () => {
    const s = await started();
    moveFirstRouteToSecondary(s);
    const before = lastSeq(s.system.world);
    const { result, stdout } = await captureOutput(() =>
      flowCommand('reconcile', { config: s.configPath, pair: PAIR, local: true }),
    );
    expect(result).toBe(0);
    expect(stdout).toContain('result: succeeded: fw-a is active');
    expect(truePlacement(s.system.world, s.system.pair()).owner).toBe('primary');
    const r0 = s.system.pair().routes[0]!;
    const moves = changesSince(s.system.world, before).filter((e) =>
      /^ec2\.(route|eip)|^ec2\.instance\.state|^route53/.test(e.type),
    );
    expect(moves.map((e) => [e.type, e.resource])).toEqual([['ec2.route.replaced', r0.routeTableId]]);

    const status = await captureOutput(() => statusCommand({ config: s.configPath }));
    expect(status.result).toBe(0);
    expect(status.stdout).toMatch(/; lock free\n/);
  });
});

describe('--local lock lease', () => {
  const lockPuts = (events: readonly WorldEvent[]) =>
    events
      .filter((e) => e.type === 'dynamodb.item.put' && e.data.sk === 'lock')
      .map((e) => {
        const item = e.data.item as Record<string, { S?: string; N?: string }>;
        return {
          holder: item.holder?.S ?? '',
          acquiredAt: Number(item.acquiredAt?.N),
          expiresAt: Number(item.expiresAt?.N),
        };
      });

  it(`is ${CLI_LOCK_LEASE_MS / 60_000} min from the last renewal, renewed every minute while the run lasts, released at the end`, async () => {
    expect(CLI_LOCK_LEASE_MS).toBe(5 * 60_000);
    const s = await started();
    const world = s.system.world;
    moveFirstRouteToSecondary(s);

    // The renewal timer, caught so the test can fire it mid-run instead of waiting a minute.
    const renewals: { ms: number; fire: () => void }[] = [];
    const realSetInterval = globalThis.setInterval;
    vi.spyOn(globalThis, 'setInterval').mockImplementation((fn: () => void, ms?: number) => {
      renewals.push({ ms: ms ?? 0, fire: fn });
      return realSetInterval(fn, ms);
    });
    // The release (DeleteItem) is slow, so the renewal fired below lands while the run still holds the lock.
    world.faults.set({ latency: { 'dynamodb:DeleteItem': { fixedMs: 30_000 } } });
    let firedAt: { before: number } | undefined;
    const off = world.events.subscribe((e) => {
      if (firedAt || e.type !== 'dynamodb.item.put' || e.data.sk !== 'lock') return;
      const renew = renewals.find((r) => r.ms === 60_000);
      if (!renew) return;
      firedAt = { before: Date.now() };
      renew.fire();
    });
    const before = lastSeq(world);
    let run: { result: number; stderr: string };
    try {
      run = await captureOutput(() =>
        flowCommand('reconcile', { config: s.configPath, pair: PAIR, local: true }),
      );
    } finally {
      off();
    }
    expect(run.result).toBe(0);
    expect(firedAt).toBeDefined();
    expect(run.stderr).not.toContain('warning');

    const lockEvents = world.events
      .list()
      .filter((e) => e.seq > before && e.type.startsWith('dynamodb.item.') && e.data.sk === 'lock');
    // Taken, renewed, released: in that order.
    expect(lockEvents.map((e) => e.type)).toEqual([
      'dynamodb.item.put',
      'dynamodb.item.put',
      'dynamodb.item.deleted',
    ]);
    const [taken, renewed] = lockPuts(lockEvents);
    expect(taken?.holder).toMatch(/^cli-hq-egress-reconcile-/);
    expect(taken!.expiresAt - taken!.acquiredAt).toBe(CLI_LOCK_LEASE_MS);
    // The renewal is the same holder, and its lease runs five minutes from the renewal.
    expect(renewed?.holder).toBe(taken?.holder);
    expect(renewed!.acquiredAt).toBeGreaterThanOrEqual(firedAt!.before);
    expect(renewed!.expiresAt).toBe(renewed!.acquiredAt + CLI_LOCK_LEASE_MS);
  });
});
