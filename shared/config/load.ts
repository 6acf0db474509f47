/**
 * Loads and validates the configuration once, into a deeply frozen object.
 * Every problem is reported with its field path; nothing is partially accepted.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigInvalidError, type ValidationIssue } from '../errors.js';
import { configSchema, formatPath, topologyIssues, type Config, type PairConfig } from './schema.js';

export function parseConfig(text: string, source = '(inline)'): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? `line ${e.linePos[0].line}` : '';
    const reason = e instanceof Error ? e.message.split('\n')[0] ?? 'unreadable' : 'unreadable';
    throw new ConfigInvalidError(source, [{ path: where, message: `not valid YAML/JSON: ${reason}` }], { cause: e });
  }
  return validateConfig(raw, source);
}

export function validateConfig(raw: unknown, source = '(inline)'): Config {
  const shape = configSchema.safeParse(raw);
  if (!shape.success) {
    const issues: ValidationIssue[] = shape.error.issues.map((i) => ({
      path: formatPath(i.path),
      message: describeIssue(i),
    }));
    throw new ConfigInvalidError(source, issues);
  }
  const topo = topologyIssues(shape.data);
  if (topo.length > 0) throw new ConfigInvalidError(source, topo);
  return deepFreeze(shape.data);
}

export async function loadConfigFile(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigInvalidError(path, [{ path: '', message: `cannot read the file (${code})` }], { cause: e });
  }
  return parseConfig(text, path);
}

export function findPair(config: Config, name: string): PairConfig | undefined {
  return config.pairs.find((p) => p.name === name);
}

interface ZodIssueLike {
  code: string;
  message: string;
  keys?: readonly string[];
}

function describeIssue(issue: ZodIssueLike): string {
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return issue.message;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
