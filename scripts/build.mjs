#!/usr/bin/env node
// Bundles each Lambda function into one minified ESM file (dist/functions/<name>/index.mjs),
// with the AWS SDK clients it uses bundled in (pinned by the lockfile, not the runtime's copy).
// Usage: node scripts/build.mjs [--metafile]
import { build } from 'esbuild';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lambdaBuildOptions } from './lambda-esbuild.mjs';

const root = new URL('..', import.meta.url).pathname;
const functionsDir = join(root, 'functions');
const names = (await readdir(functionsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
const withMeta = process.argv.includes('--metafile');

const results = [];
for (const name of names.sort()) {
  const outfile = join(root, 'dist', 'functions', name, 'index.mjs');
  await mkdir(join(root, 'dist', 'functions', name), { recursive: true });
  const res = await build({
    ...lambdaBuildOptions(root),
    entryPoints: [join(functionsDir, name, 'handler.ts')],
    outfile,
    metafile: true,
  });
  const bytes = Object.values(res.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
  results.push({ name, outfile, bytes });
  if (withMeta) await writeFile(`${outfile}.meta.json`, JSON.stringify(res.metafile));
}
for (const r of results) console.log(`${r.name.padEnd(16)} ${(r.bytes / 1024).toFixed(0).padStart(6)} KiB  ${r.outfile.replace(root, '')}`);
