/**
 * Stack traces that name the TypeScript sources in the deployed functions' logs. Each Lambda zip
 * carries its bundle's source map (`index.mjs.map`, mappings only); on the first stack trace an
 * invocation formats (an error the handler throws, which the Lambda runtime logs with its
 * stack), the map is read and every frame in the bundle is rewritten to its source
 * (`shared/runtime/environment.ts:27:51`) and its original function name.
 *
 * Why not `NODE_OPTIONS=--enable-source-maps`: Node then reads and parses the map while the
 * bundle loads, on every cold start, failing or not (+30 to 40 ms CPU for the probe, above its
 * load-time target; docs/decisions/0009-source-maps-read-at-the-first-stack-trace.md). Here
 * nothing happens until a stack is formatted; the first one pays for parsing the map, once per
 * container.
 *
 * Never fails a stack: without a map (the sources run unbundled, as in tests) or on any error,
 * the text Node formatted is returned unchanged.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallSite {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  getFunctionName(): string | null;
  getEnclosingLineNumber?(): number | null;
  getEnclosingColumnNumber?(): number | null;
  toString(): string;
}

interface MappedBundle {
  readonly map: SourceMap;
  /** The map's directory: its sources are relative to it. */
  readonly dir: string;
}

/** The original position of a bundle position (1-based line and column), or undefined. */
function original(b: MappedBundle, line: number | null, column: number | null): { source: string; line: number; column: number; name?: string } | undefined {
  if (line === null || column === null) return undefined;
  const e = b.map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number; name?: string };
  if (e.originalSource === undefined || e.originalLine === undefined || e.originalColumn === undefined) return undefined;
  return { source: e.originalSource, line: e.originalLine + 1, column: e.originalColumn + 1, ...(e.name ? { name: e.name } : {}) };
}

/**
 * Installs the rewriting for the bundle at `moduleUrl` (the handler's `import.meta.url`: in a
 * bundle, the bundle's own URL). Returns whether it did: only with a map beside the bundle.
 * `root` names the sources relative to it (by default the directory three levels above the
 * bundle: the zip's root, `/var/task` in Lambda): `shared/runtime/environment.ts`, as a reader
 * finds it in the repository.
 */
export function installSourceMappedStacks(moduleUrl: string, root?: string): boolean {
  if (!moduleUrl.startsWith('file:')) return false;
  const bundle = fileURLToPath(moduleUrl);
  const mapFile = `${bundle}.map`;
  let loaded: MappedBundle | null | undefined;
  const load = (): MappedBundle | null => {
    if (loaded !== undefined) return loaded;
    try {
      const payload = JSON.parse(readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0];
      loaded = { map: new SourceMap(payload), dir: dirname(mapFile) };
    } catch {
      loaded = null;
    }
    return loaded;
  };
  if (!existsSync(mapFile)) return false;
  const base = root ?? resolve(dirname(bundle), '..', '..', '..');
  const inBundle = (f: string | null | undefined) => f === bundle || f === moduleUrl;
  const sourcePath = (b: MappedBundle, source: string) => {
    const absolute = source.startsWith('file:') ? fileURLToPath(source) : resolve(b.dir, source);
    const rel = relative(base, absolute);
    return rel.startsWith('..') ? absolute : rel;
  };

  const frame = (b: MappedBundle, sites: readonly CallSite[], i: number): string => {
    const cs = sites[i] as CallSite;
    const text = cs.toString();
    const file = cs.getFileName();
    if (!inBundle(file)) return text;
    const line = cs.getLineNumber();
    const column = cs.getColumnNumber();
    const pos = original(b, line, column);
    if (!pos) return text;
    let out = text.replace(`${file}:${line}:${column}`, `${sourcePath(b, pos.source)}:${pos.line}:${pos.column}`);
    // The function's own name: the enclosing function's mapped name, else the name the caller
    // used at its call site (as Node's own source-map support does).
    const minified = cs.getFunctionName();
    if (minified) {
      // getEnclosing*Number: in V8's call sites of Node 20 and 22, not in every V8.
      const enclosing =
        typeof cs.getEnclosingLineNumber === 'function' && typeof cs.getEnclosingColumnNumber === 'function'
          ? original(b, cs.getEnclosingLineNumber(), cs.getEnclosingColumnNumber())?.name
          : undefined;
      const caller = sites[i + 1];
      const atCall = caller && inBundle(caller.getFileName()) ? original(b, caller.getLineNumber(), caller.getColumnNumber())?.name : undefined;
      const name = enclosing ?? atCall;
      if (name && name !== minified) out = out.replace(new RegExp(`(^|[ .])${minified.replace(/[$]/g, '\\$')}(?= |$)`), `$1${name}`);
    }
    return out;
  };

  // Node's own formatting (or a test runner's) stays in charge; only the lines of frames in the
  // bundle are replaced, one line per call site being the format of both.
  const previous = Error.prepareStackTrace?.bind(Error);
  const plain = (error: Error, sites: readonly CallSite[]): string => {
    let header: string;
    try {
      header = Error.prototype.toString.call(error);
    } catch {
      header = '<error>';
    }
    return [header, ...sites.map((x) => `    at ${x.toString()}`)].join('\n');
  };
  Error.prepareStackTrace = (error: Error, callSites: NodeJS.CallSite[]): unknown => {
    const sites = callSites as unknown as CallSite[];
    const formatted: unknown = previous ? previous(error, callSites) : plain(error, sites);
    if (typeof formatted !== 'string' || !sites.some((x) => inBundle(x.getFileName()))) return formatted;
    try {
      const b = load();
      const lines = formatted.split('\n');
      const first = lines.length - sites.length;
      if (b === null || first < 1) return formatted;
      sites.forEach((x, i) => {
        if (inBundle(x.getFileName())) lines[first + i] = `    at ${frame(b, sites, i)}`;
      });
      return lines.join('\n');
    } catch {
      return formatted;
    }
  };
  return true;
}
