/**
 * Validates a parsed configuration document into a deeply frozen `Config`. Every problem is
 * reported with its field path; nothing is partially accepted. No file or YAML handling here,
 * so the Lambda bundles (which load JSON) do not carry a YAML parser.
 */
import { ConfigInvalidError, type ValidationIssue } from '../errors.js';
import { configSchema, formatPath, topologyIssues, type Config, type PairConfig } from './schema.js';

export function validateConfig(raw: unknown, source = '(inline)'): Config {
  if (raw === null || raw === undefined) {
    throw new ConfigInvalidError(source, [{ path: '', message: 'the file is empty: it must hold a configuration (see examples/hq-egress.yaml)' }]);
  }
  const shape = configSchema.safeParse(raw);
  if (!shape.success) {
    const issues: ValidationIssue[] = shape.error.issues.map(unionBranchIssue).map((i) => ({
      path: formatPath(i.path),
      message: describeIssue(i, raw),
    }));
    throw new ConfigInvalidError(source, issues);
  }
  const topo = topologyIssues(shape.data);
  if (topo.length > 0) throw new ConfigInvalidError(source, topo);
  return deepFreeze(shape.data);
}

export function findPair(config: Config, name: string): PairConfig | undefined {
  return config.pairs.find((p) => p.name === name);
}

interface ZodIssueLike {
  code: string;
  message: string;
  path: readonly PropertyKey[];
  keys?: readonly string[];
  errors?: readonly (readonly ZodIssueLike[])[];
}

/**
 * A union of strict objects (`apiKey`, `tls`) fails as a whole with "Invalid input". When exactly
 * one branch recognised the object's keys (its only complaints are about the values), that
 * branch's first complaint is the one to show: `apiKey.ssmParameter` says what is wrong with
 * the name instead of "Invalid input".
 */
function unionBranchIssue(issue: ZodIssueLike): ZodIssueLike {
  if (issue.code !== 'invalid_union' || issue.errors === undefined) return issue;
  const keyed = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.code !== 'unrecognized_keys' && i.path.length > 0 && !(i.code === 'invalid_type' && i.message.includes('undefined'))));
  const only = keyed.length === 1 ? keyed[0]?.[0] : undefined;
  return only === undefined ? issue : unionBranchIssue({ ...only, path: [...issue.path, ...only.path] });
}

function describeIssue(issue: ZodIssueLike, raw: unknown): string {
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    const known = knownKeys(issue.path);
    return issue.keys
      .map((k) => {
        const near = nearest(k, known);
        return `unknown key "${k}"${near !== undefined ? `: did you mean "${near}"?` : ''}`;
      })
      .join('; ');
  }
  // A field left out reads "required", not "expected string, received undefined".
  if (isMissing(raw, issue.path)) return 'required';
  return issue.message;
}

function isMissing(raw: unknown, path: readonly PropertyKey[]): boolean {
  let parent: unknown = raw;
  for (const key of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return false;
    parent = (parent as Record<PropertyKey, unknown>)[key];
  }
  const last = path.at(-1);
  return last !== undefined && parent !== null && typeof parent === 'object' && !Array.isArray(parent) && !(last in parent);
}

interface SchemaDef {
  readonly type: string;
  readonly shape?: Readonly<Record<string, { _zod: { def: SchemaDef } }>>;
  readonly element?: { _zod: { def: SchemaDef } };
  readonly innerType?: { _zod: { def: SchemaDef } };
  readonly options?: readonly { _zod: { def: SchemaDef } }[];
}

/** The keys the schema allows in the object at `path` (for "did you mean"). */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let defs: SchemaDef[] = [(configSchema as unknown as { _zod: { def: SchemaDef } })._zod.def];
  const unwrap = (d: SchemaDef): SchemaDef[] =>
    d.innerType ? unwrap(d.innerType._zod.def) : d.options ? d.options.flatMap((o) => unwrap(o._zod.def)) : [d];
  for (const key of path) {
    defs = defs.flatMap(unwrap).flatMap((d) => {
      if (typeof key === 'number') return d.element ? [d.element._zod.def] : [];
      const child = d.shape?.[String(key)];
      return child ? [child._zod.def] : [];
    });
  }
  return [...new Set(defs.flatMap(unwrap).flatMap((d) => Object.keys(d.shape ?? {})))];
}

/** The known key closest to a misspelt one, if close enough to be what was meant. */
export function nearest(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 4)) ? best.key : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
