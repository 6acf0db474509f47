/**
 * Debuggable bundles (issue 11): a deployed function's stack trace names the TypeScript sources.
 * A Lambda bundle is built with the project's esbuild options into the layout of its zip
 * (`dist/functions/<name>/index.mjs` and its `index.mjs.map`) and run in a fresh `node` with no
 * flag, as Lambda runs it (no NODE_OPTIONS): its handler, invoked without its environment, throws
 * a ConfigInvalidError, and that error's stack names shared/runtime/environment.ts at the line of
 * the throw. Without the map beside the bundle, the same stack names only index.mjs. (That the
 * zip carries the map: tests/e2e/packaged-template.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '#sim/scenario/run.js';
import { lambdaBuildOptions } from '../../scripts/lambda-esbuild.mjs';

const INVOKE = `
const { handler } = await import(process.argv[1]);
try {
  await handler({ step: 'validate', state: {} }, { getRemainingTimeInMillis: () => 60000, functionName: 'test', awsRequestId: 'test', invokedFunctionArn: 'arn:aws:lambda:eu-central-1:000000000000:function:test' });
  process.stdout.write(JSON.stringify({ stack: null }));
} catch (e) {
  process.stdout.write(JSON.stringify({ name: e.name, stack: e.stack }));
}
`;

let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pan-failover-maps-'));
  for (const fn of ['flow-control', 'health-probe']) {
    mkdirSync(join(dir, 'dist', 'functions', fn), { recursive: true });
    await build({ ...lambdaBuildOptions(PROJECT_ROOT), entryPoints: [join(PROJECT_ROOT, 'functions', fn, 'handler.ts')], outfile: join(dir, 'dist', 'functions', fn, 'index.mjs') });
  }
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The handler's error stack, from a fresh node with Lambda's (empty) NODE_OPTIONS and no environment. */
function failingInvocation(fn: string): { name: string; stack: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: 'eu-central-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  delete env.NODE_OPTIONS;
  delete env.PAN_FAILOVER_TABLE;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', INVOKE, pathToFileURL(join(dir, 'dist', 'functions', fn, 'index.mjs')).href], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`node exited ${r.status ?? r.signal}: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { name?: string; stack: string | null };
  if (out.stack === null || out.name === undefined) throw new Error('the handler did not throw');
  return { name: out.name, stack: out.stack };
}

const frames = (stack: string) => stack.split('\n').filter((l) => l.startsWith('    at '));

describe('debuggable bundles: stack traces name the .ts sources', () => {
  it.each(['flow-control', 'health-probe'])('%s: the thrown error names shared/runtime/environment.ts at the line that throws, every bundle frame mapped', (fn) => {
    const { name, stack } = failingInvocation(fn);
    expect(name).toBe('ConfigInvalidError');
    const top = frames(stack)[0] ?? '';
    // Relative to the project root in Lambda (/var/task); here the sources lie outside the scratch
    // directory the bundle is built in, so the path is absolute.
    const m = /^ {4}at readEnvironment \((?:\/.*\/)?(shared\/runtime\/environment\.ts):(\d+):(\d+)\)$/.exec(top);
    expect(m, stack).not.toBeNull();
    // The mapped line is the source's throw.
    const line = readFileSync(join(PROJECT_ROOT, m?.[1] ?? ''), 'utf8').split('\n')[Number(m?.[2]) - 1] ?? '';
    expect(line).toContain('throw new ConfigInvalidError');
    // The handler's own frame is named too, and no frame is left pointing into the bundle.
    expect(stack).toContain(`functions/${fn}/handler.ts:`);
    expect(stack).not.toContain('index.mjs');
  });

  it('without the map beside the bundle, the same stack names only the minified bundle (what the map changes)', () => {
    const map = join(dir, 'dist', 'functions', 'flow-control', 'index.mjs.map');
    const saved = readFileSync(map);
    rmSync(map);
    try {
      const { stack } = failingInvocation('flow-control');
      expect(frames(stack)[0]).toMatch(/index\.mjs:\d+:\d+\)$/);
      expect(stack).not.toContain('.ts:');
    } finally {
      // Restored for the other tests of this file, whatever their order.
      writeFileSync(map, saved);
    }
  });
});
