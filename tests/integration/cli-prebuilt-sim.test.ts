/**
 * The simulator's commands as a person runs them: the prebuilt (bundled, minified) CLI in its own
 * process, which is where a bundling mistake shows (a data file read next to a module, a class
 * name that minifying changed); the in-process tests run the TypeScript sources.
 * - `sim --json` prints one document once the simulator runs; a second process with exactly that
 *   environment (and `--stage sim`, the simulator's stage) reads it with `status`; Ctrl-C stops it.
 * - `rehearse --json` plays the default rehearsal to a consistent end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '#sim/scenario/run.js';

const BIN = join(PROJECT_ROOT, 'bin', 'pan-failover.js');
let child: ChildProcess | undefined;
let dir = '';

afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface SimDocument {
  schemaVersion: number;
  command: string;
  exitCode: number;
  result: { running: boolean; stage: string; configPath: string; stateMachineArn: string; unset: string[]; env: Record<string, string> };
}

/** Runs the CLI with `env` only (plus PATH): what another shell set up from the document has. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pan-failover sim --json', () => {
  it('prints one document with the environment; status --stage sim works from it; SIGINT stops it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pan-failover-sim-'));
    const sim = spawn(process.execPath, [BIN, 'sim', '--json', '--speed', '30', '--out', dir], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = sim;
    let out = '';
    const doc = await new Promise<SimDocument>((resolve, reject) => {
      sim.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        try {
          resolve(JSON.parse(out) as SimDocument);
        } catch {
          // not complete yet
        }
      });
      sim.on('close', (code) => reject(new Error(`sim exited ${String(code)} before printing: ${out}`)));
    });
    expect(doc).toMatchObject({ schemaVersion: 1, command: 'sim', exitCode: 0, result: { running: true, stage: 'sim' } });
    expect(doc.result.env).toMatchObject({ PAN_FAILOVER_STAGE: 'sim', PAN_FAILOVER_TABLE: 'pan-failover-sim-state', PAN_FAILOVER_LOCAL_ONLY: '1' });
    expect(doc.result.env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(doc.result.unset).toContain('AWS_PROFILE');
    expect(doc.result.stateMachineArn).toMatch(/:stateMachine:pan-failover-sim$/);

    // Only what the document says, and the stage named explicitly instead of the table.
    const { PAN_FAILOVER_TABLE: _table, PAN_FAILOVER_STATE_MACHINE_ARN: _sm, ...env } = doc.result.env;
    const status = await run(['status', '--stage', 'sim', '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ command: 'status', exitCode: 0, result: { pairs: [{ pair: 'hq-egress', consistent: true }] } });

    const exited = new Promise<number | null>((resolve) => sim.on('exit', (code) => resolve(code)));
    sim.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 90_000);

  it('rehearse --json: the default rehearsal ends consistent, one document on stdout', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pan-failover-rehearse-'));
    const res = await run(['rehearse', '--json', '--report', join(dir, 'r.html')], { ...process.env } as Record<string, string>);
    expect(res.code, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout) as { command: string; exitCode: number; result: { ok: boolean; failures: string[]; final: { owner: { firewall: string } }; report: string; flows: { action: string; outcome: string }[] } };
    expect(doc).toMatchObject({ command: 'rehearse', exitCode: 0, result: { ok: true, failures: [], final: { owner: { firewall: 'fw-b' } }, report: join(dir, 'r.html') } });
    expect(doc.result.flows).toContainEqual(expect.objectContaining({ action: 'failover', outcome: 'succeeded' }));
  }, 180_000);
});
