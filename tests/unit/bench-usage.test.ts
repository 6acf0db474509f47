/** `npm run bench`'s own options: help, and bad usage refused in one line (exit 64) before any section runs. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function bench(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

describe('bench usage', () => {
  it('--help prints the sections and options and runs nothing', async () => {
    const r = await bench('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Sections, in the order they run: probe, bundles, cutover, rehearsal, detection, warm, scale, cost, parse, cli, drill.');
    expect(r.stdout).not.toContain('== ');
  }, 60_000);

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--only', 'probe,nope'], 'unknown section(s) nope; known: probe'],
  ])('%j: one line naming what is wrong, exit 64, no stack trace', async (args, message) => {
    const r = await bench(...args);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(`bench: ${message}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).not.toContain('pan-failover bench,');
  }, 60_000);
});
