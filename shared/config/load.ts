/**
 * Loads the configuration people write (YAML, or JSON which is YAML too) for the CLI, the
 * simulator and the build. Lambda functions load the JSON the build writes (`load-json.ts`).
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigInvalidError } from '../errors.js';
import type { Config } from './schema.js';
import { readConfigText } from './load-json.js';
import { validateConfig } from './validate.js';

export { validateConfig, findPair } from './validate.js';

export function parseConfig(text: string, source = '(inline)'): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? `line ${e.linePos[0].line}` : '';
    const reason = e instanceof Error ? (e.message.split('\n')[0] ?? 'unreadable') : 'unreadable';
    throw new ConfigInvalidError(source, [{ path: where, message: `not valid YAML/JSON: ${reason}` }], { cause: e });
  }
  return validateConfig(raw, source);
}

export async function loadConfigFile(path: string): Promise<Config> {
  return parseConfig(await readConfigText(path), path);
}
