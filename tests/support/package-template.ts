/**
 * `osls package` of a configuration, as `npm run package` does it, in a scratch copy of the
 * project (serverless.yml, the state machine, node_modules linked), so a test reads the
 * CloudFormation template that would be deployed without touching the working tree's dist/ or
 * .serverless/. The Lambda bundles and their source maps are stand-ins (the template does not
 * depend on their content: tests/e2e/deployed-bundles.test.ts runs the real ones).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { prepareDeployCommand } from '#cli/commands/prepare-deploy.js';
import { FUNCTIONS } from '../../infra/deployment.js';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface PackagedTemplate {
  readonly Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: unknown }>;
  readonly Outputs?: Record<string, unknown>;
}

export async function packageTemplate(configFile: string, stage: string): Promise<{ template: PackagedTemplate; dir: string; dispose: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'pan-failover-package-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    copyFileSync(join(ROOT, 'serverless.yml'), join(dir, 'serverless.yml'));
    mkdirSync(join(dir, 'infra'));
    for (const asl of ['state-machine.asl.json', 'probe-loop.asl.json']) copyFileSync(join(ROOT, 'infra', asl), join(dir, 'infra', asl));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    for (const { dir: fn } of Object.values(FUNCTIONS)) {
      mkdirSync(join(dir, 'dist', 'functions', fn), { recursive: true });
      writeFileSync(join(dir, 'dist', 'functions', fn, 'index.mjs'), 'export const handler = async () => undefined;\n');
      writeFileSync(join(dir, 'dist', 'functions', fn, 'index.mjs.map'), '{"version":3,"sources":[],"mappings":""}\n');
    }
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await prepareDeployCommand({ config: configFile, stage, out: join(dir, 'dist', 'deploy') });
    } finally {
      quiet.mockRestore();
    }
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'), 'package', '--package', '.serverless'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', SLS_TELEMETRY_DISABLED: '1' },
      timeout: 240_000,
    });
    if (r.status !== 0) throw new Error(`osls package failed (${r.status ?? r.signal}): ${r.stdout}\n${r.stderr}`);
    const template = JSON.parse(readFileSync(join(dir, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8')) as PackagedTemplate;
    return { template, dir, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

/**
 * A fresh checkout as far as osls can tell (serverless.yml, the state machine, node_modules; no
 * dist/, no .serverless/): runs `osls <args>` there, after `prepare-deploy` when asked.
 */
export async function oslsInFreshCheckout(args: readonly string[], prepare?: { configFile: string; stage: string }): Promise<{ status: number | null; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pan-failover-fresh-'));
  try {
    copyFileSync(join(ROOT, 'serverless.yml'), join(dir, 'serverless.yml'));
    mkdirSync(join(dir, 'infra'));
    for (const asl of ['state-machine.asl.json', 'probe-loop.asl.json']) copyFileSync(join(ROOT, 'infra', asl), join(dir, 'infra', asl));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    if (prepare) {
      const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        await prepareDeployCommand({ config: prepare.configFile, stage: prepare.stage, out: join(dir, 'dist', 'deploy') });
      } finally {
        quiet.mockRestore();
      }
    }
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'), ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', SLS_TELEMETRY_DISABLED: '1' },
      timeout: 240_000,
    });
    return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
