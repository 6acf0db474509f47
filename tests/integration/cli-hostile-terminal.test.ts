/**
 * A hostile firewall cannot steer the terminal of the engineer running `pan-failover probe`:
 * the simulated fw-a answers `show system info` with escape sequences in its software version
 * (clear screen, retitle the window, BEL, an 8-bit CSI); the table, the JSON output and the
 * spawned CLI (which guards stdout and stderr) show them as visible escapes, never raw.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { probeCommand } from '#cli/commands/probe.js';
import { captureOutput, startCliSim, type CliSim } from '../support/cli-sim.js';

const ESC = '\u001b';
const BEL = '\u0007';
const HOSTILE_VERSION = `10.2.11${ESC}]0;owned${BEL}${ESC}[2J${ESC}[H\u009b31m`;
/** C0 but TAB/LF, DEL, C1. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = new RegExp('[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]', 'u');

let sim: CliSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('hostile firewall answers and the terminal', () => {
  it('probe prints a version full of escape sequences as visible escapes (table and --json)', async () => {
    sim = await startCliSim({ firewalls: { 'fw-a': { profile: { swVersion: HOSTILE_VERSION } } } });
    const table = await captureOutput(() => probeCommand({ config: sim!.configPath }));
    expect(table.result).toBe(0);
    expect(RAW_CONTROL.test(table.stdout)).toBe(false);
    expect(RAW_CONTROL.test(table.stderr)).toBe(false);
    expect(table.stdout).toContain('10.2.11\\x1b]0;owned\\x07\\x1b[2J\\x1b[H\\x9b31m');

    const json = await captureOutput(() => probeCommand({ config: sim!.configPath, json: true }));
    expect(RAW_CONTROL.test(json.stdout)).toBe(false);
    // The decoder escaped the version: the JSON carries the visible escapes, not the control characters.
    expect(json.stdout).toContain(JSON.stringify('10.2.11\\x1b]0;owned\\x07\\x1b[2J\\x1b[H\\x9b31m'));
  });

  it('the CLI process guards stdout and stderr: an error quoting a hostile file name is escaped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pan-failover-term-'));
    try {
      const path = join(dir, `x${ESC}]0;owned${BEL}${ESC}[2J.yaml`);
      writeFileSync(path, `pairs: "${'\\e'}[2J"\n`);
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'validate', '-c', path], {
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
        timeout: 110_000,
      });
      expect(run.status).toBe(64); // a configuration error (cli/exit.ts)
      expect(run.stderr).toContain('x\\x1b]0;owned\\x07\\x1b[2J.yaml');
      expect(RAW_CONTROL.test(run.stderr)).toBe(false);
      expect(RAW_CONTROL.test(run.stdout)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // A fresh Node process compiling the CLI with tsx: seconds when idle, much more on a loaded machine.
  }, 120_000);
});
