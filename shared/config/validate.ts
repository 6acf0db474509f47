/**
 * Validates a parsed configuration document into a deeply frozen `Config`. Every problem is
 * reported with its field path; nothing is partially accepted. No file or YAML handling here,
 * so the Lambda bundles (which load JSON) do not carry a YAML parser.
 */
import { ConfigInvalidError, type ValidationIssue } from '../errors.js';
import { configSchema, formatPath, topologyIssues, type Config, type PairConfig } from './schema.js';

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
