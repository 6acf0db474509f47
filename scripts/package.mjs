#!/usr/bin/env node
// npm run package -- -c FILE [--stage S]: everything `osls deploy` needs, offline and without AWS
// credentials: the four Lambda bundles (scripts/build.mjs), the validated configuration and the
// configuration-dependent half of the stack (`pan-failover prepare-deploy`, dist/deploy/), then
// `osls package` (CloudFormation template and one zip per function in .serverless/).
// Deploy the result with `npx osls deploy --package .serverless` (see docs/deployment.md).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const valueOf = (...names) => {
  const i = args.findIndex((a) => names.includes(a));
  return i >= 0 ? args[i + 1] : undefined;
};
const config = valueOf('-c', '--config') ?? process.env.PAN_FAILOVER_CONFIG_FILE;
const stage = valueOf('--stage') ?? 'dev';
const quota = valueOf('--managed-policy-quota');
if (!config) {
  process.stderr.write('usage: npm run package -- -c <configuration file> [--stage <stage>] [--managed-policy-quota <n>] [--existing-table]\n');
  process.exit(2);
}

function step(title, cmd, cmdArgs) {
  process.stdout.write(`\n== ${title}\n`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  if (r.status !== 0) {
    process.stderr.write(`\n${title} failed (exit ${r.status ?? r.signal}); nothing was packaged\n`);
    process.exit(r.status || 1);
  }
}

step('Lambda bundles', process.execPath, ['scripts/build.mjs']);
step('configuration and stack resources', process.execPath, ['--import', 'tsx', 'cli/main.ts', 'prepare-deploy', '-c', config, '--stage', stage, ...(quota ? ['--managed-policy-quota', quota] : []), ...(args.includes('--existing-table') ? ['--existing-table'] : [])]);
step('osls package', process.execPath, ['node_modules/osls/bin/serverless.js', 'package']);
process.stdout.write('\npackaged in .serverless/: deploy with `npx osls deploy --package .serverless` (AWS credentials of the target account)\n');
