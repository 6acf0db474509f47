#!/usr/bin/env node
// Lists every dependency's licence (from package-lock.json, i.e. exactly what `npm ci`
// installs) and fails on a copyleft licence (GPL, AGPL, LGPL, SSPL, EUPL, OSL, CC-BY-SA...) or
// a missing one, unless the package is listed in scripts/licence-exceptions.json with its
// decision record. A listed package must exist, be a dev dependency only, have its ADR file,
// and appear in none of the Lambda bundles (checked on the esbuild metafiles that
// `node scripts/build.mjs --metafile` writes; CI builds them first).
//
// Usage: node scripts/check-licences.mjs [--quiet] [--lock FILE] [--exceptions FILE] [--bundles DIR]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]) : fallback;
};
const quiet = process.argv.includes('--quiet');
const lockPath = arg('--lock', join(root, 'package-lock.json'));
const exceptionsPath = arg('--exceptions', join(root, 'scripts', 'licence-exceptions.json'));
const bundlesDir = arg('--bundles', join(root, 'dist', 'functions'));

/** Strong, network and weak copyleft families (SPDX ids, case-insensitive prefixes). */
const COPYLEFT = /^(A?GPL|LGPL|SSPL|EUPL|OSL|CPAL|RPL|Sleepycat|CC-BY-SA|CC-BY-NC|Parity|QPL|MS-RL)/i;

/** True when the SPDX expression leaves no permissive choice (`MIT OR GPL-3.0` is fine). */
export function isCopyleft(expression) {
  const alternatives = expression.replace(/[()]/g, ' ').split(/\s+OR\s+/i);
  return alternatives.every((alt) => alt.split(/\s+AND\s+/i).some((id) => COPYLEFT.test(id.trim())));
}

const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const exceptions = new Map(JSON.parse(readFileSync(exceptionsPath, 'utf8')).exceptions.map((e) => [e.name, e]));
const problems = [];
const rows = [];
const seen = new Set();

for (const [path, pkg] of Object.entries(lock.packages ?? {})) {
  if (path === '' || pkg.link) continue;
  const name = pkg.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const licence = typeof pkg.license === 'string' ? pkg.license : undefined;
  const scope = pkg.dev ? 'dev' : pkg.devOptional ? 'dev-optional' : 'prod';
  rows.push(`${name}@${pkg.version ?? '?'}  ${licence ?? '(none)'}  ${scope}`);
  seen.add(name);
  if (licence === undefined) {
    problems.push(`${name}@${pkg.version}: no licence declared`);
    continue;
  }
  if (!isCopyleft(licence)) continue;
  const allowed = exceptions.get(name);
  if (!allowed) {
    problems.push(`${name}@${pkg.version}: copyleft licence ${licence} (${scope}) and not in ${exceptionsPath.replace(`${root}/`, '')}`);
    continue;
  }
  if (!pkg.dev) problems.push(`${name}@${pkg.version}: allowed by ${allowed.adr} as a dev dependency only, but it is installed as ${scope}`);
  if (!allowed.adr || !existsSync(join(root, allowed.adr))) problems.push(`${name}: its exception names no existing decision record (${allowed.adr ?? 'none'})`);
}

for (const name of exceptions.keys()) {
  if (!seen.has(name)) problems.push(`${name}: listed as an exception but not installed (remove the entry)`);
}

// The Lambda bundles must not contain an excepted package.
if (exceptions.size > 0) {
  const metas = existsSync(bundlesDir)
    ? readdirSync(bundlesDir).map((d) => join(bundlesDir, d, 'index.mjs.meta.json')).filter((f) => existsSync(f))
    : [];
  if (metas.length === 0) problems.push(`no bundle metafiles in ${bundlesDir}: run \`node scripts/build.mjs --metafile\` first`);
  for (const meta of metas) {
    const inputs = Object.keys(JSON.parse(readFileSync(meta, 'utf8')).inputs ?? {});
    for (const name of exceptions.keys()) {
      if (inputs.some((i) => i.includes(`node_modules/${name}/`))) problems.push(`${name}: copyleft package inside the Lambda bundle ${meta.replace(`${root}/`, '')}`);
    }
  }
}

if (!quiet) for (const r of rows.sort()) console.log(r);
console.log(`${rows.length} packages, ${exceptions.size} copyleft exception(s) allowed`);
if (problems.length > 0) {
  console.error(`licence check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
