#!/usr/bin/env node
// Bundles each Lambda function into one minified ESM file (dist/functions/<name>/index.mjs),
// with the AWS SDK clients it uses bundled in (pinned by the lockfile, not the runtime's copy).
// Usage: node scripts/build.mjs [--metafile]
import { build } from 'esbuild';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const functionsDir = join(root, 'functions');
const names = (await readdir(functionsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
const withMeta = process.argv.includes('--metafile');

// In Lambda the role's credentials are in the environment: the full provider chain (SSO, INI,
// process, web identity, with their nested clients) is replaced by the environment provider.
const lambdaCredentials = {
  name: 'lambda-credentials',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: join(root, 'shared', 'runtime', 'lambda-credentials.ts'),
    }));
  },
};

const results = [];
for (const name of names.sort()) {
  const outfile = join(root, 'dist', 'functions', name, 'index.mjs');
  await mkdir(join(root, 'dist', 'functions', name), { recursive: true });
  const res = await build({
    entryPoints: [join(functionsDir, name, 'handler.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    metafile: true,
    legalComments: 'none',
    // CommonJS dependencies call require() for Node built-ins; give ESM output one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
    plugins: [lambdaCredentials],
  });
  const bytes = Object.values(res.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
  results.push({ name, outfile, bytes });
  if (withMeta) await writeFile(`${outfile}.meta.json`, JSON.stringify(res.metafile));
}
for (const r of results) console.log(`${r.name.padEnd(16)} ${(r.bytes / 1024).toFixed(0).padStart(6)} KiB  ${r.outfile.replace(root, '')}`);
