#!/usr/bin/env node
// The operators' CLI. Runs the prebuilt JavaScript in dist/cli (built by `npm ci` through the
// `prepare` script, see scripts/build-cli.mjs); rebuilds it first when a source changed since
// (a checkout, an edit); runs the TypeScript sources through tsx if it cannot build.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

/** The current build's entry, or undefined when there is none or a source is newer. */
function freshBuild() {
  try {
    const info = JSON.parse(readFileSync(new URL('dist/cli/build-info.json', root), 'utf8'));
    for (const f of info.inputs) if (statSync(new URL(f, root)).mtimeMs > info.builtAtMs) return undefined;
    return new URL(`dist/cli/${info.build}/main.mjs`, root);
  } catch {
    return undefined;
  }
}

let entry = freshBuild();
if (!entry) {
  try {
    const { buildCli } = await import('../scripts/build-cli.mjs');
    await buildCli({ quiet: true });
    entry = freshBuild();
  } catch {
    entry = undefined;
  }
}
if (entry) {
  await import(entry.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
