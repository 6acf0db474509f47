/**
 * The CI licence check (scripts/check-licences.mjs): fails on an unexpected copyleft licence,
 * allows one listed with its decision record only as a dev dependency kept out of every Lambda
 * bundle, and passes the project's real lock file.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ADR = 'docs/decisions/0001-single-flight-lock.md';
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function check(packages: Record<string, object>, exceptions: object[] = [], bundleInputs?: string[]) {
  dir = mkdtempSync(join(tmpdir(), 'pan-failover-licences-'));
  const lock = join(dir, 'lock.json');
  const exc = join(dir, 'exceptions.json');
  const bundles = join(dir, 'bundles');
  writeFileSync(lock, JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'x' }, ...packages } }));
  writeFileSync(exc, JSON.stringify({ exceptions }));
  if (bundleInputs) {
    mkdirSync(join(bundles, 'health-probe'), { recursive: true });
    writeFileSync(join(bundles, 'health-probe', 'index.mjs.meta.json'), JSON.stringify({ inputs: Object.fromEntries(bundleInputs.map((i) => [i, {}])) }));
  }
  const run = spawnSync(process.execPath, ['scripts/check-licences.mjs', '--lock', lock, '--exceptions', exc, '--bundles', bundles], { encoding: 'utf8' });
  return { status: run.status, out: run.stdout, err: run.stderr };
}

const AGPL_DEV = { 'node_modules/@cloud-copilot/iam-simulate': { version: '1.0.0', license: 'AGPL-3.0-only', dev: true } };
const EXCEPTION = { name: '@cloud-copilot/iam-simulate', licence: 'AGPL-3.0-only', adr: ADR };

describe('licence check', () => {
  it('passes the real lock file and lists every package (the IAM evaluator of the simulator is the one AGPL exception, ADR 0008)', () => {
    // The real bundles are checked in CI after `node scripts/build.mjs --metafile`; here a bundle
    // metafile of the probe's own sources stands for them.
    dir = mkdtempSync(join(tmpdir(), 'pan-failover-licences-'));
    mkdirSync(join(dir, 'health-probe'), { recursive: true });
    writeFileSync(join(dir, 'health-probe', 'index.mjs.meta.json'), JSON.stringify({ inputs: { 'shared/usecases/probe.ts': {} } }));
    const run = spawnSync(process.execPath, ['scripts/check-licences.mjs', '--bundles', dir], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^zod@\S+ {2}MIT {2}prod$/m);
    expect(run.stdout).toMatch(/^@cloud-copilot\/iam-simulate@\S+ {2}AGPL-3.0-or-later {2}dev$/m);
    expect(run.stdout).toMatch(/packages, 3 copyleft exception/);
  });

  it('fails on an unexpected copyleft dependency, dev or not, and on a missing licence', () => {
    const r = check({ ...AGPL_DEV, 'node_modules/gpl-thing': { version: '2.0.0', license: 'GPL-2.0-or-later' }, 'node_modules/nolicence': { version: '1.0.0' } });
    expect(r.status).toBe(1);
    expect(r.err).toContain('@cloud-copilot/iam-simulate@1.0.0: copyleft licence AGPL-3.0-only (dev)');
    expect(r.err).toContain('gpl-thing@2.0.0: copyleft licence GPL-2.0-or-later (prod)');
    expect(r.err).toContain('nolicence@1.0.0: no licence declared');
  });

  it('accepts a dual licence with a permissive choice, and permissive licences', () => {
    expect(check({ 'node_modules/a': { version: '1', license: '(MIT OR GPL-3.0-or-later)' }, 'node_modules/b': { version: '1', license: 'Apache-2.0' } }).status).toBe(0);
    expect(check({ 'node_modules/c': { version: '1', license: 'MIT AND LGPL-2.1-only' } }).status).toBe(1);
  });

  it('allows a listed exception with its ADR, dev only, outside every bundle', () => {
    expect(check(AGPL_DEV, [EXCEPTION], ['shared/usecases/probe.ts', 'node_modules/zod/index.js']).status).toBe(0);
  });

  it('refuses the exception when it is a production dependency, inside a bundle, without an ADR, or bundles were not built', () => {
    const prod = check({ 'node_modules/@cloud-copilot/iam-simulate': { version: '1.0.0', license: 'AGPL-3.0-only' } }, [EXCEPTION], []);
    expect(prod.status).toBe(1);
    expect(prod.err).toContain('as a dev dependency only, but it is installed as prod');
    const bundled = check(AGPL_DEV, [EXCEPTION], ['node_modules/@cloud-copilot/iam-simulate/dist/index.js']);
    expect(bundled.status).toBe(1);
    expect(bundled.err).toContain('copyleft package inside the Lambda bundle');
    const noAdr = check(AGPL_DEV, [{ ...EXCEPTION, adr: 'docs/decisions/9999-none.md' }], []);
    expect(noAdr.err).toContain('names no existing decision record');
    const unbuilt = check(AGPL_DEV, [EXCEPTION]);
    expect(unbuilt.err).toContain('no bundle metafiles');
  });
});
