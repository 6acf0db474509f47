#!/usr/bin/env node
// Builds the CLI into plain JavaScript (dist/cli/<build>/main.mjs, one chunk per command, loaded
// only when that command runs), so `npx pan-failover` starts without compiling TypeScript.
// `npm ci` runs it (the `prepare` script); bin/pan-failover.js runs it again when a source is
// newer than the build, and falls back to the TypeScript sources (tsx) if it cannot build.
// Usage: node scripts/build-cli.mjs [--quiet]
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sdkSchemaTreeShaking } from './lambda-esbuild.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_DIST = join(root, 'dist', 'cli');
export const BUILD_INFO = join(CLI_DIST, 'build-info.json');
const KEEP_BUILDS = 3;

/**
 * `import.meta.url` in a bundled source means the bundle's own location, not the source's: a
 * source that finds files next to itself (the state machine definition, the project root)
 * gets the URL of where its source is, relative to the bundle (so a moved checkout still works).
 */
function sourceUrls(outdir) {
  return {
    name: 'source-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const rel = relative(outdir, args.path).split('\\').join('/');
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'ts' };
      });
    },
  };
}

/** Builds; returns the build's directory. Throws if esbuild is missing or the build fails. */
export async function buildCli({ quiet = false } = {}) {
  const { build } = await import('esbuild');
  const id = `${Date.now().toString(36)}-${process.pid}`;
  const outdir = join(CLI_DIST, id);
  await mkdir(outdir, { recursive: true });
  const res = await build({
    entryPoints: [join(root, 'cli', 'main.ts')],
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'error',
    // CommonJS dependencies call require() for Node built-ins; give ESM output one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    // Loaded by `rehearse` and `sim` only through their own paths; kept out of the bundle.
    // The IAM evaluator reads its data files next to its own modules: it must stay a package.
    external: ['tsx', 'tsx/*', 'esbuild', 'vitest', '@cloud-copilot/*'],
    plugins: [sourceUrls(outdir), sdkSchemaTreeShaking()],
  });
  const inputs = Object.keys(res.metafile.inputs)
    .filter((p) => !p.includes('node_modules'))
    .map((p) => relative(root, resolve(process.cwd(), p)).split('\\').join('/'));
  const info = { build: id, builtAtMs: Date.now(), node: process.version, inputs: [...new Set([...inputs, 'package.json', 'package-lock.json', 'infra/state-machine.asl.json', 'infra/probe-loop.asl.json', 'scripts/build-cli.mjs'])] };
  // The pointer changes in one rename: a CLI starting meanwhile sees the old build or the new one.
  const tmp = `${BUILD_INFO}.${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(info, null, 1)}\n`);
  await rename(tmp, BUILD_INFO);
  await prune(id);
  if (!quiet) process.stdout.write(`built the CLI into ${relative(root, outdir)} (${inputs.length} sources)\n`);
  return outdir;
}

/** Keeps the newest builds (a running command may still load chunks of the previous one). */
async function prune(current) {
  const dirs = (await readdir(CLI_DIST, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  const old = dirs.filter((d) => d !== current).sort().reverse().slice(KEEP_BUILDS - 1);
  for (const d of old) await rm(join(CLI_DIST, d), { recursive: true, force: true }).catch(() => undefined);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    await buildCli({ quiet: process.argv.includes('--quiet') });
  } catch (e) {
    // `npm ci` must not fail for it: bin/pan-failover.js runs the sources instead.
    process.stderr.write(`warning: could not build the CLI (${e instanceof Error ? e.message : String(e)}); pan-failover will run from the TypeScript sources (slower start)\n`);
  }
}
